#pragma once
// A run from a case file to a finished run folder, as `twinsim run` does it and as any program
// that links a solver library can: each solver (and the trainer) describes itself as a Kind
// (its case sections, checks, disk plan, and how it builds a Run: stepper + operations); the
// library does the rest (backend, run folder, preflight, log, checkpoints and restarts, the
// loop, summary.json, exit status).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "twinsim/core/Backend.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/io/Case.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/io/RunDirectory.hpp"
#include "twinsim/io/Schema.hpp"
#include "twinsim/loop/Loop.hpp"
#include "twinsim/loop/Operation.hpp"
#include "twinsim/loop/Samples.hpp"
#include "twinsim/loop/Stepper.hpp"

namespace twinsim::loop {

// Exit statuses of a run (and of `twinsim`).
inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_failed = 1;     // the run started and failed
inline constexpr int k_exit_bad_input = 2;  // bad command line or case file: nothing ran
// A stop signal (SIGTERM, SIGINT, SIGUSR1) ended the run at a checkpoint: --restart latest
// continues it. A second signal ends it at once with 128 + the signal number.
inline constexpr int k_exit_interrupted = 3;

// What a run is built from.
struct Setup {
  const io::Case& case_file;
  core::Backend backend;
  const io::RunDirectory& dir;
  std::string name;                      // run.name: output files <name>.h5, <name>.xmf
  const io::Restart* restart = nullptr;  // the checkpoint a restart continues from

  // On more than one rank: rank 0 alone calls it (Kind::splits_across_ranks).
  // <name>.h5: created with its provenance (case text, version, backend, units), or on a
  // restart reopened with every series cut back to the checkpoint's frames.
  std::unique_ptr<io::H5File> open_output(const std::string& units) const;
  std::filesystem::path xmf() const { return dir.file(name + ".xmf"); }
};

// A run as a Kind builds it. Members are destroyed in reverse order: the operations (which
// write into the output file) before the stepper, the output file last.
struct Run {
  std::unique_ptr<io::H5File> output;  // null: the run writes no HDF5 file
  std::unique_ptr<Stepper> stepper;
  std::vector<std::pair<std::unique_ptr<Operation>, Trigger>> operations;
  std::string label;  // of the progress line; empty: the kind's name

  Operation& add(std::unique_ptr<Operation> operation, Trigger trigger) {
    operations.emplace_back(std::move(operation), trigger);
    return *operations.back().first;
  }
};

// Thrown by Kind::make for a start that cannot run (overlapping particles): the run fails with
// its message, and the figures known so far (the fault's step and particle) go into the
// summary.
class StartFailure : public core::Error {
 public:
  StartFailure(const std::string& what, io::Summary figures)
      : core::Error(what), m_figures(std::move(figures)) {}
  const io::Summary& figures() const { return m_figures; }

