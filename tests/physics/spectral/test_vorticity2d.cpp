// The batched 2D vorticity solver against analytic results: the exact Taylor-Green decay, the
// temporal order of each scheme, inviscid conservation of energy and enstrophy, the requested
// spectrum of the random initial field, spectral truncation, and independence of batch
// members, and the divergence check's one reduction; on every backend.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "backends.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/ExecCounts.hpp"
#include "twinsim/core/Fft.hpp"
#include "twinsim/spectral/Vorticity2D.hpp"

namespace twinsim::test {
namespace {

using spectral::Scheme;
using spectral::Vorticity2DConfig;

template <class Real>
double max_abs(const std::vector<Real>& a) {
  double m = 0;
  for (Real x : a) m = std::max(m, std::abs(double(x)));
  return m;
}
template <class Real>
double max_difference(const std::vector<Real>& a, const std::vector<Real>& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(double(a[i]) - b[i]));
  return m;
}

// A band-limited vorticity (modes |j| <= 3 on the unit torus, inside the 2/3 rule for n >= 10)
// with no symmetry that would switch the nonlinear term off: w = sum_m c_m cos(2 pi k_m.x + p_m).
// Amplitude 2 makes |u| ~ 0.6: an eddy turnover ~0.3 time units, strongly nonlinear by t = 1.
constexpr double k_amplitude = 2.0;
std::vector<double> smooth_vorticity(int n, double amplitude) {
  struct Wave {
    int kx, ky;
    double c, phase;
  };
  const Wave waves[] = {{1, 0, 1.0, 0.3},  {0, 1, 0.8, 1.1}, {1, 1, 0.6, 2.0},
                        {2, -1, 0.5, 0.7}, {1, 3, 0.3, 2.9}, {3, 2, 0.2, 4.0}};
  std::vector<double> w(std::size_t(n) * n);
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      double s = 0;
      for (const Wave& m : waves)
        s += m.c * std::cos(2 * M_PI * (m.kx * double(x) / n + m.ky * double(y) / n) + m.phase);
      w[std::size_t(y) * n + x] = amplitude * s;
    }
  return w;
}

template <class Tag>
class Vorticity2DPrecisionTest : public ::testing::Test {};
TYPED_TEST_SUITE(Vorticity2DPrecisionTest, AllBackendsAndPrecisions, BackendPrecisionName);

template <class Tag>
class Vorticity2DTest : public ::testing::Test {};
TYPED_TEST_SUITE(Vorticity2DTest, AllBackends, BackendName);

// Taylor-Green w = 2 u0 sin x sin y exp(-2 nu t) on [0, 2 pi)^2 is an exact solution whose
// nonlinear term vanishes; RK4 with the integrating factor treats viscosity exactly, so only
// round-off remains: FP64 1e-13 of the amplitude, FP32 a few ulps (1e-5).
TYPED_TEST(Vorticity2DPrecisionTest, TaylorGreenDecaysAtTheExactRate) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  const double tol = std::is_same_v<Real, double> ? 1e-13 : 1e-5;
  Vorticity2DConfig c;
  c.nx = c.ny = 32;
  c.lx = c.ly = 2 * M_PI;
  c.nu = 0.05;
  c.dt = 0.05;
  c.batch = 2;
  auto solver = spectral::make_vorticity2d<Real>(TypeParam::k_backend, c);
  const double u0 = 1.5;
  solver->set_taylor_green(u0, 1);
  solver->advance(200);
  const double t = solver->time(), decay = std::exp(-2 * c.nu * t);
  ASSERT_DOUBLE_EQ(t, 10.0);
  const std::vector<Real> w = solver->vorticity(c.ny, c.nx);
  double worst = 0;
  for (int b = 0; b < c.batch; ++b)
    for (int y = 0; y < c.ny; ++y)
      for (int x = 0; x < c.nx; ++x) {
        const double exact =
            2 * u0 * std::sin(2 * M_PI * x / c.nx) * std::sin(2 * M_PI * y / c.ny) * decay;
        worst = std::max(worst, std::abs(w[(std::size_t(b) * c.ny + y) * c.nx + x] - exact));
      }
  const double amplitude = 2 * u0 * decay;
  EXPECT_LT(worst, tol * amplitude);
  std::printf("[ figure ] Taylor-Green max |w - exact| / amplitude at t = 10: %.3e\n",
              worst / amplitude);
  // Energy (u0^2 / 4) F^2 and enstrophy (1/2)<w^2> = (u0^2 / 2) F^2 (k = 1).
  for (double e : solver->kinetic_energy())
    EXPECT_NEAR(e, 0.25 * u0 * u0 * decay * decay, tol * u0 * u0);
  for (double z : solver->enstrophy()) EXPECT_NEAR(z, 0.5 * u0 * u0 * decay * decay, tol * u0 * u0);
}

