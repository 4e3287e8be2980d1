// libFuzzer target: a file Twinsim reads back through each of its readers: a checkpoint
// (--restart latest: open, verify, read the state), a surrogate model (predict, init_from) and
// training data (trajectories, a gathered table). The first byte picks the reader, the rest is
// the file. A refusal (core::Error) is the expected answer to a damaged file; anything else is
// a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "twinsim/core/Error.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/surrogates/Data.hpp"
#include "twinsim/surrogates/ModelFile.hpp"

using namespace twinsim;
namespace fs = std::filesystem;

namespace {

const fs::path& folder() {
  static const fs::path path = [] {
    fs::path p = fs::temp_directory_path() / ("twinsim-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(p);
    return p;
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const fs::path file = folder() / "step_0000000001.h5";
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data + 1), std::streamsize(size - 1));
  }
  try {
    switch (data[0] % 4) {
      case 0: {
        const io::Restart restart(folder(), "latest");
        const io::StateReader& state = restart.state();
        for (const char* name : {"step", "time"})
          if (state.has(name)) (void)state.get_double(name);
        break;
      }
      case 1: (void)nn::read_model_file(file); break;
      case 2: (void)nn::read_trajectories({file.string()}); break;
      case 3: (void)nn::read_table({file.string()}, {"md.density"}, {"pressure.mean"}); break;
    }
  } catch (const core::Error&) {
  }
  return 0;
}
