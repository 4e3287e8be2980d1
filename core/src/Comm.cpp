#include "twinsim/core/Comm.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "comm_backends.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/config.hpp"
#ifndef TWINSIM_HAVE_NCCL
#define TWINSIM_HAVE_NCCL 0  // core/CMakeLists.txt defines it 1 with TWINSIM_ENABLE_NCCL
#endif
#if TWINSIM_HAVE_CUDA
#include "twinsim/core/detail/cuda_memory.hpp"
#endif

namespace twinsim::core {

namespace {

// One rank: reductions and broadcasts change nothing, the collective copies are copies.
class SerialComm final : public Comm {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  int local_size() const override { return 1; }
  int nodes() const override { return 1; }
  std::string library() const override { return "serial (no MPI)"; }
  bool device_aware() const override { return false; }
  [[noreturn]] void abort(int status) override { std::exit(status); }
  void fail(const std::string&) override {}
  bool failed() const override { return false; }
  [[noreturn]] void end_failed(int status) override { std::exit(status); }
  void barrier() override {}
  void allreduce(double*, std::size_t, Reduce) override {}
  void allreduce(std::int64_t*, std::size_t, Reduce) override {}
  void broadcast(void*, std::size_t, int root) override { require_root(root); }
  std::vector<unsigned char> gather(const void* bytes, std::size_t n, int root,
                                    std::vector<std::size_t>& counts) override {
    require_root(root);
    counts.assign(1, n);
    const auto* b = static_cast<const unsigned char*>(bytes);
    return std::vector<unsigned char>(b, b + n);
  }
  void alltoall(const void* send, void* recv, std::size_t block_bytes) override {
    copy(recv, send, block_bytes);
  }
  void exchange(const void* send, std::size_t send_bytes, int to, void* recv,
                std::size_t recv_bytes, int from) override {
    if (to != 0 || from != 0 || send_bytes != recv_bytes)
      throw Error(
          fmt::format("Comm::exchange on one rank: to {} from {}, {} bytes sent and {} "
                      "received; only a copy to itself of equal size exists",
                      to, from, send_bytes, recv_bytes));
    copy(recv, send, send_bytes);
  }
  void allreduce(float*, std::size_t, Reduce) override {}
  void start_exchange(const std::vector<Message>& receives,
                      const std::vector<Message>& sends) override {
    for (const Message& send : sends) {
      const Message* recv = nullptr;
      for (const Message& r : receives)
        if (r.tag == send.tag) recv = &r;
      if (send.peer != 0 || !recv || recv->peer != 0 || recv->bytes != send.bytes)
        throw Error(fmt::format("Comm::start_exchange on one rank: a message to rank {} (tag {}, "
                                "{} bytes) has no receive of its size from rank 0",
                                send.peer, send.tag, send.bytes));
      copy(recv->data, send.data, send.bytes);
    }
  }
  void finish_exchange() override {}

 private:
  static void require_root(int root) {
    if (root != 0) throw Error(fmt::format("Comm: root rank {} of a one-rank communicator", root));
  }
  static void copy(void* to, const void* from, std::size_t bytes) {
    if (to != from && bytes > 0) std::memcpy(to, from, bytes);
  }
};

// Ranks a launcher says it started (0: none, or it does not say).
int launched_ranks() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"})
    if (const char* v = std::getenv(name)) return std::atoi(v);
  if (std::getenv("PMIX_RANK") || std::getenv("PMI_RANK")) return 2;  // size unknown: several
  return 0;
}

std::unique_ptr<Comm> make_world() {
  const int ranks = launched_ranks();
  if (ranks <= 0) return make_serial_comm();
#if TWINSIM_HAVE_MPI
  return detail::make_mpi_world();
#else
  if (ranks == 1) return make_serial_comm();
  throw Error(fmt::format(
      "started by an MPI launcher as {} ranks, but this Twinsim was built without MPI: every "
      "rank would run the whole case into the same files. Rebuild with MPI (apt-get install "
      "libopenmpi-dev, reconfigure) or run one process",
      ranks));
#endif
}

}  // namespace

bool mpi_built() { return TWINSIM_HAVE_MPI; }

std::string mpi_library() {
#if TWINSIM_HAVE_MPI
  return detail::mpi_library_version();
#else
  return "none";
#endif
}

std::unique_ptr<Comm> make_serial_comm() { return std::make_unique<SerialComm>(); }

