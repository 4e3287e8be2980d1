// twinsim plot RUN_DIR: the figures that fit a run, drawn by the Python scripts in postprocess/
// (matplotlib; optionally ParaView views through pvbatch). This file only finds the scripts and
// an interpreter and runs them; what is drawn is decided by postprocess/plot.py from the run's
// summary.json.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "commands.hpp"

extern char** environ;

namespace twinsim::app {

namespace fs = std::filesystem;

namespace {

// The folder holding this executable (Linux: /proc/self/exe), empty if it cannot be told.
fs::path executable_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

// Where postprocess/plot.py is, in this order: $TWINSIM_POSTPROCESS_DIR; the install tree
// (<prefix>/bin/twinsim -> <prefix>/share/twinsim/postprocess); the source tree this binary
// was built from (TWINSIM_SOURCE_POSTPROCESS_DIR, set by apps/CMakeLists.txt).
std::vector<fs::path> script_dirs() {
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("TWINSIM_POSTPROCESS_DIR"); env && *env) dirs.push_back(env);
  if (const fs::path exe = executable_dir(); !exe.empty())
    dirs.push_back(exe.parent_path() / "share" / "twinsim" / "postprocess");
#ifdef TWINSIM_SOURCE_POSTPROCESS_DIR
  dirs.push_back(TWINSIM_SOURCE_POSTPROCESS_DIR);
#endif
  return dirs;
}

bool is_executable(const fs::path& p) { return ::access(p.c_str(), X_OK) == 0; }

// $TWINSIM_PYTHON, else Debian's /usr/bin/python3 (python3-numpy, -h5py, -matplotlib), else
// python3 on PATH (a virtual environment or pyenv python may lack those modules).
std::string python() {
  if (const char* env = std::getenv("TWINSIM_PYTHON"); env && *env) return env;
  if (is_executable("/usr/bin/python3")) return "/usr/bin/python3";
  return "python3";
}

// Runs argv (PATH searched) and returns its exit status; -1 when it could not start, 128 + n
// when killed by signal n.
int run_process(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int err = ::posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ);
  if (err != 0) {
    std::fprintf(stderr, "error: cannot start %s: %s\n", argv[0], std::strerror(err));
    return -1;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

}  // namespace

int plot(const PlotOptions& options) {
  const fs::path run_dir = options.run_dir;
  // The Python side says the same, but a plain check here answers without starting Python.
  if (!fs::is_directory(run_dir)) {
    std::fprintf(stderr, "error: %s: no such folder; give a folder written by `twinsim run "
                         "CASE.toml --out DIR`\n", run_dir.c_str());
    return k_exit_bad_input;
  }
  if (!fs::is_regular_file(run_dir / "summary.json")) {
    std::fprintf(stderr, "error: %s: not a run folder (no summary.json); a run folder holds "
                         "case.toml, summary.json, <name>.h5 and <name>.xmf, as written by "
                         "`twinsim run CASE.toml --out DIR`\n", run_dir.c_str());
    return k_exit_bad_input;
  }
  fs::path scripts;
  std::string looked;
  for (const fs::path& dir : script_dirs()) {
    if (fs::is_regular_file(dir / "plot.py")) {
      scripts = dir;
      break;
    }
    looked += "\n  " + dir.string();
  }
  if (scripts.empty()) {
    std::fprintf(stderr, "error: postprocess/plot.py not found; looked in:%s\nset "
                         "TWINSIM_POSTPROCESS_DIR to the postprocess folder of a Twinsim source "
                         "tree or install\n", looked.c_str());
    return k_exit_failed;
  }
  const fs::path out = options.out.empty() ? run_dir / "figures" : fs::path(options.out);
  const std::string py = python();
  const int status = run_process({py, (scripts / "plot.py").string(), run_dir.string(), "--out",
                                  out.string(), "--format", options.format, "--dpi",
                                  std::to_string(options.dpi)});
  if (status == -1 || status == 127) {
    std::fprintf(stderr, "error: could not run %s; install Python 3 with numpy, h5py and "
                         "matplotlib (Debian: python3-h5py python3-matplotlib) or set "
                         "TWINSIM_PYTHON\n", py.c_str());
    return k_exit_failed;
  }
  if (status != 0) return status == k_exit_bad_input ? k_exit_bad_input : k_exit_failed;
  if (options.paraview) {
    const int pv = run_process({(scripts / "paraview" / "pvrun").string(),
                                (scripts / "paraview" / "views.py").string(), run_dir.string(),
                                "--out", out.string()});
    if (pv != 0) {
      std::fprintf(stderr, "error: the ParaView views failed (exit status %d); the figures "
                           "above were written\n", pv);
      return k_exit_failed;
    }
  }
  return k_exit_ok;
}

}  // namespace twinsim::app
