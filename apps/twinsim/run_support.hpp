#pragma once
// What every command that reads a case file shares: loading it with its problems printed.
#include <functional>
#include <optional>

#include "commands.hpp"
#include "twinsim/io/Case.hpp"
#include "twinsim/io/Schema.hpp"

namespace twinsim::app {

// The case at options.case_path validated against schema (overrides and --device applied),
// then by check when given (it throws core::Error for what the schema cannot judge). Prints
// every problem and returns nothing when the case is refused (exit status 2 follows).
std::optional<io::Case> load_case_file(
    const RunOptions& options, const io::Schema& schema,
    const std::function<void(const io::Case&)>& check = nullptr);

}  // namespace twinsim::app
