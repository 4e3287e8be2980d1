#pragma once
// Parameter sweeps: a case with a [sweep] section stands for one case per task.
//
//   [sweep]
//   mode = "grid"                  # "grid": every combination; "zip": the i-th value of each list
//   "spectral.seed" = [0, 1, 2]    # "section.key" = [values], any key of the case's schema
//   "spectral.nu" = [1e-3, 2e-3]
//
// Keys are taken in alphabetical order; in a grid the last varies fastest. Task i is the case
// with task i's values, [sweep] removed and run.name suffixed with _<i>.
#include <string>
#include <vector>

#include "commands.hpp"
#include "twinsim/io/Schema.hpp"

namespace twinsim::app {

struct Sweep {
  std::string base_text;          // the case with its [sweep] lines blanked (positions kept)
  std::vector<std::string> keys;  // "section.key", alphabetical
  std::vector<std::vector<io::Value>> tasks;  // tasks[i][k]: the value of keys[k] in task i
};

// True when the case file parses as TOML and has a [sweep] table.
bool has_sweep(const std::string& case_path);
// The sweep of a case file; throws core::Error with the message that refuses a bad one.
Sweep read_sweep(const std::string& case_path);

// twinsim check on a sweep case: every task is validated (exit status 2 if any is refused).
int check_sweep(const RunOptions& options);

}  // namespace twinsim::app
