// NCCL for DeviceStaging's all-reduces when every rank is on one node (NVLink, no host copy):
// built only with -DTWINSIM_ENABLE_NCCL=ON next to CUDA (core/CMakeLists.txt). The NCCL
// communicator is made from core::Comm's ranks: rank 0's unique id goes to every rank by
// Comm::broadcast. Work goes on the default stream, ordered with Twinsim's kernels.
#include <fmt/format.h>
#include <nccl.h>

#include "../comm_backends.hpp"
#include "twinsim/core/Error.hpp"

namespace twinsim::core::detail {

namespace {

void check(ncclResult_t result, const char* call) {
  if (result != ncclSuccess)
    throw Error(fmt::format("{} failed: {}", call, ncclGetErrorString(result)));
}

ncclRedOp_t op_of(Reduce op) {
  switch (op) {
    case Reduce::sum:
      return ncclSum;
    case Reduce::min:
      return ncclMin;
    case Reduce::max:
      return ncclMax;
  }
  return ncclSum;
}

}  // namespace

struct NcclComm {
  ncclComm_t comm = nullptr;
};

NcclComm* nccl_open(Comm& comm) {
  ncclUniqueId id{};
  if (comm.root()) check(ncclGetUniqueId(&id), "ncclGetUniqueId");
  comm.broadcast(&id, sizeof id, 0);
  auto* c = new NcclComm;
  const ncclResult_t result = ncclCommInitRank(&c->comm, comm.size(), id, comm.rank());
  if (result != ncclSuccess) {
    delete c;
    check(result, "ncclCommInitRank");
  }
  return c;
}

void nccl_close(NcclComm* comm) noexcept {
  if (!comm) return;
  ncclCommDestroy(comm->comm);
  delete comm;
}

void nccl_allreduce(NcclComm* comm, void* d_values, std::size_t n, bool doubles, Reduce op) {
  check(ncclAllReduce(d_values, d_values, n, doubles ? ncclFloat64 : ncclFloat32, op_of(op),
                      comm->comm, cudaStream_t(0)),
        "ncclAllReduce");
}

}  // namespace twinsim::core::detail