 private:
  io::Summary m_figures;
};

// What a run will write and hold, for the preflight disk and memory checks (estimates, bytes).
struct Plan {
  std::uint64_t output_bytes = 0;      // <name>.h5 and other files at the end of the run
  std::uint64_t checkpoint_bytes = 0;  // one checkpoint
  // Host memory the run holds at its peak besides its backend arrays (host copies: the initial
  // state, a checkpoint's copy of the state, output frames); 0: twice checkpoint_bytes (the
  // state, and its copy while a checkpoint is written) stands for it, a lower bound.
  std::uint64_t memory_bytes = 0;
  // What the run holds in its backend's memory (state and work arrays, FFT work areas,
  // neighbor lists): the GPU's on the GPU backend, host memory on the CPU backend (added to
  // memory_bytes there); 0: checkpoint_bytes (the state) stands for it, a lower bound.
  std::uint64_t device_bytes = 0;
  // The keys that set the size, named when the run does not fit ("md.cells or md.atoms").
  std::string size_keys;
};

// The preflight's memory check of a plan on `backend`, given the bytes available: host memory
// (MemAvailable, the control group's and the address-space limit) and, on the GPU backend, the
// device's free memory (cudaMemGetInfo; not looked at on the CPU backend). Throws core::Error
// naming plan.size_keys when either does not fit; returns the figures for the run's log line.
std::string check_memory(const Plan& plan, core::Backend backend, std::uint64_t host_available,
                         std::uint64_t device_available);

// A kind of run: a solver (`run.solver = "<name>"`) or a command's (train).
struct Kind {
  std::string name;
  std::string doc;
  // Its case sections (besides [run] and [checkpoint]).
  void (*add_schema)(io::Schema& schema) = nullptr;
  // Builds the run: stepper, output file, operations. Refusals throw core::Error.
  Run (*make)(const Setup& setup) = nullptr;
  // Refuses (throws core::Error) what passes the schema but cannot run, before the run folder
  // exists; nullptr when the schema says it all.
  void (*check)(const io::Case& case_file) = nullptr;
  // Output and checkpoint sizes the case will produce; nullptr: not estimated.
  Plan (*plan)(const io::Case& case_file) = nullptr;
  // summary.json names it as `<provenance>: <name>` ("solver": "lbm", "command": "train").
  std::string provenance = "solver";
  // The trajectories its run produces for in-situ training (its stepper is then a
  // SampleSource, Samples.hpp); nullptr: none.
  SampleShape (*samples)(const io::Case& case_file) = nullptr;
  // True when make() builds runs that split their work across MPI ranks (core::world()): every
  // rank builds the run, rank 0 alone opens the output file (open_output) and writes it; each
  // rank checkpoints its own state. loop::run refuses other kinds on more than one rank.
  bool splits_across_ranks = false;
  // True when its stepper's load() takes a checkpoint written by another rank count (the
  // writers' files in io::StateReader::parts(): each rank takes its part of the whole state,
  // grids with io::split_again; a stepper whose state is the same on every rank reads rank 0's
  // file alone); loop::run refuses that restart for other kinds.
  bool restarts_on_other_ranks = false;
  // How a case is split across `ranks` MPI ranks (ranks > 1), the line its run logs:
  // "lbm: 2 x 2 x 1 blocks of about 64 x 64 x 128 cells (along x, y, z) across 4 MPI ranks".
  // Throws core::Error as check does where that split does not fit. `twinsim check --ranks N`
  // prints it before a job is submitted; nullptr: nothing to show.
  std::string (*split)(const io::Case& case_file, int ranks) = nullptr;
};

struct Result {
  io::Summary summary;
  Outcome outcome;
};

// Builds the run, restores it from setup.restart when given, runs the loop and collects the
// summary (stepper's figures, operations', checkpoint figures). A setup failure (a refused
// start) is a failed outcome.
Result execute(const Kind& kind, const Setup& setup, io::Checkpoints& checkpoints);

// How a run is asked for (the command line's options).
struct Request {
  std::string case_path;  // for messages ("continue with: twinsim run <case_path> ...")
  std::string out;        // run folder; empty: runs/<run.name>
  bool overwrite = false;
  std::string restart;    // "latest" or a checkpoint file; empty: a fresh run
  std::string command = "run";  // the twinsim command that continues it (run, train)
};

// Everything `twinsim run` does with a case validated against the kind's schema: the kind's
// check, the backend (run.device), refuses what cannot be run or does not fit on the disk or in
// the memory available (exit 2, before the folder exists, naming the key to change),
// creates or reopens the run folder, writes case.toml, log.txt, checkpoints and summary.json,
// and returns the exit status.
// Refuses (core::Error) `ranks` > 1 MPI ranks for a kind that does not split across them: what
// run() and `twinsim check --ranks N` say.
void require_splits(const Kind& kind, int ranks);

int run(const Kind& kind, const io::Case& case_file, const Request& request);

// What ends every summary.json: name, what ran (`provenance` = "solver" or "command", `what` =
// its name), backend, version, the build, host, command line and device (Provenance.hpp),
// start_utc and end_utc, status ("ok", or "failed" with `failure` when that is not empty) and
// timing.total_s (seconds since `start`).
void set_provenance(io::Summary& summary, const std::string& name, const std::string& provenance,
                    const std::string& what, core::Backend backend, const std::string& failure,
                    std::chrono::steady_clock::time_point start);

// [run] progress_interval: seconds between plain progress lines in a log (batch jobs, pipes).
// Declared by every run schema (case_schema, the trainer's).
void add_progress_key(io::SectionBuilder& run_section);

// The schema of a case for one of `kinds`: [run] (name, solver, device) and [checkpoint] plus
// that kind's sections; solver empty: every kind's sections (documentation).
io::Schema case_schema(const std::vector<Kind>& kinds, const std::string& solver = "");

}  // namespace twinsim::loop
