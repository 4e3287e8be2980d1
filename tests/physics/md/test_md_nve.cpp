// Velocity Verlet: bounded energy error of second order in dt, and time reversibility;
// Langevin BAOAB: the target temperature by equipartition.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "backends.hpp"
#include "md_test_support.hpp"

namespace twinsim::test {
namespace {

template <class Tag>
class MdNve : public ::testing::Test {};
TYPED_TEST_SUITE(MdNve, AllBackends, BackendName);

struct EnergyRecord {
  double max_deviation_per_atom = 0;  // max |E(t) - E(0)| / N
  double drift_per_atom_step = 0;     // (E(end) - E(0)) / N / steps
};

// Runs 256 atoms of shifted LJ from in.lj's state (rho 0.8442, T 1.44) for `time` tau at step dt.
EnergyRecord nve_run(core::Backend backend, double dt, double time) {
  MdSetup s = lattice_setup({4, 4, 4}, 1.44, 0.0, true);
  const double n = double(s.particles.size());
  s.settings.dt = dt;
  auto sim = md::make_simulation(backend, s.settings, s.particles);
  const double e0 = sim->thermo().total;
  const auto steps = std::int64_t(std::llround(time / dt));
  const std::int64_t every = steps / 50;
  EnergyRecord r;
  double e = e0;
  for (std::int64_t done = 0; done < steps; done += every) {
    sim->run(every);
    e = sim->thermo().total;
    r.max_deviation_per_atom = std::max(r.max_deviation_per_atom, std::abs(e - e0) / n);
  }
  r.drift_per_atom_step = (e - e0) / n / double(steps);
  return r;
}

TYPED_TEST(MdNve, EnergyErrorIsBoundedAndSecondOrderInDt) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  // 2.5 tau: the lattice melts (U/N rises by ~1) while the total energy must stay put.
  const EnergyRecord coarse = nve_run(TypeParam::k_backend, 0.005, 2.5);
  const EnergyRecord fine = nve_run(TypeParam::k_backend, 0.0025, 2.5);
  // Velocity Verlet's shadow energy: fluctuations ~dt^2, no secular drift. At dt = 0.005 the
  // fluctuation is ~1e-4 of the kinetic energy per atom (2.16); bound it at 1e-3 per atom.
  EXPECT_LT(coarse.max_deviation_per_atom, 1e-3);
  EXPECT_LT(std::abs(coarse.drift_per_atom_step), 1e-6);
  // Halving dt divides the error by ~4 (order 2); chaos makes the two runs differ, so accept
  // an observed order between 1.5 and 2.5.
  const double ratio = coarse.max_deviation_per_atom / fine.max_deviation_per_atom;
  EXPECT_GT(ratio, std::pow(2.0, 1.5))
      << "coarse " << coarse.max_deviation_per_atom << " fine " << fine.max_deviation_per_atom;
  EXPECT_LT(ratio, std::pow(2.0, 2.5))
      << "coarse " << coarse.max_deviation_per_atom << " fine " << fine.max_deviation_per_atom;
}

TYPED_TEST(MdNve, ReversingVelocitiesRetracesTheTrajectory) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const MdSetup s = lattice_setup({5, 5, 5}, 1.44, 0.05, false);
  auto forward = md::make_simulation(TypeParam::k_backend, s.settings, s.particles);
  forward->run(200);
  md::HostParticles turned = forward->particles();
  for (double& v : turned.velocity) v = -v;
  auto backward = md::make_simulation(TypeParam::k_backend, s.settings, turned);
  backward->run(200);
  const md::HostParticles end = backward->particles();
  double worst_r = 0, worst_v = 0;
  for (std::size_t i = 0; i < s.particles.size(); ++i) {
    std::vector<double> pair(s.particles.position.begin() + 3 * i,
                             s.particles.position.begin() + 3 * i + 3);
    pair.insert(pair.end(), end.position.begin() + 3 * i, end.position.begin() + 3 * i + 3);
    worst_r = std::max(worst_r, std::sqrt(distance2(pair, 0, 1, s.settings.box)));
    for (int a = 0; a < 3; ++a)
      worst_v =
          std::max(worst_v, std::abs(end.velocity[3 * i + a] + s.particles.velocity[3 * i + a]));
  }
  // Velocity Verlet is exactly time-reversible; round-off (~1e-16), amplified by the liquid's
  // Lyapunov instability over 1 tau, stays many orders below the interparticle spacing.
  EXPECT_LT(worst_r, 1e-8);
  EXPECT_LT(worst_v, 1e-8);
}

TYPED_TEST(MdNve, LangevinHoldsTheTargetTemperature) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  // Start hot (T = 2) and let BAOAB bring 256 atoms of the in.lj liquid to T = 1.
  MdSetup s = lattice_setup({4, 4, 4}, 2.0, 0.0, false);
  s.settings.langevin = md::Langevin{1.0, 5.0, 99};
  auto sim = md::make_simulation(TypeParam::k_backend, s.settings, s.particles);
  sim->run(500);  // 2.5 tau = 12 friction times
  const double n = double(s.particles.size());
  double sum = 0;
  int samples = 0;
  for (; samples < 250; ++samples) {
    sim->run(10);
    sum += 2.0 * sim->thermo().kinetic / (3.0 * n);  // all 3N velocities are thermalized
  }
  // Equipartition: <m v^2> = k_B T per component. Canonical KE has relative spread
  // sqrt(2 / 3N) = 0.051; velocity memory 1 / (2 gamma) = 0.1 tau = 20 steps gives ~125
  // independent samples in 2500 steps, a standard error of 0.0046: accept 4 of them. BAOAB's
  // velocity bias at dt = 0.005 is O(dt^2 |f|^2) ~ 1e-4, well inside.
  EXPECT_NEAR(sum / samples, 1.0, 0.0185);
}

}  // namespace
}  // namespace twinsim::test
