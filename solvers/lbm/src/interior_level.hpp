#pragma once
// The CPU interior loop of one x86-64 level (interior_blocks.hpp), in namespace
// twinsim::lbm::TWINSIM_LBM_ISA_NS. Every function it calls is inlined into the block
// function (flatten), so the object of a level defines no function outside its namespace that
// another object's code could be linked to (an AVX2 copy of collide() reached from baseline
// code would fault on an older CPU). The arithmetic is the same at every level (no contraction
// into FMA: -ffp-contract=off; vector division and square root are IEEE exact): the same bits.
#ifndef TWINSIM_LBM_ISA_NS
#error "define TWINSIM_LBM_ISA_NS (isa_baseline, isa_avx2, isa_avx512) before including"
#endif
#include <cstdint>
#include <type_traits>

#include "interior_blocks.hpp"

#if defined(__GNUC__)
#define TWINSIM_LBM_FLATTEN __attribute__((flatten))
#else
#define TWINSIM_LBM_FLATTEN
#endif

namespace twinsim::lbm::TWINSIM_LBM_ISA_NS {

// The interior cells among [first, last): each run of consecutive ones as a loop the compiler
// vectorises across cells (omp simd), the other cells skipped (the edge list has them). The
// in-place parity is decided once, outside the loops, so that their bodies hold no branch.
template <class L, Step k_step, Subgrid k_subgrid, Force k_force, class Real, class Store>
TWINSIM_LBM_FLATTEN void interior_block(const Streams<L, Store>& s, const Relaxation<Real>& r,
                                        const unsigned char* kind, std::int32_t first,
                                        std::int32_t last, bool odd) {
  const auto runs = [&](auto parity) {
    for (std::int32_t cell = first; cell < last;) {
      std::int32_t end = cell;
      while (end < last && kind[end] == k_interior) ++end;
#pragma omp simd
      for (std::int32_t i = cell; i < end; ++i)
        update_interior<L, k_step, k_subgrid, k_force>(s, r, i, 0, decltype(parity)::value);
      cell = end + 1;  // end is not interior, or the block's end
    }
  };
  if (k_step == Step::in_place && odd)
    runs(std::true_type{});
  else
    runs(std::false_type{});
}

template <class L, Step k_step, class Real, class Store>
void fill_step(InteriorBlocks<L, Real, Store>& t) {
  constexpr int step = int(k_step);
  t.fn[step][0][0] = interior_block<L, k_step, Subgrid::none, Force::none, Real, Store>;
  t.fn[step][0][1] = interior_block<L, k_step, Subgrid::none, Force::guo, Real, Store>;
  t.fn[step][1][0] = interior_block<L, k_step, Subgrid::smagorinsky, Force::none, Real, Store>;
  t.fn[step][1][1] = interior_block<L, k_step, Subgrid::smagorinsky, Force::guo, Real, Store>;
}

template <class L, class Real, class Store>
InteriorBlocks<L, Real, Store> interior_blocks() {
  InteriorBlocks<L, Real, Store> t{};
  fill_step<L, Step::two_lattice>(t);
  if constexpr (k_in_place_storage<Store> && TWINSIM_LBM_COMPACT) fill_step<L, Step::in_place>(t);
  return t;
}

}  // namespace twinsim::lbm::TWINSIM_LBM_ISA_NS
