#pragma once
// What `twinsim train` and `twinsim predict` share: the surrogate case schema ([run] name and
// device, plus the surrogates module's sections), loading a case, and the run folder.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "commands.hpp"
#include "twinsim/core/Backend.hpp"
#include "twinsim/io/Case.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/io/RunDirectory.hpp"
#include "twinsim/io/Schema.hpp"

namespace twinsim::app {

io::Schema surrogate_case_schema();

// The validated case, or nothing after printing every problem (exit status 2 follows).
std::optional<io::Case> load_surrogate_case(const RunOptions& options);

// The backend and the run folder (default runs/<run.name><suffix>); prints why and returns
// nothing when either is refused. With options.restart (twinsim train --restart) the folder is
// the existing run's, its case.toml is kept, and restart is the checkpoint to continue from,
// already checked to be of a training run of this exact case.
struct SurrogateRun {
  core::Backend backend;
  std::optional<io::RunDirectory> dir;
  std::unique_ptr<io::Restart> restart;  // null on a fresh run
};
inline constexpr const char* k_train_checkpoint_kind = "train";
std::optional<SurrogateRun> open_surrogate_run(const io::Case& c, const RunOptions& options,
                                               const std::string& suffix);

// A table column's name as one summary.json key: "pressure.mean" -> "pressure_mean" (a dot
// would nest).
inline std::string column_label(std::string name) {
  for (char& ch : name)
    if (ch == '.') ch = '_';
  return name;
}

}  // namespace twinsim::app
