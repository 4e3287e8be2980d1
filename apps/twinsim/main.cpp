// twinsim: run, check and document case files; report backends and versions.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "commands.hpp"
#include "twinsim/core/Error.hpp"

int main(int argc, char** argv) {
  using namespace twinsim::app;
  CLI::App cli{"Twinsim: GPU solvers and neural surrogates. Exit status: 0 success, 1 the run "
               "failed, 2 bad command line or case file (nothing ran)."};
  cli.require_subcommand(1);
  auto* info_cmd = cli.add_subcommand("info", "Backends, the GPU if any, library versions");
  auto* version_cmd = cli.add_subcommand("version", "Print the version");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = cli.exit(e);
    return rc == 0 ? k_exit_ok : k_exit_bad_input;
  }
  try {
    if (*info_cmd) return info();
    if (*version_cmd) return version();
  } catch (const twinsim::core::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return k_exit_failed;
  }
  return k_exit_failed;
}
