#include "twinsim/lbm/Geometry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "twinsim/core/Error.hpp"
#include "twinsim/lbm/kernels/lattice_kernel.hpp"

namespace twinsim::lbm {

namespace {

// Axes a shape spans: 2D shapes are extruded along z.
int shape_axes(const Obstacle& o) {
  return o.shape == Obstacle::Shape::circle || o.shape == Obstacle::Shape::rectangle ? 2 : 3;
}
bool is_round(const Obstacle& o) {
  return o.shape == Obstacle::Shape::circle || o.shape == Obstacle::Shape::sphere;
}

bool inside(const Obstacle& o, const double* p) {
  double r2 = 0;
  bool in = true;
  for (int a = 0; a < shape_axes(o); ++a) {
    const double d = p[a] - o.center[a];
    r2 += d * d;
    in = in && std::abs(d) <= 0.5 * o.size[a];
  }
  return is_round(o) ? r2 <= o.radius * o.radius : in;
}

// Fraction t in (0, 1] along the segment from p (outside) to p + d (inside) where it enters the
// shape; 0.5 if none is found (cannot happen for a consistent mask).
double entry_fraction(const Obstacle& o, const double* p, const double* d) {
  double t = 0.5;
  const int axes = shape_axes(o);
  if (o.shape == Obstacle::Shape::mesh) {
    const double hit = o.mesh->entry(p, d);
    if (hit > 0) t = hit;
  } else if (is_round(o)) {
    // |p + t d - c|^2 = r^2 (over the shape's axes): the smaller root.
    double a = 0, b = 0, c = -o.radius * o.radius;
    for (int k = 0; k < axes; ++k) {
      const double e = p[k] - o.center[k];
      a += d[k] * d[k];
      b += 2 * e * d[k];
      c += e * e;
    }
    const double disc = b * b - 4 * a * c;
    if (a > 0 && disc >= 0) t = (-b - std::sqrt(disc)) / (2 * a);
  } else {
    // Slabs: the segment is inside where it is inside along every axis.
    double enter = -std::numeric_limits<double>::infinity();
    for (int k = 0; k < axes; ++k) {
      if (d[k] == 0) continue;
      const double lo = o.center[k] - 0.5 * o.size[k], hi = o.center[k] + 0.5 * o.size[k];
      const double t1 = (lo - p[k]) / d[k], t2 = (hi - p[k]) / d[k];
      enter = std::max(enter, std::min(t1, t2));
    }
    if (std::isfinite(enter)) t = enter;
  }
  if (!(t > 0 && t <= 1)) t = std::clamp(t, 1e-6, 1.0);
  return t;
}

// Wall fractions [q][cell] of lattice L for the links from fluid cells to obstacle cells inside
// the domain (links across the domain's sides keep 0.5: half-way).
template <class L>
std::vector<double> wall_fractions(const std::array<int, 3>& n,
                                   const std::vector<std::uint8_t>& solid,
                                   const std::vector<Obstacle>& obstacles) {
  const std::size_t cells = solid.size();
  std::vector<double> fraction(L::k_q * cells, 0.5);
  std::size_t cell = 0;
  for (int k = 0; k < n[2]; ++k)
    for (int j = 0; j < n[1]; ++j)
      for (int i = 0; i < n[0]; ++i, ++cell) {
        if (solid[cell]) continue;
        const int x[3] = {i, j, k};
        for (int q = 1; q < L::k_q; ++q) {
          int up[3];
          bool in_domain = true;
          for (int a = 0; a < 3; ++a) {
            up[a] = x[a] - L::c(q, a);
            in_domain = in_domain && up[a] >= 0 && up[a] < n[a];
          }
          if (!in_domain) continue;
          const std::uint8_t s = solid[(std::size_t(up[2]) * n[1] + up[1]) * n[0] + up[0]];
          if (!s) continue;
          const double p[3] = {i + 0.5, j + 0.5, k + 0.5};
          const double d[3] = {-double(L::c(q, 0)), -double(L::c(q, 1)), -double(L::c(q, 2))};
          fraction[q * cells + cell] = entry_fraction(obstacles[s - 1], p, d);
        }
      }
  return fraction;
}

}  // namespace

ObstacleMask rasterize(Lattice lattice, const std::array<int, 3>& n,
                       const std::vector<Obstacle>& obstacles, core::Backend backend) {
  if (obstacles.size() > 255)
    throw core::Error(fmt::format("{} obstacles: at most 255 are supported", obstacles.size()));
  ObstacleMask m;
  m.solid.assign(std::size_t(n[0]) * n[1] * n[2], 0);
  m.solid_cells.assign(obstacles.size(), 0);
  for (std::size_t o = 0; o < obstacles.size(); ++o) {
    if (obstacles[o].shape == Obstacle::Shape::mesh) {
      const std::vector<std::uint8_t> in = voxelize(backend, obstacles[o].mesh->mesh(), n);
      for (std::size_t cell = 0; cell < in.size(); ++cell)
        if (in[cell]) m.solid[cell] = std::uint8_t(o + 1);
      continue;
    }
    std::size_t cell = 0;
    for (int k = 0; k < n[2]; ++k)
      for (int j = 0; j < n[1]; ++j)
        for (int i = 0; i < n[0]; ++i, ++cell) {
          const double p[3] = {i + 0.5, j + 0.5, k + 0.5};
          if (inside(obstacles[o], p)) m.solid[cell] = std::uint8_t(o + 1);
        }
  }
  for (std::uint8_t s : m.solid)
    if (s) ++m.solid_cells[s - 1];
  for (std::size_t k = 0; k < obstacles.size(); ++k) {
    if (m.solid_cells[k] == 0 && obstacles[k].shape == Obstacle::Shape::mesh) {
      const auto box = bounds(obstacles[k].mesh->mesh());
      throw core::Error(fmt::format(
          "obstacle {} (a mesh spanning x {:.4g}-{:.4g}, y {:.4g}-{:.4g}, z {:.4g}-{:.4g} cells; "
          "the domain is {} x {} x {}) covers no cell centre: it is smaller than the resolution "
          "or outside the domain; check its scale and translation",
          k + 1, box[0][0], box[1][0], box[0][1], box[1][1], box[0][2], box[1][2], n[0], n[1],
          n[2]));
    }
    if (m.solid_cells[k] == 0)
      throw core::Error(fmt::format(
          "obstacle {} (centre {:.3g}, {:.3g}, {:.3g} cells) covers no cell centre: it is smaller "
          "than the resolution or outside the domain; raise the cells or enlarge it",
          k + 1, obstacles[k].center[0], obstacles[k].center[1], obstacles[k].center[2]));
  }
  m.wall_fraction = lattice == Lattice::d3q19 ? wall_fractions<D3Q19>(n, m.solid, obstacles)
                                              : wall_fractions<D2Q9>(n, m.solid, obstacles);
  return m;
}

}  // namespace twinsim::lbm
