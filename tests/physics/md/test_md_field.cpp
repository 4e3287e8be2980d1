// A second force compute (md::PeriodicField) next to the pair force: its energy is the analytic
// sum, the total forces are the negative gradient of the total energy, and velocity Verlet
// conserves the total energy with it on.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "backends.hpp"
#include "md_test_support.hpp"

namespace twinsim::test {
namespace {

template <class Tag>
class MdField : public ::testing::Test {};
TYPED_TEST_SUITE(MdField, AllBackends, BackendName);

// Shifted LJ on a jittered fcc lattice with a field of two waves along x (not the default axis).
MdSetup field_setup(double temperature, double jitter) {
  MdSetup s = lattice_setup({4, 4, 4}, temperature, jitter, true);
  s.settings.field = md::PeriodicField{0, 0.7, 2};
  return s;
}

TYPED_TEST(MdField, EnergyIsTheAnalyticSumOverParticles) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const MdSetup on = field_setup(0.0, 0.15);
  MdSetup off = on;
  off.settings.field.reset();
  const double k = 2.0 * M_PI * 2.0 / on.settings.box.edge[0];
  double expected = 0;
  for (std::size_t i = 0; i < on.particles.size(); ++i)
    expected += 0.7 * std::cos(k * on.particles.position[3 * i]);
  const double added =
      potential_energy(TypeParam::k_backend, on) - potential_energy(TypeParam::k_backend, off);
  EXPECT_NEAR(added, expected, 1e-10 * (1.0 + std::abs(expected)));
}

TYPED_TEST(MdField, ForcesEqualMinusEnergyGradient) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  expect_forces_are_minus_energy_gradient(TypeParam::k_backend, field_setup(0.0, 0.15));
}

TYPED_TEST(MdField, VelocityVerletConservesTheTotalEnergy) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  // in.lj's state (T 1.44) melting in the field for 2.5 tau: the field does work on the
  // particles (their momentum changes), the total energy stays put.
  const MdSetup s = field_setup(1.44, 0.0);
  auto sim = md::make_simulation(TypeParam::k_backend, s.settings, s.particles);
  const double n = double(s.particles.size());
  const double e0 = sim->thermo().total;
  double worst = 0, e = e0;
  double moved = 0;  // largest |total momentum| seen: the field is on
  for (int block = 0; block < 50; ++block) {
    sim->run(10);
    const md::Thermo t = sim->thermo();
    e = t.total;
    worst = std::max(worst, std::abs(e - e0) / n);
    moved = std::max(moved, std::abs(t.momentum[0]));
  }
  EXPECT_LT(worst, 1e-3);
  EXPECT_LT(std::abs(e - e0) / n / 500.0, 1e-6);
  EXPECT_GT(moved, 1e-3);
}

TYPED_TEST(MdField, RejectsABadAxisOrWaveCount) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  MdSetup s = field_setup(0.0, 0.0);
  s.settings.field->axis = 3;
  EXPECT_THROW(md::make_simulation(TypeParam::k_backend, s.settings, s.particles), core::Error);
  s.settings.field->axis = 2;
  s.settings.field->waves = 0;
  EXPECT_THROW(md::make_simulation(TypeParam::k_backend, s.settings, s.particles), core::Error);
}

}  // namespace
}  // namespace twinsim::test
