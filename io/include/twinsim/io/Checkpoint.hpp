#pragma once
// Checkpoints: the complete state of a run at a step boundary, so that `--restart` continues it
// bit for bit. A checkpoint is one HDF5 file, checkpoints/step_<step>.h5 in the run folder:
//   /            attributes kind (solver name or "train"), step, time, backend, case (resolved
//                text), twinsim_version
//   /state/...   the run's arrays and scalars, as the solver names them (StateWriter)
//   /output      frame count of every time series in the run's output file at that step, so a
//                restart cuts frames written after the checkpoint and appends from there
// It is written under a temporary name and renamed, and only the newest `keep` are kept.
#include <array>
#include <complex>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "twinsim/io/Hdf5.hpp"

namespace twinsim::io {

class Case;
class Schema;

// Arrays keep their exact bits: float, double, int32, int64, uint32, uint64 (unsigned values
// are stored bit-cast as signed), and complex<float>/complex<double> (as pairs of reals).
// Names may hold '/' to group ("md/position").
class StateWriter {
 public:
  explicit StateWriter(H5File& file) : m_file(&file) {}
  // A writer that writes nothing and looks for the first non-finite value in the state's
  // floating-point arrays (of more than one value: scalars are bookkeeping, such as a
  // convergence norm that starts at infinity): the run loop's divergence check.
  StateWriter() = default;
  struct NonFinite {
    std::string name;     // the array, as the stepper names it
    std::size_t index;    // of the value (complex arrays: of the complex value)
    double value;         // NaN or +-infinity
  };
  const std::optional<NonFinite>& non_finite() const { return m_non_finite; }
  // Writes the names and checksums of the arrays put so far as attributes of /state, for
  // Restart's verification. Called once, after the last put.
  void seal();
  template <class T>
  void put(const std::string& name, const T* h_values, std::size_t count);
  template <class T>
  void put(const std::string& name, const std::vector<T>& values) {
    put(name, values.data(), values.size());
  }
  void put(const std::string& name, double value) { put(name, &value, 1); }
  void put(const std::string& name, std::int64_t value) { put(name, &value, 1); }
  void put(const std::string& name, const std::string& value);
  // The names put while `save()` runs start with `prefix`: one of several states of the same
  // kind in one file (an ensemble rank's second member's solver under "slot_1/").
  template <class F>
  void under(const std::string& prefix, F save) {
    const std::string outer = m_prefix;
    m_prefix += prefix;
    try {
      save();
    } catch (...) {
      m_prefix = outer;
      throw;
    }
    m_prefix = outer;
  }

 private:
  H5File* m_file = nullptr;
  std::string m_prefix;  // StateWriter::under
  std::optional<NonFinite> m_non_finite;
  std::vector<std::string> m_arrays;
  std::vector<std::int64_t> m_checksums;
};

class StateReader {
 public:
  explicit StateReader(const H5File& file) : m_file(&file) {}
  bool has(const std::string& name) const;
  // Throws core::Error naming the checkpoint when the array is missing or of another size.
  template <class T>
  void get(const std::string& name, T* h_values, std::size_t count) const;
  template <class T>
  std::vector<T> get(const std::string& name) const;
  double get_double(const std::string& name) const;
  std::int64_t get_int(const std::string& name) const;
  std::string get_string(const std::string& name) const;
  // A restart on another MPI rank count than the one that wrote the checkpoint: the checkpoints
  // of every rank that wrote it, at its step, in rank order (parts()[r] is rank r's); a solver
  // whose state is split across ranks takes its part of the whole from them. Empty otherwise.
  const std::vector<const StateReader*>& parts() const { return m_parts; }
  // The state a StateWriter::under(prefix) put, as a checkpoint of its own: its names without
  // the prefix, no parts (an ensemble member's, as the rank that ran it wrote it).
  StateReader under(const std::string& prefix) const;

