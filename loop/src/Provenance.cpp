#include "twinsim/loop/Provenance.hpp"

#include <fmt/format.h>
#include <omp.h>
#include <unistd.h>

#include <chrono>
#include <ctime>

#include "twinsim/core/config.hpp"
#include "twinsim/core/versions.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/io/RunDirectory.hpp"

namespace twinsim::loop {

namespace detail {
extern const char* const k_git_commit;  // build_info.cpp, generated at build time
extern const bool k_git_dirty;
}  // namespace detail

namespace {

std::string& stored_command_line() {
  static std::string line;
  return line;
}

// A word as a POSIX shell reads it back: bare when it holds only safe characters.
std::string shell_quoted(const std::string& word) {
  if (!word.empty() &&
      word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                             "_-+=./,:@%") == std::string::npos)
    return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

const Build& build() {
  static const Build b{core::version(), detail::k_git_commit, detail::k_git_dirty,
                       TWINSIM_BUILD_TYPE, TWINSIM_HAVE_CUDA ? "cpu,gpu" : "cpu"};
  return b;
}

void set_command_line(int argc, const char* const* argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) line += (i ? " " : "") + shell_quoted(argv[i]);
  stored_command_line() = line;
}

const std::string& command_line() { return stored_command_line(); }

std::string utc_now() { return utc_at(std::chrono::system_clock::now()); }

std::string utc_at(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

std::string device_description(core::Backend backend) {
  if (backend == core::Backend::Gpu) return core::gpu_description();
  return fmt::format("OpenMP, {} threads", omp_get_max_threads());
}

void add_build_and_host(io::Summary& s, core::Backend backend) {
  const Build& b = build();
  s.set("build.version", b.version);
  s.set("build.commit", b.commit);
  s.set("build.dirty", b.dirty);
  s.set("build.type", b.build_type);
  s.set("build.backends", b.backends);
  s.set("host", host_name());
  s.set("command_line", command_line());
  s.set("device", device_description(backend));
}

void write_start(io::H5File& file, core::Backend backend) {
  const Build& b = build();
  file.set_attribute("/", "twinsim_commit", b.commit);
  file.set_attribute("/", "twinsim_dirty", std::int64_t(b.dirty));
  file.set_attribute("/", "build_type", b.build_type);
  file.set_attribute("/", "backends_built", b.backends);
  file.set_attribute("/", "host", host_name());
  file.set_attribute("/", "command_line", command_line());
  file.set_attribute("/", "device", device_description(backend));
  file.set_attribute("/", "start_utc", utc_now());
  file.set_attribute("/", "status", std::string("running"));
}

void write_end(io::H5File& file, const std::string& status) {
  file.set_attribute("/", "end_utc", utc_now());
  file.set_attribute("/", "status", status);
  file.flush();
}

}  // namespace twinsim::loop
