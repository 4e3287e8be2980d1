// Pair potentials (LJ, WCA, Morse) and several particle types with Lorentz-Berthelot mixing:
// the energy of an isolated pair against the closed forms, forces against central differences
// of the energy for each potential, the mixing rule and its overrides.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "backends.hpp"
#include "md_test_support.hpp"
#include "twinsim/core/Error.hpp"

namespace twinsim::test {
namespace {

TEST(PairTable, LorentzBerthelotMixingAndOverrides) {
  md::MdSettings s;
  s.types = {{1.0, 1.0}, {0.25, 1.2}, {2.0, 0.8}};
  md::PairTable t = md::pair_table(s);
  ASSERT_EQ(t.types, 3);
  EXPECT_DOUBLE_EQ(t.epsilon[0 * 3 + 1], 0.5);  // sqrt(1 * 0.25)
  EXPECT_DOUBLE_EQ(t.sigma[0 * 3 + 1], 1.1);    // (1 + 1.2) / 2
  EXPECT_DOUBLE_EQ(t.epsilon[1 * 3 + 0], 0.5);
  EXPECT_DOUBLE_EQ(t.epsilon[1 * 3 + 2], std::sqrt(0.5));
  EXPECT_DOUBLE_EQ(t.sigma[2 * 3 + 1], 1.0);
  EXPECT_DOUBLE_EQ(t.epsilon[2 * 3 + 2], 2.0);
  s.pairs = {{2, 0, 0.1, 0.7}};
  t = md::pair_table(s);
  EXPECT_DOUBLE_EQ(t.epsilon[0 * 3 + 2], 0.1);
  EXPECT_DOUBLE_EQ(t.sigma[2 * 3 + 0], 0.7);
  EXPECT_DOUBLE_EQ(t.epsilon[1 * 3 + 2], std::sqrt(0.5));  // others still mixed
  // WCA cuts each pair at its own minimum; the list radius follows the largest.
  s.potential = md::Potential::wca;
  s.pairs.clear();
  t = md::pair_table(s);
  EXPECT_DOUBLE_EQ(t.max_cutoff, std::pow(2.0, 1.0 / 6.0) * 1.2);
  s.pairs = {{0, 3, 1.0, 1.0}};
  EXPECT_THROW(md::pair_table(s), core::Error);
}

// Energy of two particles of types (0, 1) at distance r in a large box, by the engine.
double pair_energy(core::Backend backend, md::MdSettings s, double r) {
  s.box.edge = {12.0, 12.0, 12.0};
  md::HostParticles p{
      {3.0, 3.0, 3.0, 3.0 + r, 3.0, 3.0}, std::vector<double>(6, 0.0), {}, {}, {0, 1}};
  return md::make_simulation(backend, s, p)->thermo().potential;
}

template <class Tag>
class MdPairs : public ::testing::Test {};
TYPED_TEST_SUITE(MdPairs, AllBackends, BackendName);

TYPED_TEST(MdPairs, IsolatedPairEnergiesMatchTheClosedForms) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const auto backend = TypeParam::k_backend;
  md::MdSettings s;
  s.types = {{1.0, 1.0}, {0.64, 1.4}};  // eps_01 = 0.8, sigma_01 = 1.2
  const double eps = 0.8, sig = 1.2;
  auto lj = [&](double r) { return 4 * eps * (std::pow(sig / r, 12) - std::pow(sig / r, 6)); };
  for (double r : {1.1, 1.3, 2.0}) {
    s.potential = md::Potential::lj;
    s.lj = {2.5, false, false};
    EXPECT_NEAR(pair_energy(backend, s, r), lj(r), 1e-12 * (1 + std::abs(lj(r)))) << r;
    s.lj.shift = true;
    EXPECT_NEAR(pair_energy(backend, s, r), lj(r) - lj(2.5), 1e-12 * (1 + std::abs(lj(r))));
    s.lj.shift = false;
    s.potential = md::Potential::wca;  // lj + eps inside 2^(1/6) sigma = 1.347, else 0
    const double wca = r < std::pow(2.0, 1.0 / 6.0) * sig ? lj(r) + eps : 0.0;
    EXPECT_NEAR(pair_energy(backend, s, r), wca, 1e-12 * (1 + std::abs(wca))) << r;
    s.potential = md::Potential::morse;
    s.morse_alpha = 3.0;
    const double morse = eps * (std::exp(-2 * 3.0 * (r - sig)) - 2 * std::exp(-3.0 * (r - sig)));
    EXPECT_NEAR(pair_energy(backend, s, r), morse, 1e-12) << r;
  }
  s.potential = md::Potential::lj;
  EXPECT_NEAR(pair_energy(backend, s, 2.6), 0.0, 1e-15);  // beyond the cutoff
}

// A jittered fcc lattice with two types in alternation, at density 1.1 so that many pairs sit
// inside WCA's 2^(1/6) sigma.
MdSetup two_type_setup(md::Potential potential) {
  MdSetup s = lattice_setup({4, 4, 4}, 0.0, 0.08, true, 17);
  const md::Lattice l = md::fcc_lattice(1.1, {4, 4, 4});
  const double scale = l.box.edge[0] / s.settings.box.edge[0];
  for (double& x : s.particles.position) x *= scale;
  s.settings.box = l.box;
  s.settings.potential = potential;
  s.settings.types = {{1.0, 1.0}, {0.5, 0.9}};
  s.settings.morse_alpha = 4.0;
  s.settings.lj.cutoff = potential == md::Potential::morse ? 2.2 : 2.5;
  s.particles.type.resize(s.particles.size());
  for (std::size_t i = 0; i < s.particles.size(); ++i) s.particles.type[i] = int(i % 3 == 0);
  return s;
}

TYPED_TEST(MdPairs, ForcesEqualMinusEnergyGradientForEachPotential) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const auto backend = TypeParam::k_backend;
  for (md::Potential potential : {md::Potential::lj, md::Potential::wca, md::Potential::morse}) {
    const MdSetup s = two_type_setup(potential);  // shifted: continuous energy at the cutoff
    SCOPED_TRACE("potential " + std::to_string(int(potential)));
    expect_forces_are_minus_energy_gradient(backend, s);
    const md::HostParticles p = md::make_simulation(backend, s.settings, s.particles)->particles();
    // Types survive the engine's reordering by cell.
    EXPECT_EQ(p.type, s.particles.type);
  }
}

