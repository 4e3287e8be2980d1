#pragma once
// Layers of a lattice split across ranks (Block.hpp), host and device: the cells of one layer
// (a plane across the split axis) in cell order, the packing of some fields of a layer into a
// contiguous halo buffer and back, and a layer's sum in cell order.
#include <cstdint>

#include "twinsim/core/HostDevice.hpp"
#include "twinsim/lbm/kernels/lattice_kernel.hpp"

namespace twinsim::lbm {

using core::Index;

// The layers across `axis` of a lattice of n[0] x n[1] x n[2] cells (x fastest).
struct Layers {
  int n[3];
  int axis;
};

TWINSIM_HD inline Index layer_cells(const Layers& l) {
  return Index(l.n[0]) * l.n[1] * l.n[2] / l.n[l.axis];
}

// Cell j (0 <= j < layer_cells) of layer `layer`, in ascending cell order.
TWINSIM_HD inline Index layer_cell(const Layers& l, int layer, Index j) {
  const int a = l.axis, u = a == 0 ? 1 : 0, v = a == 2 ? 1 : 2;  // the other axes, u before v
  int x[3];
  x[a] = layer;
  x[u] = int(j % l.n[u]);
  x[v] = int(j / l.n[u]);
  return x[0] + Index(l.n[0]) * (x[1] + Index(l.n[1]) * x[2]);
}

// The fields a halo carries: field k is the array at base + offset[k] (cells of the lattice).
struct HaloFields {
  int count;
  Index offset[19];
};

// The populations of lattice L that cross a layer towards `direction` (+1 up the axis, -1 down):
// c_q . e_axis == direction. All Q when `all` (a pressure outlet along the split reads whole
// cells). offset = q * cells.
template <class L>
inline HaloFields crossing_populations(int axis, int direction, bool all, Index cells) {
  HaloFields h{};
  for (int q = 0; q < L::k_q; ++q)
    if (all || L::c(q, axis) == direction) h.offset[h.count++] = q * cells;
  return h;
}

// buffer[k * layer_cells + j] = field k at cell j of `layer`, and back.
template <class Real>
TWINSIM_HD inline void pack_halo(const Layers& l, int layer, const HaloFields& f, const Real* base,
                                 Real* buffer, Index i) {
  const Index per = layer_cells(l);
  buffer[i] = base[f.offset[i / per] + layer_cell(l, layer, i % per)];
}
template <class Real>
TWINSIM_HD inline void unpack_halo(const Layers& l, int layer, const HaloFields& f, Real* base,
                                   const Real* buffer, Index i) {
  const Index per = layer_cells(l);
  base[f.offset[i / per] + layer_cell(l, layer, i % per)] = buffer[i];
}

// Sums of `Value` over the cells of one layer, one after the other in cell order: out[0..k)
// (Value: `static constexpr int k`, `void operator()(Index cell, double* sums) const` adding the
// cell's values).
template <class Value>
TWINSIM_HD inline void layer_sum(const Layers& l, int layer, const Value& value, double* out) {
  double s[Value::k];
  for (int k = 0; k < Value::k; ++k) s[k] = 0;
  const Index per = layer_cells(l);
  for (Index j = 0; j < per; ++j) value(layer_cell(l, layer, j), s);
  for (int k = 0; k < Value::k; ++k) out[k] = s[k];
}

}  // namespace twinsim::lbm
