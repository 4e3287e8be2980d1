#pragma once
// The communication layer: what solvers and the run loop need from MPI, behind one small
// interface (halo exchange, reductions, all-to-all, broadcast, gather). Two implementations:
// MPI (core/src/comm_mpi.cpp, built when CMake finds MPI) and serial (one rank: every call is a
// copy or nothing), so code written against Comm runs unchanged without MPI or on one rank.
//
// core::world() is the process's communicator. A process started by a launcher (mpirun, srun,
// mpiexec) initialises MPI on the first call; one started without a launcher is one rank and
// never touches MPI (the same binary runs both ways). Every call below is collective unless
// it says otherwise: each rank makes the same calls in the same order.
//
// Buffers are host memory unless the name says device. Device buffers go through
// DeviceStaging (below): passed to MPI directly where the MPI is CUDA-aware, otherwise copied
// through pinned host memory.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "twinsim/core/Error.hpp"

namespace twinsim::core {

enum class Reduce { sum, min, max };

// What a collective call throws on a rank whose run another rank has failed (Comm::fail):
// "rank <r> failed: <its message>".
class RankFailed : public Error {
 public:
  using Error::Error;
};

class Comm {
 public:
  virtual ~Comm() = default;

  // Not collective.
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual int local_rank() const = 0;  // among the ranks on this node (GPU = local rank)
  virtual int local_size() const = 0;
  virtual int nodes() const = 0;
  // "serial (no MPI)" or the MPI library's own version line.
  virtual std::string library() const = 0;
  // True when device pointers may be passed to MPI (CUDA-aware MPI).
  virtual bool device_aware() const = 0;
  bool root() const { return rank() == 0; }

  // Ends every rank now with `status` (MPI_Abort; std::exit on one rank): the last resort for a
  // failure outside the run loop's handling (std::terminate). Not collective.
  [[noreturn]] virtual void abort(int status) = 0;
  // A failure that only this rank saw (an exception in its step, a file it cannot write): tells
  // every other rank, not collective. From then on every collective call on this rank throws
  // RankFailed at once, and so does the one each other rank is waiting in or makes next, instead
  // of waiting forever for this rank: the ranks no longer make the same calls. A rank that
  // catches a failure calls this before its next collective call. One rank: nothing to tell.
  virtual void fail(const std::string& message) = 0;
  // True after fail() here or a RankFailed from another rank's.
  virtual bool failed() const = 0;
  // Ends a failed run's process (failed()): rank 0, which has written what it could (the run's
  // summary), ends every rank with `status` (MPI_Abort: MPI_Finalize would wait for collective
  // calls that never complete); the others wait for that a few seconds, then end every rank
  // themselves. Not collective.
  [[noreturn]] virtual void end_failed(int status) = 0;
  virtual void barrier() = 0;
  // values[0..n) reduced over every rank, the result on every rank.
  virtual void allreduce(double* values, std::size_t n, Reduce op) = 0;
  virtual void allreduce(std::int64_t* values, std::size_t n, Reduce op) = 0;
  // bytes[0..n) of `root` to every rank.
  virtual void broadcast(void* bytes, std::size_t n, int root) = 0;
  // Each rank's bytes (any count, 0 allowed) to `root`, concatenated in rank order; counts[r]
  // says how many came from rank r. Other ranks get empty vectors.
  virtual std::vector<unsigned char> gather(const void* bytes, std::size_t n, int root,
                                            std::vector<std::size_t>& counts) = 0;
  // send[r * block .. (r + 1) * block) goes to rank r; recv[r * block ..) came from rank r.
  virtual void alltoall(const void* send, void* recv, std::size_t block_bytes) = 0;
  // Halo exchange with one neighbour pair: sends to rank `to` while receiving from rank
  // `from` (MPI_Sendrecv). to == from == rank() copies (a periodic axis that is not split).
  virtual void exchange(const void* send, std::size_t send_bytes, int to, void* recv,
                        std::size_t recv_bytes, int from) = 0;
  // A halo exchange of several messages that may overlap other work: start_exchange posts
  // every receive, then every send, and returns at once; finish_exchange waits for all of them.
  // Not collective: each peer posts the matching messages (same tag, 0 <= tag < 1000, the same
  // bytes). The buffers stay untouched until finish_exchange; one exchange at a time. A message
  // to this rank itself is copied (one rank).
  struct Message {
    void* data;
    std::size_t bytes;
    int peer;
    int tag;
  };
  virtual void start_exchange(const std::vector<Message>& receives,
                              const std::vector<Message>& sends) = 0;
  virtual void finish_exchange() = 0;

