#pragma once
// The MPI communicator's factory (comm_mpi.cpp, built only where CMake found MPI).
#include <memory>
#include <string>

#include "twinsim/core/Comm.hpp"

namespace twinsim::core::detail {
// Initialises MPI (MPI_Init_thread, funneled: only the main thread calls MPI) and returns
// MPI_COMM_WORLD with its node layout; MPI_Finalize runs when the object is destroyed.
std::unique_ptr<Comm> make_mpi_world();
// The MPI library's version line (callable before MPI is initialised).
std::string mpi_library_version();
}  // namespace twinsim::core::detail
