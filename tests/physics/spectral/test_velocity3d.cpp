// The 3D velocity-form solver against analytic results: the exact decay of the ABC (Beltrami)
// flow, the Taylor-Green initial figures of the Re = 1600 benchmark, the energy balance
// dE/dt = -2 nu Z, inviscid energy conservation and a divergence-free velocity; every backend.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "backends.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/spectral/Velocity3D.hpp"

namespace twinsim::test {
namespace {

using spectral::Initial3D;
using spectral::Velocity3DConfig;

template <class Tag>
class Velocity3DPrecisionTest : public ::testing::Test {};
TYPED_TEST_SUITE(Velocity3DPrecisionTest, AllBackendsAndPrecisions, BackendPrecisionName);

template <class Tag>
class Velocity3DTest : public ::testing::Test {};
TYPED_TEST_SUITE(Velocity3DTest, AllBackends, BackendName);

// ABC flow with A = B = C = 1 on [0, 2 pi)^3 has curl u = u: u x w = 0, so the velocity decays
// as exp(-nu t) exactly. RK4 with the integrating factor leaves round-off: FP64 1e-13 of the
// amplitude, FP32 1e-5.
TYPED_TEST(Velocity3DPrecisionTest, AbcFlowDecaysExactly) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  const double tol = std::is_same_v<Real, double> ? 1e-13 : 1e-5;
  Velocity3DConfig c;
  c.nx = c.ny = c.nz = 16;
  c.nu = 0.1;
  c.dt = 0.05;
  c.batch = 2;
  auto solver = spectral::make_velocity3d<Real>(TypeParam::k_backend, c);
  solver->set_initial(Initial3D::abc, 1.0);
  const std::vector<Real> u0 = solver->velocity();
  solver->advance(40);
  const double decay = std::exp(-c.nu * solver->time());
  const std::vector<Real> u = solver->velocity();
  double worst = 0;
  for (std::size_t i = 0; i < u.size(); ++i)
    worst = std::max(worst, std::abs(double(u[i]) - decay * double(u0[i])));
  std::printf("[ figure ] ABC flow max |u - exact| / amplitude at t = 2: %.3e\n", worst / 2.0);
  EXPECT_LT(worst, tol * 2.0 * decay);  // |u| <= 2
  // Mean energy 1/2 <|u|^2> = 3/2 at t = 0 (three components of mean square 1).
  for (double e : solver->kinetic_energy()) EXPECT_NEAR(e, 1.5 * decay * decay, 10 * tol);
}

// Taylor-Green at Re = 1600 (V0 = 1, [0, 2 pi)^3): E(0) = 0.125 and Z(0) = 0.375 exactly
// (reference/fluids.md); the projection keeps the velocity divergence-free while it evolves; and
// the energy follows the balance dE/dt = -2 nu Z (the dealiased nonlinear term conserves E),
// checked by the trapezoidal rule over steps.
TYPED_TEST(Velocity3DTest, TaylorGreenFiguresAndEnergyBalance) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  Velocity3DConfig c;
  c.nx = c.ny = c.nz = 32;
  c.dt = 0.01;
  auto solver = spectral::make_velocity3d<double>(TypeParam::k_backend, c);
  solver->set_initial(Initial3D::taylor_green, 1.0);
  EXPECT_NEAR(solver->kinetic_energy()[0], 0.125, 1e-15);
  EXPECT_NEAR(solver->enstrophy()[0], 0.375, 1e-14);
  double e = solver->kinetic_energy()[0], z = solver->enstrophy()[0], dissipated = 0;
  const double e0 = e;
  for (int i = 0; i < 100; ++i) {  // to t = 1
    solver->advance(1);
    const double z1 = solver->enstrophy()[0];
    dissipated += 0.5 * c.dt * 2 * c.nu * (z + z1);
    z = z1;
    EXPECT_LT(solver->relative_divergence()[0], 1e-14);
  }
  e = solver->kinetic_energy()[0];
  std::printf("[ figure ] TG3D t = 1: E = %.8f, E(0) - E - int 2 nu Z dt = %.3e\n", e,
              e0 - e - dissipated);
  // Trapezoidal quadrature error of int 2 nu Z dt: (dt^2 / 12) 2 nu |dZ/dt| ~ 1e-9 here.
  EXPECT_NEAR(e0 - e, dissipated, 1e-8);
}

// Without viscosity the energy of the dealiased system is conserved; RK4 drifts at order 4.
TYPED_TEST(Velocity3DTest, InviscidEnergyConservedToFourthOrder) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  double drift[2];
  for (int h = 0; h < 2; ++h) {
    Velocity3DConfig c;
    c.nx = c.ny = c.nz = 16;
    c.nu = 0;
    c.dt = 0.1 / (1 << h);
    auto solver = spectral::make_velocity3d<double>(TypeParam::k_backend, c);
    solver->set_initial(Initial3D::taylor_green, 1.0);
    solver->advance(std::llround(2.0 / c.dt));
    drift[h] = std::abs(solver->kinetic_energy()[0] - 0.125) / 0.125;
  }
  const double order = std::log2(drift[0] / drift[1]);
  std::printf("[ figure ] TG3D inviscid energy drift %.3e at dt = 0.1, %.3e at 0.05: order %.2f\n",
              drift[0], drift[1], order);
  EXPECT_LT(drift[0], 1e-5);
  EXPECT_GT(order, 3.5);
}

// CPU and GPU agree on a Taylor-Green run to round-off.
TEST(Velocity3D, CpuAndGpuAgree) {
  if (const char* why = GpuTag::skip_reason()) GTEST_SKIP() << why;
  Velocity3DConfig c;
  c.nx = c.ny = c.nz = 32;
  std::vector<std::vector<double>> u;
  for (core::Backend backend : {core::Backend::Cpu, core::Backend::Gpu}) {
    auto solver = spectral::make_velocity3d<double>(backend, c);
    solver->set_initial(Initial3D::taylor_green, 1.0);
    solver->advance(50);
    u.push_back(solver->velocity());
  }
  double worst = 0;
  for (std::size_t i = 0; i < u[0].size(); ++i)
    worst = std::max(worst, std::abs(u[0][i] - u[1][i]));
  EXPECT_LT(worst, 1e-12);  // |u| <= 1
}

TEST(Velocity3D, BadSettingsAreRefused) {
  Velocity3DConfig c;
  c.nz = 5;
  EXPECT_THROW(spectral::make_velocity3d<double>(core::Backend::Cpu, c), core::Error);
}

}  // namespace
}  // namespace twinsim::test
