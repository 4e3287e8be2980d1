// The perfect fcc lattice at LAMMPS' in.lj / in.melt state point reproduces LAMMPS' step-0
// energy and pressure; shifted and tail-corrected variants add their analytic terms.
#include <gtest/gtest.h>

#include <cmath>

#include "backends.hpp"
#include "md_test_support.hpp"
#include "twinsim/md/kernels/lj_kernel.hpp"

namespace twinsim::test {
namespace {

// Reference values (reduced LJ units) from the project's shared reference/lennard-jones.md,
// which takes them from LAMMPS' shipped logs of bench/in.lj and examples/melt/in.melt: the
// perfect fcc lattice at density 0.8442 with lj/cut 2.5 (truncated, not shifted, no tail
// correction).
constexpr double k_lattice_energy_per_atom = -6.773368053253;
constexpr double k_lattice_virial_pressure = -6.23531727009;
// in.melt step 0 (10x10x10 cells = 4000 atoms, T = 3.0): "Press" column of the LAMMPS log,
// printed to 8 significant digits.
constexpr double k_melt_step0_pressure = -3.7033504;

template <class Tag>
class LjLattice : public ::testing::Test {};
TYPED_TEST_SUITE(LjLattice, AllBackends, BackendName);

TYPED_TEST(LjLattice, EnergyAndVirialPressureEqualLammps) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const MdSetup s = lattice_setup({5, 5, 5}, 0.0, 0.0, false);
  const md::Thermo t = md::make_simulation(TypeParam::k_backend, s.settings, s.particles)->thermo();
  ASSERT_EQ(t.atoms, 500);
  EXPECT_EQ(t.kinetic, 0.0);
  // Sums of ~40,000 pair terms in double precision: agreement far beyond the 7 digits asked.
  EXPECT_NEAR(t.potential / double(t.atoms), k_lattice_energy_per_atom, 1e-10);
  EXPECT_NEAR(t.pressure, k_lattice_virial_pressure, 1e-10);
}

TYPED_TEST(LjLattice, MeltStepZeroPressureEqualsLammps) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const MdSetup s = lattice_setup({10, 10, 10}, 3.0, 0.0, false);
  const md::Thermo t = md::make_simulation(TypeParam::k_backend, s.settings, s.particles)->thermo();
  ASSERT_EQ(t.atoms, 4000);
  EXPECT_NEAR(t.temperature, 3.0, 1e-12);
  EXPECT_NEAR(t.potential / double(t.atoms), k_lattice_energy_per_atom, 1e-10);
  EXPECT_NEAR(t.pressure, k_melt_step0_pressure, 5e-8);  // half a unit of the last digit shown
}

TYPED_TEST(LjLattice, ShiftSubtractsTheCutoffEnergyPerPairInRange) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  MdSetup s = lattice_setup({5, 5, 5}, 0.0, 0.0, true);
  const md::Thermo t = md::make_simulation(TypeParam::k_backend, s.settings, s.particles)->thermo();
  // Pairs within the cutoff by direct O(N^2) count.
  const std::size_t n = s.particles.size();
  double pairs = 0;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j)
      if (distance2(s.particles.position, i, j, s.settings.box) < k_lammps_cutoff * k_lammps_cutoff)
        pairs += 1;
  const double u_rc = 4.0 * (std::pow(k_lammps_cutoff, -12) - std::pow(k_lammps_cutoff, -6));
  EXPECT_NEAR(t.potential / double(n), k_lattice_energy_per_atom - pairs * u_rc / double(n), 1e-10);
  EXPECT_NEAR(t.pressure, k_lattice_virial_pressure, 1e-10);  // forces are unchanged
}

TYPED_TEST(LjLattice, TailCorrectionsAddTheAnalyticLongRangeTerms) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  MdSetup s = lattice_setup({5, 5, 5}, 0.0, 0.0, false);
  s.settings.lj.tail = true;
  const md::Thermo t = md::make_simulation(TypeParam::k_backend, s.settings, s.particles)->thermo();
  // NIST SRS form of the corrections (reference/lennard-jones.md):
  // U/N = (8/9) pi rho (rc^-9 - 3 rc^-3), P = (32/9) pi rho^2 (rc^-9 - 1.5 rc^-3).
  const double rho = k_lammps_density, rc = k_lammps_cutoff;
  const double u_tail = 8.0 / 9.0 * M_PI * rho * (std::pow(rc, -9) - 3.0 * std::pow(rc, -3));
  const double p_tail = 32.0 / 9.0 * M_PI * rho * rho * (std::pow(rc, -9) - 1.5 * std::pow(rc, -3));
  EXPECT_NEAR(t.potential / double(t.atoms), k_lattice_energy_per_atom + u_tail, 1e-10);
  EXPECT_NEAR(t.pressure, k_lattice_virial_pressure + p_tail, 1e-10);
}

TEST(LjKernel, PairEnergyAndForceAtTheMinimum) {
  // u(r) = 4 (r^-12 - r^-6) has its minimum -1 at r = 2^(1/6), where the force vanishes.
  const md::LjParams p{6.25, 0.0};
  const md::LjPair at_min = md::lj_pair(std::pow(2.0, 1.0 / 3.0), p);
  EXPECT_NEAR(at_min.energy, -1.0, 1e-15);
  EXPECT_NEAR(at_min.force_over_r, 0.0, 1e-14);
  const md::LjPair at_one = md::lj_pair(1.0, p);  // u(1) = 0, f(1) = 24
  EXPECT_EQ(at_one.energy, 0.0);
  EXPECT_EQ(at_one.force_over_r, 24.0);
  const md::LjPair beyond = md::lj_pair(6.25, p);
  EXPECT_EQ(beyond.energy, 0.0);
  EXPECT_EQ(beyond.force_over_r, 0.0);
}

}  // namespace
}  // namespace twinsim::test
