// The MPI communicator: MPI_COMM_WORLD, built only where CMake found MPI.
// The C API only: Open MPI's deprecated C++ bindings would need libmpi_cxx.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#if __has_include(<mpi-ext.h>)
#include <mpi-ext.h>  // Open MPI's extensions: MPIX_Query_cuda_support
#endif

#include <fmt/format.h>

#include <chrono>
#include <algorithm>
#include <climits>
#include <cstdlib>
#include <thread>

#include "comm_backends.hpp"
#include "twinsim/core/Error.hpp"

namespace twinsim::core::detail {

namespace {

void check(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw Error(fmt::format("{} failed: {}", call, std::string(text, std::size_t(length))));
}

#define TWINSIM_MPI_CHECK(call) check((call), #call)

// MPI counts are int: a larger message is refused with a clear error, not truncated.
int count_of(std::size_t bytes, const char* what) {
  if (bytes > std::size_t(INT_MAX))
    throw Error(
        fmt::format("{}: {} bytes in one message, over MPI's int count; split the work "
                    "over more ranks",
                    what, bytes));
  return int(bytes);
}

// Open MPI says at run time whether it was built CUDA-aware; other MPIs: assume not (staging
// is always correct).
bool query_cuda_aware() {
#if defined(MPIX_CUDA_AWARE_SUPPORT) && MPIX_CUDA_AWARE_SUPPORT
  return MPIX_Query_cuda_support() == 1;
#else
  return false;
#endif
}

MPI_Op op_of(Reduce op) {
  switch (op) {
    case Reduce::sum:
      return MPI_SUM;
    case Reduce::min:
      return MPI_MIN;
    case Reduce::max:
      return MPI_MAX;
  }
  return MPI_SUM;
}

// The tag of a failure notice (Comm::fail): point-to-point, outside the collective calls.
constexpr int k_failure_tag = 7319;
// Comm::start_exchange's tags from here (below the failure notice's).
constexpr int k_exchange_tag = 100;
// How long a failed rank other than 0 waits for rank 0 to end the job (Comm::end_failed).
constexpr double k_end_wait_s = 10.0;
// A failure notice longer than this is cut (it is a log line).
constexpr std::size_t k_notice_chars = 4000;

}  // namespace

std::string mpi_library_version() {
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(version, &length);
  std::string text(version, std::size_t(length));
  // The first line, up to the build details: "Open MPI v4.1.4, package: Debian OpenMPI".
  text = text.substr(0, text.find_first_of("\n\r"));
  text = text.substr(0, text.find(", ident:"));
  while (!text.empty() && (text.back() == ' ' || text.back() == '\0')) text.pop_back();
  return text;
}

namespace {

class MpiWorld final : public Comm {
 public:
  MpiWorld() {
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (!initialised) {
      int provided = 0;
      TWINSIM_MPI_CHECK(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided));
      m_owner = true;
    }
    // Errors come back as codes (turned into core::Error) instead of aborting every rank.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &m_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &m_size);
    TWINSIM_MPI_CHECK(
        MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, m_rank, MPI_INFO_NULL, &m_node));
    MPI_Comm_rank(m_node, &m_local_rank);
    MPI_Comm_size(m_node, &m_local_size);
    int leader = m_local_rank == 0 ? 1 : 0;
    TWINSIM_MPI_CHECK(MPI_Allreduce(&leader, &m_nodes, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD));
    m_library = mpi_library_version();
    m_device_aware = query_cuda_aware();
  }
  ~MpiWorld() override {
    // A failed run's process never finalises: MPI_Finalize would wait for collective calls that
    // never complete.
    if (failed()) end_failed(1);
    MPI_Comm_free(&m_node);
    int finalised = 0;
    MPI_Finalized(&finalised);
    if (m_owner && !finalised) MPI_Finalize();
  }

  int rank() const override { return m_rank; }
  int size() const override { return m_size; }
  int local_rank() const override { return m_local_rank; }
  int local_size() const override { return m_local_size; }
  int nodes() const override { return m_nodes; }
  std::string library() const override { return m_library; }
  bool device_aware() const override { return m_device_aware; }

