#pragma once
// Streaming with boundaries, for one cell. Layout and scheme, chosen for memory bandwidth:
// - Structure of arrays, population q of cell i at q * cells + i: neighbouring threads touch
//   neighbouring addresses for every q, so GPU loads and stores coalesce and CPU loops vectorise.
// - Two lattices, fused pull streaming (the default): each cell gathers its populations from
//   its upstream neighbours in `src` (post-collision values of the last step), collides in
//   registers and stores them at its own index in `dst`. One read and one write per population
//   and step, the minimum; writes stay aligned (misaligned writes cost more than misaligned
//   reads on GPUs), and cells never share an output, so no atomics.
// - In place (Step below: the AA pattern on one lattice): half the population memory, the same
//   bytes moved per step, the same collision and the same fields bit for bit; not with
//   boundaries that read other cells' populations (interpolated walls, pressure outlets) or
//   ghost layers. Chosen over the esoteric twist (Lehmann 2022) because its two kinds of step
//   are the plain pull (own slots) and pull-then-push along fixed offsets, so the interior fast
//   path keeps its shift table and the boundary code reads through one index map (Populations).
// - Bytes per cell update: 2 Q populations of the stored type, the least any scheme moves:
//   D2Q9 72 B (FP32) / 144 B (FP64) / 36 B (FP16S), D3Q19 152 B / 304 B / 76 B, plus the
//   cell's kind byte (cell_kind; interior cells read no neighbour's byte). FP32 D3Q19 therefore
//   moves the 153 B of FluidX3D's figure; FP16S (storage_kernel.hpp) half of it.
// Cells are indexed x fastest, then y, then z; D2Q9 has n[2] = 1. Positions are cell
// centres: the domain's walls lie half-way between the outer cells and their missing neighbours.
#include <cstdint>
#include <type_traits>
#include <utility>

#include "twinsim/core/HostDevice.hpp"
#include "twinsim/lbm/kernels/collision_kernel.hpp"
#include "twinsim/lbm/kernels/lattice_kernel.hpp"
#include "twinsim/lbm/kernels/storage_kernel.hpp"

