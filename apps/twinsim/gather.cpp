// twinsim gather OUT.h5 RUN_DIR...: the run folders of a job array in one HDF5 file (the layout
// is in io/Gather.hpp, which does the work). Runs that did not finish (summary.json status not
// "ok", or a series with a partial frame) are refused unless --allow-incomplete, which gathers
// their whole frames (complete_frames) only.
#include "twinsim/io/Gather.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>

#include "commands.hpp"

namespace twinsim::app {

int gather(const GatherOptions& options) {
  std::vector<io::GatherRun> runs;
  try {
    runs = io::read_gather_runs({options.run_dirs.begin(), options.run_dirs.end()});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s; nothing was gathered\n", e.what());
    return k_exit_bad_input;
  }
  std::size_t incomplete = 0;
  for (const io::GatherRun& r : runs)
    if (!r.incomplete.empty()) {
      ++incomplete;
      std::string why;
      for (const std::string& w : r.incomplete) why += (why.empty() ? "" : "; ") + w;
      std::fprintf(stderr, "%s: %s: %s\n", options.allow_incomplete ? "warning" : "error",
                   r.dir.string().c_str(), why.c_str());
    }
  if (incomplete > 0 && !options.allow_incomplete) {
    std::fprintf(stderr,
                 "error: %zu of %zu runs are incomplete; nothing was gathered "
                 "(--allow-incomplete gathers their whole frames)\n",
                 incomplete, runs.size());
    return k_exit_bad_input;
  }
  const std::filesystem::path out(options.out);
  if (std::filesystem::exists(out) && !options.overwrite) {
    std::fprintf(stderr, "error: %s exists; --overwrite replaces it\n", out.c_str());
    return k_exit_bad_input;
  }
  const io::GatherReport report = io::gather_runs(out, runs);
  if (report.training_set)
    spdlog::info("/vorticity/value: {} trajectories from {} runs, one training set",
                 report.trajectories, report.runs);
  else if (!report.no_training_set.empty())
    spdlog::warn("no training set /vorticity/value: {}", report.no_training_set);
  if (report.best >= 0) {
    const io::GatherRun& best = runs[std::size_t(report.best)];
    spdlog::info("best model: {} (test error {:.5g}, {:.3g} s){}", best.name, best.test_error,
                 best.cost_s,
                 std::filesystem::exists(best.dir / "model.h5")
                     ? ": " + (best.dir / "model.h5").string()
                     : std::string());
  }
  spdlog::info("gathered {} runs into {}", report.runs, out.string());
  return k_exit_ok;
}

}  // namespace twinsim::app