// Order of a scheme by step halving on a forced nonlinear problem (FNO forcing, unit torus):
// p = log2(|w_dt - w_dt/2| / |w_dt/2 - w_dt/4|). Expected: rk4_if 4, cn_heun 2, cn_euler 1.
double measured_order(core::Backend backend, Scheme scheme, double dt) {
  Vorticity2DConfig c;
  c.nx = c.ny = 32;
  c.nu = 5e-3;
  c.scheme = scheme;
  c.forcing = {spectral::ForcingKind::fno, 1.0, 0};
  const double t_end = 1.0;
  std::vector<std::vector<double>> w;
  for (int halvings = 0; halvings < 3; ++halvings) {
    c.dt = dt / (1 << halvings);
    auto solver = spectral::make_vorticity2d<double>(backend, c);
    solver->set_vorticity(smooth_vorticity(c.nx, k_amplitude));
    solver->advance(std::llround(t_end / c.dt));
    w.push_back(solver->vorticity(c.ny, c.nx));
  }
  return std::log2(max_difference(w[0], w[1]) / max_difference(w[1], w[2]));
}

TYPED_TEST(Vorticity2DTest, TemporalOrderOfEachScheme) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  struct Expected {
    Scheme scheme;
    double order, dt;
  };
  for (const Expected& e : {Expected{Scheme::rk4_if, 4, 0.01}, Expected{Scheme::cn_heun, 2, 0.01},
                            Expected{Scheme::cn_euler, 1, 0.0025}}) {
    const double p = measured_order(TypeParam::k_backend, e.scheme, e.dt);
    std::printf("[ figure ] %s: measured order %.3f (expected %.0f)\n",
                std::string(spectral::to_string(e.scheme)).c_str(), p, e.order);
    EXPECT_NEAR(p, e.order, 0.15) << spectral::to_string(e.scheme);
  }
}

// Without viscosity and forcing the dealiased (Galerkin) system conserves energy and
// enstrophy exactly; what drifts is the time discretisation's error, so the drift falls at
// least as dt^4 for rk4_if and dt^2 for cn_heun (measured: about 3 for cn_heun, whose
// trapezoidal corrector conserves quadratic invariants to one order more). Drifts are signed
// sums whose leading terms may partly cancel, so the order is checked to within 0.5.
TYPED_TEST(Vorticity2DTest, InviscidRunsConserveEnergyToTheSchemesOrder) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  struct Expected {
    Scheme scheme;
    double order, dt, bound;  // bound: relative drift allowed at dt (a CFL number ~0.4 at 32^2)
  };
  for (const Expected& e :
       {Expected{Scheme::rk4_if, 4, 0.01, 1e-6}, Expected{Scheme::cn_heun, 2, 0.01, 1e-3}}) {
    double drift[2][2];  // [dt, dt/2][energy, enstrophy]
    for (int h = 0; h < 2; ++h) {
      Vorticity2DConfig c;
      c.nx = c.ny = 32;
      c.nu = 0;
      c.scheme = e.scheme;
      c.dt = e.dt / (1 << h);
      auto solver = spectral::make_vorticity2d<double>(TypeParam::k_backend, c);
      solver->set_vorticity(smooth_vorticity(c.nx, k_amplitude));
      const double e0 = solver->kinetic_energy()[0], z0 = solver->enstrophy()[0];
      solver->advance(std::llround(1.0 / c.dt));
      drift[h][0] = std::abs(solver->kinetic_energy()[0] - e0) / e0;
      drift[h][1] = std::abs(solver->enstrophy()[0] - z0) / z0;
    }
    for (int q = 0; q < 2; ++q) {
      const double order = std::log2(drift[0][q] / drift[1][q]);
      std::printf("[ figure ] %s inviscid %s drift %.3e at dt, %.3e at dt/2: order %.2f\n",
                  std::string(spectral::to_string(e.scheme)).c_str(), q ? "enstrophy" : "energy",
                  drift[0][q], drift[1][q], order);
      EXPECT_LT(drift[0][q], e.bound);
      EXPECT_GT(order, e.order - 0.5);
    }
  }
}

