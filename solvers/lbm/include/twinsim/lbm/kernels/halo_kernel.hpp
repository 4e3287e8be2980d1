#pragma once
// The halo of a lattice split across ranks (Block.hpp), host and device: the box of cells one
// message carries (a face, edge or corner of a block, or of its ghost layers), the populations
// that cross towards a neighbour, and the packing of them into a contiguous buffer and back.
#include <cstdint>

#include "twinsim/core/HostDevice.hpp"
#include "twinsim/lbm/kernels/lattice_kernel.hpp"

namespace twinsim::lbm {

using core::Index;

// A box of cells of a lattice of n[0] x n[1] x n[2] cells (x fastest): lo[a] .. lo[a] + size[a].
struct Region {
  int n[3];
  int lo[3];
  int size[3];
};

TWINSIM_HD inline Index region_cells(const Region& r) {
  return Index(r.size[0]) * r.size[1] * r.size[2];
}

// Cell j (0 <= j < region_cells) of the region, in ascending cell order.
TWINSIM_HD inline Index region_cell(const Region& r, Index j) {
  const int x = r.lo[0] + int(j % r.size[0]), y = r.lo[1] + int(j / r.size[0] % r.size[1]),
            z = r.lo[2] + int(j / (Index(r.size[0]) * r.size[1]));
  return x + Index(r.n[0]) * (y + Index(r.n[1]) * z);
}

// Whether cell x of the box `owned` (a block in its lattice, ghost layers around it where the
// lattice extends beyond it) lies next to a ghost layer: its pull may read ghost cells, so it is
// updated after the halo has arrived (the rim). Cells further in read owned cells only.
TWINSIM_HD inline bool on_rim(const Region& owned, const int* x) {
  bool rim = false;
  for (int a = 0; a < 3; ++a) {
    const int lo = owned.lo[a], hi = owned.lo[a] + owned.size[a];
    rim = rim || (x[a] == lo && lo > 0) || (x[a] == hi - 1 && hi < owned.n[a]);
  }
  return rim;
}

// Added to the wrap code (below 27) of a fast-path cell on the rim (cell_kind): the interior
// loop, which takes kind 0 only, leaves it to the rim list; the code is kind & (k_rim - 1).
constexpr unsigned char k_rim = 64;

// The fields a halo carries: field k is the array at base + offset[k] (cells of the lattice).
struct HaloFields {
  int count;
  Index offset[19];
};

// The populations of lattice L that stream from a block into its neighbour at offset o (each
// -1, 0, 1): c_q . e_a == o_a along every axis a where o_a != 0 (a face: 5 of D3Q19, 3 of D2Q9;
// an edge: 1; a corner: none of D3Q19, 1 of D2Q9's corners in the plane). All Q when `all` (a
// pressure outlet beside the face reads whole cells). offset = q * cells.
template <class L>
inline HaloFields crossing_populations(const int* o, bool all, Index cells) {
  HaloFields h{};
  for (int q = 0; q < L::k_q; ++q) {
    bool crosses = true;
    for (int a = 0; a < 3; ++a) crosses = crosses && (o[a] == 0 || L::c(q, a) == o[a]);
    if (all || crosses) h.offset[h.count++] = q * cells;
  }
  return h;
}

// buffer[k * region_cells + j] = field k at cell j of the region, and back.
template <class Real>
TWINSIM_HD inline void pack_halo(const Region& r, const HaloFields& f, const Real* base,
                                 Real* buffer, Index i) {
  const Index per = region_cells(r);
  buffer[i] = base[f.offset[i / per] + region_cell(r, i % per)];
}
template <class Real>
TWINSIM_HD inline void unpack_halo(const Region& r, const HaloFields& f, Real* base,
                                   const Real* buffer, Index i) {
  const Index per = region_cells(r);
  base[f.offset[i / per] + region_cell(r, i % per)] = buffer[i];
}

}  // namespace twinsim::lbm
