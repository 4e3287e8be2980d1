#pragma once
// The CPU backend's interior loop (cells of kind k_interior) over one block of cells, at each
// x86-64 level this build holds (lbm::CpuIsa): interior_level.hpp compiled once per level in
// its own namespace, isa_baseline within the solver's own translation units, isa_avx2 and
// isa_avx512 in objects of their own (solvers/lbm/CMakeLists.txt). The solver picks a level
// once (lbm::cpu_isa()) and calls its block function for each block of cells.
#include <cstdint>

#include "twinsim/lbm/CpuIsa.hpp"
#include "twinsim/lbm/kernels/collision_kernel.hpp"
#include "twinsim/lbm/kernels/stream_kernel.hpp"

namespace twinsim::lbm {

// Whether this build holds the in-place step for stored type Store: the types it is written for
// (k_in_place_storage), in a build with TWINSIM_LBM_COMPACT.
template <class Store>
constexpr bool k_in_place_built = k_in_place_storage<Store> && TWINSIM_LBM_COMPACT;

// The block functions of one lattice and storage at one level, by step kind, subgrid model and
// body force (lbm::Step, Subgrid, Force): fn[step][subgrid][force](s, r, kind, first, last, odd)
// updates the interior cells among [first, last) (odd: in place, the step's parity). In place is
// absent (null) for FP64.
template <class L, class Real, class Store>
struct InteriorBlocks {
  using Fn = void (*)(const Streams<L, Store>& s, const Relaxation<Real>& r,
                      const unsigned char* kind, std::int32_t first, std::int32_t last, bool odd);
  Fn fn[2][2][2];
};

namespace isa_baseline {
template <class L, class Real, class Store>
InteriorBlocks<L, Real, Store> interior_blocks();
}
namespace isa_avx2 {
template <class L, class Real, class Store>
InteriorBlocks<L, Real, Store> interior_blocks();
}
namespace isa_avx512 {
template <class L, class Real, class Store>
InteriorBlocks<L, Real, Store> interior_blocks();
}

// The block functions at level `isa` (one of cpu_isas_available()).
template <class L, class Real, class Store>
InteriorBlocks<L, Real, Store> interior_blocks_at(CpuIsa isa) {
#if defined(TWINSIM_LBM_BUILT_AVX512)
  if (isa == CpuIsa::avx512) return isa_avx512::interior_blocks<L, Real, Store>();
#endif
#if defined(TWINSIM_LBM_BUILT_AVX2)
  if (isa == CpuIsa::avx2) return isa_avx2::interior_blocks<L, Real, Store>();
#endif
  (void)isa;
  return isa_baseline::interior_blocks<L, Real, Store>();
}

}  // namespace twinsim::lbm
