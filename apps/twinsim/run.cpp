// twinsim run / check: which kind of case a file is (one look at its tables and
// run.solver), validation against that kind's schema, then the loop library's run.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "run_support.hpp"
#include "runs.hpp"
#include "surrogate_case.hpp"
#include "twinsim/core/Comm.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/io/Case.hpp"
#include "twinsim/loop/Run.hpp"

namespace twinsim::app {

namespace {

// A surrogate case (for twinsim train / predict) names no solver and has a [model] section.
bool is_surrogate_case(const io::CaseOutline& outline) {
  return outline.solver.empty() && outline.has("model");
}

// The case as the options make it, validated against the schema of the solver it names; prints
// why and returns nothing when it is not valid. with_check: also the solver's own check
// (`twinsim check`; `twinsim run` has loop::run make it).
std::optional<io::Case> load_case(const RunOptions& options, const io::CaseOutline& outline,
                                  bool with_check) {
  return load_case_file(options, case_schema_of(outline),
                        with_check ? check_case : std::function<void(const io::Case&)>());
}

}  // namespace

int check(const RunOptions& options) {
  const io::CaseOutline outline = io::outline_of(options.case_path, options.overrides);
  if (outline.has("sweep")) return check_sweep(options);
  if (is_surrogate_case(outline)) {
    // A case that names its model (predict.model) is also checked against it; the default,
    // runs/<run.name>/model.h5, is made by training the same case.
    const auto check_surrogate = [](const io::Case& c) {
      c.get_string("predict.model").empty() ? nn::check_data(c) : check_predict_case(c);
    };
    if (!load_case_file(options, surrogate_case_schema(), check_surrogate))
      return k_exit_bad_input;
    std::printf("%s: ok (surrogate: twinsim train / predict)\n", options.case_path.c_str());
    return k_exit_ok;
  }
  const std::optional<io::Case> c = load_case(options, outline, true);
  if (!c) return k_exit_bad_input;
  // The split across ranks that a run on `ranks` would log (its refusals, as loop::run's).
  const int ranks = options.ranks > 0 ? options.ranks : core::world().size();
  const loop::Kind& kind = *find_solver(c->get_string("run.solver"));
  std::string split;
  try {
    loop::require_splits(kind, ranks);
    if (ranks > 1 && kind.split) split = kind.split(*c, ranks);
  } catch (const core::Error& e) {
    std::fprintf(stderr, "error: %s: %s\n", options.case_path.c_str(), e.what());
    return k_exit_bad_input;
  }
  if (!core::world().root()) return k_exit_ok;  // under mpirun: rank 0 says it once
  std::printf("%s: ok (solver %s%s)\n", options.case_path.c_str(),
              c->get_string("run.solver").c_str(),
              ranks > 1 ? fmt::format(", {} MPI ranks", ranks).c_str() : "");
  if (!split.empty()) std::printf("%s\n", split.c_str());
  return k_exit_ok;
}

int run(const RunOptions& options) {
  const io::CaseOutline outline = io::outline_of(options.case_path, options.overrides);
  if (outline.has("sweep")) {
    std::fprintf(stderr, "error: %s has a [sweep] section: it stands for several runs; write "
                 "them with twinsim sweep %s --out DIR and run DIR/task_<i>.toml (a job array: "
                 "hpc/slurm/sweep_array.sbatch); nothing was run\n",
                 options.case_path.c_str(), options.case_path.c_str());
    return k_exit_bad_input;
  }
  if (is_surrogate_case(outline)) {
    std::fprintf(stderr, "error: %s is a surrogate case (it has [model] and no run.solver): "
                 "use twinsim train or twinsim predict; nothing was run\n",
                 options.case_path.c_str());
    return k_exit_bad_input;
  }
  const std::optional<io::Case> c = load_case(options, outline, false);
  if (!c) return k_exit_bad_input;
  return loop::run(*find_solver(c->get_string("run.solver")), *c,
                   {options.case_path, options.out, options.overwrite, options.restart});
}

}  // namespace twinsim::app
