#include "twinsim/lbm/Geometry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "twinsim/core/Error.hpp"
#include "twinsim/lbm/kernels/lattice_kernel.hpp"

namespace twinsim::lbm {

namespace {

bool inside(const Obstacle& o, double x, double y) {
  const double dx = x - o.center[0], dy = y - o.center[1];
  if (o.shape == Obstacle::Shape::circle) return dx * dx + dy * dy <= o.radius * o.radius;
  return std::abs(dx) <= 0.5 * o.size[0] && std::abs(dy) <= 0.5 * o.size[1];
}

// Fraction t in (0, 1] along the segment from p (outside) to p + d (inside) where it enters the
// shape; 0.5 if none is found (cannot happen for a consistent mask).
double entry_fraction(const Obstacle& o, double px, double py, double dx, double dy) {
  double t = 0.5;
  if (o.shape == Obstacle::Shape::circle) {
    // |p + t d - c|^2 = r^2: the smaller root.
    const double ex = px - o.center[0], ey = py - o.center[1];
    const double a = dx * dx + dy * dy, b = 2 * (ex * dx + ey * dy),
                 c = ex * ex + ey * ey - o.radius * o.radius;
    const double disc = b * b - 4 * a * c;
    if (disc >= 0) t = (-b - std::sqrt(disc)) / (2 * a);
  } else {
    // Slabs: the segment is inside where it is inside along both axes.
    double enter = -std::numeric_limits<double>::infinity();
    const double p[2] = {px, py}, d[2] = {dx, dy};
    for (int a = 0; a < 2; ++a) {
      if (d[a] == 0) continue;
      const double lo = o.center[a] - 0.5 * o.size[a], hi = o.center[a] + 0.5 * o.size[a];
      const double t1 = (lo - p[a]) / d[a], t2 = (hi - p[a]) / d[a];
      enter = std::max(enter, std::min(t1, t2));
    }
    if (std::isfinite(enter)) t = enter;
  }
  if (!(t > 0 && t <= 1)) t = std::clamp(t, 1e-6, 1.0);
  return t;
}

}  // namespace

ObstacleMask rasterize(int nx, int ny, const std::vector<Obstacle>& obstacles) {
  if (obstacles.size() > 255)
    throw core::Error(fmt::format("{} obstacles: at most 255 are supported", obstacles.size()));
  const std::size_t n = std::size_t(nx) * ny;
  ObstacleMask m;
  m.solid.assign(n, 0);
  m.solid_cells.assign(obstacles.size(), 0);
  for (std::size_t k = 0; k < obstacles.size(); ++k)
    for (int j = 0; j < ny; ++j)
      for (int i = 0; i < nx; ++i)
        if (inside(obstacles[k], i + 0.5, j + 0.5))
          m.solid[std::size_t(j) * nx + i] = std::uint8_t(k + 1);
  for (std::uint8_t s : m.solid)
    if (s) ++m.solid_cells[s - 1];
  for (std::size_t k = 0; k < obstacles.size(); ++k)
    if (m.solid_cells[k] == 0)
      throw core::Error(fmt::format(
          "obstacle {} (centre {:.3g}, {:.3g} cells) covers no cell centre: it is smaller than "
          "the resolution or outside the domain; raise the cells or enlarge it",
          k + 1, obstacles[k].center[0], obstacles[k].center[1]));
  m.wall_fraction.assign(D2Q9::k_q * n, 0.5);
  for (int j = 0; j < ny; ++j)
    for (int i = 0; i < nx; ++i) {
      const std::size_t cell = std::size_t(j) * nx + i;
      if (m.solid[cell]) continue;
      for (int q = 1; q < D2Q9::k_q; ++q) {
        const int ui = i - D2Q9::c(q, 0), uj = j - D2Q9::c(q, 1);
        if (ui < 0 || ui >= nx || uj < 0 || uj >= ny) continue;
        const std::uint8_t k = m.solid[std::size_t(uj) * nx + ui];
        if (!k) continue;
        m.wall_fraction[q * n + cell] =
            entry_fraction(obstacles[k - 1], i + 0.5, j + 0.5, -D2Q9::c(q, 0), -D2Q9::c(q, 1));
      }
    }
  return m;
}

}  // namespace twinsim::lbm