  [[noreturn]] void abort(int status) override {
    MPI_Abort(MPI_COMM_WORLD, status);
    std::exit(status);  // MPI_Abort does not return; the compiler does not know
  }
  void fail(const std::string& message) override {
    if (failed()) return;
    m_failure = message;
    m_notice = message.substr(0, k_notice_chars);
    for (int r = 0; r < m_size; ++r) {
      if (r == m_rank) continue;
      // Small: sent eagerly, never waited for (the job ends with MPI_Abort).
      MPI_Request request;
      if (MPI_Isend(m_notice.data(), int(m_notice.size()), MPI_CHAR, r, k_failure_tag,
                    MPI_COMM_WORLD, &request) == MPI_SUCCESS)
        MPI_Request_free(&request);
    }
  }
  bool failed() const override { return !m_failure.empty(); }
  [[noreturn]] void end_failed(int status) override {
    if (m_rank != 0) {
      // Rank 0 ends the job once it has written the summary; polling keeps MPI progressing
      // (this rank's notices may still be on their way).
      const auto until = std::chrono::steady_clock::now() +
                         std::chrono::duration<double>(k_end_wait_s);
      while (std::chrono::steady_clock::now() < until) {
        int arrived = 0;
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &arrived, MPI_STATUS_IGNORE);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    abort(status);
  }
  void barrier() override {
    MPI_Request r;
    start();
    TWINSIM_MPI_CHECK(MPI_Ibarrier(MPI_COMM_WORLD, &r));
    wait(&r, 1, "MPI_Ibarrier");
  }
  void allreduce(double* values, std::size_t n, Reduce op) override {
    MPI_Request r;
    start();
    TWINSIM_MPI_CHECK(MPI_Iallreduce(MPI_IN_PLACE, values, count_of(n, "allreduce"), MPI_DOUBLE,
                                     op_of(op), MPI_COMM_WORLD, &r));
    wait(&r, 1, "MPI_Iallreduce");
  }
  void allreduce(std::int64_t* values, std::size_t n, Reduce op) override {
    MPI_Request r;
    start();
    TWINSIM_MPI_CHECK(MPI_Iallreduce(MPI_IN_PLACE, values, count_of(n, "allreduce"),
                                     MPI_INT64_T, op_of(op), MPI_COMM_WORLD, &r));
    wait(&r, 1, "MPI_Iallreduce");
  }
  void broadcast(void* bytes, std::size_t n, int root) override {
    MPI_Request r;
    start();
    TWINSIM_MPI_CHECK(
        MPI_Ibcast(bytes, count_of(n, "broadcast"), MPI_BYTE, root, MPI_COMM_WORLD, &r));
    wait(&r, 1, "MPI_Ibcast");
  }
  std::vector<unsigned char> gather(const void* bytes, std::size_t n, int root,
                                    std::vector<std::size_t>& counts) override {
    const int mine = count_of(n, "gather");
    std::vector<int> sizes(m_rank == root ? std::size_t(m_size) : 0);
    MPI_Request r;
    start();
    TWINSIM_MPI_CHECK(
        MPI_Igather(&mine, 1, MPI_INT, sizes.data(), 1, MPI_INT, root, MPI_COMM_WORLD, &r));
    wait(&r, 1, "MPI_Igather");
    std::vector<int> offsets(sizes.size());
    std::size_t total = 0;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      offsets[i] = count_of(total, "gather (all ranks together)");
      total += std::size_t(sizes[i]);
    }
    std::vector<unsigned char> all(total);
    TWINSIM_MPI_CHECK(MPI_Igatherv(bytes, mine, MPI_BYTE, all.data(), sizes.data(),
                                   offsets.data(), MPI_BYTE, root, MPI_COMM_WORLD, &r));
    wait(&r, 1, "MPI_Igatherv");
    counts.assign(sizes.begin(), sizes.end());
    return all;
  }
  void alltoall(const void* send, void* recv, std::size_t block_bytes) override {
    const int block = count_of(block_bytes, "alltoall");
    MPI_Request r;
    start();
    TWINSIM_MPI_CHECK(
        MPI_Ialltoall(send, block, MPI_BYTE, recv, block, MPI_BYTE, MPI_COMM_WORLD, &r));
    wait(&r, 1, "MPI_Ialltoall");
  }
  void exchange(const void* send, std::size_t send_bytes, int to, void* recv,
                std::size_t recv_bytes, int from) override {
    MPI_Request r[2];
    start();
    TWINSIM_MPI_CHECK(MPI_Irecv(recv, count_of(recv_bytes, "exchange"), MPI_BYTE, from, 0,
                                MPI_COMM_WORLD, &r[0]));
    TWINSIM_MPI_CHECK(MPI_Isend(send, count_of(send_bytes, "exchange"), MPI_BYTE, to, 0,
                                MPI_COMM_WORLD, &r[1]));
    wait(r, 2, "MPI_Isend/MPI_Irecv");
  }
  void start_exchange(const std::vector<Message>& receives,
                      const std::vector<Message>& sends) override {
    start();
    if (!m_pending.empty()) throw Error("Comm::start_exchange: the last exchange is not finished");
    m_pending.resize(receives.size() + sends.size());
    std::size_t i = 0;
    for (const Message& m : receives)
      TWINSIM_MPI_CHECK(MPI_Irecv(m.data, count_of(m.bytes, "start_exchange"), MPI_BYTE, m.peer,
                                  k_exchange_tag + m.tag, MPI_COMM_WORLD, &m_pending[i++]));
    for (const Message& m : sends)
      TWINSIM_MPI_CHECK(MPI_Isend(m.data, count_of(m.bytes, "start_exchange"), MPI_BYTE, m.peer,
                                  k_exchange_tag + m.tag, MPI_COMM_WORLD, &m_pending[i++]));
  }
  void finish_exchange() override {
    std::vector<MPI_Request> pending;
    pending.swap(m_pending);
    if (!pending.empty()) wait(pending.data(), int(pending.size()), "MPI_Isend/MPI_Irecv");
  }
  void allreduce(float* values, std::size_t n, Reduce op) override {
    MPI_Request r;
    start();
    TWINSIM_MPI_CHECK(MPI_Iallreduce(MPI_IN_PLACE, values, count_of(n, "allreduce"), MPI_FLOAT,
                                     op_of(op), MPI_COMM_WORLD, &r));
    wait(&r, 1, "MPI_Iallreduce");
  }

