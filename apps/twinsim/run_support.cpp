#include "run_support.hpp"

#include <cstdio>
#include <filesystem>
#include <vector>

#include "twinsim/core/Error.hpp"

namespace twinsim::app {

std::optional<io::Case> load_case_file(const RunOptions& options, const io::Schema& schema,
                                       const std::function<void(const io::Case&)>& check) {
  if (!std::filesystem::is_regular_file(options.case_path)) {
    std::fprintf(stderr, "error: case file '%s' not found\n", options.case_path.c_str());
    return std::nullopt;
  }
  std::vector<std::string> overrides = options.overrides;
  if (!options.device.empty()) overrides.push_back("run.device=" + options.device);
  try {
    io::Case c = io::Case::from_file(options.case_path, schema, overrides);
    if (check) check(c);
    return c;
  } catch (const io::CaseError& e) {
    std::fprintf(stderr, "%s\nerror: %zu problem%s in %s; nothing was run\n", e.what(),
                 e.problems().size(), e.problems().size() == 1 ? "" : "s",
                 options.case_path.c_str());
  } catch (const core::Error& e) {
    std::fprintf(stderr, "error: %s: %s; nothing was run\n", options.case_path.c_str(), e.what());
  }
  return std::nullopt;
}

}  // namespace twinsim::app