  // Typed conveniences over the byte calls.
  double sum(double v) {
    allreduce(&v, 1, Reduce::sum);
    return v;
  }
  double max(double v) {
    allreduce(&v, 1, Reduce::max);
    return v;
  }
  std::int64_t min(std::int64_t v) {
    allreduce(&v, 1, Reduce::min);
    return v;
  }
  std::int64_t max(std::int64_t v) {
    allreduce(&v, 1, Reduce::max);
    return v;
  }
  bool any(bool v) { return max(std::int64_t(v)) != 0; }
  template <class T>
  void broadcast(std::vector<T>& values, int root) {
    static_assert(std::is_trivially_copyable_v<T>);
    std::int64_t n = std::int64_t(values.size());
    broadcast(&n, sizeof n, root);
    values.resize(std::size_t(n));
    broadcast(values.data(), values.size() * sizeof(T), root);
  }
  void broadcast(std::string& text, int root) {
    std::vector<char> v(text.begin(), text.end());
    broadcast(v, root);
    text.assign(v.begin(), v.end());
  }
  // Every rank's values on `root`, one vector per rank (empty elsewhere).
  template <class T>
  std::vector<std::vector<T>> gather(const std::vector<T>& values, int root) {
    static_assert(std::is_trivially_copyable_v<T>);
    std::vector<std::size_t> counts;
    const std::vector<unsigned char> all =
        gather(values.data(), values.size() * sizeof(T), root, counts);
    std::vector<std::vector<T>> out(counts.size());
    std::size_t at = 0;
    for (std::size_t r = 0; r < counts.size(); ++r) {
      out[r].resize(counts[r] / sizeof(T));
      if (counts[r] > 0) std::memcpy(out[r].data(), all.data() + at, counts[r]);
      at += counts[r];
    }
    return out;
  }

  // values[0..n) reduced over every rank, the result on every rank (data-parallel training's
  // gradients in single precision).
  virtual void allreduce(float* values, std::size_t n, Reduce op) = 0;
};

// The process's communicator (see the top of this file). Throws core::Error when a launcher
// started several ranks and this build has no MPI (each would think it is alone and write the
// same files).
Comm& world();
// world().fail(message) where the world has been made and has several ranks; nothing otherwise
// (for a program's last catch: the other ranks must not wait for this one).
void fail_world(const std::string& message);
// A one-rank communicator, whatever the launcher: for tests and for work that is not split.
std::unique_ptr<Comm> make_serial_comm();
// True when this build links an MPI library.
bool mpi_built();
// The MPI library this build links ("Open MPI v4.1.4, package: Debian OpenMPI"), or "none".
std::string mpi_library();

// "4 ranks on 2 nodes (2 per node), Open MPI v4.1.4, ..." for logs and `twinsim info`;
// not collective.
std::string describe(const Comm& comm);

// Device buffers (CUDA backend) through MPI: directly where comm.device_aware(), else staged
// through pinned host buffers kept between calls (grown as needed); on one rank, device copies.
// All-reduces go through NCCL instead where the build has it (TWINSIM_ENABLE_NCCL) and every
// rank is on one node.
class DeviceStaging {
 public:
  explicit DeviceStaging(Comm& comm);
  ~DeviceStaging();
  DeviceStaging(const DeviceStaging&) = delete;
  DeviceStaging& operator=(const DeviceStaging&) = delete;
  // "passed directly (CUDA-aware MPI)" or "staged through pinned host memory".
  std::string mode() const;
  void alltoall(const void* d_send, void* d_recv, std::size_t block_bytes);
  void exchange(const void* d_send, std::size_t send_bytes, int to, void* d_recv,
                std::size_t recv_bytes, int from);
  // Comm::start_exchange / finish_exchange of device buffers: staged, the sends are copied to
  // pinned host memory before they are posted and the receives back to the device in finish.
  void start_exchange(const std::vector<Comm::Message>& d_receives,
                      const std::vector<Comm::Message>& d_sends);
  void finish_exchange();
  // Device values d_values[0..n) reduced over every rank (Comm::allreduce), in place.
  void allreduce(float* d_values, std::size_t n, Reduce op);
  void allreduce(double* d_values, std::size_t n, Reduce op);

 private:
  template <class Real>
  void allreduce_device(Real* d_values, std::size_t n, Reduce op);
  bool uses_nccl() const;
  void* staged(int which, std::size_t bytes);
  static void copy_on_device(void* d_to, const void* d_from, std::size_t bytes);
  Comm& m_comm;
  void* m_nccl = nullptr;  // detail::NcclComm, made at the first all-reduce that uses it
  void* m_pinned[2] = {nullptr, nullptr};
  std::size_t m_bytes[2] = {0, 0};
  std::vector<Comm::Message> m_receiving;  // the device receives of a staged exchange
};

}  // namespace twinsim::core