 private:
  // Every call is started non-blocking and waited for here, so that a rank waiting for one that
  // failed learns of it (a failure notice, Comm::fail) instead of waiting forever: MPI itself
  // has no way out of a blocking call that another rank never makes.
  void start() const {
    if (failed()) throw RankFailed(m_failure);
  }
  void wait(MPI_Request* requests, int n, const char* call) {
    for (;;) {
      int done = 0;
      check(MPI_Testall(n, requests, &done, MPI_STATUSES_IGNORE), call);
      if (done) return;
      take_notice();
    }
  }
  // A failure notice from another rank, if one came: this rank's run fails with its message.
  void take_notice() {
    int arrived = 0;
    MPI_Status status;
    MPI_Iprobe(MPI_ANY_SOURCE, k_failure_tag, MPI_COMM_WORLD, &arrived, &status);
    if (!arrived) return;
    int length = 0;
    MPI_Get_count(&status, MPI_CHAR, &length);
    std::string text(std::size_t(std::max(length, 0)), '\0');
    MPI_Recv(text.data(), length, MPI_CHAR, status.MPI_SOURCE, k_failure_tag, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    m_failure = fmt::format("rank {} failed: {}", status.MPI_SOURCE, text);
    throw RankFailed(m_failure);
  }

  bool m_owner = false;
  int m_rank = 0, m_size = 1, m_local_rank = 0, m_local_size = 1, m_nodes = 1;
  MPI_Comm m_node = MPI_COMM_NULL;
  std::string m_library;
  bool m_device_aware = false;
  std::string m_failure;  // why this rank's run failed (here or on another rank); empty: it has not
  std::string m_notice;   // the notice sent to the others (the sends read it until the end)
  std::vector<MPI_Request> m_pending;  // of start_exchange, until finish_exchange
};

}  // namespace

std::unique_ptr<Comm> make_mpi_world() { return std::make_unique<MpiWorld>(); }

}  // namespace twinsim::core::detail