// Shell-averaged power of the random field against the requested covariance
// sigma^2 (|k|^2 + tau^2)^(-alpha) / V: the fitted exponent of (|k|^2 + tau^2) is -alpha and
// the fitted prefactor sigma^2 / V, from 16 samples (about 5 % statistical scatter per shell).
TYPED_TEST(Vorticity2DTest, RandomFieldHasTheRequestedSpectrum) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  Vorticity2DConfig c;
  c.nx = c.ny = 64;
  c.batch = 16;
  const spectral::RandomFieldParams p{2.5, 7.0, std::pow(7.0, 1.5)};
  auto solver = spectral::make_vorticity2d<double>(TypeParam::k_backend, c);
  std::vector<std::uint64_t> seeds;
  for (int b = 0; b < c.batch; ++b) seeds.push_back(1000 + b);
  solver->set_random_field(p, seeds);
  std::vector<double> w = solver->vorticity(c.ny, c.nx);

  // Our own transform of the grid values, on the host.
  const int nkx = c.nx / 2 + 1;
  std::vector<core::Complex<double>> modes(std::size_t(c.batch) * c.ny * nkx);
  core::make_real_fft<double>(core::Backend::Cpu, {c.ny, c.nx}, c.batch)
      ->forward(w.data(), modes.data());
  const int shells = 24;
  std::vector<double> power(shells + 1, 0.0), count(shells + 1, 0.0);
  const double norm = 1.0 / (double(c.nx) * c.ny);
  for (int b = 0; b < c.batch; ++b)
    for (int jy = 0; jy < c.ny; ++jy)
      for (int jx = 0; jx < nkx; ++jx) {
        const int sy = jy <= c.ny / 2 ? jy : jy - c.ny;
        const int shell = int(std::lround(std::hypot(double(jx), double(sy))));
        if (shell < 1 || shell > shells) continue;
        const auto m = modes[(std::size_t(b) * c.ny + jy) * nkx + jx];
        power[shell] += (m.re * m.re + m.im * m.im) * norm * norm;
        count[shell] += 1;
      }
  // Least squares of log P against log(|k|^2 + tau^2), |k| = 2 pi shell on the unit torus.
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (int s = 1; s <= shells; ++s) {
    const double x = std::log(std::pow(2 * M_PI * s, 2) + p.tau * p.tau);
    const double y = std::log(power[s] / count[s]);
    sx += x, sy += y, sxx += x * x, sxy += x * y;
  }
  const double slope = (shells * sxy - sx * sy) / (shells * sxx - sx * sx);
  const double prefactor = std::exp((sy - slope * sx) / shells);
  std::printf(
      "[ figure ] random field: fitted exponent %.4f (requested %.4f), prefactor %.4g "
      "(requested %.4g)\n",
      slope, -p.alpha, prefactor, p.sigma * p.sigma);
  EXPECT_NEAR(slope, -p.alpha, 0.05);
  // The prefactor is exp of an intercept far from the data (log x ~ 8..11): 0.05 in the slope
  // moves it by a factor e^0.5, so only its order of magnitude is checked here.
  EXPECT_NEAR(std::log(prefactor), std::log(p.sigma * p.sigma), 0.6);
  // Mean zero (the k = 0 mode is left out).
  for (int b = 0; b < c.batch; ++b)
    EXPECT_LT(std::abs(modes[std::size_t(b) * c.ny * nkx].re), 1e-9);
}

