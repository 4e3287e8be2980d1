#include "twinsim/md/InitialConditions.hpp"

#include <fmt/format.h>

#include <cmath>

#include "twinsim/core/Error.hpp"
#include "twinsim/core/Philox.hpp"

namespace twinsim::md {

Lattice fcc_lattice(double density, const std::array<int, 3>& cells) {
  if (!(density > 0) || cells[0] < 1 || cells[1] < 1 || cells[2] < 1)
    throw core::Error(
        fmt::format("fcc lattice: density {} and cells {}x{}x{}, expected a "
                    "positive density and at least one cell per axis",
                    density, cells[0], cells[1], cells[2]));
  constexpr double k_basis[4][3] = {{0, 0, 0}, {0.5, 0.5, 0}, {0.5, 0, 0.5}, {0, 0.5, 0.5}};
  const double a = std::cbrt(4.0 / density);
  Lattice l;
  l.box.edge = {a * cells[0], a * cells[1], a * cells[2]};
  l.position.reserve(12 * std::size_t(cells[0]) * cells[1] * cells[2]);
  for (int k = 0; k < cells[2]; ++k)
    for (int j = 0; j < cells[1]; ++j)
      for (int i = 0; i < cells[0]; ++i)
        for (const auto& b : k_basis) {
          l.position.push_back(a * (i + b[0]));
          l.position.push_back(a * (j + b[1]));
          l.position.push_back(a * (k + b[2]));
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