TYPED_TEST(MdPairs, MixtureTailCorrectionsSumOverTypePairs) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  // The tail energy of a mixture: U = 2 pi / V sum_ab N_a N_b int_rc^inf u_ab r^2 dr, checked
  // against a numerical quadrature of the integral (trapezoid on a fine grid to r = 200).
  MdSetup s = two_type_setup(md::Potential::lj);
  s.settings.lj.shift = false;
  const double plain =
      md::make_simulation(TypeParam::k_backend, s.settings, s.particles)->thermo().potential;
  s.settings.lj.tail = true;
  const double with_tail =
      md::make_simulation(TypeParam::k_backend, s.settings, s.particles)->thermo().potential;
  const md::PairTable t = md::pair_table(s.settings);
  double counts[2] = {0, 0};
  for (int ty : s.particles.type) counts[ty] += 1;
  double expected = 0;
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) {
      const double eps = t.epsilon[a * 2 + b], sig = t.sigma[a * 2 + b];
      double integral = 0;
      const double dr = 1e-3;
      for (double r = 2.5; r < 200; r += dr) {
        auto f = [&](double x) {
          return 4 * eps * (std::pow(sig / x, 12) - std::pow(sig / x, 6)) * x * x;
        };
        integral += 0.5 * dr * (f(r) + f(r + dr));
      }
      expected += 2 * M_PI / s.settings.box.volume() * counts[a] * counts[b] * integral;
    }
  EXPECT_NEAR(with_tail - plain, expected, 1e-5 * std::abs(expected));
}

}  // namespace
}  // namespace twinsim::test
