// twinsim: run, check, sweep, gather and document case files; report backends and versions.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "commands.hpp"
#include "twinsim/core/Backend.hpp"
#include "twinsim/core/Comm.hpp"
#include "twinsim/core/Log.hpp"
#include "twinsim/core/Signals.hpp"
#include "twinsim/loop/Provenance.hpp"

int main(int argc, char** argv) {
  using namespace twinsim::app;
  CLI::App cli{
      "Twinsim: GPU solvers and neural surrogates.\n"
      "Exit status: 0 success, 1 the run failed, 2 bad command line or case file (nothing ran),\n"
      "3 stopped by SIGTERM, SIGINT or SIGUSR1 after writing a checkpoint (--restart latest\n"
      "continues it); a second signal stops at once with 128 + the signal number."};
  cli.require_subcommand(1);
  twinsim::loop::set_command_line(argc, argv);
  cli.set_version_flag("--version", version_line(), "Print the version and build, and exit");
  bool quiet = false, verbose = false;
  cli.add_flag("-q,--quiet", quiet, "Only warnings and errors on the terminal");
  cli.add_flag("-v,--verbose", verbose, "Debug messages on the terminal");

  RunOptions options;
  const auto add_case_options = [&options](CLI::App* cmd) {
    cmd->add_option("case", options.case_path, "Case file (TOML)")->required();
    cmd->add_option("--set", options.overrides,
                    "Override a case value, e.g. --set md.dt=0.002 (repeatable)")
        ->type_name("SECTION.KEY=VALUE")
        ->allow_extra_args(false);
    cmd->add_option("--device", options.device, "auto (GPU when present), cpu or gpu")
        ->check(CLI::IsMember(twinsim::core::device_requests()));
  };
  CLI::App* run_cmd = cli.add_subcommand("run", "Run a case file");
  add_case_options(run_cmd);
  run_cmd->add_option("--out", options.out, "Run folder (default runs/<run.name>)");
  run_cmd->add_flag("--overwrite", options.overwrite, "Replace a run already in the run folder");
  run_cmd->add_option("--restart", options.restart,
                      "Continue the run in the run folder from a checkpoint file, or from its "
                      "newest one (latest); the case must be the same")
      ->type_name("FILE|latest");
  CLI::App* check_cmd = cli.add_subcommand("check", "Validate a case file; run nothing");
  add_case_options(check_cmd);
  check_cmd->add_option("--ranks", options.ranks,
                        "Judge the case for this many MPI ranks and show how it is split (as "
                        "mpirun -n N / srun -n N twinsim run would)")
      ->check(CLI::PositiveNumber);
  CLI::App* train_cmd = cli.add_subcommand(
      "train", "Train a neural surrogate on solver output (runs/<run.name>/model.h5)");
  CLI::App* predict_cmd = cli.add_subcommand(
      "predict", "Roll a trained surrogate forward; error against the reference trajectories");
  for (CLI::App* cmd : {train_cmd, predict_cmd}) {
    add_case_options(cmd);
    cmd->add_option("--out", options.out, "Run folder");
    cmd->add_flag("--overwrite", options.overwrite, "Replace a run already in the run folder");
  }
  train_cmd->add_option("--restart", options.restart,
                        "Continue the training in the run folder from a checkpoint file, or from "
                        "its newest one (latest); the case must be the same")
      ->type_name("FILE|latest");
  SweepOptions sweep_options;
  CLI::App* sweep_cmd = cli.add_subcommand(
      "sweep", "Expand a case's [sweep] into one case file per task (task_<i>.toml, tasks.csv) "
               "for a job array (hpc/slurm/)");
  add_case_options(sweep_cmd);
  sweep_cmd->add_option("--out", options.out, "Folder for the task files (default "
                                              "sweeps/<run.name>)");
  sweep_cmd->add_flag("--overwrite", options.overwrite, "Replace the task files of a sweep");
  sweep_cmd->add_flag("--count", sweep_options.count, "Print the number of tasks; write nothing");
  sweep_cmd->add_option("--task", sweep_options.task,
                        "Print task I's --set arguments, one a line; write nothing")
      ->type_name("I")
      ->check(CLI::NonNegativeNumber);
  GatherOptions gather_options;
  CLI::App* gather_cmd = cli.add_subcommand(
      "gather", "Gather the run folders of a job array into one HDF5 file");
  gather_cmd->add_option("out", gather_options.out, "The gathered file (.h5)")->required();
  gather_cmd->add_option("run_dirs", gather_options.run_dirs, "Run folders")->required();
  gather_cmd->add_flag("--allow-incomplete", gather_options.allow_incomplete,
                       "Also gather runs that did not finish (their whole frames)");
  gather_cmd->add_flag("--overwrite", gather_options.overwrite, "Replace OUT");
  std::string section, schema_format = "text";
  CLI::App* schema_cmd =
      cli.add_subcommand("schema", "Document the case-file keys (all, or one section)");
  schema_cmd->add_option("section", section, "Section name, e.g. run");
  schema_cmd->add_option("--format", schema_format,
                         "text (a table wrapped to the terminal), json or markdown")
      ->check(CLI::IsMember({"text", "json", "markdown"}));
  PlotOptions plot_options;
  CLI::App* plot_cmd = cli.add_subcommand(
      "plot", "Draw the figures that fit a run folder (postprocess/plot.py; in "
              "RUN_DIR/figures)");
  plot_cmd->add_option("run_dir", plot_options.run_dir, "Run folder")->required();
  plot_cmd->add_option("--out", plot_options.out, "Folder for the figures");
  plot_cmd->add_option("--format", plot_options.format, "png (default), pdf or svg")
      ->check(CLI::IsMember({"png", "pdf", "svg"}));
  plot_cmd->add_option("--dpi", plot_options.dpi, "Resolution of PNG figures (default 150)")
      ->check(CLI::Range(20, 1200));
  plot_cmd->add_flag("--paraview", plot_options.paraview,
                     "Also save the standard ParaView views as PNGs and ParaView state files "
                     "(.pvsm, File > Load State; needs pvbatch; xvfb-run without a display)");
  bool info_json = false;
  CLI::App* info_cmd = cli.add_subcommand(
      "info", "Build (version, git commit), backends, the GPU if any, library versions");
  info_cmd->add_flag("--json", info_json, "The same as JSON, for scripts");
  CLI::App* version_cmd = cli.add_subcommand("version", "Print the version");
  CLI::App* cases_cmd =
      cli.add_subcommand("cases", "List the example cases shipped with Twinsim, one line each");
  std::string shell = "bash";
  CLI::App* completion_cmd = cli.add_subcommand(
      "completion", "Print the shell completion script (installed by cmake --install; or: "
                    "source <(twinsim completion))");
  completion_cmd->add_option("shell", shell, "Shell (bash)")->check(CLI::IsMember({"bash"}));
  // The man page is generated from this help text at build time (apps/CMakeLists.txt).
  CLI::App* man_cmd = cli.add_subcommand("man", "Print the man page (roff) of twinsim");
  man_cmd->group("");

  // A misspelt command gets a suggestion instead of CLI11's "arguments were not expected".
  if (const int status = check_command_name(cli, argc, argv); status != k_exit_ok) return status;

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e) == 0 ? k_exit_ok : k_exit_bad_input;
  }
  twinsim::core::init_logging(quiet     ? twinsim::core::Verbosity::Quiet
                              : verbose ? twinsim::core::Verbosity::Debug
                                        : twinsim::core::Verbosity::Normal);
  // From here on a stop signal only raises a flag: runs and training stop at their next
  // checkpoint (exit 3), even one that arrives while the case is read.
  if (*run_cmd || *train_cmd) twinsim::core::install_stop_signals();
  try {
    if (*run_cmd) return run(options);
    if (*check_cmd) return check(options);
    if (*sweep_cmd) return sweep(options, sweep_options);
    if (*gather_cmd) return gather(gather_options);
    if (*train_cmd) return train(options);
    if (*predict_cmd) return predict(options);
    if (*schema_cmd) return schema(section, schema_format);
    if (*plot_cmd) return plot(plot_options);
    if (*info_cmd) return info(info_json);
    if (*version_cmd) return version();
    if (*cases_cmd) return cases();
    if (*completion_cmd) return print_text(bash_completion(cli));
    if (*man_cmd) return print_text(man_page(cli));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    twinsim::core::fail_world(e.what());  // across MPI ranks: the others must not wait for this one
  }
  return k_exit_failed;
}
