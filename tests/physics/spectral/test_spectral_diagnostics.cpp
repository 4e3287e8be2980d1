// Diagnostics and adaptive steps of the spectral solvers, on every backend:
// - the shell-summed energy spectrum E(k) against analytic single-mode fields (all the energy in
//   the shell of |k|, the exact amount) and against a plain host binning of a host FFT of the
//   grid values; sum_k E(k) against the mean 1/2 |u|^2 taken on the grid;
// - the CFL step: dt = cfl * h / max|u| against the analytic velocity of the Taylor-Green vortex
//   (decaying: dt grows) and of the laminar Kolmogorov flow started from rest (accelerating: dt
//   shrinks); intervals end exactly on their snapshot times; the Taylor-Green error of an
//   adaptive run within the bound of a fixed-step run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "backends.hpp"
#include "twinsim/core/Fft.hpp"
#include "twinsim/spectral/Velocity3D.hpp"
#include "twinsim/spectral/Vorticity2D.hpp"

namespace twinsim::test {
namespace {

using spectral::Scheme;
using spectral::Vorticity2DConfig;

template <class Tag>
class SpectrumPrecisionTest : public ::testing::Test {};
TYPED_TEST_SUITE(SpectrumPrecisionTest, AllBackendsAndPrecisions, BackendPrecisionName);
template <class Tag>
class SpectralDiagnosticsTest : public ::testing::Test {};
TYPED_TEST_SUITE(SpectralDiagnosticsTest, AllBackends, BackendName);

double sum(const std::vector<double>& v, std::size_t from, std::size_t count) {
  double s = 0;
  for (std::size_t i = from; i < from + count; ++i) s += v[i];
  return s;
}

// 2D Taylor-Green u = u0 sin(ax) cos(by), v = -u0 (a/b) cos(ax) sin(by): one wavevector
// (+-a, +-b), mean energy u0^2 (1 + a^2/b^2) / 8, all in the shell round(sqrt(a^2 + b^2) / dk).
// Square 2 pi box, mode 1: shell 1 (|k| = 1.41); a 2 x 1 box (dk = pi, |k| = pi sqrt 5): shell 2.
TYPED_TEST(SpectrumPrecisionTest, TaylorGreen2DLandsInItsShell) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  const double tol = std::is_same_v<Real, double> ? 1e-14 : 1e-6;
  struct Box {
    double lx, ly;
    int mode, shell;
  };
  for (const Box& box : {Box{2 * M_PI, 2 * M_PI, 1, 1}, Box{2.0, 1.0, 1, 2}, Box{1, 1, 2, 3}}) {
    Vorticity2DConfig c;
    c.nx = 32;
    c.ny = 16;
    c.lx = box.lx;
    c.ly = box.ly;
    c.batch = 2;
    auto solver = spectral::make_vorticity2d<Real>(TypeParam::k_backend, c);
    const double u0 = 1.5;
    solver->set_taylor_green(u0, box.mode);
    const double a = 2 * M_PI * box.mode / box.lx, b = 2 * M_PI * box.mode / box.ly;
    const double energy = u0 * u0 * (1 + a * a / (b * b)) / 8;
    EXPECT_DOUBLE_EQ(solver->spectrum_shell_width(), 2 * M_PI / std::max(box.lx, box.ly));
    const std::vector<double> e = solver->energy_spectrum();
    const std::size_t shells = std::size_t(solver->spectrum_shells());
    ASSERT_EQ(e.size(), 2 * shells);
    for (std::size_t s = 0; s < 2 * shells; ++s)
      EXPECT_NEAR(e[s], int(s % shells) == box.shell ? energy : 0.0, tol * energy)
          << "box " << box.lx << " x " << box.ly << ", shell " << s % shells;
  }
}

// A random field against a plain reference: the host transforms the grid vorticity itself and
// bins 1/2 |w_k|^2 / |k|^2 by round(|k| / dk) over the whole plane (not the r2c half the solver
// uses); and sum_k E(k) against 1/2 <u^2 + v^2> from that transform.
TYPED_TEST(SpectralDiagnosticsTest, RandomField2DMatchesAHostBinning) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  Vorticity2DConfig c;
  c.nx = 32;
  c.ny = 24;
  c.ly = 0.75;
  c.batch = 3;
  auto solver = spectral::make_vorticity2d<double>(TypeParam::k_backend, c);
  solver->set_random_field({}, {11, 12, 13});
  const std::vector<double> w = solver->vorticity(c.ny, c.nx);
  const std::vector<double> e = solver->energy_spectrum();
  const int shells = solver->spectrum_shells();
  const double dk = 2 * M_PI;  // 2 pi / max(1, 0.75)

