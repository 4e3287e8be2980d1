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

// Bilinear interpolation over the fluid cells among the four nearest centres; also returns the
// mean position of the solid ones (solid_count of them).
double fluid_bilinear(const Macroscopic& m, const std::vector<double>& field, double x, double y,
                      int& solid_count, double* solid_mean) {
  const int nx = m.cells[0], ny = m.cells[1];
  const double tx = x - 0.5, ty = y - 0.5;
  const int i0 = int(std::floor(tx)), j0 = int(std::floor(ty));
  double sum = 0, weight = 0;
  solid_count = 0;
  solid_mean[0] = solid_mean[1] = 0;
  for (int dj = 0; dj < 2; ++dj)
    for (int di = 0; di < 2; ++di) {
      const int i = i0 + di, j = j0 + dj;
      if (i < 0 || i >= nx || j < 0 || j >= ny) continue;
      const std::size_t c = std::size_t(j) * nx + i;
      if (!m.solid.empty() && m.solid[c]) {
        ++solid_count;
        solid_mean[0] += i + 0.5;
        solid_mean[1] += j + 0.5;
        continue;
      }
      const double w = (di ? tx - i0 : 1 - (tx - i0)) * (dj ? ty - j0 : 1 - (ty - j0));
      sum += w * field[c];
      weight += w;
    }
  if (solid_count > 0) {
    solid_mean[0] /= solid_count;
    solid_mean[1] /= solid_count;
  }
  if (!(weight > 0))
    throw core::Error(fmt::format("probe at ({:.3f}, {:.3f}) cells: no fluid cell among the four "
                                  "nearest cell centres (inside an obstacle or outside the "
                                  "domain)",
                                  x, y));
  return sum / weight;
}

double fluid_bilinear(const Macroscopic& m, const std::vector<double>& field, double x, double y) {
  int solid_count;
  double solid_mean[2];
  return fluid_bilinear(m, field, x, y, solid_count, solid_mean);
}

}  // namespace

double probe(const Macroscopic& m, const std::vector<double>& field, double x, double y) {
  int solid_count;
  double solid_mean[2];
  const double v = fluid_bilinear(m, field, x, y, solid_count, solid_mean);
  if (solid_count == 0) return v;
  // Beside an obstacle: extrapolate along the direction away from its cells there.
  const double nx = x - solid_mean[0], ny = y - solid_mean[1], len = std::hypot(nx, ny);
  if (!(len > 0)) return v;
  return surface_probe(m, field, x, y, nx / len, ny / len);
}

double surface_probe(const Macroscopic& m, const std::vector<double>& field, double x, double y,
                     double normal_x, double normal_y) {
  return 2.0 * fluid_bilinear(m, field, x + normal_x, y + normal_y) -
         fluid_bilinear(m, field, x + 2.0 * normal_x, y + 2.0 * normal_y);
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

}  // namespace twinsim::lbm