 private:
  friend class Restart;
  const H5File* m_file;
  std::string m_prefix;  // StateReader::under
  std::vector<const StateReader*> m_parts;
};

// A rank's block of a global [fields][n2][n1][n0] array (axis 0 the fastest), as a checkpoint
// of a run split across ranks stores it: each field holds the block's cells in `stored` order.
struct Block3 {
  std::array<int, 3> begin{}, end{};  // the global cells this rank owns, per axis: [begin, end)
  std::array<int, 3> stored{};        // the stored block's extent per axis (ghost layers too)
  std::array<int, 3> offset{};        // where `begin` lies in the stored block, per axis
  std::array<int, 3> order{0, 1, 2};  // the stored block's axes, fastest first
  std::size_t cells() const { return std::size_t(stored[0]) * stored[1] * stored[2]; }
};

// A restart on another rank count: this rank's block `mine` of the array `name`, written by
// parts.size() ranks (StateReader::parts()), rank r's block written(r), each field's cells
// taken from the old blocks that owned them. h_dst holds fields x mine.cells() values; the
// cells outside mine's [begin, end) (ghost layers) are left as they are. Each old rank's array
// is read only when its block meets this one. Exact: the values are copied, never combined.
template <class T>
void split_again(const std::vector<const StateReader*>& parts, const std::string& name,
                 int fields, const std::function<Block3(int rank)>& written, const Block3& mine,
                 T* h_dst);

// [checkpoint] of a case file: every N steps and/or every M minutes of wall clock, keep the
// newest K. add_checkpoint_schema declares the section (optional, all keys defaulted).
struct CheckpointPolicy {
  std::int64_t every_steps = 0;  // 0: not by steps
  double every_minutes = 0;      // 0: not by wall clock
  std::int64_t keep = 2;
  static CheckpointPolicy from_case(const Case& c);
};
void add_checkpoint_schema(Schema& schema);

// What a checkpoint says about itself (its root attributes).
struct CheckpointInfo {
  std::string kind;
  std::int64_t step = 0;
  double time = 0;
  std::string backend;
  std::string case_text;
  int ranks = 1;  // the MPI ranks that wrote it, each its own file at this step (0: not recorded)
};

// Writes the checkpoints of one run. Loops call at_boundary() at every step boundary they reach.
class Checkpoints {
 public:
  // folder: the run folder's checkpoints/; info: kind, backend and case text of this run.
  Checkpoints(std::filesystem::path folder, CheckpointPolicy policy, CheckpointInfo info);

  // The first step after `step` at which an every_steps checkpoint falls (INT64_MAX when
  // none): loops that advance in chunks end a chunk there.
  std::int64_t next_step(std::int64_t step) const;

  // True when a checkpoint is due at `step`: every_steps divides it, every_minutes have passed
  // since the last one (or the start), or a stop signal has arrived; false at the step of the
  // last one written.
  bool due(std::int64_t step) const;
  using Save = std::function<void(StateWriter&)>;
  // Writes a checkpoint when one is due: every_steps divides step, every_minutes have passed
  // since the last one (or the start), or a stop signal has arrived. Returns true when the
  // run must stop now (a stop signal; the checkpoint is then written). output: the run's HDF5
  // file, whose series frame counts the checkpoint records; null when the run has none.
  bool at_boundary(std::int64_t step, double time, const Save& save,
                   const H5File* output = nullptr);
  // Writes one now, whatever the policy; returns its path.
  std::filesystem::path write(std::int64_t step, double time, const Save& save,
                              const H5File* output = nullptr);

  const std::filesystem::path& last_written() const { return m_last; }
  std::int64_t written() const { return m_written; }

 private:
  std::filesystem::path m_folder;
  CheckpointPolicy m_policy;
  CheckpointInfo m_info;
  double m_last_time_s;  // steady-clock seconds of the last checkpoint (or the start)
  std::int64_t m_last_step = -1;
  std::filesystem::path m_last;
  std::int64_t m_written = 0;
};

// The checkpoints in a folder, oldest first (by step).
std::vector<std::filesystem::path> list_checkpoints(const std::filesystem::path& folder);

// An opened checkpoint, for a restart. which: a checkpoint file, or "latest": the newest in
// folder that opens and verifies (its attributes read, every state array matches the checksum
// stored with it); the ones skipped are listed by skipped(). Throws core::Error saying what is
// missing or wrong (for "latest": when no checkpoint is usable).
class Restart {
 public:
  Restart(const std::filesystem::path& folder, const std::string& which);

  const std::filesystem::path& path() const { return m_file.path(); }
  const CheckpointInfo& info() const { return m_info; }
  std::int64_t step() const { return m_info.step; }
  double time() const { return m_info.time; }
  const StateReader& state() const { return m_state; }
  // Newer checkpoints that "latest" skipped: "<file>: <why>", newest first.
  const std::vector<std::string>& skipped() const { return m_skipped; }

  // Throws core::Error unless this checkpoint belongs to a run of `kind` of the same case: the
  // same resolved text but for layout keys (KeySpec::layout: how the run is split across MPI
  // ranks, which a restart may change). The first differing line is quoted.
  void require(const std::string& kind, const Case& c) const;

  // Opens the run's output file for appending, every time series cut back to the frame count
  // it had at the checkpoint: frames written after it are dropped and written again.
  H5File reopen_output(const std::filesystem::path& h5_path) const;

  // For a restart on another rank count: the same step's checkpoint of every rank that wrote it
  // (rank 0's this one, rank r's in the file of the same name in `rank_folders[r - 1]`), opened
  // and verified; state().parts() then lists them.
  void open_parts(const std::vector<std::filesystem::path>& rank_folders);

 private:
  std::vector<std::string> m_skipped;
  std::vector<std::unique_ptr<Restart>> m_others;  // open_parts: ranks 1, 2, ...
  H5File m_file;
  CheckpointInfo m_info;
  StateReader m_state;
};

}  // namespace twinsim::io
