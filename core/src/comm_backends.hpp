#pragma once
// The MPI communicator's factory (comm_mpi.cpp, built only where CMake found MPI) and the NCCL
// all-reduce of device buffers (cuda/nccl.cu, built only on request).
#include <cstddef>
#include <memory>
#include <string>

#include "twinsim/core/Comm.hpp"

namespace twinsim::core::detail {
// Initialises MPI (MPI_Init_thread, funneled: only the main thread calls MPI) and returns
// MPI_COMM_WORLD with its node layout; MPI_Finalize runs when the object is destroyed.
std::unique_ptr<Comm> make_mpi_world();
// The MPI library's version line (callable before MPI is initialised).
std::string mpi_library_version();

// NCCL (core/src/cuda/nccl.cu, built with TWINSIM_ENABLE_NCCL): a communicator over comm's
// ranks (collective), and an in-place all-reduce of device values (float or double) on the
// default stream.
struct NcclComm;
NcclComm* nccl_open(Comm& comm);
void nccl_close(NcclComm* comm) noexcept;
void nccl_allreduce(NcclComm* comm, void* d_values, std::size_t n, bool doubles, Reduce op);
}  // namespace twinsim::core::detail
