#pragma once
// The subcommands of `twinsim`. Each returns the process exit status.
namespace twinsim::app {

// Exit statuses, documented in `twinsim --help`.
inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_failed = 1;     // the run started and failed
inline constexpr int k_exit_bad_input = 2;  // bad command line or case file: nothing ran

int info();
int version();

}  // namespace twinsim::app
