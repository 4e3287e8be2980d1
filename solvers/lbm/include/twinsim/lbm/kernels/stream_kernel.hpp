#pragma once
// Streaming with boundaries, for one cell. Layout and scheme, chosen for memory bandwidth:
// - Structure of arrays, population q of cell i at q * cells + i: neighbouring threads touch
//   neighbouring addresses for every q, so GPU loads and stores coalesce and CPU loops vectorise.
// - Two lattices, fused pull streaming: each cell gathers its populations from its upstream
//   neighbours in `src` (post-collision values of the last step), collides in registers and
//   stores them at its own index in `dst`. One read and one write per population and step, the
//   minimum; writes stay aligned (misaligned writes cost more than misaligned reads on GPUs),
//   and cells never share an output, so no atomics. The price is twice the population memory of
//   in-place schemes (AA pattern, esoteric twist), which could replace it without touching the
//   collision.
// Cells are indexed x fastest, then y, then z; a 2D lattice has n[2] = 1. Positions are cell
// centres: the domain's walls lie half-way between the outer cells and their missing neighbours.
#include "twinsim/core/HostDevice.hpp"
#include "twinsim/lbm/kernels/lattice_kernel.hpp"

namespace twinsim::lbm {

using core::Index;

// Kinds of domain side. Solid obstacle cells inside the domain are given by a mask instead.
enum SideKind : int { k_periodic = 0, k_wall = 1 };

// Sides are numbered 2 * axis + (0 low, 1 high): x_min, x_max, y_min, y_max, z_min, z_max.
template <class Real>
struct Domain {
  int n[3];                  // cells per axis
  int side[6];               // SideKind
  Real wall_velocity[6][3];  // lattice units; tangential motion of a wall (a lid)
};

template <class Real>
TWINSIM_HD inline Index cell_count(const Domain<Real>& d) {
  return Index(d.n[0]) * d.n[1] * d.n[2];
}

template <class Real>
TWINSIM_HD inline void cell_position(const Domain<Real>& d, Index cell, int* x) {
  x[0] = int(cell % d.n[0]);
  x[1] = int((cell / d.n[0]) % d.n[1]);
  x[2] = int(cell / (Index(d.n[0]) * d.n[1]));
}

// Gathers the populations arriving at `cell` (shifted, g = f - w) from the post-collision
// populations in `src`. Where the upstream cell is a wall side or a solid cell, half-way
// bounce-back returns the cell's own outgoing population, plus 2 w rho_0 (c.u_wall) / c_s^2 for a
// moving wall (rho_0 = 1: the wall term then sums to zero over each row of a flat lid, so mass is
// conserved exactly). Where the upstream position lies beyond two sides (a corner), the side of
// the later axis decides (y over x, z over y), so a lid covers its corners.
template <class L, class Real>
TWINSIM_HD inline void pull(const Domain<Real>& d, Index cell, const Real* src,
                            const unsigned char* solid, Real* g) {
  const Index n = cell_count(d);
  int x[3];
  cell_position(d, cell, x);
  const Index stride[3] = {1, Index(d.n[0]), Index(d.n[0]) * d.n[1]};
  // Away from the domain's sides every upstream cell exists: no side tests (most cells).
  bool interior = true;
  TWINSIM_LBM_UNROLL
  for (int a = 0; a < L::k_dims; ++a) interior = interior && x[a] > 0 && x[a] < d.n[a] - 1;
  TWINSIM_LBM_UNROLL
  for (int q = 0; q < L::k_q; ++q) {
    int wall = -1;
    Index upstream = cell;
    TWINSIM_LBM_UNROLL
    for (int a = 0; a < L::k_dims; ++a) {
      int s = x[a] - L::c(q, a);
      if (!interior && (s < 0 || s >= d.n[a])) {
        const int side = 2 * a + (s < 0 ? 0 : 1);
        if (d.side[side] == k_periodic)
          s = s < 0 ? s + d.n[a] : s - d.n[a];
        else
          wall = side;
      }
      upstream += Index(s - x[a]) * stride[a];
    }
    if (wall < 0 && !solid[upstream]) {
      g[q] = src[q * n + upstream];
      continue;
    }
    Real back = src[L::opposite(q) * n + cell];
    if (wall >= 0) {
      Real cu = 0;
      TWINSIM_LBM_UNROLL
      for (int a = 0; a < L::k_dims; ++a) cu += Real(L::c(q, a)) * d.wall_velocity[wall][a];
      back += Real(6 * L::weight(q)) * cu;
    }
    g[q] = back;
  }
}

// Vorticity dv/dx - du/dy (lattice units, 1 / time step) at a fluid cell of a 2D field, by
// central differences; one-sided at walls and next to solid cells, periodic across periodic sides.
template <class Real>
TWINSIM_HD inline Real vorticity_2d(const Domain<Real>& d, Index cell, const Real* ux,
                                    const Real* uy, const unsigned char* solid) {
  int x[3];
  cell_position(d, cell, x);
  // Neighbour along axis a at offset o (+1 / -1), or -1 when there is none.
  auto neighbour = [&](int a, int o) -> Index {
    int p[2] = {x[0], x[1]};
    p[a] += o;
    if (p[a] < 0 || p[a] >= d.n[a]) {
      if (d.side[2 * a + (o < 0 ? 0 : 1)] != k_periodic) return -1;
      p[a] = p[a] < 0 ? p[a] + d.n[a] : p[a] - d.n[a];
    }
    const Index i = p[0] + Index(d.n[0]) * (p[1] + Index(d.n[1]) * x[2]);
    return solid[i] ? -1 : i;
  };
  // Derivative of field f along axis a.
  auto derivative = [&](const Real* f, int a) -> Real {
    const Index hi = neighbour(a, 1), lo = neighbour(a, -1);
    if (hi >= 0 && lo >= 0) return Real(0.5) * (f[hi] - f[lo]);
    if (hi >= 0) return f[hi] - f[cell];
    if (lo >= 0) return f[cell] - f[lo];
    return Real(0);
  };
  return derivative(uy, 0) - derivative(ux, 1);
}

}  // namespace twinsim::lbm