  const int nkx = c.nx / 2 + 1;
  std::vector<core::Complex<double>> modes(std::size_t(c.batch) * c.ny * nkx);
  core::make_real_fft<double>(core::Backend::Cpu, {c.ny, c.nx}, c.batch)
      ->forward(w.data(), modes.data());
  const double norm = 1.0 / (double(c.nx) * c.ny);
  for (int b = 0; b < c.batch; ++b) {
    std::vector<double> reference(shells, 0.0);
    for (int jy = 0; jy < c.ny; ++jy)
      for (int jx = 0; jx < c.nx; ++jx) {  // the whole plane: -kx from the conjugate
        const int sx = jx <= c.nx / 2 ? jx : jx - c.nx, sy = jy <= c.ny / 2 ? jy : jy - c.ny;
        const int hx = sx >= 0 ? sx : -sx, hy = sx >= 0 ? jy : (c.ny - jy) % c.ny;
        const auto m = modes[(std::size_t(b) * c.ny + hy) * nkx + hx];
        const double kx = 2 * M_PI * sx / c.lx, ky = 2 * M_PI * sy / c.ly;
        const double k2 = kx * kx + ky * ky;
        if (k2 == 0) continue;
        reference[std::lround(std::sqrt(k2) / dk)] +=
            0.5 * (m.re * m.re + m.im * m.im) * norm * norm / k2;
      }
    const double total = sum(reference, 0, shells);
    for (int s = 0; s < shells; ++s)
      EXPECT_NEAR(e[std::size_t(b) * shells + s], reference[s], 1e-12 * total)
          << "sample " << b << " shell " << s;
    EXPECT_NEAR(sum(e, std::size_t(b) * shells, shells), total, 1e-12 * total);
    EXPECT_NEAR(solver->kinetic_energy()[b], total, 1e-12 * total);
  }
}

// A 3D field with each component independent of its own coordinate (so divergence-free):
// u = 0.5 sin(2y + 0.3) + 0.4 cos(3z), v = 0.7 sin(x) + 0.2 cos(2z + 1), w = 0.6 sin(x + 2y).
// A wave A sin(k.x + p) carries 1/2 <A^2 sin^2> = A^2 / 4 in the shell round(|k|):
// |k| = 2, 3, 1, 2, sqrt 5 -> shells 2, 3, 1, 2, 2. The grid mean of 1/2 |u|^2 is their sum.
TYPED_TEST(SpectrumPrecisionTest, ThreeDimensionalWavesLandInTheirShells) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  const double tol = std::is_same_v<Real, double> ? 1e-14 : 1e-6;
  spectral::Velocity3DConfig c;
  c.nx = c.ny = c.nz = 16;
  auto solver = spectral::make_velocity3d<Real>(TypeParam::k_backend, c);
  const int n = c.nx;
  const std::size_t points = std::size_t(n) * n * n;
  std::vector<Real> u(3 * points);
  double grid_energy = 0;
  for (int z = 0; z < n; ++z)
    for (int y = 0; y < n; ++y)
      for (int x = 0; x < n; ++x) {
        const double px = 2 * M_PI * x / n, py = 2 * M_PI * y / n, pz = 2 * M_PI * z / n;
        const double a = 0.5 * std::sin(2 * py + 0.3) + 0.4 * std::cos(3 * pz);
        const double b = 0.7 * std::sin(px) + 0.2 * std::cos(2 * pz + 1.0);
        const double d = 0.6 * std::sin(px + 2 * py);
        const std::size_t i = (std::size_t(z) * n + y) * n + x;
        u[i] = Real(a);
        u[points + i] = Real(b);
        u[2 * points + i] = Real(d);
        grid_energy += 0.5 * (a * a + b * b + d * d) / double(points);
      }
  solver->set_velocity(u);
  EXPECT_LT(solver->relative_divergence()[0], 10 * tol);
  const std::vector<double> e = solver->energy_spectrum();
  std::vector<double> expected(solver->spectrum_shells(), 0.0);
  expected[2] = (0.25 + 0.04 + 0.36) / 4;
  expected[3] = 0.16 / 4;
  expected[1] = 0.49 / 4;
  ASSERT_EQ(e.size(), expected.size());
  EXPECT_EQ(solver->spectrum_shells(), 15);  // |k| up to 8 sqrt 3 = 13.9: shells 0..14
  for (std::size_t s = 0; s < e.size(); ++s) EXPECT_NEAR(e[s], expected[s], tol) << "shell " << s;
  EXPECT_NEAR(sum(e, 0, e.size()), grid_energy, tol);
  // Taylor-Green (Re = 1600 start): modes (+-1, +-1, +-1), |k| = sqrt 3 -> shell 2, E = 1/8.
  solver->set_initial(spectral::Initial3D::taylor_green, 1.0);
  const std::vector<double> tg = solver->energy_spectrum();
  for (std::size_t s = 0; s < tg.size(); ++s) EXPECT_NEAR(tg[s], s == 2 ? 0.125 : 0.0, tol);
}

