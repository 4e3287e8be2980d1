#include "twinsim/lbm/Reference.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "twinsim/core/Error.hpp"

namespace twinsim::lbm {

namespace {

// Linear interpolation at s (fraction of the edge) of a profile of n cell-centre values at
// (i + 1/2) / n, closed by the wall values at 0 and 1.
double interpolate(const std::vector<double>& cells, double wall_low, double wall_high, double s) {
  const int n = int(cells.size());
  const double t = s * n - 0.5;  // in cell-centre index units
  if (t <= 0) return wall_low + (cells.front() - wall_low) * (s * n / 0.5);
  if (t >= n - 1) return cells.back() + (wall_high - cells.back()) * ((t - (n - 1)) / 0.5);
  const int i = int(std::floor(t));
  return cells[i] + (cells[i + 1] - cells[i]) * (t - i);
}

// Values of field f (x fastest) on the line at fraction `at` across the other axis, along axis
// `along` (0: a row, 1: a column), interpolated linearly between the two nearest lines.
std::vector<double> line(const Macroscopic& m, const std::vector<double>& f, int along, double at) {
  const int nx = m.cells[0], ny = m.cells[1];
  const int n_across = along == 0 ? ny : nx, n_along = along == 0 ? nx : ny;
  const double t = std::clamp(at * n_across - 0.5, 0.0, double(n_across - 1));
  const int lo = std::max(0, std::min(int(std::floor(t)), n_across - 2));
  const int hi = std::min(lo + 1, n_across - 1);
  const double frac = t - lo;
  std::vector<double> out(n_along);
  for (int k = 0; k < n_along; ++k) {
    const auto at_index = [&](int across) {
      return along == 0 ? f[std::size_t(across) * nx + k] : f[std::size_t(k) * nx + across];
    };
    out[k] = at_index(lo) * (1 - frac) + at_index(hi) * frac;
  }
  return out;
}

}  // namespace

CentrelineErrors ghia_centreline_errors(const Macroscopic& m, double lid_velocity, int reynolds) {
  if (reynolds != 100 && reynolds != 1000)
    throw core::Error(fmt::format("Ghia et al. tabulate Re = 100 and 1000, not {}", reynolds));
  const auto value = [&](const GhiaPoint& p) { return reynolds == 100 ? p.re100 : p.re1000; };
  // u along the vertical centreline x = 0.5 (a column), v along y = 0.5 (a row).
  const std::vector<double> u = line(m, m.ux, 1, 0.5), v = line(m, m.uy, 0, 0.5);
  CentrelineErrors e;
  for (std::size_t i = 1; i + 1 < k_ghia_u.size(); ++i) {
    const double got = interpolate(u, 0.0, lid_velocity, k_ghia_u[i].position) / lid_velocity;
    e.max_u = std::max(e.max_u, std::abs(got - value(k_ghia_u[i])));
  }
  for (std::size_t i = 1; i + 1 < k_ghia_v.size(); ++i) {
    const double got = interpolate(v, 0.0, 0.0, k_ghia_v[i].position) / lid_velocity;
    e.max_v = std::max(e.max_v, std::abs(got - value(k_ghia_v[i])));
  }
  return e;
}

double poiseuille_error(const Macroscopic& m, double ax, double viscosity) {
  const int nx = m.cells[0], ny = m.cells[1];
  double diff = 0, norm = 0;
  for (int j = 0; j < ny; ++j) {
    const double exact = poiseuille_velocity(j + 0.5, ny, ax, viscosity);
    for (int i = 0; i < nx; ++i) {
      const std::size_t c = std::size_t(j) * nx + i;
      if (!m.solid.empty() && m.solid[c]) continue;
      diff += (m.ux[c] - exact) * (m.ux[c] - exact);
      norm += exact * exact;
    }
  }
  return std::sqrt(diff / norm);
}

double duct_velocity(double y, double z, double ly, double lz, double acceleration,
                     double viscosity) {
  const double a = 0.5 * ly, b = 0.5 * lz;
  const double abs_z = std::abs(z - b);
  double sum = 0;
  for (int n = 1; n <= 4001; n += 2) {
    const double k = n * M_PI / (2.0 * a);
    // cosh(k |Z|) / cosh(k b) without overflow (|Z| <= b).
    const double ratio = std::exp(k * (abs_z - b)) * (1.0 + std::exp(-2.0 * k * abs_z)) /
                         (1.0 + std::exp(-2.0 * k * b));
    const double sign = ((n - 1) / 2) % 2 == 0 ? 1.0 : -1.0;
    sum += sign / (double(n) * n * n) * (1.0 - ratio) * std::cos(k * (y - a));
  }
  return 16.0 * a * a * acceleration / (viscosity * M_PI * M_PI * M_PI) * sum;
}

double duct_error(const Macroscopic& m, double ax, double viscosity) {
  const int nx = m.cells[0], ny = m.cells[1], nz = m.cells[2];
  double diff = 0, norm = 0;
  for (int k = 0; k < nz; ++k)
    for (int j = 0; j < ny; ++j) {
      const double exact = duct_velocity(j + 0.5, k + 0.5, ny, nz, ax, viscosity);
      for (int i = 0; i < nx; ++i) {
        const std::size_t c = (std::size_t(k) * ny + j) * nx + i;
        if (!m.solid.empty() && m.solid[c]) continue;
        diff += (m.ux[c] - exact) * (m.ux[c] - exact);
        norm += exact * exact;
      }
    }
  return std::sqrt(diff / norm);
}

namespace {

// Multilinear interpolation of a cell field (x fastest, [z][y][x]) over the fluid cells among the
// nearest cell centres to the point p (cell units): the four around it in 2D, the eight in 3D (an
// axis with one cell is not interpolated along). Also says whether one of them with a weight is
// solid.
struct Neighbourhood {
  double value = 0;
  bool beside_solid = false;
};

std::size_t cell_index(const Macroscopic& m, const int (&index)[3]) {
  return (std::size_t(index[2]) * m.cells[1] + std::size_t(index[1])) * m.cells[0] + index[0];
}

Neighbourhood fluid_multilinear(const Macroscopic& m, const std::vector<double>& field,
                                const Point& p) {
  int lower[3];
  double frac[3];
  for (int a = 0; a < 3; ++a) {
    const bool flat = m.cells[a] == 1;
    lower[a] = flat ? 0 : int(std::floor(p[a] - 0.5));
    frac[a] = flat ? 0.0 : p[a] - 0.5 - lower[a];
  }
  Neighbourhood n;
  double sum = 0, weight = 0;
  for (int corner = 0; corner < 8; ++corner) {
    int index[3];
    double w = 1;
    bool inside = true;
    for (int a = 0; a < 3; ++a) {
      const int bit = (corner >> a) & 1;
      index[a] = lower[a] + bit;  // a flat axis (one cell) drops out here: index 1 is outside
      inside = inside && index[a] >= 0 && index[a] < m.cells[a];
      w *= bit ? frac[a] : 1 - frac[a];
    }
    // At a cell centre (up to the round-off of a point given in metres, e.g. 0.15 m / 0.005 m
    // = 30.000000000000004 cells) its neighbours do not count.
    if (!inside || w < 1e-9) continue;
    const std::size_t c = cell_index(m, index);
    if (!m.solid.empty() && m.solid[c]) {
      n.beside_solid = true;
      continue;
    }
    sum += w * field[c];
    weight += w;
  }
  if (!(weight > 0))
    throw core::Error(
        fmt::format("probe at ({:.3f}, {:.3f}, {:.3f}) cells: no fluid cell among "
                    "the nearest cell centres (inside an obstacle or outside the "
                    "domain)",
                    p[0], p[1], p[2]));
  n.value = sum / weight;
  return n;
}

// Radius (cells) of the ball around a probe point whose solid cells give the wall's normal.
constexpr double k_normal_radius = 2.5;

// Outward unit normal of the obstacle wall at p: from the mean centre of the solid cells within
// k_normal_radius of p to p. For a flat, circular or spherical wall through p the solid part of
// the ball is symmetric about the normal, so this is exact up to the cells' staircase (the four
// or eight nearest cells alone give directions tens of degrees off at oblique points). Zero when
// no solid cell is near (an axis with one cell gets no component).
Point outward_normal(const Macroscopic& m, const Point& p) {
  int from[3], to[3];
  for (int a = 0; a < 3; ++a) {
    const bool flat = m.cells[a] == 1;
    from[a] = flat ? 0 : std::max(0, int(std::floor(p[a] - 0.5 - k_normal_radius)));
    to[a] = flat ? 0 : std::min(m.cells[a] - 1, int(std::ceil(p[a] - 0.5 + k_normal_radius)));
  }
  Point sum{0, 0, 0};
  int index[3];
  for (index[2] = from[2]; index[2] <= to[2]; ++index[2])
    for (index[1] = from[1]; index[1] <= to[1]; ++index[1])
      for (index[0] = from[0]; index[0] <= to[0]; ++index[0]) {
        Point d{0, 0, 0};
        double d2 = 0;
        for (int a = 0; a < 3; ++a) {
          d[a] = m.cells[a] == 1 ? 0.0 : index[a] + 0.5 - p[a];
          d2 += d[a] * d[a];
        }
        if (d2 > k_normal_radius * k_normal_radius || !m.solid[cell_index(m, index)]) continue;
        for (int a = 0; a < 3; ++a) sum[a] += d[a];
      }
  Point normal{0, 0, 0};
  const double length = std::sqrt(sum[0] * sum[0] + sum[1] * sum[1] + sum[2] * sum[2]);
  if (!(length > 0)) return normal;
  for (int a = 0; a < 3; ++a) normal[a] = -sum[a] / length;
  return normal;
}

}  // namespace

double probe(const Macroscopic& m, const std::vector<double>& field, const Point& p) {
  const Neighbourhood n = fluid_multilinear(m, field, p);
  if (!n.beside_solid) return n.value;
  const Point normal = outward_normal(m, p);
  if (normal == Point{0, 0, 0}) return n.value;
  return surface_probe(m, field, p, normal);
}

double probe(const Macroscopic& m, const std::vector<double>& field, double x, double y) {
  return probe(m, field, Point{x, y, 0.5});
}

double probe(const Macroscopic& m, const std::vector<double>& field, double x, double y, double z) {
  return probe(m, field, Point{x, y, z});
}

double surface_probe(const Macroscopic& m, const std::vector<double>& field, const Point& p,
                     const Point& normal) {
  const auto out = [&](double s) {
    return fluid_multilinear(m, field,
                             {p[0] + s * normal[0], p[1] + s * normal[1], p[2] + s * normal[2]});
  };
  // Beside a solid cell the interpolation is only first order, and the nearest cell centres of a
  // point even 1.5 cells out may include one (they lie up to sqrt(3) cells away in 3D): the
  // nodes start at the first s of 0.5, 0.75, ..., 2 cells out where they are all fluid (0.5 on a
  // wall across a lattice axis: the first fluid cell's centre).
  double s = 0.5;
  while (s < 2 && out(s).beside_solid) s += 0.25;
  // Quadratic through s, s + 1 and s + 2 (Lagrange weights at 0): a stagnation point's pressure
  // curves within a viscous layer a few cells thick, which a straight line from two points
  // misses (see solvers/lbm/README.md, Schafer-Turek 2D-1).
  return (s + 1) * (s + 2) / 2 * out(s).value - s * (s + 2) * out(s + 1).value +
         s * (s + 1) / 2 * out(s + 2).value;
}

double crossing_frequency(const std::vector<double>& s) {
  if (s.size() < 3) return 0;
  double mean = 0;
  for (double v : s) mean += v;
  mean /= double(s.size());
  double first = -1, last = -1;
  int crossings = 0;
  for (std::size_t i = 0; i + 1 < s.size(); ++i)
    if (s[i] < mean && s[i + 1] >= mean) {
      const double t = double(i) + (mean - s[i]) / (s[i + 1] - s[i]);
      if (crossings == 0) first = t;
      last = t;
      ++crossings;
    }
  if (crossings < 2) return 0;
  return (crossings - 1) / (last - first);
}

Window last_window(const std::vector<double>& s, std::size_t window) {
  Window w;
  if (s.empty()) return w;
  const std::vector<double> tail(s.end() - std::min(window, s.size()), s.end());
  w.max = *std::max_element(tail.begin(), tail.end());
  w.min = *std::min_element(tail.begin(), tail.end());
  for (double v : tail) w.mean += v / double(tail.size());
  w.frequency = crossing_frequency(tail);
  return w;
}

double schafer_turek_2d_pressure_difference(const Macroscopic& m, const LatticeUnits& u) {
  using ST = SchaferTurek2D1;
  const double front = probe(m, m.rho, (ST::k_center[0] - 0.5 * ST::k_diameter) / u.dx,
                             ST::k_center[1] / u.dx);
  const double rear = probe(m, m.rho, (ST::k_center[0] + 0.5 * ST::k_diameter) / u.dx,
                            ST::k_center[1] / u.dx);
  return u.pressure(front) - u.pressure(rear);
}

double schafer_turek_3d1z_pressure_difference(const Macroscopic& m, const LatticeUnits& u) {
  using ST = SchaferTurek3D1Z;
  // At mid-height.
  const double x = ST::k_center[0] / u.dx, r = 0.5 * ST::k_diameter / u.dx;
  const double y = ST::k_center[1] / u.dx, z = 0.5 * ST::k_height / u.dx;
  const double front = probe(m, m.rho, x - r, y, z);
  const double rear = probe(m, m.rho, x + r, y, z);
  return u.pressure(front) - u.pressure(rear);
}

Shedding schafer_turek_2d2(const std::vector<double>& drag, const std::vector<double>& lift,
                           double interval) {
  Shedding s;
  s.window = std::max<std::size_t>(drag.size() / 4, 2);
  const Window d = last_window(drag, s.window), l = last_window(lift, s.window);
  s.drag_max = d.max;
  s.lift_max = l.max;
  s.strouhal = strouhal_number(l.frequency, interval, SchaferTurek2D1::k_diameter,
                               SchaferTurek2D2::k_ubar);
  return s;
}

}  // namespace twinsim::lbm