// A batch of 3 equals 3 single runs with the same seeds: samples share plans, not data.
TYPED_TEST(Vorticity2DTest, BatchMembersAreIndependent) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  Vorticity2DConfig c;
  c.nx = 32;
  c.ny = 24;  // a rectangular box as well
  c.ly = 0.75;
  c.nu = 1e-3;
  c.dt = 1e-3;
  c.scheme = Scheme::cn_euler;
  c.forcing = {spectral::ForcingKind::fno, 0.1, 0};
  const spectral::RandomFieldParams p;
  const std::vector<std::uint64_t> seeds = {7, 8, 9};
  c.batch = 3;
  auto batched = spectral::make_vorticity2d<double>(TypeParam::k_backend, c);
  batched->set_random_field(p, seeds);
  batched->advance(50);
  const std::vector<double> all = batched->vorticity(c.ny, c.nx);
  const std::size_t plane = std::size_t(c.nx) * c.ny;
  c.batch = 1;
  for (int b = 0; b < 3; ++b) {
    auto single = spectral::make_vorticity2d<double>(TypeParam::k_backend, c);
    single->set_random_field(p, {seeds[b]});
    single->advance(50);
    const std::vector<double> one = single->vorticity(c.ny, c.nx);
    const std::vector<double> member(all.begin() + b * plane, all.begin() + (b + 1) * plane);
    // Batched and single FFT plans may order their sums differently: round-off only.
    EXPECT_LT(max_difference(member, one), 1e-12 * max_abs(one)) << "sample " << b;
    EXPECT_NEAR(batched->kinetic_energy()[b], single->kinetic_energy()[0],
                1e-12 * single->kinetic_energy()[0]);
  }
  // Different seeds give different fields.
  const std::vector<double> first(all.begin(), all.begin() + plane);
  const std::vector<double> second(all.begin() + plane, all.begin() + 2 * plane);
  EXPECT_GT(max_difference(first, second), 0.1 * max_abs(first));
}

// The run's divergence check: a NaN or an infinity at one grid point of one sample of the batch
// is found by one reduction with one number read back (no copy of the state to the host).
TYPED_TEST(Vorticity2DTest, ANonFiniteValueInAnySampleIsFoundByOneReduction) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  Vorticity2DConfig c;
  c.nx = c.ny = 16;
  c.batch = 3;
  auto solver = spectral::make_vorticity2d<double>(TypeParam::k_backend, c);
  const std::vector<double> one = smooth_vorticity(c.nx, k_amplitude);
  std::vector<double> w;
  for (int b = 0; b < c.batch; ++b) w.insert(w.end(), one.begin(), one.end());
  solver->set_vorticity(w);
  solver->advance(2);
  solver->non_finite();  // warm-up: the CUDA backend sizes its reduction scratch once
  const core::ExecCounts before = core::exec_counts();
  EXPECT_FALSE(solver->non_finite());
  const core::ExecCounts cost = core::exec_counts() - before;
  EXPECT_EQ(cost.synchronizations, 1);
  EXPECT_EQ(cost.launches, 1);
  EXPECT_EQ(cost.allocations, 0);
  for (const double bad : {std::nan(""), double(INFINITY), -double(INFINITY)}) {
    std::vector<double> poisoned = w;
    poisoned[2 * one.size() + 37] = bad;  // sample 2 of 3
    solver->set_vorticity(poisoned);
    EXPECT_TRUE(solver->non_finite()) << bad;
  }
}