// Decaying 2D Taylor-Green, rk4_if: the grid maximum of |u| and |v| is u0 F(t) (the grid has
// the points x = pi/2, y = 0), so the CFL step at time t is cfl h / (u0 F(t)) and grows as the
// vortex decays. The error stays at round-off, as with fixed steps (nonlinear term zero,
// viscosity exact); each interval ends exactly on its snapshot time; fixed steps afterwards use
// the configured dt again.
TYPED_TEST(SpectralDiagnosticsTest, AdaptiveStepFollowsTheTaylorGreenVelocity) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  Vorticity2DConfig c;
  c.nx = c.ny = 32;
  c.lx = c.ly = 2 * M_PI;
  c.nu = 0.05;
  c.dt = 0.05;  // the cap
  auto solver = spectral::make_vorticity2d<double>(TypeParam::k_backend, c);
  const double u0 = 1.5, cfl = 0.2, h = 2 * M_PI / 32;
  solver->set_taylor_green(u0, 1);
  std::int64_t previous = 1 << 30;
  for (int k = 1; k <= 5; ++k) {
    const double t0 = solver->time();
    const std::int64_t steps = solver->advance_cfl(1.0, cfl);
    EXPECT_EQ(solver->time(), double(k)) << "interval " << k;  // exact, not summed
    // dt grows from cfl h / (u0 F(t0)) to cfl h / (u0 F(t0 + 1)): the step count lies between.
    const double dt_start = cfl * h / (u0 * std::exp(-2 * c.nu * t0));
    const double dt_end = cfl * h / (u0 * std::exp(-2 * c.nu * (t0 + 1)));
    EXPECT_GE(double(steps), 1.0 / dt_end - 1e-9) << "interval " << k;
    EXPECT_LE(double(steps), 1.0 / dt_start + 1.0) << "interval " << k;
    EXPECT_LE(steps, previous);  // the vortex decays, the step grows
    EXPECT_LE(solver->last_dt(), dt_end * (1 + 1e-12));
    previous = steps;
  }
  const double decay = std::exp(-2 * c.nu * 5.0);
  std::vector<double> w = solver->vorticity(c.ny, c.nx);
  double worst = 0;
  for (int y = 0; y < c.ny; ++y)
    for (int x = 0; x < c.nx; ++x)
      worst = std::max(worst, std::abs(w[y * c.nx + x] - 2 * u0 * std::sin(x * h) *
                                                             std::sin(y * h) * decay));
  std::printf("[ figure ] adaptive rk4_if Taylor-Green max |w - exact| / amplitude at t = 5: "
              "%.3e (fixed-step bound 1e-13)\n", worst / (2 * u0 * decay));
  EXPECT_LT(worst, 1e-13 * 2 * u0 * decay);
  solver->advance(20);  // fixed steps again: the configured dt and its integrating factor
  EXPECT_DOUBLE_EQ(solver->time(), 6.0);
  EXPECT_DOUBLE_EQ(solver->last_dt(), c.dt);
  w = solver->vorticity(c.ny, c.nx);
  const double decay6 = std::exp(-2 * c.nu * 6.0);
  EXPECT_NEAR(w[8 * c.nx + 8], 2 * u0 * decay6, 1e-13 * 2 * u0);  // x = y = pi/2
}

