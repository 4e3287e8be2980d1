// twinsim run / check / schema: case file -> validated case -> backend -> run folder.
#include <fmt/format.h>
#include <toml++/toml.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
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

}  // namespace

int check(const RunOptions& options) {
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
    // Solver cases ([run] with a solver), then the surrogate cases' own sections.
    const io::Schema solvers = case_schema(), surrogates = surrogate_case_schema();
    std::vector<std::string> surrogate_sections = surrogates.section_names();
    surrogate_sections.erase(
        std::remove(surrogate_sections.begin(), surrogate_sections.end(), "run"),
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

  // Everything that can be refused is refused before the run folder exists.
  core::Backend backend;
  std::optional<io::RunDirectory> dir;
  try {
    backend = core::select_backend(c->get_string("run.device"));
    dir.emplace(options.out.empty() ? std::filesystem::path("runs") / name
                                    : std::filesystem::path(options.out),
                options.overwrite);
  } catch (const core::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return k_exit_bad_input;
  }
  dir->write_text("case.toml", c->resolved_text());
  core::log_to_file(dir->file("log.txt").string());
  spdlog::info("twinsim {}: {} ({}) from {}", core::version(), name, solver.name,
               options.case_path);
  spdlog::info("backend {}{}, output in {}", core::to_string(backend),
               backend == core::Backend::Gpu ? ": " + core::gpu_description() : "",
               dir->path().string());

  RunResult result;
  try {
    result = solver.run({*c, backend, *dir, name});
  } catch (const core::Error& e) {
    result.ok = false;
    result.failure = e.what();
  }
  set_provenance(result.summary, name, "solver", solver.name, backend, result.ok, result.failure,
                 seconds_since(start));
  dir->write_summary(result.summary);
  if (!result.ok) {
    spdlog::error("{}", result.failure);
    spdlog::error("run failed; what was computed is in {}", dir->path().string());
    return k_exit_failed;
  }
  spdlog::info("done in {:.3g} s; results in {}", seconds_since(start), dir->path().string());
  return k_exit_ok;
}

}  // namespace twinsim::app
