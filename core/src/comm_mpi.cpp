// The MPI communicator: MPI_COMM_WORLD, built only where CMake found MPI.
// The C API only: Open MPI's deprecated C++ bindings would need libmpi_cxx.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#if __has_include(<mpi-ext.h>)
#include <mpi-ext.h>  // Open MPI's extensions: MPIX_Query_cuda_support
#endif

#include <fmt/format.h>

#include <climits>
#include <cstdlib>

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
  void barrier() override { TWINSIM_MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD)); }
  void allreduce(double* values, std::size_t n, Reduce op) override {
    TWINSIM_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, values, count_of(n, "allreduce"), MPI_DOUBLE,
                                    op_of(op), MPI_COMM_WORLD));
  }
  void allreduce(std::int64_t* values, std::size_t n, Reduce op) override {
    TWINSIM_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, values, count_of(n, "allreduce"), MPI_INT64_T,
                                    op_of(op), MPI_COMM_WORLD));
  }
  void broadcast(void* bytes, std::size_t n, int root) override {
    TWINSIM_MPI_CHECK(MPI_Bcast(bytes, count_of(n, "broadcast"), MPI_BYTE, root, MPI_COMM_WORLD));
  }
  std::vector<unsigned char> gather(const void* bytes, std::size_t n, int root,
                                    std::vector<std::size_t>& counts) override {
    const int mine = count_of(n, "gather");
    std::vector<int> sizes(m_rank == root ? std::size_t(m_size) : 0);
    TWINSIM_MPI_CHECK(
        MPI_Gather(&mine, 1, MPI_INT, sizes.data(), 1, MPI_INT, root, MPI_COMM_WORLD));
    std::vector<int> offsets(sizes.size());
    std::size_t total = 0;
    for (std::size_t r = 0; r < sizes.size(); ++r) {
      offsets[r] = count_of(total, "gather (all ranks together)");
      total += std::size_t(sizes[r]);
    }
    std::vector<unsigned char> all(total);
    TWINSIM_MPI_CHECK(MPI_Gatherv(bytes, mine, MPI_BYTE, all.data(), sizes.data(), offsets.data(),
                                  MPI_BYTE, root, MPI_COMM_WORLD));
    counts.assign(sizes.begin(), sizes.end());
    return all;
  }
  void alltoall(const void* send, void* recv, std::size_t block_bytes) override {
    const int block = count_of(block_bytes, "alltoall");
    TWINSIM_MPI_CHECK(MPI_Alltoall(send, block, MPI_BYTE, recv, block, MPI_BYTE, MPI_COMM_WORLD));
  }
  void exchange(const void* send, std::size_t send_bytes, int to, void* recv,
                std::size_t recv_bytes, int from) override {
    TWINSIM_MPI_CHECK(MPI_Sendrecv(send, count_of(send_bytes, "exchange"), MPI_BYTE, to, 0, recv,
                                   count_of(recv_bytes, "exchange"), MPI_BYTE, from, 0,
                                   MPI_COMM_WORLD, MPI_STATUS_IGNORE));
  }
  void allreduce(float* values, std::size_t n, Reduce op) override {
    TWINSIM_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, values, count_of(n, "allreduce"), MPI_FLOAT,
                                    op_of(op), MPI_COMM_WORLD));
  }

 private:
  bool m_owner = false;
  int m_rank = 0, m_size = 1, m_local_rank = 0, m_local_size = 1, m_nodes = 1;
  MPI_Comm m_node = MPI_COMM_NULL;
  std::string m_library;
  bool m_device_aware = false;
};

}  // namespace

std::unique_ptr<Comm> make_mpi_world() { return std::make_unique<MpiWorld>(); }

}  // namespace twinsim::core::detail