// cn_heun's Crank-Nicolson viscosity has a time error on Taylor-Green that falls with dt; an
// adaptive run whose steps never exceed the fixed run's dt meets the fixed run's error (bound:
// 1.01 x, plus round-off), and the CFL step is what limits it here.
TYPED_TEST(SpectralDiagnosticsTest, AdaptiveStepMeetsTheFixedStepError) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  Vorticity2DConfig c;
  c.nx = c.ny = 32;
  c.lx = c.ly = 2 * M_PI;
  c.nu = 0.05;
  c.dt = 0.04;
  c.scheme = Scheme::cn_heun;
  const double u0 = 1.5, h = 2 * M_PI / 32, t_end = 4.0;
  const auto error = [&](double cfl) {
    auto solver = spectral::make_vorticity2d<double>(TypeParam::k_backend, c);
    solver->set_taylor_green(u0, 1);
    if (cfl > 0)
      for (int k = 0; k < 4; ++k) solver->advance_cfl(1.0, cfl);
    else
      solver->advance(std::llround(t_end / c.dt));
    const std::vector<double> w = solver->vorticity(c.ny, c.nx);
    const double decay = std::exp(-2 * c.nu * t_end);
    double worst = 0;
    for (int y = 0; y < c.ny; ++y)
      for (int x = 0; x < c.nx; ++x)
        worst = std::max(worst, std::abs(w[y * c.nx + x] - 2 * u0 * std::sin(x * h) *
                                                               std::sin(y * h) * decay));
    return worst / (2 * u0 * decay);
  };
  const double fixed = error(0), cfl = 0.2;  // CFL step <= 0.2 h / u0 = 0.026 < dt
  const double adaptive = error(cfl);
  std::printf("[ figure ] cn_heun Taylor-Green error at t = 4: fixed dt 0.04 %.3e, adaptive "
              "cfl 0.2 %.3e\n", fixed, adaptive);
  EXPECT_LT(adaptive, 1.01 * fixed + 1e-14);
  EXPECT_GT(fixed, 1e-9);  // the comparison means something: a time error, not round-off
}

// The laminar Kolmogorov flow from rest: body force A sin(kf y) e_x gives
// u = U(t) sin(kf y), U = A / (nu kf^2) (1 - exp(-nu kf^2 t)), v = 0 (nonlinear term zero).
// The grid holds sin(kf y) = 1 (kf = 4, 32 points), so the CFL step is cfl h / U(t): it shrinks
// as the flow accelerates. The first step, from rest, is the cap.
TYPED_TEST(SpectralDiagnosticsTest, AdaptiveStepShrinksAsTheFlowAccelerates) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  Vorticity2DConfig c;
  c.nx = c.ny = 32;
  c.lx = c.ly = 2 * M_PI;
  c.nu = 0.01;
  c.dt = 0.1;
  c.forcing = {spectral::ForcingKind::kolmogorov, 1.0, 4};
  auto solver = spectral::make_vorticity2d<double>(TypeParam::k_backend, c);
  solver->set_vorticity(std::vector<double>(std::size_t(c.nx) * c.ny, 0.0));
  const double cfl = 0.2, h = 2 * M_PI / 32, kf = 4, rate = c.nu * kf * kf;
  const auto speed = [&](double t) { return 1.0 / (c.nu * kf * kf) * (1 - std::exp(-rate * t)); };
  EXPECT_EQ(solver->advance_cfl(0.1, cfl), 1);  // from rest: one step of the cap
  EXPECT_EQ(solver->last_dt(), c.dt);
  std::int64_t previous = 1;
  for (int k = 1; k <= 6; ++k) {
    const double t0 = solver->time();
    const std::int64_t steps = solver->advance_cfl(0.5, cfl);
    const double t = solver->time(), dt = solver->last_dt();
    EXPECT_NEAR(t, 0.1 + 0.5 * k, 1e-15);
    // The last step started at t - dt and kept within the bound there.
    EXPECT_LE(dt, std::min(c.dt, cfl * h / speed(t - dt)) * (1 + 1e-9)) << "t " << t;
    // Steps needed at the local bound: the integral of 1 / dt_bound(t) over the interval. The
    // solver takes a few more (a step's bound is set at its start while U grows, and the
    // remainder is split into equal steps): within 25 % + 1.
    double needed = 0;
    for (int q = 0; q < 1000; ++q) {
      const double tq = t0 + 0.5 * (q + 0.5) / 1000;
      needed += 0.5 / 1000 / std::min(c.dt, cfl * h / speed(tq));
    }
    std::printf("[ figure ] Kolmogorov interval to t = %.1f: %lld steps, %.2f needed at the "
                "bound, last dt %.4f\n", t, (long long)steps, needed, dt);
    EXPECT_GE(double(steps), needed - 1e-9) << "t " << t;
    EXPECT_LE(double(steps), 1.25 * needed + 1) << "t " << t;
    EXPECT_GT(steps, previous) << "t " << t;  // the flow accelerates, the step shrinks
    previous = steps;
  }
  // The flow itself: w = -U kf cos(kf y).
  const std::vector<double> w = solver->vorticity(c.ny, c.nx);
  const double amplitude = speed(solver->time()) * kf;
  double worst = 0;
  for (int y = 0; y < c.ny; ++y)
    worst = std::max(worst, std::abs(w[y * c.nx + 3] + amplitude * std::cos(kf * y * h)));
  std::printf("[ figure ] Kolmogorov from rest, adaptive: max |w - exact| / amplitude %.2e\n",
              worst / amplitude);
  EXPECT_LT(worst, 1e-6 * amplitude);
}

