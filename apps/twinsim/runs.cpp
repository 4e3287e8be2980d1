#include "runs.hpp"

#include "twinsim/heat/Run.hpp"
#include "twinsim/lbm/Ensemble.hpp"
#include "twinsim/lbm/Run.hpp"
#include "twinsim/md/Ensemble.hpp"
#include "twinsim/md/Run.hpp"
#include "twinsim/spectral/Run.hpp"
#include "twinsim/surrogates/InSitu.hpp"

namespace twinsim::app {

const std::vector<loop::Kind>& solvers() {
  // A solver that hands over trajectories is listed with_training: its case may add [train]
  // (in-situ training, surrogates/InSitu.hpp).
  static const std::vector<loop::Kind> all = {spectral::kind_taylor_green(),
                                              md::kind(),
                                              nn::with_training<md::ensemble_kind>(),
                                              nn::with_training<spectral::kind_2d>(),
                                              spectral::kind_3d(),
                                              lbm::kind(),
                                              nn::with_training<lbm::ensemble_kind>(),
                                              heat::kind()};
  return all;
}

const loop::Kind* find_solver(const std::string& name) {
  for (const loop::Kind& k : solvers())
    if (k.name == name) return &k;
  return nullptr;
}

io::Schema case_schema(const std::string& solver) { return loop::case_schema(solvers(), solver); }

io::Schema case_schema_of(const io::CaseOutline& outline) {
  // A case that names no known solver is checked against [run] and [checkpoint] alone, so its
  // first problem is the solver, not the sections of every solver.
  return case_schema(find_solver(outline.solver) ? outline.solver : "(unknown)");
}

void check_case(const io::Case& case_file) {
  const loop::Kind* k = find_solver(case_file.get_string("run.solver"));
  if (k && k->check) k->check(case_file);
}

}  // namespace twinsim::app
