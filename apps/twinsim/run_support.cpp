#include "run_support.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <vector>

#include "twinsim/core/Error.hpp"
#include "twinsim/core/versions.hpp"

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

void set_provenance(io::Summary& s, const std::string& name, const std::string& kind,
                    const std::string& what, core::Backend backend, bool ok,
                    const std::string& failure, double total_s) {
  s.set("name", name);
  s.set(kind, what);
  s.set("backend", std::string(core::to_string(backend)));
  s.set("twinsim_version", core::version());
  s.set("status", ok ? "ok" : "failed");
  if (!ok) s.set("failure", failure);
  s.set("timing.total_s", total_s);
}

void log_restart(const io::Restart& restart, core::Backend backend) {
  spdlog::info("restart from {} at step {} (time {})", restart.path().string(), restart.step(),
               restart.time());
  if (restart.info().backend != core::to_string(backend))
    spdlog::warn("the checkpoint was written by the {} backend and this run uses {}: it "
                 "continues, but not bit for bit", restart.info().backend,
                 core::to_string(backend));
}

void set_checkpoint_summary(io::Summary& s, const io::Restart* restart,
                            const io::Checkpoints& checkpoints, bool interrupted) {
  if (restart) {
    s.set("restart.from", restart->path().string());
    s.set("restart.step", restart->step());
  }
  s.set("checkpoints.written", checkpoints.written());
  if (interrupted) {
    s.set("status", "interrupted");
    s.set("checkpoints.last", checkpoints.last_written().string());
  }
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace twinsim::app
