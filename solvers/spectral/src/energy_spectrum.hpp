#pragma once
// Backend side of the shell-summed energy spectrum, shared by vorticity2d.inl and
// velocity3d.inl (included by backend translation units only: it needs exec.hpp's names).
// The binning runs where the modes live (no host copy of the field: at 256^3 that would move
// 400 MB over PCIe per record); the kernels are energy_spectrum_kernel.hpp's functors.
#include <cstdint>
#include <vector>

#include "twinsim/core/exec.hpp"
#include "twinsim/spectral/kernels/energy_spectrum_kernel.hpp"

namespace twinsim::TWINSIM_BACKEND_NS::spectrum_detail {

// Workers of the partial sums: one per 256 modes, at most 4096. A function of the mode count
// only, not of the backend, so that CPU and GPU add in the same order; scratch stays at most
// [shells][4096] doubles (7 MB at 256^3), and the GPU gets enough independent loops to hide
// memory latency.
inline std::int64_t spectrum_chunks(std::int64_t modes) {
  const std::int64_t c = modes / 256;
  return c < 1 ? 1 : c > 4096 ? 4096 : c;
}

// Host copy of the shell sums of `term` over modes [0, modes). scratch is resized as needed.
template <class Term>
std::vector<double> shell_sums(const Term& term, std::int64_t modes, int shells,
                               core::Buffer<double, Space>& scratch) {
  const std::int64_t chunks = spectrum_chunks(modes);
  const bool gpu = k_backend == core::Backend::Gpu;
  const std::int64_t shell_stride = gpu ? chunks : 1, chunk_stride = gpu ? 1 : shells;
  const std::size_t need = std::size_t(chunks) * shells + shells;
  if (scratch.size() < need) scratch = core::Buffer<double, Space>(need);
  double* d_rows = scratch.data();
  double* d_out = d_rows + std::size_t(chunks) * shells;
  for_each_index(chunks, spectral::ShellPartialSums<Term>{term, modes, chunks, shell_stride,
                                                          chunk_stride, shells, d_rows});
  for_each_index(Index(shells),
                 spectral::ShellTotals{chunks, shell_stride, chunk_stride, d_rows, d_out});
  std::vector<double> h(shells);
  core::detail::copy_bytes(h.data(), core::MemorySpace::Host, d_out, Space::k_space,
                           sizeof(double) * shells);
  return h;
}

}  // namespace twinsim::TWINSIM_BACKEND_NS::spectrum_detail
