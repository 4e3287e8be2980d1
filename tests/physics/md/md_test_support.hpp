#pragma once
// Shared set-ups and oracles of the MD tests (reduced LJ units).
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "twinsim/md/InitialConditions.hpp"
#include "twinsim/md/Simulation.hpp"

namespace twinsim::test {

// LAMMPS bench/in.lj and examples/melt/in.melt: fcc at reduced density 0.8442, lj/cut 2.5.
inline constexpr double k_lammps_density = 0.8442;
inline constexpr double k_lammps_cutoff = 2.5;

struct MdSetup {
  md::MdSettings settings;
  md::HostParticles particles;
};

// An fcc lattice with Maxwell-Boltzmann velocities at `temperature`; positions displaced by up
// to `jitter` sigma per axis (fixed seed) to break the lattice symmetry.
inline MdSetup lattice_setup(const std::array<int, 3>& cells, double temperature, double jitter,
                             bool shift, std::uint64_t seed = 7) {
  md::Lattice l = md::fcc_lattice(k_lammps_density, cells);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-jitter, jitter);
  if (jitter > 0)
    for (double& x : l.position) x += u(rng);
  MdSetup s;
  s.settings.box = l.box;
  s.settings.lj.cutoff = k_lammps_cutoff;
  s.settings.lj.shift = shift;
  const std::size_t n = l.position.size() / 3;
  s.particles.velocity = temperature > 0 ? md::maxwell_boltzmann(n, temperature, seed)
                                         : std::vector<double>(3 * n, 0.0);
  s.particles.position = std::move(l.position);
  return s;
}

// Minimum-image separation, written independently of the solver's kernel (rint, any distance).
inline std::array<double, 3> separation(const std::vector<double>& r, std::size_t i, std::size_t j,
                                        const md::Box& box) {
  std::array<double, 3> d;
  for (int a = 0; a < 3; ++a) {
    d[a] = r[3 * j + a] - r[3 * i + a];
    d[a] -= box.edge[a] * std::rint(d[a] / box.edge[a]);
  }
  return d;
}

inline double distance2(const std::vector<double>& r, std::size_t i, std::size_t j,
                        const md::Box& box) {
  const auto d = separation(r, i, j, box);
  return d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
}

// The potential energy (epsilon) of the setup's particles at step 0.
inline double potential_energy(core::Backend backend, const MdSetup& s) {
  return md::make_simulation(backend, s.settings, s.particles)->thermo().potential;
}

// The engine's forces on a few particles of `s` (at least 256) equal minus the central
// difference of the potential energy along each axis. Truncation error ~h^2 |u'''| ~ 1e-8;
// round-off ~1e-16 |U| / h ~ 4e-8: the energy must be continuous (a shifted potential).
inline void expect_forces_are_minus_energy_gradient(core::Backend backend, const MdSetup& s) {
  const md::HostParticles p = md::make_simulation(backend, s.settings, s.particles)->particles();
  const double h = 1e-5;
  for (std::size_t i : {0u, 37u, 101u, 255u})
    for (int a = 0; a < 3; ++a) {
      MdSetup plus = s, minus = s;
      plus.particles.position[3 * i + a] += h;
      minus.particles.position[3 * i + a] -= h;
      const double gradient =
          (potential_energy(backend, plus) - potential_energy(backend, minus)) / (2 * h);
      EXPECT_NEAR(p.force[3 * i + a], -gradient, 1e-6 * (1.0 + std::abs(gradient)))
          << "particle " << i << " axis " << a;
    }
}

}  // namespace twinsim::test
