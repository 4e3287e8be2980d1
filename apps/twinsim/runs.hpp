#pragma once
// What the run command needs from each kind of run (a solver, later a trainer): its case-file
// sections and a function that runs it. Registered explicitly in runs.cpp.
#include <cstdint>
#include <string>
#include <vector>

#include "twinsim/core/Backend.hpp"
#include "twinsim/io/Case.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/io/RunDirectory.hpp"
#include "twinsim/io/Schema.hpp"

namespace twinsim::app {

struct RunContext {
  const io::Case& case_file;
  core::Backend backend;
  const io::RunDirectory& run;
  std::string name;  // run.name: output files are <name>.h5, <name>.xmf
  // Loops call checkpoints.at_boundary(...) at every step boundary they reach and return
  // with interrupted set when it says so (a stop signal; the checkpoint is written).
  io::Checkpoints& checkpoints;
  // The checkpoint a restarted run continues from (its state, and reopen_output for the HDF5
  // file); null for a fresh run.
  const io::Restart* restart = nullptr;
};

struct RunResult {
  io::Summary summary;       // solver figures; the run command adds timing and provenance
  bool ok = true;            // false: the run finished but failed its own checks
  std::string failure;       // why, when !ok
  bool interrupted = false;  // a stop signal ended it at a checkpoint: --restart continues it
};

// What a run will write, for the preflight disk check (estimates, bytes).
struct OutputPlan {
  std::uint64_t output_bytes = 0;      // <name>.h5 and other files at the end of the run
  std::uint64_t checkpoint_bytes = 0;  // one checkpoint
};

struct Solver {
  std::string name;  // the value of run.solver
  std::string doc;
  void (*add_schema)(io::Schema& schema);
  RunResult (*run)(const RunContext& context);
  // Refuses (throws core::Error) settings that pass the schema but that the solver cannot run,
  // before the run folder exists; nullptr when the schema says it all.
  void (*check)(const io::Case& case_file) = nullptr;
  // Output and checkpoint sizes the case will produce; nullptr: not estimated.
  OutputPlan (*plan)(const io::Case& case_file) = nullptr;
};

// The run's <name>.h5: created with its provenance (case text, backend, `units`), or on a
// restart reopened with every series cut back to the checkpoint's frames.
io::H5File open_output(const RunContext& context, const std::string& units);

const std::vector<Solver>& solvers();
const Solver& find_solver(const std::string& name);

// The schema of a case file for one solver: [run] plus that solver's sections, so one solver's
// required sections never burden another's cases. Empty: every solver's sections (documentation).
io::Schema case_schema(const std::string& solver = "");

// Per-solver declarations (one file per solver in apps/twinsim/).
void add_taylor_green_schema(io::Schema& schema);
RunResult run_taylor_green(const RunContext& context);
void add_spectral_schema(io::Schema& schema);
RunResult run_spectral(const RunContext& context);
void check_spectral(const io::Case& case_file);
OutputPlan plan_spectral(const io::Case& case_file);
void add_spectral3d_schema(io::Schema& schema);
RunResult run_spectral3d(const RunContext& context);
void check_spectral3d(const io::Case& case_file);
OutputPlan plan_spectral3d(const io::Case& case_file);

}  // namespace twinsim::app
