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

// The wall fractions of lattice L for the links from fluid cells to obstacle cells inside the
// domain (links across the domain's sides are half-way), stored for the boundary cells only
// (WallFractions). Built in parallel, in three passes over rows of cells along x: which rows hold
// a solid cell (a byte scan), then in the rows next to one (the others have no boundary cell) the
// boundary cells counted and, after a scan of the counts, listed with their fractions.
template <class L>
WallFractions wall_fractions(const std::array<int, 3>& n, const std::vector<std::uint8_t>& solid,
                             const std::vector<Obstacle>& obstacles) {
  const std::int64_t rows = std::int64_t(n[1]) * n[2];
  std::vector<std::uint8_t> row_solid(rows, 0);
#pragma omp parallel for
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto row = solid.begin() + r * n[0];
    row_solid[r] = std::any_of(row, row + n[0], [](std::uint8_t s) { return s != 0; }) ? 1 : 0;
  }
  // The obstacle number upstream of cell (i, j, k) along -c_q, 0 for fluid or beyond a side.
  const auto upstream = [&](int i, int j, int k, int q) -> std::uint8_t {
    const int up[3] = {i - L::c(q, 0), j - L::c(q, 1), k - L::c(q, 2)};
    for (int a = 0; a < 3; ++a)
      if (up[a] < 0 || up[a] >= n[a]) return 0;
    return solid[(std::size_t(up[2]) * n[1] + up[1]) * n[0] + up[0]];
  };
  const auto boundary = [&](int i, int j, int k) {
    if (solid[(std::size_t(k) * n[1] + j) * n[0] + i]) return false;
    for (int q = 1; q < L::k_q; ++q)
      if (upstream(i, j, k, q)) return true;
    return false;
  };
  const auto near_solid = [&](int j, int k) {
    for (int q = 1; q < L::k_q; ++q) {
      const int y = j - L::c(q, 1), z = k - L::c(q, 2);
      if (y >= 0 && y < n[1] && z >= 0 && z < n[2] && row_solid[std::int64_t(z) * n[1] + y])
        return true;
    }
    return false;
  };
  std::vector<std::uint32_t> first(rows + 1, 0);  // boundary cells per row, then their offsets
#pragma omp parallel for schedule(dynamic, 64)
  for (std::int64_t r = 0; r < rows; ++r) {
    const int j = int(r % n[1]), k = int(r / n[1]);
    if (!near_solid(j, k)) continue;
    for (int i = 0; i < n[0]; ++i) first[r + 1] += boundary(i, j, k) ? 1 : 0;
  }
  for (std::int64_t r = 0; r < rows; ++r) first[r + 1] += first[r];
  WallFractions w;
  w.cell.resize(first[rows]);
  w.fraction.assign(std::size_t(first[rows]) * L::k_q, 0.5);
#pragma omp parallel for schedule(dynamic, 64)
  for (std::int64_t r = 0; r < rows; ++r) {
    const int j = int(r % n[1]), k = int(r / n[1]);
    std::uint32_t at = first[r];
    for (int i = 0; i < n[0] && at < first[r + 1]; ++i) {
      if (!boundary(i, j, k)) continue;
      w.cell[at] = std::uint32_t(r * n[0] + i);
      for (int q = 1; q < L::k_q; ++q) {
        const std::uint8_t s = upstream(i, j, k, q);
        if (!s) continue;
        const double p[3] = {i + 0.5, j + 0.5, k + 0.5};
        const double d[3] = {-double(L::c(q, 0)), -double(L::c(q, 1)), -double(L::c(q, 2))};
        w.fraction[std::size_t(at) * L::k_q + q] = entry_fraction(obstacles[s - 1], p, d);
      }
      ++at;
    }
  }
  return w;
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
    const std::int64_t rows = std::int64_t(n[1]) * n[2];
#pragma omp parallel for
    for (std::int64_t r = 0; r < rows; ++r) {
      const int j = int(r % n[1]), k = int(r / n[1]);
      for (int i = 0; i < n[0]; ++i) {
        const double p[3] = {i + 0.5, j + 0.5, k + 0.5};
        if (inside(obstacles[o], p)) m.solid[std::size_t(r) * n[0] + i] = std::uint8_t(o + 1);
      }
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
