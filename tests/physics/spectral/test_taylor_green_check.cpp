// The spectral curl of the exact 2D Taylor-Green velocity equals its analytic vorticity, and the
// grid-mean kinetic energy follows the exact decay (U0^2 / 4) exp(-4 nu k^2 t), on every backend.
#include <gtest/gtest.h>

#include <cmath>

#include "backends.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/spectral/TaylorGreenCheck.hpp"

namespace twinsim::test {
namespace {

template <class Tag>
class TaylorGreenCheckTest : public ::testing::Test {};
TYPED_TEST_SUITE(TaylorGreenCheckTest, AllBackends, BackendName);

TYPED_TEST(TaylorGreenCheckTest, SpectralCurlEqualsAnalyticVorticity) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const spectral::TaylorGreenParams p{1.5, 2.0, 0.01};
  auto check = spectral::make_taylor_green_check(TypeParam::k_backend, 32, p);
  for (double t : {0.0, 0.7, 3.0}) {
    const auto f = check->evaluate(t);
    const double amplitude = 2.0 * p.u0 * p.k * std::exp(-2.0 * p.nu * p.k * p.k * t);
    // Spectral differentiation is exact for this band-limited field: only FFT round-off remains
    // (a few ulps times log2 N, amplified by k ~ N/2).
    EXPECT_LT(f.max_vorticity_error, 1e-12 * amplitude) << "t = " << t;
    const double energy = 0.25 * p.u0 * p.u0 * std::exp(-4.0 * p.nu * p.k * p.k * t);
    EXPECT_NEAR(f.kinetic_energy, energy, 1e-14 * energy) << "t = " << t;
    ASSERT_EQ(f.velocity.size(), 3u * 32 * 32);
    ASSERT_EQ(f.vorticity.size(), 32u * 32);
  }
}

TYPED_TEST(TaylorGreenCheckTest, VelocityMatchesTheFormulaAtAGridPoint) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const spectral::TaylorGreenParams p{1.0, 1.0, 0.0};
  const int n = 8;
  const auto f = spectral::make_taylor_green_check(TypeParam::k_backend, n, p)->evaluate(0.0);
  // Point (i, j) = (1, 2): x = 2 pi / 8, y = 4 pi / 8 = pi / 2, so u = sin(pi/4) cos(pi/2) = 0,
  // v = -cos(pi/4) sin(pi/2) = -1/sqrt(2), w = 2 sin(pi/4) sin(pi/2) = sqrt(2).
  const std::size_t at = 2 * n + 1;
  EXPECT_NEAR(f.velocity[3 * at], 0.0, 1e-15);
  EXPECT_NEAR(f.velocity[3 * at + 1], -1.0 / std::sqrt(2.0), 1e-15);
  EXPECT_EQ(f.velocity[3 * at + 2], 0.0);
  EXPECT_NEAR(f.vorticity[at], std::sqrt(2.0), 1e-13);
}

TEST(TaylorGreenCheck, OddOrTinyGridsAreRefused) {
  EXPECT_THROW(spectral::make_taylor_green_check(core::Backend::Cpu, 7, {1, 1, 0}), core::Error);
  EXPECT_THROW(spectral::make_taylor_green_check(core::Backend::Cpu, 2, {1, 1, 0}), core::Error);
}

}  // namespace
}  // namespace twinsim::test