namespace {

bool g_world_made = false;

// The last resort for an exception nothing caught on one of several ranks: the others would
// wait for this one in their next collective call, so every rank ends now, with the message.
[[noreturn]] void end_every_rank() {
  std::string what = "an exception nothing caught";
  if (const std::exception_ptr e = std::current_exception()) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      what = x.what();
    } catch (...) {
    }
  }
  std::fprintf(stderr, "error: rank %d: %s; ending every rank\n", world().rank(), what.c_str());
  world().abort(1);
  std::_Exit(1);  // abort() does not return (a virtual call loses the attribute)
}

}  // namespace

void fail_world(const std::string& message) {
  if (g_world_made && world().size() > 1) world().fail(message);
}

Comm& world() {
  // Made on first use, destroyed (MPI_Finalize) at exit. GPUs are bound by local rank here,
  // before any CUDA context exists on another device.
  static const std::unique_ptr<Comm> comm = [] {
    std::unique_ptr<Comm> c = make_world();
    if (c->size() > 1) std::set_terminate(end_every_rank);
#if TWINSIM_HAVE_CUDA
    if (c->size() > 1)
      if (const int gpus = detail::cuda_device_count(); gpus > 0)
        detail::cuda_set_device(c->local_rank() % gpus);
#endif
    g_world_made = true;
    return c;
  }();
  return *comm;
}

std::string describe(const Comm& comm) {
  if (comm.size() == 1) return fmt::format("1 rank, {}", comm.library());
  return fmt::format(
      "{} ranks on {} node{} (this is rank {}, local rank {} of {}), {}; device "
      "buffers {}",
      comm.size(), comm.nodes(), comm.nodes() == 1 ? "" : "s", comm.rank(), comm.local_rank(),
      comm.local_size(), comm.library(),
      comm.device_aware() ? "passed to MPI directly (CUDA-aware)"
                          : "staged through pinned host memory");
}

DeviceStaging::DeviceStaging(Comm& comm) : m_comm(comm) {}

DeviceStaging::~DeviceStaging() {
#if TWINSIM_HAVE_NCCL
  detail::nccl_close(static_cast<detail::NcclComm*>(m_nccl));
#endif
#if TWINSIM_HAVE_CUDA
  for (void* p : m_pinned) detail::pinned_free(p);
#endif
}

// NCCL where the build has it and the ranks share one node (NVLink or PCIe peer copies); across
// nodes MPI, as for the other calls.
bool DeviceStaging::uses_nccl() const { return TWINSIM_HAVE_NCCL && m_comm.nodes() == 1; }

std::string DeviceStaging::mode() const {
  if (uses_nccl()) return "all-reduces through NCCL (one node), other calls through MPI";
  return m_comm.device_aware() ? "passed directly (CUDA-aware MPI)"
                               : "staged through pinned host memory";
}

void DeviceStaging::copy_on_device(void* d_to, const void* d_from, std::size_t bytes) {
#if TWINSIM_HAVE_CUDA
  if (d_to != d_from && bytes > 0) detail::device_copy(d_to, d_from, bytes);
#else
  (void)d_to;
  (void)d_from;
  (void)bytes;
  throw Error("DeviceStaging: device buffers without the CUDA backend");
#endif
}

void* DeviceStaging::staged(int which, std::size_t bytes) {
#if TWINSIM_HAVE_CUDA
  if (bytes > m_bytes[which]) {
    detail::pinned_free(m_pinned[which]);
    m_pinned[which] = nullptr;
    m_pinned[which] = detail::pinned_allocate(bytes);
    m_bytes[which] = bytes;
  }
  return m_pinned[which];
#else
  (void)which;
  (void)bytes;
  throw Error("DeviceStaging: device buffers without the CUDA backend");
#endif
}

// One rank sends nothing: its "messages" are device-to-device copies.
void DeviceStaging::alltoall(const void* d_send, void* d_recv, std::size_t block_bytes) {
  if (m_comm.size() == 1) return copy_on_device(d_recv, d_send, block_bytes);
  if (m_comm.device_aware()) return m_comm.alltoall(d_send, d_recv, block_bytes);
#if TWINSIM_HAVE_CUDA
  const std::size_t bytes = block_bytes * std::size_t(m_comm.size());
  void* h_send = staged(0, bytes);
  void* h_recv = staged(1, bytes);
  detail::device_copy(h_send, d_send, bytes);
  m_comm.alltoall(h_send, h_recv, block_bytes);
  detail::device_copy(d_recv, h_recv, bytes);
#else
  staged(0, block_bytes);  // throws: no device buffers without the CUDA backend
#endif
}

