#pragma once
// The subcommands of `twinsim`. Each returns the process exit status.
#include <cstdint>
#include <string>
#include <vector>

#include "twinsim/loop/Run.hpp"

namespace CLI {
class App;
}

namespace twinsim::app {

// Exit statuses (loop/Run.hpp), documented in `twinsim --help`.
using loop::k_exit_bad_input;
using loop::k_exit_failed;
using loop::k_exit_interrupted;
using loop::k_exit_ok;

struct RunOptions {
  std::string case_path;
  std::vector<std::string> overrides;  // --set section.key=value
  std::string device;                  // --device, empty: the case's run.device
  std::string out;                     // --out, empty: runs/<run.name>
  bool overwrite = false;
  std::string restart;                 // --restart FILE|latest, empty: a fresh run
  int ranks = 0;  // check --ranks: judge and show the split across that many MPI ranks
                  // (0: this process's, 1 without a launcher)
};

// twinsim plot RUN_DIR: figures drawn by postprocess/plot.py (apps/twinsim/plot.cpp).
struct PlotOptions {
  std::string run_dir;
  std::string out;        // --out, empty: RUN_DIR/figures
  bool paraview = false;  // --paraview: also the ParaView views (pvbatch) and their states
  std::string format = "png";  // --format png|pdf|svg
  int dpi = 150;               // --dpi, of PNG figures
};

// twinsim sweep CASE (apps/twinsim/sweep.cpp): the case's [sweep] as one case file per task in
// --out (default sweeps/<run.name>); --count or --task I print instead of writing.
struct SweepOptions {
  bool count = false;      // --count: print the number of tasks
  std::int64_t task = -1;  // --task I: print task I's --set arguments, one a line
};

// twinsim gather OUT.h5 RUN_DIR... (apps/twinsim/gather.cpp): an array's runs in one file.
struct GatherOptions {
  std::string out;
  std::vector<std::string> run_dirs;
  bool allow_incomplete = false;  // gather runs that did not finish (their whole frames)
  bool overwrite = false;
};

int run(const RunOptions& options);
int sweep(const RunOptions& options, const SweepOptions& sweep_options);
// twinsim check on a case with [sweep]: every task is validated (exit status 2 if any is refused).
int check_sweep(const RunOptions& options);
int gather(const GatherOptions& options);
int plot(const PlotOptions& options);
int check(const RunOptions& options);
// format: text (wrapped to the terminal), json or markdown.
int schema(const std::string& section, const std::string& format);
// json: the build, host and backends as one JSON object (`twinsim info --json`).
int info(bool json);
int version();
// "twinsim 0.1.0 (commit 0123abcd, Release, backends cpu,gpu)"; "+dirty" after a commit with
// uncommitted changes.
std::string version_line();
// twinsim cases: the shipped example cases with their one-line descriptions (cases.cpp).
int cases();
// twinsim train / predict CASE: neural surrogates (the surrogates library's train kind and
// predict; apps/twinsim/train.cpp, predict.cpp wire them).
int train(const RunOptions& options);
int predict(const RunOptions& options);

// Generated from the command line's own definition (help.cpp), so they never drift from it:
// the bash completion script (commands, options, case files) and the man page (roff).
std::string bash_completion(const CLI::App& cli);
std::string man_page(const CLI::App& cli);
// Refuses (exit status 2, with a close match) a first word that is no command; k_exit_ok else.
int check_command_name(const CLI::App& cli, int argc, const char* const* argv);
// Prints text to stdout; k_exit_ok.
int print_text(const std::string& text);

}  // namespace twinsim::app
