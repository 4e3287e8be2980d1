#pragma once
// Discrete velocity sets. A lattice is a type with k_dims, k_q and constexpr functions c(q, axis),
// opposite(q) and weight(q); kernels are templates on it (D2Q9 and D3Q19 share every kernel). Local constexpr tables (not static members) keep the functions usable in device code;
// loops over q have constant trip counts, so both compilers fold the tables into the code.
#include "twinsim/core/HostDevice.hpp"

// Unrolls loops over populations and axes, so the tables above become immediates: without it
// g++ reads them from the stack in the innermost loop (with pull's interior fast path: D2Q9 steps
// 2.6x faster on one core).
#if defined(__CUDACC__)
#define TWINSIM_LBM_UNROLL _Pragma("unroll")
#else
#define TWINSIM_LBM_UNROLL _Pragma("GCC unroll 32")
#endif

namespace twinsim::lbm {

// The most populations of any lattice (D3Q19): the size of per-population tables that do not
// depend on the lattice's type.
constexpr int k_max_q = 19;

// D2Q9: rest, 4 axis neighbours (q = 1..4), 4 diagonals (q = 5..8). Sound speed c_s^2 = 1/3.
struct D2Q9 {
  static constexpr int k_dims = 2;
  static constexpr int k_q = 9;
  TWINSIM_HD static constexpr int c(int q, int axis) {
    constexpr int cx[9] = {0, 1, 0, -1, 0, 1, -1, -1, 1};
    constexpr int cy[9] = {0, 0, 1, 0, -1, 1, 1, -1, -1};
    return axis == 0 ? cx[q] : axis == 1 ? cy[q] : 0;
  }
  TWINSIM_HD static constexpr int opposite(int q) {
    constexpr int opp[9] = {0, 3, 4, 1, 2, 7, 8, 5, 6};
    return opp[q];
  }
  TWINSIM_HD static constexpr double weight(int q) {
    return q == 0 ? 4.0 / 9.0 : q < 5 ? 1.0 / 9.0 : 1.0 / 36.0;
  }
};

// D3Q19: rest, 6 axis neighbours (q = 1..6), 12 edge diagonals (q = 7..18), in opposite pairs
// (q odd, q + 1), FluidX3D's order. Sound speed c_s^2 = 1/3, so the collision is D2Q9's.
struct D3Q19 {
  static constexpr int k_dims = 3;
  static constexpr int k_q = 19;
  TWINSIM_HD static constexpr int c(int q, int axis) {
    constexpr int cx[19] = {0, 1, -1, 0, 0, 0, 0, 1, -1, 1, -1, 0, 0, 1, -1, 1, -1, 0, 0};
    constexpr int cy[19] = {0, 0, 0, 1, -1, 0, 0, 1, -1, 0, 0, 1, -1, -1, 1, 0, 0, 1, -1};
    constexpr int cz[19] = {0, 0, 0, 0, 0, 1, -1, 0, 0, 1, -1, 1, -1, 0, 0, -1, 1, -1, 1};
    return axis == 0 ? cx[q] : axis == 1 ? cy[q] : cz[q];
  }
  TWINSIM_HD static constexpr int opposite(int q) { return q == 0 ? 0 : q % 2 ? q + 1 : q - 1; }
  TWINSIM_HD static constexpr double weight(int q) {
    return q == 0 ? 1.0 / 3.0 : q < 7 ? 1.0 / 18.0 : 1.0 / 36.0;
  }
};

}  // namespace twinsim::lbm