namespace twinsim::lbm {

using core::Index;

// Kinds of domain side. Solid obstacle cells inside the domain are given by a mask instead.
enum SideKind : int { k_periodic = 0, k_wall = 1, k_velocity_inlet = 2, k_pressure_outlet = 3 };

// Sides are numbered 2 * axis + (0 low, 1 high): x_min, x_max, y_min, y_max, z_min, z_max.
template <class Real>
struct Domain {
  int n[3];                  // cells per axis
  int side[6];               // SideKind
  // Lattice units. Wall: its tangential motion (a lid). Velocity inlet: the inflow velocity,
  // the peak of the profile when parabolic[side].
  Real wall_velocity[6][3];
  // Velocity inlet: 1 for u times 4 s (L - s) / L^2 along each bounded axis across the side.
  int parabolic[6];
  Real density[6];       // pressure outlet: the density held there (p = (rho - 1) / 3)
  // Pressure outlet: the cells of its absorbing layer (0: none) and the layer's largest rate
  // (sponge_rate()); wall_velocity and parabolic give the mean flow it relaxes towards.
  int sponge[6];
  Real sponge_peak[6];
  // Where this lattice lies in the whole domain (a rank's block with its ghost layers, Block.hpp):
  // the whole domain's cell of local cell (0, 0, 0), and the whole domain's cells per axis. A
  // lattice that is the whole domain: 0 and n. Only the parabolic inflow profile needs them.
  int origin[3];
  int extent[3];
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

// The cell at x + o (o a lattice vector), wrapped across periodic sides; -1 beyond another side.
template <class L, class Real>
TWINSIM_HD inline Index offset_cell(const Domain<Real>& d, const int* x, const int* o) {
  Index i = 0, stride = 1;
  for (int a = 0; a < 3; ++a) {
    int s = x[a] + (a < L::k_dims ? o[a] : 0);
    if (s < 0 || s >= d.n[a]) {
      if (d.side[2 * a + (s < 0 ? 0 : 1)] != k_periodic) return -1;
      s = s < 0 ? s + d.n[a] : s - d.n[a];
    }
    i += Index(s) * stride;
    stride *= d.n[a];
  }
  return i;
}

// The wall fractions of interpolated bounce-back (LatticeConfig::wall_fraction) on the device,
// for the boundary cells only: boundary cell cell[k] (ascending) has fraction[k * Q + q] for its
// link along -c_q. count 0: half-way bounce-back on every solid link (staircase walls).
template <class Real>
struct WallFractionView {
  const std::uint32_t* cell;
  const Real* fraction;
  std::int32_t count;
};

// The wall fraction of the link of `cell` along -c_q, the cell found by bisection among the
// boundary cells (only links into solid cells ask: no cost on the interior path); 1/2 for a
// cell not listed (a solid neighbour across a periodic side or a rank's ghost layer).
template <class L, class Real>
TWINSIM_HD inline Real wall_fraction(const WallFractionView<Real>& w, Index cell, int q) {
  std::int32_t lo = 0, hi = w.count;
  while (lo < hi) {
    const std::int32_t mid = lo + (hi - lo) / 2;
    if (Index(w.cell[mid]) < cell)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < w.count && Index(w.cell[lo]) == cell ? w.fraction[Index(lo) * L::k_q + q]
                                                   : Real(0.5);
}

// Population q arriving at fluid cell `cell` (position x) from a solid upstream cell, from the
// post-collision populations in src. fraction: count 0 for half-way bounce-back (staircase
// walls); else the fraction delta of the link from the cell towards its upstream neighbour at
// which the wall lies (wall_fraction()), for Bouzidi, Firdaouss & Lallemand's (2001) linear
// interpolated bounce-back (second order for curved walls):
//   delta <  1/2: f_q(x) = 2 delta f*_p(x) + (1 - 2 delta) f*_p(x + c_q)
//   delta >= 1/2: f_q(x) = f*_p(x) / (2 delta) + (2 delta - 1) / (2 delta) f*_q(x)
// with p = opposite(q), the population that left towards the wall. Both are convex combinations
// of populations with the same weight, so they hold for the shifted g = f - w as they stand.
// Where x + c_q is not fluid the first falls back to delta = 1/2.
template <class L, class Real, class Src>
TWINSIM_HD inline Real solid_link(const Domain<Real>& d, Index cell, const int* x, int q,
                                  const Src& src, const unsigned char* solid,
                                  const WallFractionView<Real>& fraction) {
  const int p = L::opposite(q);
  const Real out = src(p, cell);
  if constexpr (Src::k_own_links_only) return out;
  if (fraction.count == 0) return out;
  const Real delta = wall_fraction<L>(fraction, cell, q);
  if (delta >= Real(0.5))
    return out / (Real(2) * delta) + (Real(2) * delta - Real(1)) / (Real(2) * delta) *
                                          src(q, cell);
  const int c[3] = {L::c(q, 0), L::c(q, 1), L::c(q, 2)};
  const Index next = offset_cell<L>(d, x, c);
  if (next < 0 || solid[next]) return out;
  return Real(2) * delta * out + (Real(1) - Real(2) * delta) * src(p, next);
}

// Density and velocity of a cell from its post-collision populations in src (the momentum of
// the last collision; with a body force u + F / (2 rho)): moments() without the force term.
template <class L, class Real, class Src>
TWINSIM_HD inline void post_collision_moments(Index cell, const Src& src, Real& rho, Real* u) {
  Real g[L::k_q];
  TWINSIM_LBM_UNROLL
  for (int q = 0; q < L::k_q; ++q) g[q] = src(q, cell);
  const Real no_force[3] = {0, 0, 0};
  moments<L>(g, no_force, rho, u);
}

// Equilibrium of population q (second order in u) less the rest state w_q: the shifted form
// the populations are stored in.
template <class L, class Real>
TWINSIM_HD inline Real shifted_equilibrium(int q, Real rho, const Real* u) {
  Real cu = 0, usq = 0;
  TWINSIM_LBM_UNROLL
  for (int a = 0; a < L::k_dims; ++a) {
    cu += Real(L::c(q, a)) * u[a];
    usq += u[a] * u[a];
  }
  return Real(L::weight(q)) *
         (rho - Real(1) + rho * (Real(3) * cu + Real(4.5) * cu * cu - Real(1.5) * usq));
}

// Population q arriving at `cell` (position x) across pressure outlet `side`, from the
// post-collision populations in src: non-equilibrium extrapolation (Guo, Zheng & Shi 2002).
// The population leaves the ghost cell G = x - c_q beyond the side; its post-collision value
// is the equilibrium at G plus the non-equilibrium part of the fluid cell B next to G inwards
// (B = G moved one cell back along the side's normal: x itself for the normal link, its
// neighbour along the side for the oblique ones), and C the cell after B:
//   f*_q(G) = f_eq,q(rho_G, u_G) + f*_q(B) - f_eq,q(rho_B, u_B),
//   rho_G = 2 rho_w - rho_B (rho_w held on the side, half-way between B and G),
//   u_G = 2 u_B - u_C (linear extrapolation).
// Each part is second order in space. Why not anti-bounce-back (Ginzburg et al. 2008; Kruger
// et al. 5.3.4), which this replaced: f_q = -f*_p + 2 f_eq,even keeps only the equilibrium's
// even part, and the even non-equilibrium (shear) part it left out made the last 2-3 columns
// of a sheared outflow deviate by up to 20 % of the local speed next to channel walls. Taking
// B along the link matters: B = x for the oblique links too puts the equilibrium's odd part a
// cell off across a shear, an error as large as the one removed. Where B is solid (an obstacle
// on the side) x stands in for it; where C is not fluid, u_G = u_B. In sheared Poiseuille
// outflow (test_lbm_open_boundaries) the last columns match the parabola as the interior does.
template <class L, class Real, class Src>
TWINSIM_HD inline Real outlet_link(const Domain<Real>& d, Index cell, const int* x, int q, int side,
                                   const Src& src, const unsigned char* solid) {
  const int normal = side / 2, inward = side % 2 == 0 ? 1 : -1;
  int to_b[3] = {0, 0, 0}, to_c[3] = {0, 0, 0}, xb[3] = {x[0], x[1], x[2]};
  TWINSIM_LBM_UNROLL
  for (int a = 0; a < L::k_dims; ++a) to_b[a] = a == normal ? 0 : -L::c(q, a);
  to_c[normal] = inward;
  Index b = offset_cell<L>(d, x, to_b);
  if (b < 0 || solid[b])
    b = cell;
  else
    cell_position(d, b, xb);
  Real rho_b, u_b[3], rho_c, u_c[3];
  post_collision_moments<L>(b, src, rho_b, u_b);
  Real u_g[3] = {u_b[0], u_b[1], u_b[2]};
  const Index c = offset_cell<L>(d, xb, to_c);
  if (c >= 0 && !solid[c]) {
    post_collision_moments<L>(c, src, rho_c, u_c);
    for (int a = 0; a < 3; ++a) u_g[a] = Real(2) * u_b[a] - u_c[a];
  }
  const Real rho_g = Real(2) * d.density[side] - rho_b;
  return src(q, b) + shifted_equilibrium<L>(q, rho_g, u_g) -
         shifted_equilibrium<L>(q, rho_b, u_b);
}

// The side's velocity profile factor at the mid-point of the link along -c_q from the cell at
// x (q = 0: the cell centre): 1 for a uniform side; for a parabolic one 4 s (L - s) / L^2 along
// each axis across the side that is bounded (not periodic): the parabola in 2D, their product
// across a rectangular 3D inlet (Schafer & Turek 3D-1Z); a periodic axis has no ends for the
// profile to vanish at.
template <class L, class Real>
TWINSIM_HD inline Real profile_scale(const Domain<Real>& d, const int* x, int q, int side) {
  Real scale = 1;
  if (!d.parabolic[side]) return scale;
  TWINSIM_LBM_UNROLL
  for (int b = 0; b < L::k_dims; ++b) {
    if (b == side / 2 || d.side[2 * b] == k_periodic) continue;
    const Real s = Real(x[b] + d.origin[b]) + Real(0.5) - Real(0.5) * Real(L::c(q, b));
    const Real len = Real(d.extent[b]);
    scale *= Real(4) * s * (len - s) / (len * len);
  }
  return scale;
}

// Absorbing layer (sponge) before a pressure outlet: over its last `sponge` cells (whole
// domain) the populations after collision relax towards the equilibrium of the mean flow,
//   f*_q -= sigma(x) [f_eq,q(rho, u) - f_eq,q(rho_w, u_0)],
// with rho, u the cell's own moments, rho_w the outlet's density and u_0 the side's velocity
// times its profile (the flow that leaves: the inlet's). Density and momentum relax at the same
// rate sigma, the viscous stress is left alone: the equilibrium-part absorbing layer of Xu &
// Sagaut (2013, J. Comput. Phys. 245, 14-42) after Israeli & Orszag (1981). Relaxing rho and
// rho u alike keeps a plane sound wave's impedance: a wave F(x - c_s t) entering the layer is
// damped as F exp(-int sigma dx / c_s) and not reflected (linear acoustics), so the outlet
// behind it sees only what is left. sigma rises as the square of the depth into the layer,
// sigma = sponge_peak (depth / sponge)^2, depth 1 .. sponge cells; sponge_peak = 6 / sponge
// (k_sponge_strength), so int sigma dx = 2 and a sound wave that crosses the layer, is
// reflected by the outlet and crosses back keeps exp(-4 / c_s) = 1e-3 of its amplitude.
constexpr double k_sponge_strength = 6.0;

template <class Real>
TWINSIM_HD inline Real sponge_rate(const Domain<Real>& d, const int* x, int side) {
  const int w = d.sponge[side];
  if (w == 0) return Real(0);
  const int a = side / 2, at = x[a] + d.origin[a];
  const int depth = side % 2 == 0 ? w - at : at - (d.extent[a] - 1 - w);
  if (depth <= 0) return Real(0);
  const Real t = Real(depth) / Real(w);
  return d.sponge_peak[side] * t * t;
}

// Whether the cell at x lies in an absorbing layer (the step's absorbing pass updates it).
template <class L, class Real>
TWINSIM_HD inline bool in_sponge(const Domain<Real>& d, const int* x) {
  bool in = false;
  TWINSIM_LBM_UNROLL
  for (int side = 0; side < 2 * L::k_dims; ++side) in = in || sponge_rate(d, x, side) > Real(0);
  return in;
}

// The absorbing layers' relaxation of the post-collision populations g of the cell at x. A
// pass of its own after the stream-collide kernels (solver_impl.hpp, absorb_layers), so that the
// cells of a layer keep the fast path: it reads back what they stored, bit for bit the values
// the collision gave where the stored type is the arithmetic's (FP16S rounds twice there).
template <class L, class Real>
TWINSIM_HD inline void absorb(const Domain<Real>& d, const int* x, Real* g) {
  TWINSIM_LBM_UNROLL
  for (int side = 0; side < 2 * L::k_dims; ++side) {
    const Real sigma = sponge_rate(d, x, side);
    if (sigma == Real(0)) continue;
    Real rho, u[3];
    const Real no_force[3] = {0, 0, 0};
    moments<L>(g, no_force, rho, u);
    const Real scale = profile_scale<L>(d, x, 0, side);
    const Real u0[3] = {scale * d.wall_velocity[side][0], scale * d.wall_velocity[side][1],
                        scale * d.wall_velocity[side][2]};
    TWINSIM_LBM_UNROLL
    for (int q = 0; q < L::k_q; ++q)
      g[q] -= sigma * (shifted_equilibrium<L>(q, rho, u) -
                       shifted_equilibrium<L>(q, d.density[side], u0));
  }
}

// Population q arriving at `cell` from beyond domain side `side` (not periodic). x: the cell's
// position.
//  - wall / velocity inlet: half-way bounce-back of the cell's own outgoing population plus
//    2 w rho_0 (c.u_w) / c_s^2 (Ladd), with u_w the wall's or the inflow velocity at the link's
//    mid-point. rho_0 = 1: for a lid the term sums to zero over each row, so mass is conserved.
//  - pressure outlet: outlet_link(), non-equilibrium extrapolation.
template <class L, class Real, class Src>
TWINSIM_HD inline Real side_link(const Domain<Real>& d, Index cell, const int* x, int q, int side,
                                 const Src& src, const unsigned char* solid) {
  if constexpr (!Src::k_own_links_only)
    if (d.side[side] == k_pressure_outlet) return outlet_link<L>(d, cell, x, q, side, src, solid);
  const Real out = src(L::opposite(q), cell);
  const Real w = Real(L::weight(q));
  const Real scale = d.side[side] == k_velocity_inlet ? profile_scale<L>(d, x, q, side) : Real(1);
  Real cu = 0;
  TWINSIM_LBM_UNROLL
  for (int a = 0; a < L::k_dims; ++a) cu += Real(L::c(q, a)) * d.wall_velocity[side][a];
  return out + Real(6) * w * scale * cu;
}

// Gathers the populations arriving at `cell` (shifted, g = f - w) from the post-collision
// populations in `src`. Where the upstream cell is solid, solid_link() reflects (half-way or
// interpolated bounce-back); where it lies beyond a side that is not periodic, side_link()
// applies the side's condition. Where the upstream position lies beyond two sides (a corner),
// the side of the later axis decides (y over x, z over y), so a lid covers its corners and the
// channel walls cover the corners of an inlet or outlet.
template <class L, class Real, class Src>
TWINSIM_HD inline void pull(const Domain<Real>& d, Index cell, const Src& src,
                            const unsigned char* solid, const WallFractionView<Real>& fraction,
                            Real* g) {
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
    if (wall < 0) {
      g[q] = solid[upstream] ? solid_link<L>(d, cell, x, q, src, solid, fraction)
                             : src(q, upstream);
      continue;
    }
    g[q] = side_link<L>(d, cell, x, q, wall, src, solid);
  }
}

// Kinds of cell for the stream-collide kernels, one byte per cell built once from the mask
// (cell_kind). A cell whose upstream neighbours are all fluid, with only periodic sides
// between it and them, takes its populations from fixed offsets (pull_interior): no neighbour
// mask bytes loaded, no boundary branch. Its kind is its wrap code, the sum over axes of 3^a
// times 0 (away from the axis' sides), 1 (at the low side) or 2 (at the high side): 0 for the
// interior, 1..26 for cells on periodic sides. Every other fluid cell (next to a side that is
// not periodic, or to a solid cell) is k_boundary and takes the general pull(). A ghost cell
// (a copy of a neighbouring rank's cell, Block.hpp) is read, never updated: k_ghost.
constexpr int k_wrap_codes = 27;
enum CellKind : unsigned char { k_interior = 0, k_ghost = 253, k_boundary = 254, k_solid = 255 };

template <class L, class Real>
TWINSIM_HD inline unsigned char cell_kind(const Domain<Real>& d, Index cell,
                                          const unsigned char* solid) {
  if (solid[cell]) return k_solid;
  int x[3], code = 0, scale = 1;
  cell_position(d, cell, x);
  TWINSIM_LBM_UNROLL
  for (int a = 0; a < L::k_dims; ++a, scale *= 3) {
    const bool low = x[a] == 0, high = x[a] == d.n[a] - 1;
    if (!low && !high) continue;
    if (d.side[2 * a] != k_periodic || d.n[a] < 2) return k_boundary;
    code += scale * (low ? 1 : 2);
  }
  TWINSIM_LBM_UNROLL
  for (int q = 1; q < L::k_q; ++q) {
    const int back[3] = {-L::c(q, 0), -L::c(q, 1), -L::c(q, 2)};
    if (solid[offset_cell<L>(d, x, back)]) return k_boundary;
  }
  return static_cast<unsigned char>(code);
}

// Where the post-collision populations of the last step lie: population q of cell y, f*_q(y),
// at the index at(q, y) of a [q][cell] array of Store. Two lattices: at q * n + y. In place
// (one lattice, the AA pattern: see Step below) the layout alternates with the step count:
// - own_opposite (after an even number of steps): at opposite(q) * n + y, the cell's own slot
//   of the opposite direction;
// - downstream (after an odd number): at q * n + z, z = y + c_q (across periodic sides) the
//   cell the population streams to, which is where the next step reads it; where z lies beyond
//   a side that is not periodic, the unused own_opposite slot, opposite(q) * n + y (the slot
//   of the population that would have come from there). A solid z holds it in its own slot.
// Populations is that view of an array: src(q, y) loads f*_q(y) as Real, put(q, y, g) stores it.
// Whether it is in place is a compile-time switch, which of the two in-place layouts a run-time
// one (a uniform branch: one kernel serves both kinds of in-place step, half the code to
// compile).
enum class Layout { two_lattice, own_opposite, downstream };

template <class L, class Real, class Store, bool k_in_place>
struct Populations {
  // In place only: the pull() of a cell reads no populations of other cells than its upstream
  // ones (check_streaming refuses pressure outlets and interpolated walls), so those branches
  // are left out of the in-place kernels.
  static constexpr bool k_own_links_only = k_in_place;
  Store* f;
  Index cells;
  int n[3];
  int periodic[3];  // per axis: its sides are periodic
  bool downstream;  // in place: the downstream layout (else own_opposite)

