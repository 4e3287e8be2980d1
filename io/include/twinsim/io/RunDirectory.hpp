#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace twinsim::io {

// Final figures of a run, written as summary.json for scripts and tests: energies, drift,
// errors, timings. Dotted keys make nested objects ("timing.total_s" -> {"timing": {...}}).
// Non-finite numbers are written as null (JSON has no NaN or infinity).
class Summary {
 public:
  using Value = std::variant<double, std::int64_t, bool, std::string>;
  // One overload per JSON kind, so a float argument stays a number (float -> double is a
  // promotion) and a string literal does not become a bool.
  void set(const std::string& dotted_key, double value) { store(dotted_key, value); }
  void set(const std::string& dotted_key, std::int64_t value) { store(dotted_key, value); }
  void set(const std::string& dotted_key, int value) { store(dotted_key, std::int64_t(value)); }
  void set(const std::string& dotted_key, bool value) { store(dotted_key, value); }
  void set(const std::string& dotted_key, std::string value) {
    store(dotted_key, std::move(value));
  }
  void set(const std::string& dotted_key, const char* value) {
    store(dotted_key, std::string(value));
  }
  // A warning about the result (a gross conservation failure): logged at once, and listed
  // under "warnings" in summary.json. A warning never changes the run's status.
  void warn(std::string message);
  const std::vector<std::string>& warnings() const { return m_warnings; }
  std::string to_json() const;

 private:
  void store(const std::string& dotted_key, Value value);

  std::map<std::string, Value> m_values;  // sorted: parents come before their children
  std::vector<std::string> m_warnings;    // in the order given
};

// The number at `dotted_key` ("pressure.mean": member "mean" of object "pressure") of a JSON
// document such as a summary.json; nothing when the key is absent or not a number (null
// included). Throws core::Error for text that is not JSON.
std::optional<double> json_number(const std::string& json, const std::string& dotted_key);

// Writes `target` through `<target>.tmp` and a rename: readers never see half a file. When
// `write` throws (a full disk), the temporary file is removed, `target` is left as it was and
// the error goes on. Every file Twinsim replaces whole is written this way.
void write_through_temporary(const std::filesystem::path& target,
                             const std::function<void(const std::filesystem::path&)>& write);
// A text file written whole that way.
void write_text_file(const std::filesystem::path& target, const std::string& text);

// The folder of one run: case.toml (resolved), <name>.h5, <name>.xmf, summary.json, log.txt,
// checkpoints/. Refuses to reuse a folder that already holds a run unless overwrite is set,
// so no result is lost by a repeated command.
// While a RunDirectory (or a copy) lives, the folder is locked: twinsim.lock holds "<host>
// <pid>", and a second process that opens the folder (run, train, predict, --restart) is
// refused. A lock left by a process of this host that no longer runs is taken over with a
// warning; one from another host is refused (remove it by hand once that run is gone).
class RunDirectory {
 public:
  // overwrite also deletes the replaced run's checkpoints.
  RunDirectory(std::filesystem::path path, bool overwrite);
  // The folder of an earlier run that a restart continues (it must hold case.toml). lock =
  // false: the folder of a run another process of the same run holds the lock of (MPI ranks
  // other than 0).
  static RunDirectory existing(std::filesystem::path path, bool lock = true);

  const std::filesystem::path& path() const { return m_path; }
  std::filesystem::path file(const std::string& name) const { return m_path / name; }
  std::filesystem::path checkpoints() const { return m_path / "checkpoints"; }

  // Writes name through a temporary file and a rename: readers never see half a file.
  void write_text(const std::string& name, const std::string& text) const;
  void write_summary(const Summary& summary) const { write_text("summary.json", summary.to_json()); }

 private:
  explicit RunDirectory(std::filesystem::path path) : m_path(std::move(path)) {}
  void require_writable() const;
  void lock();
  std::filesystem::path m_path;
  std::shared_ptr<const std::filesystem::path> m_lock;  // removes the lock file when the last
                                                         // copy goes; null: not ours to remove
};

}  // namespace twinsim::io
