// twinsim sweep: a case with a [sweep] section -> one validated case file per task, for job
// arrays (hpc/slurm/sweep_array.sbatch); twinsim check validates every task of such a case.
// The work is io::read_sweep / sweep_members / write_sweep (io/Sweep.hpp); this is the wiring.
#include "twinsim/io/Sweep.hpp"

#include <cstdio>
#include <filesystem>
#include <optional>

#include "commands.hpp"
#include "runs.hpp"

namespace twinsim::app {

namespace {

namespace fs = std::filesystem;

// The sweep's members with the options' --set and --device, or nothing when a task is refused
// (why is printed). Throws core::Error for a bad sweep.
std::optional<std::vector<io::SweepMember>> members(const io::Sweep& sweep,
                                                    const RunOptions& options) {
  std::vector<std::string> overrides = options.overrides;
  if (!options.device.empty()) overrides.push_back("run.device=" + options.device);
  try {
    return io::sweep_members(sweep, overrides, {case_schema_of, check_case});
  } catch (const io::MemberRefused& e) {
    const std::size_t n = e.problems().size();
    if (n > 0)
      std::fprintf(stderr,
                   "%s\nerror: task %zu of %s is refused (%zu problem%s); nothing was "
                   "written\n",
                   e.what(), e.task(), options.case_path.c_str(), n, n == 1 ? "" : "s");
    else
      std::fprintf(stderr, "error: task %zu of %s is refused: %s; nothing was written\n", e.task(),
                   options.case_path.c_str(), e.what());
  }
  return std::nullopt;
}

}  // namespace

int check_sweep(const RunOptions& options) {
  try {
    const io::Sweep sweep = io::read_sweep(options.case_path, case_schema_of);
    if (!members(sweep, options)) return k_exit_bad_input;
    std::printf("%s: ok (sweep of %zu tasks; twinsim sweep writes them)\n",
                options.case_path.c_str(), sweep.tasks.size());
    return k_exit_ok;
  } catch (const core::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return k_exit_bad_input;
  }
}

int sweep(const RunOptions& options, const SweepOptions& sweep_options) {
  if (!fs::is_regular_file(options.case_path)) {
    std::fprintf(stderr, "error: case file '%s' not found\n", options.case_path.c_str());
    return k_exit_bad_input;
  }
  try {
    const io::Sweep sweep = io::read_sweep(options.case_path, case_schema_of);
    const auto tasks = members(sweep, options);
    if (!tasks) return k_exit_bad_input;
    if (sweep_options.count) {
      std::printf("%zu\n", tasks->size());
      return k_exit_ok;
    }
    if (sweep_options.task >= 0) {
      if (std::size_t(sweep_options.task) >= tasks->size()) {
        std::fprintf(stderr, "error: --task %lld: the sweep has tasks 0 to %zu\n",
                     static_cast<long long>(sweep_options.task), tasks->size() - 1);
        return k_exit_bad_input;
      }
      if (!options.device.empty()) std::printf("--set\nrun.device=%s\n", options.device.c_str());
      for (const std::string& o : (*tasks)[std::size_t(sweep_options.task)].overrides)
        std::printf("--set\n%s\n", o.c_str());
      return k_exit_ok;
    }
    const std::string first = (*tasks)[0].case_file.get_string("run.name");  // <name>_0
    const fs::path dir = options.out.empty()
                             ? fs::path("sweeps") / first.substr(0, first.size() - 2)
                             : fs::path(options.out);
    if (fs::exists(dir / "tasks.csv") && !options.overwrite) {
      std::fprintf(stderr,
                   "error: %s already holds a sweep (tasks.csv); --overwrite replaces "
                   "it\n",
                   dir.string().c_str());
      return k_exit_bad_input;
    }
    io::write_sweep(dir, sweep, *tasks);
    std::printf("%zu tasks: %s/task_0.toml ... task_%zu.toml, tasks.csv\n", tasks->size(),
                dir.string().c_str(), tasks->size() - 1);
    return k_exit_ok;
  } catch (const core::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return k_exit_bad_input;
  }
}

}  // namespace twinsim::app