// The 3D step: ABC flow (A = B = C = 1) decays exactly as exp(-nu t) with max |u_i| = 2 F on
// the grid, so the CFL step is cfl h / (2 F); the error stays at round-off.
TYPED_TEST(SpectralDiagnosticsTest, AdaptiveStep3DFollowsTheAbcVelocity) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  spectral::Velocity3DConfig c;
  c.nx = c.ny = c.nz = 16;
  c.nu = 0.1;
  c.dt = 0.5;
  auto solver = spectral::make_velocity3d<double>(TypeParam::k_backend, c);
  solver->set_initial(spectral::Initial3D::abc, 1.0);
  const std::vector<double> u0 = solver->velocity();
  const double cfl = 0.3, h = 2 * M_PI / 16;
  const std::int64_t steps = solver->advance_cfl(1.0, cfl);
  EXPECT_EQ(solver->time(), 1.0);
  // dt from cfl h / 2 (t = 0) to cfl h / (2 e^-0.1) (t = 1).
  EXPECT_GE(double(steps), 2 * std::exp(-0.1) / (cfl * h) - 1e-9);
  EXPECT_LE(double(steps), 2 / (cfl * h) + 1);
  const std::vector<double> u = solver->velocity();
  double worst = 0;
  for (std::size_t i = 0; i < u.size(); ++i)
    worst = std::max(worst, std::abs(u[i] - std::exp(-c.nu) * u0[i]));
  EXPECT_LT(worst, 1e-13 * 2);
}

// CPU and GPU: the same shell sums (the summation order depends on the mode count only) and the
// same adaptive step sequence, to round-off of the FFT libraries.
TEST(SpectralDiagnostics, CpuAndGpuAgree) {
  if (const char* why = GpuTag::skip_reason()) GTEST_SKIP() << why;
  Vorticity2DConfig c;
  c.nx = c.ny = 64;
  c.batch = 2;
  c.dt = 1e-2;
  c.forcing = {spectral::ForcingKind::fno, 0.1, 0};
  std::vector<std::vector<double>> e;
  std::vector<std::int64_t> steps;
  for (core::Backend backend : {core::Backend::Cpu, core::Backend::Gpu}) {
    auto solver = spectral::make_vorticity2d<double>(backend, c);
    solver->set_random_field({}, {3, 4});
    steps.push_back(solver->advance_cfl(0.5, 0.5));
    e.push_back(solver->energy_spectrum());
  }
  EXPECT_EQ(steps[0], steps[1]);
  const double total = sum(e[0], 0, e[0].size());
  for (std::size_t s = 0; s < e[0].size(); ++s) EXPECT_NEAR(e[0][s], e[1][s], 1e-11 * total);
  spectral::Velocity3DConfig c3;
  c3.nx = c3.ny = c3.nz = 32;
  std::vector<std::vector<double>> e3;
  for (core::Backend backend : {core::Backend::Cpu, core::Backend::Gpu}) {
    auto solver = spectral::make_velocity3d<double>(backend, c3);
    solver->set_initial(spectral::Initial3D::taylor_green, 1.0);
    solver->advance_cfl(1.0, 0.5);
    e3.push_back(solver->energy_spectrum());
  }
  for (std::size_t s = 0; s < e3[0].size(); ++s) EXPECT_NEAR(e3[0][s], e3[1][s], 1e-13);
}

}  // namespace
}  // namespace twinsim::test
