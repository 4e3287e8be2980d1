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

// Bytes of this level's vectors (the cell loops' width): AVX-512 64 (its objects prefer 512-bit
// vectors), AVX2 32, the baseline (SSE2) 16.
#if defined(__AVX512F__)
constexpr int k_vector_bytes = 64;
#elif defined(__AVX2__)
constexpr int k_vector_bytes = 32;
#else
constexpr int k_vector_bytes = 16;
#endif

// The cells [cell, end), all of wrap code `code` (cell_kind), by the fast path. Where the cell
// loop vectorises (FP32 and FP64 storage, no subgrid model: solvers/lbm/README.md) and a step
// reads src alone (two lattices): in chunks of one vector of cells (k_chunk), each a loop of
// fixed length that the compiler vectorises whole, with no epilogue; the first chunk starts at
// `cell`, the ones after it on a multiple of k_chunk (aligned stores), the last ends at `end`
// and may overlap the one before (a cell updated twice stores the same values again); a run
// shorter than a chunk goes cell by cell. The compiler's epilogues cost as much as its vectors
// did on the runs of 62 cells of a 64^3 periodic box (512-bit: 48 cells in vectors, 8 in a
// 256-bit one, 6 scalar). Elsewhere one omp simd loop: in place a cell's update overwrites the
// slots it reads, so no cell may be updated twice.
template <class L, Step k_step, Subgrid k_subgrid, Force k_force, class Real, class Store,
          class Parity>
inline void update_run(const Streams<L, Store>& s, const Relaxation<Real>& r, int code,
                       std::int32_t cell, std::int32_t end, Parity) {
  constexpr bool k_chunks = k_step == Step::two_lattice && k_subgrid == Subgrid::none &&
                            std::is_same_v<Store, Real>;
  if constexpr (!k_chunks) {
#pragma omp simd
    for (std::int32_t i = cell; i < end; ++i)
      update_interior<L, k_step, k_subgrid, k_force>(s, r, i, code, Parity::value);
  } else {
    constexpr std::int32_t k_chunk = k_vector_bytes / sizeof(Real);
    if (end - cell < k_chunk) {
      for (std::int32_t i = cell; i < end; ++i)
        update_interior<L, k_step, k_subgrid, k_force>(s, r, i, code, false);
      return;
    }
    for (std::int32_t c = cell;;) {
#pragma omp simd
      for (std::int32_t j = 0; j < k_chunk; ++j)
        update_interior<L, k_step, k_subgrid, k_force>(s, r, c + j, code, false);
      if (c + k_chunk == end) return;
      c = (c + k_chunk) / k_chunk * k_chunk;
      if (c + k_chunk > end) c = end - k_chunk;
    }
  }
}

// The cells among [first, last) that the fast path takes with a fixed offset per population
// (kind below k_wrap_codes: the interior, 0, and the cells on periodic sides, by wrap code),
// each run of consecutive cells of one code by update_run(); the other cells skipped (the edge
// list has them). The in-place parity is decided once, outside the loops, so that their bodies
// hold no branch.
template <class L, Step k_step, Subgrid k_subgrid, Force k_force, class Real, class Store>
TWINSIM_LBM_FLATTEN void interior_block(const Streams<L, Store>& s, const Relaxation<Real>& r,
                                        const unsigned char* kind, std::int32_t first,
                                        std::int32_t last, bool odd) {
  const auto runs = [&](auto parity) {
    for (std::int32_t cell = first; cell < last;) {
      const unsigned char code = kind[cell];
      std::int32_t end = cell + 1;
      while (end < last && kind[end] == code) ++end;
      if (code < k_wrap_codes)
        update_run<L, k_step, k_subgrid, k_force>(s, r, code, cell, end, parity);
      cell = end;
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
  if constexpr (k_in_place_built<Store>) fill_step<L, Step::in_place>(t);
  return t;
}

}  // namespace twinsim::lbm::TWINSIM_LBM_ISA_NS
