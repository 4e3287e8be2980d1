// The NIST state point T = 0.85, rho = 0.776 (LJ rc 3.0 + tail corrections) from a long
// Nose-Hoover chain run: 100,000 sampled steps (500 tau) of 500 atoms. Labelled slow.
#include <gtest/gtest.h>

#include <cstdio>

#include "backends.hpp"
#include "md_nist.hpp"

namespace twinsim::test {
namespace {

template <class Tag>
class MdNistLong : public ::testing::Test {};
TYPED_TEST_SUITE(MdNistLong, AllBackends, BackendName);

TYPED_TEST(MdNistLong, EnergyAndPressureWithinNistUncertaintyPlusMargin) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const NistSample s = nist_run(TypeParam::k_backend, 1000, 4000, 100000);
  const double u = sample_mean(s.energy_per_atom), p = sample_mean(s.pressure);
  const double u_error = block_standard_error(s.energy_per_atom);
  const double p_error = block_standard_error(s.pressure);
  std::printf("NIST long: U/N %.5f +- %.5f (NIST %.6f +- %.5f), P %.5f +- %.5f (NIST %.4g)\n", u,
              u_error, k_nist_energy, k_nist_energy_uncertainty, p, p_error, k_nist_pressure);
  // Statistical margin: 4 block standard errors of a 100,000-step run, measured at 0.0012 for
  // U/N and 0.006 for P; plus NIST's uncertainty. MD at dt = 0.005 samples the truncated
  // potential's forces (no impulsive cutoff term), which moves U/N by less than 1e-3.
  EXPECT_NEAR(u, k_nist_energy, k_nist_energy_uncertainty + 0.005);
  EXPECT_NEAR(p, k_nist_pressure, 0.025);
  EXPECT_LT(u_error, 0.0025);
  EXPECT_LT(p_error, 0.0125);
}

}  // namespace
}  // namespace twinsim::test