void DeviceStaging::exchange(const void* d_send, std::size_t send_bytes, int to, void* d_recv,
                             std::size_t recv_bytes, int from) {
  if (m_comm.size() == 1 && to == 0 && from == 0 && send_bytes == recv_bytes)
    return copy_on_device(d_recv, d_send, send_bytes);
  if (m_comm.device_aware())
    return m_comm.exchange(d_send, send_bytes, to, d_recv, recv_bytes, from);
#if TWINSIM_HAVE_CUDA
  void* h_send = staged(0, send_bytes);
  void* h_recv = staged(1, recv_bytes);
  detail::device_copy(h_send, d_send, send_bytes);
  m_comm.exchange(h_send, send_bytes, to, h_recv, recv_bytes, from);
  detail::device_copy(d_recv, h_recv, recv_bytes);
#else
  staged(0, send_bytes);   // throws: no device buffers without the CUDA backend
#endif
}

void DeviceStaging::start_exchange(const std::vector<Comm::Message>& d_receives,
                                   const std::vector<Comm::Message>& d_sends) {
  if (m_comm.size() == 1) {  // copies on the device, matched by tag
    for (const Comm::Message& send : d_sends)
      for (const Comm::Message& recv : d_receives)
        if (recv.tag == send.tag && recv.bytes == send.bytes)
          copy_on_device(recv.data, send.data, send.bytes);
    return;
  }
  if (m_comm.device_aware()) return m_comm.start_exchange(d_receives, d_sends);
#if TWINSIM_HAVE_CUDA
  std::size_t send_bytes = 0, recv_bytes = 0;
  for (const Comm::Message& m : d_sends) send_bytes += m.bytes;
  for (const Comm::Message& m : d_receives) recv_bytes += m.bytes;
  auto* h_send = static_cast<unsigned char*>(staged(0, send_bytes));
  auto* h_recv = static_cast<unsigned char*>(staged(1, recv_bytes));
  std::vector<Comm::Message> sends = d_sends, receives = d_receives;
  for (Comm::Message& m : sends) {
    detail::device_copy(h_send, m.data, m.bytes);
    m.data = h_send;
    h_send += m.bytes;
  }
  for (Comm::Message& m : receives) {
    m.data = h_recv;
    h_recv += m.bytes;
  }
  m_receiving = d_receives;
  m_comm.start_exchange(receives, sends);
#else
  staged(0, 1);  // throws: no device buffers without the CUDA backend
#endif
}

void DeviceStaging::finish_exchange() {
  if (m_comm.size() == 1) return;
  m_comm.finish_exchange();
  if (m_comm.device_aware()) return;
#if TWINSIM_HAVE_CUDA
  auto* h_recv = static_cast<unsigned char*>(m_pinned[1]);
  for (const Comm::Message& m : m_receiving) {
    detail::device_copy(m.data, h_recv, m.bytes);
    h_recv += m.bytes;
  }
  m_receiving.clear();
#endif
}

// One rank: nothing to reduce. Otherwise in place where the MPI is CUDA-aware, else through
// one pinned host buffer (to the host, reduced there, back).
template <class Real>
void DeviceStaging::allreduce_device(Real* d_values, std::size_t n, Reduce op) {
  if (m_comm.size() == 1 || n == 0) return;
#if TWINSIM_HAVE_NCCL
  if (uses_nccl()) {
    if (!m_nccl) m_nccl = detail::nccl_open(m_comm);
    return detail::nccl_allreduce(static_cast<detail::NcclComm*>(m_nccl), d_values, n,
                                  sizeof(Real) == sizeof(double), op);
  }
#endif
  if (m_comm.device_aware()) return m_comm.allreduce(d_values, n, op);
#if TWINSIM_HAVE_CUDA
  const std::size_t bytes = n * sizeof(Real);
  auto* h_values = static_cast<Real*>(staged(0, bytes));
  detail::device_copy(h_values, d_values, bytes);
  m_comm.allreduce(h_values, n, op);
  detail::device_copy(d_values, h_values, bytes);
#else
  (void)op;
  staged(0, n);  // throws: no device buffers without the CUDA backend
#endif
}

void DeviceStaging::allreduce(float* d_values, std::size_t n, Reduce op) {
  allreduce_device(d_values, n, op);
}
void DeviceStaging::allreduce(double* d_values, std::size_t n, Reduce op) {
  allreduce_device(d_values, n, op);
}

}  // namespace twinsim::core
