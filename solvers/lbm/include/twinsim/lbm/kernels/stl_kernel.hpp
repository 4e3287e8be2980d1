#pragma once
// Voxelisation of a closed triangle mesh by ray parity along x (as FluidX3D does): one ray per
// (y, z) column of cell centres; a cell is inside when an odd number of the mesh's triangles
// cross its ray before its centre. Host and device: the backend runs one column per index.
//
// Triangles are 9 doubles each (three vertices x, y, z), in lattice units (cell (i, j, k) is
// centred at (i + 1/2, j + 1/2, k + 1/2)). A ray through an edge or vertex that two triangles
// share counts exactly once where the surface passes through it and zero or two times where it
// only touches it (a silhouette): the edge functions are computed from each edge's vertices in
// one fixed order, so the two triangles get bitwise opposite values, and a point on an edge
// belongs to the triangle on one fixed side of it (a half-open rule, as rasterisers use).
#include <cstdint>

#include "twinsim/core/HostDevice.hpp"

namespace twinsim::lbm {

// (b - a) x (p - a) in the (y, z) plane, from the edge's vertices in lexicographic order.
TWINSIM_HD inline double edge_side(const double* a, const double* b, double py, double pz) {
  const bool swap = a[1] > b[1] || (a[1] == b[1] && a[2] > b[2]);
  const double* u = swap ? b : a;
  const double* v = swap ? a : b;
  const double e = (v[1] - u[1]) * (pz - u[2]) - (v[2] - u[2]) * (py - u[1]);
  return swap ? -e : e;
}

// Whether p, on the left of or on the edge a -> b of a counter-clockwise triangle (in y, z),
// belongs to it: on the edge only when the edge points into one fixed half-open half-plane.
TWINSIM_HD inline bool on_inner_side(const double* a, const double* b, double py, double pz) {
  const double e = edge_side(a, b, py, pz);
  if (e != 0) return e > 0;
  const double dy = b[1] - a[1], dz = b[2] - a[2];
  return dy < 0 || (dy == 0 && dz > 0);
}

// Where the ray (y, z) = (py, pz) along x crosses triangle t (9 doubles): true and its x, or
// false when it misses or the triangle is parallel to x.
TWINSIM_HD inline bool ray_crossing(const double* t, double py, double pz, double& x) {
  const double* a = t;
  const double* b = t + 3;
  const double* c = t + 6;
  // Twice the signed area of the triangle's shadow on the (y, z) plane; 0: parallel to x.
  const double area = (b[1] - a[1]) * (c[2] - a[2]) - (b[2] - a[2]) * (c[1] - a[1]);
  if (area == 0) return false;
  if (area < 0) {  // clockwise in (y, z): walk the edges the other way round
    const double* s = b;
    b = c;
    c = s;
  }
  if (!on_inner_side(a, b, py, pz) || !on_inner_side(b, c, py, pz) ||
      !on_inner_side(c, a, py, pz))
    return false;
  // The plane n . (p - a) = 0 with n = (b - a) x (c - a), solved for x (n_x = +-area != 0).
  const double n[3] = {(b[1] - a[1]) * (c[2] - a[2]) - (b[2] - a[2]) * (c[1] - a[1]),
                       (b[2] - a[2]) * (c[0] - a[0]) - (b[0] - a[0]) * (c[2] - a[2]),
                       (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])};
  x = a[0] - (n[1] * (py - a[1]) + n[2] * (pz - a[2])) / n[0];
  return true;
}

// Fills one column of nx cells (y = j + 1/2, z = k + 1/2) with 1 inside the mesh, 0 outside:
// every crossing at x flips the cells whose centres lie beyond it.
TWINSIM_HD inline void voxelize_column(const double* triangles, core::Index count, int nx,
                                       double py, double pz, std::uint8_t* column) {
  for (int i = 0; i < nx; ++i) column[i] = 0;
  for (core::Index t = 0; t < count; ++t) {
    double x;
    if (!ray_crossing(triangles + 9 * t, py, pz, x)) continue;
    // Cells with i + 1/2 > x, i.e. i > x - 1/2.
    const double first = x - 0.5;
    const int i0 = first < 0 ? 0 : first >= nx ? nx : int(first) + 1;
    for (int i = i0; i < nx; ++i) column[i] ^= 1;
  }
}

}  // namespace twinsim::lbm