// An in-situ trainer's frames (vorticity_into): the truncated vorticity left in the backend's
// memory at a trajectory's stride equals vorticity()'s host copy bit for bit, and once the
// output grid's FFT exists it costs kernels only: no copy to the host, no allocation, no wait.
TYPED_TEST(Vorticity2DTest, FramesIntoTheBackendsMemoryEqualTheHostCopyWithoutACopy) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  Vorticity2DConfig c;
  c.nx = c.ny = 16;
  c.batch = 3;
  auto solver = spectral::make_vorticity2d<double>(TypeParam::k_backend, c);
  const std::vector<double> one = smooth_vorticity(c.nx, k_amplitude);
  std::vector<double> w;
  for (int b = 0; b < c.batch; ++b) w.insert(w.end(), one.begin(), one.end());
  solver->set_vorticity(w);
  solver->advance(2);
  constexpr int n_out = 8, frames = 2;
  constexpr std::int64_t plane = n_out * n_out, stride = frames * plane;
  core::Buffer<double, typename TypeParam::Space> record(std::size_t(c.batch * stride));
  const std::vector<double> host = solver->vorticity(n_out, n_out);  // makes the output FFT
  const core::ExecCounts before = core::exec_counts();
  solver->vorticity_into(n_out, n_out, record.data() + plane, stride);  // frame 1 of each
  const core::ExecCounts cost = core::exec_counts() - before;
  EXPECT_EQ(cost.copies, 0);
  EXPECT_EQ(cost.allocations, 0);
  EXPECT_EQ(cost.synchronizations, 0);
  const std::vector<double> all = core::to_host(record);
  for (int b = 0; b < c.batch; ++b)
    EXPECT_TRUE(std::equal(host.begin() + b * plane, host.begin() + (b + 1) * plane,
                           all.begin() + b * stride + plane))
        << "sample " << b;
}

// Spectral truncation of a band-limited field is exact: Taylor-Green mode 2 solved at 64^2 and
// stored at 16^2 equals the formula sampled on the 16^2 grid.
TYPED_TEST(Vorticity2DTest, TruncationToACoarseGridIsExactForBandLimitedFields) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  Vorticity2DConfig c;
  c.nx = c.ny = 64;
  auto solver = spectral::make_vorticity2d<double>(TypeParam::k_backend, c);
  solver->set_taylor_green(1.0, 2);
  const std::vector<double> w = solver->vorticity(16, 16);
  ASSERT_EQ(w.size(), 256u);
  const double a = 4 * M_PI, amplitude = 2 * a;  // u0 (a^2 + a^2) / a
  double worst = 0;
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 16; ++x)
      worst = std::max(worst, std::abs(w[y * 16 + x] - amplitude * std::sin(a * x / 16.0) *
                                                           std::sin(a * y / 16.0)));
  EXPECT_LT(worst, 1e-13 * amplitude);
  EXPECT_THROW(solver->vorticity(128, 128), core::Error);
}

// CPU and GPU draw the same random fields (Philox) and agree on the trajectory to round-off
// (FFT libraries and fused multiply-adds differ in the last bits).
TEST(Vorticity2D, CpuAndGpuAgree) {
  if (const char* why = GpuTag::skip_reason()) GTEST_SKIP() << why;
  Vorticity2DConfig c;
  c.nx = c.ny = 64;
  c.batch = 2;
  c.scheme = Scheme::rk4_if;
  c.forcing = {spectral::ForcingKind::fno, 0.1, 0};
  std::vector<std::vector<double>> w;
  for (core::Backend backend : {core::Backend::Cpu, core::Backend::Gpu}) {
    auto solver = spectral::make_vorticity2d<double>(backend, c);
    solver->set_random_field({}, {3, 4});
    w.push_back(solver->vorticity(c.ny, c.nx));
    solver->advance(100);
    w.push_back(solver->vorticity(c.ny, c.nx));
  }
  EXPECT_LT(max_difference(w[0], w[2]), 1e-13 * max_abs(w[0]));
  EXPECT_LT(max_difference(w[1], w[3]), 1e-11 * max_abs(w[1]));
}

TEST(Vorticity2D, BadSettingsAreRefused) {
  Vorticity2DConfig c;
  c.nx = 33;
  EXPECT_THROW(spectral::make_vorticity2d<double>(core::Backend::Cpu, c), core::Error);
  c.nx = 32;
  c.batch = 0;
  EXPECT_THROW(spectral::make_vorticity2d<float>(core::Backend::Cpu, c), core::Error);
  EXPECT_THROW(spectral::scheme_from_string("rk3"), core::Error);
  EXPECT_EQ(spectral::scheme_from_string("cn_heun"), Scheme::cn_heun);
}

}  // namespace
}  // namespace twinsim::test
