// 3D Taylor-Green vortex at Re = 1600 on [0, 2 pi)^3 at 256^3 (slow: a minute on a GPU, about
// six hours on 2 CPU cores): the peak of the dissipation 2 nu Z against the spectral DNS value
// 0.012855 at t = 9.0 (reference/fluids.md). Bound: 3 % on the peak and the peak within
// [8.5, 9.5]. 256^3 with the 2/3 rule (kmax = 85) has kmax eta ~ 1.0 at the peak (eta ~ 0.012),
// the usual resolution of a converged spectral DNS. 128^3 is not enough: measured on the CPU,
// 0.013759 at t = 8.9 (7.0 % high; kmax eta ~ 0.5, energy piles up at the cutoff and raises
// the enstrophy), and 64^3 gave 0.013395 (4.2 % high). Not yet run at 256^3 (no GPU so far).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "backends.hpp"
#include "twinsim/spectral/Analysis.hpp"
#include "twinsim/spectral/Velocity3D.hpp"

namespace twinsim::test {
namespace {

template <class Tag>
class TaylorGreen3DTest : public ::testing::Test {};
TYPED_TEST_SUITE(TaylorGreen3DTest, AllBackends, BackendName);

TYPED_TEST(TaylorGreen3DTest, PeakDissipationAtRe1600) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  spectral::Velocity3DConfig c;
  c.nx = c.ny = c.nz = 256;
  c.nu = 1.0 / 1600;
  c.dt = 5e-3;  // CFL |u| kmax dt ~ 0.4
  auto solver = spectral::make_velocity3d<double>(TypeParam::k_backend, c);
  solver->set_initial(spectral::Initial3D::taylor_green, 1.0);
  std::vector<double> times, dissipation;
  while (solver->time() < 10.0 - 1e-9) {
    solver->advance(20);  // every 0.1 time units
    times.push_back(solver->time());
    dissipation.push_back(2 * c.nu * solver->enstrophy()[0]);
  }
  // The largest record, as the spectral3d run's summary reports it (dissipation.peak).
  const spectral::Peak peak = spectral::peak_of(times, dissipation);
  std::printf(
      "[ figure ] TG3D Re=1600 256^3: peak dissipation %.6f at t = %.2f (reference "
      "0.012855 at 9.0); between records %.6f at t = %.3f\n",
      peak.value, peak.time, peak.value_interpolated, peak.time_interpolated);
  EXPECT_NEAR(peak.value, 0.012855, 0.03 * 0.012855);
  EXPECT_NEAR(peak.time, 9.0, 0.5);
}

}  // namespace
}  // namespace twinsim::test
