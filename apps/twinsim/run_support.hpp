#pragma once
// What every kind of run (solver, train, predict) shares: loading a case file with its
// problems printed, the provenance that ends every summary.json, wall-clock time.
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "commands.hpp"
#include "twinsim/core/Backend.hpp"
#include "twinsim/io/Case.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/io/RunDirectory.hpp"
#include "twinsim/io/Schema.hpp"

namespace twinsim::app {

// The case at options.case_path validated against schema (overrides and --device applied),
// then by check when given (it throws core::Error for what the schema cannot judge). Prints
// every problem and returns nothing when the case is refused (exit status 2 follows).
std::optional<io::Case> load_case_file(
    const RunOptions& options, const io::Schema& schema,
    const std::function<void(const io::Case&)>& check = nullptr);

// Sets name, what ran (kind = "solver" or "command", what = its name), backend, version,
// status, failure (when !ok) and timing.total_s.
void set_provenance(io::Summary& summary, const std::string& name, const std::string& kind,
                    const std::string& what, core::Backend backend, bool ok,
                    const std::string& failure, double total_s);

// Logs the checkpoint a restarted run continues from, and warns when it was written by another
// backend (the run continues, but not bit for bit).
void log_restart(const io::Restart& restart, core::Backend backend);

// The checkpoint figures of summary.json: restart.from/step (restart may be null), checkpoints
// written, and for an interrupted run status "interrupted" and the last checkpoint.
void set_checkpoint_summary(io::Summary& summary, const io::Restart* restart,
                            const io::Checkpoints& checkpoints, bool interrupted);

double seconds_since(std::chrono::steady_clock::time_point start);

}  // namespace twinsim::app
