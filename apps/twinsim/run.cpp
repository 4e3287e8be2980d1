// twinsim run / check / schema: case file -> validated case -> backend -> run folder.
#include <fmt/format.h>
#include <toml++/toml.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "run_support.hpp"
#include "runs.hpp"
#include "surrogate_case.hpp"
#include "twinsim/core/Backend.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/Log.hpp"
#include "twinsim/core/Signals.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/io/Sweep.hpp"
#include "twinsim/core/versions.hpp"

namespace twinsim::app {

namespace {

// The solver a case asks for (the last --set run.solver=, else the file's run.solver), or ""
// when that cannot be told; validation against the full schema then explains why.
std::string requested_solver(const RunOptions& options) {
  std::string solver;
  for (const std::string& o : options.overrides)
    if (o.rfind("run.solver=", 0) == 0) solver = o.substr(std::string("run.solver=").size());
  if (!solver.empty()) return solver;
  try {
    return toml::parse_file(options.case_path)["run"]["solver"].value_or(std::string());
  } catch (const toml::parse_error&) {
    return "";
  }
}

// A surrogate case (for twinsim train / predict) names no solver and has a [model] section.
bool is_surrogate_case(const RunOptions& options) {
  if (!requested_solver(options).empty()) return false;
  try {
    return toml::parse_file(options.case_path).contains("model");
  } catch (const toml::parse_error&) {
    return false;
  }
}

// The case as the options make it, checked against the schema of the solver it names and by
// that solver's check; prints why and returns nothing when it is not valid.
std::optional<io::Case> load_case(const RunOptions& options) {
  std::string solver = requested_solver(options);
  if (std::none_of(solvers().begin(), solvers().end(),
                   [&](const Solver& s) { return s.name == solver; }))
    solver.clear();
  return load_case_file(options, case_schema(solver), [](const io::Case& c) {
    const Solver& s = find_solver(c.get_string("run.solver"));
    if (s.check) s.check(c);
  });
}


std::string megabytes(std::uint64_t bytes) { return fmt::format("{:.1f} MiB", bytes / 1048576.0); }

// Free bytes on the file system that holds (or will hold) path.
std::uint64_t free_bytes(std::filesystem::path path) {
  std::error_code ec;
  path = std::filesystem::absolute(path, ec);
  while (!path.empty() && !std::filesystem::exists(path, ec) && path != path.root_path())
    path = path.parent_path();
  const std::filesystem::space_info space = std::filesystem::space(path, ec);
  return ec ? std::numeric_limits<std::uint64_t>::max() : space.available;
}

// Preflight: the planned output and checkpoints must fit on the disk of the run folder.
void check_disk(const Solver& solver, const io::Case& c, const std::filesystem::path& out) {
  if (!solver.plan) return;
  const OutputPlan plan = solver.plan(c);
  const std::uint64_t keep = std::uint64_t(io::CheckpointPolicy::from_case(c).keep);
  const std::uint64_t need = plan.output_bytes + keep * plan.checkpoint_bytes;
  const std::uint64_t free = free_bytes(out);
  const std::string text = fmt::format(
      "planned output {} + {} checkpoint(s) of {}; {} free in {}", megabytes(plan.output_bytes),
      keep, megabytes(plan.checkpoint_bytes), megabytes(free), out.string());
  if (need > free)
    throw core::Error(text + ": not enough disk (write fewer frames, or choose another --out)");
  spdlog::info("{}", text);
}

}  // namespace

int check(const RunOptions& options) {
  if (io::has_sweep(options.case_path)) return check_sweep(options);
  if (is_surrogate_case(options)) {
    if (!load_surrogate_case(options)) return k_exit_bad_input;
    std::printf("%s: ok (surrogate: twinsim train / predict)\n", options.case_path.c_str());
    return k_exit_ok;
  }
  const std::optional<io::Case> c = load_case(options);
  if (!c) return k_exit_bad_input;
  std::printf("%s: ok (solver %s)\n", options.case_path.c_str(),
              c->get_string("run.solver").c_str());
  return k_exit_ok;
}

int schema(const std::string& section) {
  try {
    // Solver cases ([run] with a solver, [checkpoint]), then the surrogate cases' own sections.
    const io::Schema solvers = case_schema(), surrogates = surrogate_case_schema();
    std::vector<std::string> surrogate_sections = surrogates.section_names();
    for (const char* shared : {"run", "checkpoint"})
      surrogate_sections.erase(
          std::remove(surrogate_sections.begin(), surrogate_sections.end(), shared),
          surrogate_sections.end());
    std::string text;
    if (section.empty()) {
      text = solvers.describe();
      for (const std::string& name : surrogate_sections) text += surrogates.describe(name);
    } else if (std::find(surrogate_sections.begin(), surrogate_sections.end(), section) !=
               surrogate_sections.end()) {
      text = surrogates.describe(section);
    } else {
      text = solvers.describe(section);
    }
    std::fputs(text.c_str(), stdout);
    return k_exit_ok;
  } catch (const core::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return k_exit_bad_input;
  }
}

int run(const RunOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (io::has_sweep(options.case_path)) {
    std::fprintf(stderr, "error: %s has a [sweep] section: it stands for several runs; write "
                 "them with twinsim sweep %s --out DIR and run DIR/task_<i>.toml (a job array: "
                 "hpc/slurm/sweep_array.sbatch); nothing was run\n",
                 options.case_path.c_str(), options.case_path.c_str());
    return k_exit_bad_input;
  }
  if (is_surrogate_case(options)) {
    std::fprintf(stderr, "error: %s is a surrogate case (it has [model] and no run.solver): "
                 "use twinsim train or twinsim predict; nothing was run\n",
                 options.case_path.c_str());
    return k_exit_bad_input;
  }
  const std::optional<io::Case> c = load_case(options);
  if (!c) return k_exit_bad_input;
  const std::string name = c->get_string("run.name");
  const Solver& solver = find_solver(c->get_string("run.solver"));
  const std::filesystem::path out =
      options.out.empty() ? std::filesystem::path("runs") / name : std::filesystem::path(options.out);

  // Everything that can be refused is refused before the run folder exists (or, restarting,
  // before it changes).
  core::Backend backend;
  std::optional<io::RunDirectory> dir;
  std::optional<io::Restart> restart;
  try {
    backend = core::select_backend(c->get_string("run.device"));
    if (!options.restart.empty()) {
      dir.emplace(io::RunDirectory::existing(out));
      restart.emplace(dir->checkpoints(), options.restart);
      restart->require(solver.name, c->resolved_text());
    }
    check_disk(solver, *c, out);
    if (!dir) dir.emplace(out, options.overwrite);
  } catch (const core::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return k_exit_bad_input;
  }
  if (!restart) dir->write_text("case.toml", c->resolved_text());
  core::log_to_file(dir->file("log.txt").string());
  spdlog::info("twinsim {}: {} ({}) from {}", core::version(), name, solver.name,
               options.case_path);
  spdlog::info("backend {}{}, output in {}", core::to_string(backend),
               backend == core::Backend::Gpu ? ": " + core::gpu_description() : "",
               dir->path().string());
  if (restart) log_restart(*restart, backend);

  io::Checkpoints checkpoints(dir->checkpoints(), io::CheckpointPolicy::from_case(*c),
                              {solver.name, 0, 0.0, std::string(core::to_string(backend)),
                               c->resolved_text()});
  RunResult result;
  try {
    result = solver.run({*c, backend, *dir, name, checkpoints, restart ? &*restart : nullptr});
  } catch (const core::Error& e) {
    result.ok = false;
    result.failure = e.what();
  }
  set_provenance(result.summary, name, "solver", solver.name, backend, result.ok, result.failure,
                 seconds_since(start));
  set_checkpoint_summary(result.summary, restart ? &*restart : nullptr, checkpoints,
                         result.interrupted);
  dir->write_summary(result.summary);
  if (!result.ok) {
    spdlog::error("{}", result.failure);
    spdlog::error("run failed; what was computed is in {}", dir->path().string());
    return k_exit_failed;
  }
  if (result.interrupted) {
    spdlog::warn("stopped by {}: checkpoint {}; continue with: twinsim run {} --out {} "
                 "--restart latest", core::signal_name(core::stop_signal()),
                 checkpoints.last_written().string(), options.case_path, dir->path().string());
    return k_exit_interrupted;
  }
  spdlog::info("done in {:.3g} s; results in {}", seconds_since(start), dir->path().string());
  return k_exit_ok;
}

}  // namespace twinsim::app
