#pragma once
// The run folders of a job array in one HDF5 file:
//   /members/<run name>/...   a copy of the run's <name>.h5 (its frame views /xdmf left out),
//                             with attributes run_dir, status, case (case.toml), summary
//                             (summary.json) and swept.<section.key>: that run's values of the
//                             case keys that differ between the runs
//   /members                  the table: attributes names, run_dirs, statuses, swept_keys and
//                             one column per swept key (numbers, or TOML text); test_error
//                             and cost_s (summary.json's train.final_test_loss and
//                             timing.total_s, NaN where absent) and best (the best model's
//                             run name, "" when no run has a test error)
//   /vorticity, /snapshot_time  spectral runs of one shape and the same physics: every run's
//                             trajectories concatenated along samples, in the order given, as a
//                             virtual dataset over the copies (no second copy): the layout
//                             twinsim train reads (data.files = ["OUT.h5"])
// Root attribute gathered_runs: the number of runs. hdf5.h and toml++ stay in Gather.cpp.
#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "twinsim/io/Hdf5.hpp"

namespace twinsim::io {

// A run folder as gather reads it: case.toml, summary.json and whether <name>.h5 is whole.
struct GatherRun {
  std::filesystem::path dir;
  std::string name;       // run.name
  std::string case_text;  // case.toml
  std::string summary;    // summary.json ("" when absent)
  std::string status;     // summary.json's status, or "no summary.json"
  std::string solver;     // run.solver
  // The flattened case without run.name, "section.key" -> the value as TOML text (to compare
  // runs) and as an attribute (an integer, a float, a string, or else its TOML text).
  std::map<std::string, std::string> keys;
  std::map<std::string, AttributeValue> values;
  // Why the run did not finish: "status interrupted", "<series> holds 3 frames of which 2 are
  // whole"; empty when it did. Such a run is gathered with its whole frames only.
  std::vector<std::string> incomplete;
  // summary.json's train.final_test_loss (runs that trained a model) and timing.total_s
  // (seconds, the run's cost); NaN when absent.
  double test_error = 0, cost_s = 0;
};

// Reads a run folder. Throws core::Error for one that cannot be gathered (no case.toml, no
// <name>.h5, a case.toml that is not TOML); an unfinished run is not an error (incomplete).
GatherRun read_gather_run(const std::filesystem::path& dir);
// Every folder, in order; throws core::Error as read_gather_run does, and for a second run of
// the same name ("<dir>: a second run named <name>").
std::vector<GatherRun> read_gather_runs(const std::vector<std::filesystem::path>& dirs);

// The case keys whose values differ between the runs (missing counts as a value), sorted.
std::vector<std::string> swept_keys(const std::vector<GatherRun>& runs);

// The best model of a hyper-parameter search: the run with the smallest test error, of equal
// errors the cheapest (a run without a cost counts as the dearest); -1 when no run has a
// test error.
std::ptrdiff_t best_model(const std::vector<GatherRun>& runs);

// What gather_runs wrote.
struct GatherReport {
  std::size_t runs = 0;
  std::vector<std::string> swept_keys;
  // Whether /vorticity/value joins the runs' trajectories, and how many it holds.
  bool training_set = false;
  std::size_t trajectories = 0;
  // Why spectral runs were not joined into a training set; "" when they were, or when the
  // first run is not a spectral run (nothing to explain).
  std::string no_training_set;
  std::ptrdiff_t best = -1;  // best_model(runs)
};

// Writes the runs into `out` (replacing any file there) through out.tmp and a rename, so `out`
// is whole or absent. Incomplete runs contribute their whole frames (complete_frames): callers
// that want only finished runs refuse those with `incomplete` first. Throws core::Error.
GatherReport gather_runs(const std::filesystem::path& out, const std::vector<GatherRun>& runs);

}  // namespace twinsim::io
