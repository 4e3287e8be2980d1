#pragma once
// What the run command needs from each kind of run (a solver, later a trainer): its case-file
// sections and a function that runs it. Registered explicitly in runs.cpp.
#include <string>
#include <vector>

#include "twinsim/core/Backend.hpp"
#include "twinsim/io/Case.hpp"
#include "twinsim/io/RunDirectory.hpp"
#include "twinsim/io/Schema.hpp"

namespace twinsim::app {

struct RunContext {
  const io::Case& case_file;
  core::Backend backend;
  const io::RunDirectory& run;
  std::string name;  // run.name: output files are <name>.h5, <name>.xmf
};

struct RunResult {
  io::Summary summary;   // solver figures; the run command adds timing and provenance
  bool ok = true;        // false: the run finished but failed its own checks
  std::string failure;   // why, when !ok
};

struct Solver {
  std::string name;  // the value of run.solver
  std::string doc;
  void (*add_schema)(io::Schema& schema);
  RunResult (*run)(const RunContext& context);
};

const std::vector<Solver>& solvers();
const Solver& find_solver(const std::string& name);

// The schema of every case file: [run] plus the sections of every solver.
io::Schema case_schema();

// Per-solver declarations (one file per solver in apps/twinsim/).
void add_taylor_green_schema(io::Schema& schema);
RunResult run_taylor_green(const RunContext& context);

}  // namespace twinsim::app