  TWINSIM_HD Index at(int q, Index y) const {
    if constexpr (!k_in_place) return q * cells + y;
    if (!downstream) return L::opposite(q) * cells + y;
    Index z = 0, stride = 1, rest = y;
    TWINSIM_LBM_UNROLL
    for (int a = 0; a < 3; ++a) {
      int s = int(rest % n[a]) + (a < L::k_dims ? L::c(q, a) : 0);
      rest /= n[a];
      if (s < 0 || s >= n[a]) {
        if (!periodic[a]) return L::opposite(q) * cells + y;
        s = s < 0 ? s + n[a] : s - n[a];
      }
      z += Index(s) * stride;
      stride *= n[a];
    }
    return q * cells + z;
  }
  TWINSIM_HD Real operator()(int q, Index y) const { return load<Real>(f[at(q, y)]); }
  TWINSIM_HD void put(int q, Index y, Real g) const { store(f[at(q, y)], g); }
};

// The view of f in `layout` (two_lattice for a two-lattice view, either other for in place).
template <class L, bool k_in_place, class Real, class Store>
inline Populations<L, Real, Store, k_in_place> populations(const Domain<Real>& d, Store* f,
                                                           Layout layout) {
  Populations<L, Real, Store, k_in_place> p{f, cell_count(d), {}, {}, layout == Layout::downstream};
  for (int a = 0; a < 3; ++a) {
    p.n[a] = d.n[a];
    p.periodic[a] = d.side[2 * a] == k_periodic ? 1 : 0;
  }
  return p;
}

// Kinds of step. two_lattice: pull every population from the upstream cells of `src`, collide,
// store at the cell's own index in `dst`. in_place: the AA pattern (Bailey et al. 2009) on one
// lattice, the step's parity (`odd`, a run-time argument) alternating:
// - even (from own_opposite to downstream): cell x reads f*_q(x - c_q) at
//   opposite(q) * n + (x - c_q) and writes its f*_q(x) at q * n + (x + c_q): the same slots
//   (x + c_p = x - c_q for p = opposite(q)), which no other cell touches;
// - odd (from downstream to own_opposite): cell x reads its own slots q * n + x and writes its
//   own slots opposite(q) * n + x.
// Each population is read once and written once per step, as with two lattices, and each cell
// gets the same values from the same arithmetic: the fields equal the two-lattice scheme's bit
// for bit. Boundaries are applied where the populations are read, as with two lattices:
// half-way bounce-back and moving walls and inlets (Ladd) read only the cell's own outgoing
// population, whose slot no other cell touches in either step. What reads another cell's
// populations besides its upstream ones cannot run in place (another cell may overwrite them in
// the same step): interpolated walls (the next cell's), pressure outlets (the moments of cells
// along the side, so also their absorbing layers), and MPI ghost layers (the halo exchange
// writes populations a two-lattice step has not yet read): make_solver refuses them.
enum class Step { two_lattice, in_place };

// The stored types in-place streaming is built for: FP32 and FP16S, not FP64 (check_streaming
// refuses it: FP32 with two lattices takes the same memory, and its kernels cost compile time).
template <class Store>
constexpr bool k_in_place_storage = !std::is_same_v<Store, double>;

inline Layout layout_read(Step s, bool odd) {
  return s == Step::two_lattice ? Layout::two_lattice
         : odd                  ? Layout::downstream
                                : Layout::own_opposite;
}
inline Layout layout_written(Step s, bool odd) {
  return s == Step::two_lattice ? Layout::two_lattice
         : odd                  ? Layout::own_opposite
                                : Layout::downstream;
}

// The lattices of a step as one pointer per population (population q of cell i at
// src[q][i]; in place src and dst are the same lattice), and the upstream offsets of the cells
// pulled from fixed offsets: cell i of wrap code k pulls population q from i + shift[k][q],
// shift[k][q] = -(c_q . strides) plus n_a strides along each axis a across a periodic side
// (so shift[k][opposite(q)] leads to its downstream cell). 32-bit cell indices (fewer than
// 2^31 cells); the per-population pointers keep Q * cells beyond 32 bits.
template <class L, class Store>
struct Streams {
  const Store* src[L::k_q];
  Store* dst[L::k_q];
  std::int32_t shift[k_wrap_codes][L::k_q];
};

template <class L, class Real, class Store>
inline Streams<L, Store> streams(const Domain<Real>& d, const Store* src, Store* dst) {
  const Index n = cell_count(d);
  const Index stride[3] = {1, Index(d.n[0]), Index(d.n[0]) * d.n[1]};
  Streams<L, Store> s{};
  for (int q = 0; q < L::k_q; ++q) {
    s.src[q] = src + q * n;
    s.dst[q] = dst + q * n;
    for (int code = 0; code < k_wrap_codes; ++code) {
      Index shift = 0;
      for (int a = 0, e = code; a < L::k_dims; ++a, e /= 3) {
        shift -= Index(L::c(q, a)) * stride[a];
        if (e % 3 == 1 && L::c(q, a) == 1) shift += Index(d.n[a]) * stride[a];
        if (e % 3 == 2 && L::c(q, a) == -1) shift -= Index(d.n[a]) * stride[a];
      }
      s.shift[code][q] = std::int32_t(shift);
    }
  }
  return s;
}

// f(q) for every population q of L, as Q statements (a fold expression), not a loop: the
// pull and store below are unrolled before any optimisation pass, so that the CPU's loop over
// cells around them vectorises across cells (with `#pragma GCC unroll` GCC vectorised the
// loop over q first, a gather of 8 pointers, and left the cell loop scalar).
template <int... k_q, class F>
TWINSIM_HD inline void unrolled(std::integer_sequence<int, k_q...>, const F& f) {
  (f(k_q), ...);
}
template <class L, class F>
TWINSIM_HD inline void for_each_population(const F& f) {
  unrolled(std::make_integer_sequence<int, L::k_q>{}, f);
}

// pull() for a cell of wrap code `code` (cell_kind below k_boundary): every population from
// its upstream neighbour, the same values pull() gathers there, for a step of kind k_step (in
// place: `odd`, the step's parity).
template <class L, Step k_step, class Real, class Store>
TWINSIM_HD inline void pull_interior(const Streams<L, Store>& s, std::int32_t cell, int code,
                                     bool odd, Real* g) {
  if constexpr (k_step == Step::two_lattice)
    for_each_population<L>(
        [&](int q) { g[q] = load<Real>(s.src[q][cell + s.shift[code][q]]); });
  else if (odd)
    for_each_population<L>([&](int q) { g[q] = load<Real>(s.src[q][cell]); });
  else
    for_each_population<L>([&](int q) {
      g[q] = load<Real>(s.src[L::opposite(q)][cell + s.shift[code][q]]);
    });
}

// Stores the post-collision populations g of a cell of wrap code `code` after pull_interior().
template <class L, Step k_step, class Real, class Store>
TWINSIM_HD inline void store_interior(const Streams<L, Store>& s, std::int32_t cell, int code,
                                      bool odd, const Real* g) {
  if constexpr (k_step == Step::two_lattice)
    for_each_population<L>([&](int q) { store(s.dst[q][cell], g[q]); });
  else if (odd)
    for_each_population<L>([&](int q) { store(s.dst[L::opposite(q)][cell], g[q]); });
  else
    for_each_population<L>(
        [&](int q) { store(s.dst[q][cell + s.shift[code][L::opposite(q)]], g[q]); });
}

// The fast path: pull, collide and store one cell of wrap code `code` (cell_kind below
// k_boundary).
template <class L, Step k_step, Subgrid k_subgrid, Force k_force, class Real, class Store>
TWINSIM_HD inline void update_interior(const Streams<L, Store>& s, const Relaxation<Real>& r,
                                       std::int32_t cell, int code, bool odd) {
  Real g[L::k_q];
  pull_interior<L, k_step>(s, cell, code, odd, g);
  collide<L, k_subgrid, k_force>(g, r);
  store_interior<L, k_step>(s, cell, code, odd, g);
}

// Momentum the fluid gives a solid obstacle across the links of fluid cell `cell` whose
// upstream neighbour is solid, in the coming streaming step (Ladd's momentum exchange with the
// reflected population of solid_link(), Mei et al. 2002 for interpolated walls): for each such
// link q, population p = opposite(q) leaves towards the wall and f_q comes back, so the solid
// receives c_p (f*_p + f_q). Full populations f = g + w, so the rest state's pressure counts.
// Adds to force[0..2] (lattice units: force per unit depth in 2D).
template <class L, class Real, class Src>
TWINSIM_HD inline void link_force(const Domain<Real>& d, Index cell, int q, const Src& src,
                                  const unsigned char* solid,
                                  const WallFractionView<Real>& fraction, double* force) {
  int x[3];
  cell_position(d, cell, x);
  const int p = L::opposite(q);
  const double w = L::weight(q);
  const double back = double(solid_link<L>(d, cell, x, q, src, solid, fraction)) + w;
  const double out = double(src(p, cell)) + w;
  for (int a = 0; a < L::k_dims; ++a) force[a] += double(L::c(p, a)) * (out + back);
}

// The fluid neighbour of the cell at x along axis a at offset o (+1 / -1), wrapped across
// periodic sides; -1 beyond another side or where the neighbour is solid.
template <class Real>
TWINSIM_HD inline Index axis_neighbour(const Domain<Real>& d, const int* x, int a, int o,
                                       const unsigned char* solid) {
  int p[3] = {x[0], x[1], x[2]};
  p[a] += o;
  if (p[a] < 0 || p[a] >= d.n[a]) {
    if (d.side[2 * a + (o < 0 ? 0 : 1)] != k_periodic) return -1;
    p[a] = p[a] < 0 ? p[a] + d.n[a] : p[a] - d.n[a];
  }
  const Index i = p[0] + Index(d.n[0]) * (p[1] + Index(d.n[1]) * p[2]);
  return solid[i] ? -1 : i;
}

// Derivative along axis a (per cell) of the cell field f at fluid cell `cell` (position x):
// central between the two neighbours, one-sided where one of them is beyond a wall or solid,
// 0 where both are. Along z of a 2D lattice (one cell, periodic) both neighbours are the cell
// itself: 0.
template <class Real>
TWINSIM_HD inline Real cell_derivative(const Domain<Real>& d, Index cell, const int* x,
                                       const Real* f, int a, const unsigned char* solid) {
  const Index hi = axis_neighbour(d, x, a, 1, solid), lo = axis_neighbour(d, x, a, -1, solid);
  if (hi >= 0 && lo >= 0) return Real(0.5) * (f[hi] - f[lo]);
  if (hi >= 0) return f[hi] - f[cell];
  if (lo >= 0) return f[cell] - f[lo];
  return Real(0);
}

// Vorticity curl u (lattice units, 1 / time step) at a fluid cell into w[0..2], from the cell
// velocity fields by cell_derivative(). One source for both lattices: on a 2D lattice the
// z derivatives and uz vanish, so w = (0, 0, dv/dx - du/dy).
template <class Real>
TWINSIM_HD inline void vorticity(const Domain<Real>& d, Index cell, const Real* ux,
                                 const Real* uy, const Real* uz, const unsigned char* solid,
                                 Real* w) {
  int x[3];
  cell_position(d, cell, x);
  const auto derivative = [&](const Real* f, int a) {
    return cell_derivative(d, cell, x, f, a, solid);
  };
  w[0] = derivative(uz, 1) - derivative(uy, 2);
  w[1] = derivative(ux, 2) - derivative(uz, 0);
  w[2] = derivative(uy, 0) - derivative(ux, 1);
}

}  // namespace twinsim::lbm
