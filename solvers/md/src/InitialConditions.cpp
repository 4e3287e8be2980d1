#include "twinsim/md/InitialConditions.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "twinsim/core/Error.hpp"
#include "twinsim/core/Philox.hpp"

namespace twinsim::md {

Lattice cubic_lattice(const std::string& kind, double density, const std::array<int, 3>& cells) {
  static const std::vector<std::array<double, 3>> k_fcc = {
      {0, 0, 0}, {0.5, 0.5, 0}, {0.5, 0, 0.5}, {0, 0.5, 0.5}};
  static const std::vector<std::array<double, 3>> k_bcc = {{0, 0, 0}, {0.5, 0.5, 0.5}};
  static const std::vector<std::array<double, 3>> k_sc = {{0, 0, 0}};
  const std::vector<std::array<double, 3>>* basis = kind == "fcc"   ? &k_fcc
                                                    : kind == "bcc" ? &k_bcc
                                                    : kind == "sc"  ? &k_sc
                                                                    : nullptr;
  if (!basis) throw core::Error(fmt::format("lattice '{}': expected fcc, bcc or sc", kind));
  if (!(density > 0) || cells[0] < 1 || cells[1] < 1 || cells[2] < 1)
    throw core::Error(
        fmt::format("{} lattice: density {} and cells {}x{}x{}, expected a "
                    "positive density and at least one cell per axis",
                    kind, density, cells[0], cells[1], cells[2]));
  const double a = std::cbrt(double(basis->size()) / density);
  Lattice l;
  l.box.edge = {a * cells[0], a * cells[1], a * cells[2]};
  l.position.reserve(3 * basis->size() * std::size_t(cells[0]) * cells[1] * cells[2]);
  for (int k = 0; k < cells[2]; ++k)
    for (int j = 0; j < cells[1]; ++j)
      for (int i = 0; i < cells[0]; ++i)
        for (const auto& b : *basis) {
          l.position.push_back(a * (i + b[0]));
          l.position.push_back(a * (j + b[1]));
          l.position.push_back(a * (k + b[2]));
        }
  return l;
}

Lattice fcc_lattice(double density, const std::array<int, 3>& cells) {
  return cubic_lattice("fcc", density, cells);
}

Lattice random_placement(std::size_t n, double density, double min_distance, std::uint64_t seed) {
  if (n < 2 || !(density > 0) || !(min_distance >= 0))
    throw core::Error(
        fmt::format("random placement: {} particles at density {} with minimum "
                    "distance {}; expected at least 2 particles, a positive "
                    "density and a minimum distance >= 0",
                    n, density, min_distance));
  const double edge = std::cbrt(double(n) / density);
  Lattice l;
  l.box.edge = {edge, edge, edge};
  l.position.reserve(3 * n);
  // A grid of cells at least min_distance wide: a candidate is checked against the 27 cells
  // around it only.
  const int cells = int(std::clamp(edge / std::max(min_distance, 1e-300), 1.0, 1024.0));
  const int per_axis = min_distance > 0 ? cells : 1;
  const double inv_width = per_axis / edge;
  std::vector<std::vector<std::size_t>> grid(std::size_t(per_axis) * per_axis * per_axis);
  auto cell_of = [&](double x) { return std::min(int(x * inv_width), per_axis - 1); };
  const core::Philox rng(seed, 1);
  std::uint64_t counter = 0;
  const double d2min = min_distance * min_distance;
  constexpr int k_tries = 1000;
  for (std::size_t i = 0; i < n; ++i) {
    bool placed = false;
    for (int attempt = 0; attempt < k_tries && !placed; ++attempt) {
      double r[3], spare;
      rng.uniform2(counter++, r[0], r[1]);
      rng.uniform2(counter++, r[2], spare);
      for (double& x : r) x *= edge;
      const int c[3] = {cell_of(r[0]), cell_of(r[1]), cell_of(r[2])};
      bool clear = true;
      const int reach = per_axis >= 3 ? 1 : 0;  // under 3 cells per axis: one cell, all pairs
      for (int dz = -reach; dz <= reach && clear && d2min > 0; ++dz)
        for (int dy = -reach; dy <= reach && clear; ++dy)
          for (int dx = -reach; dx <= reach && clear; ++dx) {
            const int cx = (c[0] + dx + per_axis) % per_axis,
                      cy = (c[1] + dy + per_axis) % per_axis,
                      cz = (c[2] + dz + per_axis) % per_axis;
            const auto& members =
                per_axis >= 3 ? grid[(std::size_t(cz) * per_axis + cy) * per_axis + cx] : grid[0];
            for (std::size_t j : members) {
              double d2 = 0;
              for (int a = 0; a < 3; ++a) {
                double d = l.position[3 * j + a] - r[a];
                d -= edge * std::rint(d / edge);
                d2 += d * d;
              }
              if (d2 < d2min) {
                clear = false;
                break;
              }
            }
          }
      if (!clear) continue;
      placed = true;
      for (double x : r) l.position.push_back(x);
      grid[per_axis >= 3 ? (std::size_t(c[2]) * per_axis + c[1]) * per_axis + c[0] : 0].push_back(
          i);
    }
    if (!placed)
      throw core::Error(fmt::format(
          "random placement: particle {} of {} found no place at least {} sigma from the others "
          "in {} tries (packing fraction pi/6 rho d^3 = {:.3f}); lower the minimum distance or "
          "the density, or start from a lattice",
          i, n, min_distance, k_tries, M_PI / 6.0 * density * std::pow(min_distance, 3)));
  }
  return l;
}

std::vector<double> maxwell_boltzmann(std::size_t n, double temperature, std::uint64_t seed) {
  if (n < 2 || !(temperature >= 0))
    throw core::Error(
        fmt::format("Maxwell-Boltzmann velocities: {} particles at T = {}, "
                    "expected at least 2 particles and T >= 0",
                    n, temperature));
  const core::Philox rng(seed, 0);
  std::vector<double> v(3 * n);
  // Unit masses: each component is normal with variance T; the scaling below fixes T exactly.
  for (std::size_t k = 0; k < 3 * n; k += 2) {
    double z0, z1;
    rng.normal2(k / 2, z0, z1);
    v[k] = z0;
    if (k + 1 < 3 * n) v[k + 1] = z1;
  }
  double p[3] = {0, 0, 0};
  for (std::size_t i = 0; i < n; ++i)
    for (int a = 0; a < 3; ++a) p[a] += v[3 * i + a];
  double twice_ke = 0;
  for (std::size_t i = 0; i < n; ++i)
    for (int a = 0; a < 3; ++a) {
      v[3 * i + a] -= p[a] / double(n);
      twice_ke += v[3 * i + a] * v[3 * i + a];
    }
  const double scale = twice_ke > 0 ? std::sqrt(temperature * double(3 * n - 3) / twice_ke) : 0;
  for (double& c : v) c *= scale;
  return v;
}

}  // namespace twinsim::md
