#include <omp.h>

#include <cstdio>

#include "commands.hpp"
#include "twinsim/core/Backend.hpp"
#include "twinsim/core/Comm.hpp"
#include "twinsim/core/config.hpp"
#include "twinsim/core/versions.hpp"
#include "twinsim/io/versions.hpp"

namespace twinsim::app {

int version() {
  std::printf("twinsim %s\n", core::version().c_str());
  return k_exit_ok;
}

int info() {
  std::printf("twinsim %s\n\nbackends:\n", core::version().c_str());
  std::printf("  cpu  OpenMP, %d threads\n", omp_get_max_threads());
  if (TWINSIM_HAVE_CUDA)
    std::printf("  gpu  CUDA, built for sm_%s; %s\n", TWINSIM_CUDA_ARCHITECTURES,
                core::gpu_description().c_str());
  else
    std::printf("  gpu  not built (no nvcc at configure time)\n");
  std::printf("  --device auto selects: %s\n\n", core::gpu_available() ? "gpu" : "cpu");
  // Under mpirun/srun every rank prints; the layout line says which one.
  std::printf("MPI:\n  %s\n", core::mpi_built() ? core::mpi_library().c_str()
                                                 : "not built: one rank per run");
  core::Comm& comm = core::world();
  std::printf("  %s\n", core::describe(comm).c_str());
  if (comm.size() == 1 && core::mpi_built())
    std::printf("  (started without a launcher: mpirun -n N / srun -n N twinsim ... splits runs "
                "whose solver supports it)\n");
  std::printf("\nlibraries:\n");
  auto libraries = core::library_versions();
  for (auto& entry : io::library_versions()) libraries.push_back(std::move(entry));
  for (const auto& [name, ver] : libraries) std::printf("  %-9s %s\n", name.c_str(), ver.c_str());
  return k_exit_ok;
}

}  // namespace twinsim::app
