#pragma once
// Where a result came from: the build (version, git commit and dirty flag, build type,
// backends), when (start and end, UTC), where (host, backend and device) and how (the command
// line with its --set overrides) it ran, and how it ended. The same figures go to summary.json
// (loop::set_provenance), to the root attributes of a run's HDF5 file, and to
// `twinsim info --json`.
#include <chrono>
#include <string>

#include "twinsim/core/Backend.hpp"

namespace twinsim::io {
class H5File;
class Summary;
}  // namespace twinsim::io

namespace twinsim::loop {

struct Build {
  std::string version;     // "0.1.0"
  std::string commit;      // git commit the build was made from; "unknown" outside git
  bool dirty = false;      // the work tree had uncommitted changes to tracked files
  std::string build_type;  // CMake's: Release, Debug, RelWithDebInfo
  std::string backends;    // "cpu" or "cpu,gpu" (the backends compiled in)
};
const Build& build();

// The command line as typed (shell-quoted where needed); a program sets it once in main.
// Empty when never set (a library user who did not).
void set_command_line(int argc, const char* const* argv);
const std::string& command_line();

// "2026-12-06T19:20:00Z".
std::string utc_now();
std::string utc_at(std::chrono::system_clock::time_point when);
std::string host_name();
// The device a backend runs on: "OpenMP, 16 threads" or the GPU's name, memory and compute
// capability.
std::string device_description(core::Backend backend);

// The build, host, command line and device into a summary (build.*, host, command_line,
// device), as set_provenance and `twinsim info --json` write them.
void add_build_and_host(io::Summary& summary, core::Backend backend);

// Root attributes of a run's HDF5 file at its start: twinsim_commit, twinsim_dirty,
// build_type, backends_built, host, command_line, device, start_utc, status "running".
void write_start(io::H5File& file, core::Backend backend);
// At its end: end_utc and status ("ok", "failed", "interrupted").
void write_end(io::H5File& file, const std::string& status);

}  // namespace twinsim::loop
