#include <omp.h>

#include <cstdio>

#include "commands.hpp"
#include "twinsim/core/Backend.hpp"
#include "twinsim/core/Comm.hpp"
#include "twinsim/core/config.hpp"
#include "twinsim/core/versions.hpp"
#include "twinsim/io/RunDirectory.hpp"
#include "twinsim/io/versions.hpp"
#include "twinsim/lbm/CpuIsa.hpp"
#include "twinsim/loop/Provenance.hpp"

namespace twinsim::app {

std::string version_line() {
  const loop::Build& b = loop::build();
  return "twinsim " + b.version + " (commit " + b.commit.substr(0, 12) + (b.dirty ? "+dirty" : "") +
         ", " + b.build_type + ", backends " + b.backends + ")";
}

int version() {
  std::printf("%s\n", version_line().c_str());
  return k_exit_ok;
}

int info(bool json) {
  auto libraries = core::library_versions();
  for (auto& entry : io::library_versions()) libraries.push_back(std::move(entry));
  const core::Backend chosen = core::gpu_available() ? core::Backend::Gpu : core::Backend::Cpu;
  if (json) {
    // The provenance a run's summary.json carries (build.*, host, device), for the backend
    // --device auto would choose, and the libraries.
    io::Summary s;
    loop::add_build_and_host(s, chosen);
    s.set("backend_auto", std::string(core::to_string(chosen)));
    s.set("cpu.threads", omp_get_max_threads());
    s.set("cpu.lbm_isa", lbm::to_string(lbm::cpu_isa()));
    s.set("gpu.built", bool(TWINSIM_HAVE_CUDA));
    s.set("gpu.available", core::gpu_available());
    if (TWINSIM_HAVE_CUDA) {
      s.set("gpu.architectures", std::string(TWINSIM_CUDA_ARCHITECTURES));
      s.set("gpu.description", core::gpu_description());
    }
    // The MPI library and this rank's place in the layout (under mpirun/srun every rank prints).
    const core::Comm& comm = core::world();
    s.set("mpi.built", core::mpi_built());
    s.set("mpi.library", core::mpi_library());
    s.set("mpi.ranks", comm.size());
    s.set("mpi.nodes", comm.nodes());
    s.set("mpi.rank", comm.rank());
    s.set("mpi.local_rank", comm.local_rank());
    s.set("mpi.local_ranks", comm.local_size());
    s.set("mpi.device_buffers", std::string(comm.device_aware() ? "passed directly (CUDA-aware)"
                                                                : "staged through pinned host memory"));
    for (const auto& [name, ver] : libraries) s.set("libraries." + name, ver);
    std::printf("%s\n", s.to_json().c_str());
    return k_exit_ok;
  }
  std::printf("%s\n\nbackends:\n", version_line().c_str());
  std::printf("  cpu  OpenMP, %d threads; LBM interior loop: %s instructions\n",
              omp_get_max_threads(), lbm::to_string(lbm::cpu_isa()).c_str());
  if (TWINSIM_HAVE_CUDA)
    std::printf("  gpu  CUDA, built for sm_%s; %s\n", TWINSIM_CUDA_ARCHITECTURES,
                core::gpu_description().c_str());
  else
    std::printf("  gpu  not built (no nvcc at configure time)\n");
  std::printf("  --device auto selects: %s\n\nhost: %s\n\n",
              std::string(core::to_string(chosen)).c_str(), loop::host_name().c_str());
  // Under mpirun/srun every rank prints; the layout line says which one.
  std::printf("MPI:\n  %s\n", core::mpi_built() ? core::mpi_library().c_str()
                                                 : "not built: one rank per run");
  core::Comm& comm = core::world();
  std::printf("  %s\n", core::describe(comm).c_str());
  if (comm.size() == 1 && core::mpi_built())
    std::printf("  (started without a launcher: mpirun -n N / srun -n N twinsim ... splits runs "
                "whose solver supports it)\n");
  std::printf("\nlibraries:\n");
  for (const auto& [name, ver] : libraries) std::printf("  %-9s %s\n", name.c_str(), ver.c_str());
  return k_exit_ok;
}

}  // namespace twinsim::app
