// The figures the spectral runs compute from their output (Analysis.hpp): the peak of a history
// between its records, against a parabola whose vertex is known, and the 2D Taylor-Green error,
// zero for the exact field, the perturbation for a perturbed one and round-off for the solver's
// rk4_if run on every backend.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "backends.hpp"
#include "twinsim/spectral/Analysis.hpp"
#include "twinsim/spectral/Vorticity2D.hpp"

namespace twinsim::test {
namespace {

// f(t) = 2 - 3 (t - 4.3)^2 at t = 0, 0.5, ..., 10: the largest record is t = 4.5, and the
// parabola through it and its neighbours is f itself, vertex (4.3, 2).
TEST(PeakOf, ParabolaThroughTheLargestRecordFindsTheVertex) {
  std::vector<double> t, f;
  for (int i = 0; i <= 20; ++i) {
    t.push_back(0.5 * i);
    f.push_back(2 - 3 * (t.back() - 4.3) * (t.back() - 4.3));
  }
  const spectral::Peak p = spectral::peak_of(t, f);
  EXPECT_EQ(p.time, 4.5);
  EXPECT_EQ(p.value, f[9]);
  EXPECT_NEAR(p.time_interpolated, 4.3, 1e-12);
  EXPECT_NEAR(p.value_interpolated, 2.0, 1e-12);
}

TEST(PeakOf, ALargestRecordAtAnEndIsThePeak) {
  const std::vector<double> t = {0, 1, 2, 3}, rising = {0.1, 0.2, 0.3, 0.4};
  const spectral::Peak p = spectral::peak_of(t, rising);
  EXPECT_EQ(p.value, 0.4);
  EXPECT_EQ(p.time, 3.0);
  EXPECT_EQ(p.value_interpolated, 0.4);
  EXPECT_EQ(p.time_interpolated, 3.0);
  const spectral::Peak none = spectral::peak_of(t, {0, 0, 0, 0});
  EXPECT_EQ(none.value, 0.0);
  EXPECT_EQ(none.time, 0.0);
  EXPECT_EQ(none.value_interpolated, 0.0);
}

// w = u0 (a^2 + b^2) / b sin(a x) sin(b y) exp(-nu (a^2 + b^2) t) on a 2 pi x pi box, mode 2.
std::vector<double> exact_vorticity(const spectral::TaylorGreen2D& flow, int nx, int ny, double t) {
  const double a = 2 * M_PI * flow.mode / flow.lx, b = 2 * M_PI * flow.mode / flow.ly;
  const double f = std::exp(-flow.nu * (a * a + b * b) * t);
  std::vector<double> w(std::size_t(nx) * ny);
  for (int y = 0; y < ny; ++y)
    for (int x = 0; x < nx; ++x)
      w[std::size_t(y) * nx + x] = flow.u0 * (a * a + b * b) / b * std::sin(a * x * flow.lx / nx) *
                                   std::sin(b * y * flow.ly / ny) * f;
  return w;
}

TEST(TaylorGreenError2D, IsTheLargestDeviationOverTheAmplitude) {
  const spectral::TaylorGreen2D flow{2 * M_PI, M_PI, 0.05, 1.5, 2};
  const int nx = 32, ny = 16;
  const double t = 0.7;
  std::vector<double> w = exact_vorticity(flow, nx, ny, t);
  EXPECT_LT(spectral::taylor_green_error_2d(flow, w.data(), nx, ny, t), 1e-14);
  const double a = 2.0, b = 4.0;  // 2 pi mode / lx, 2 pi mode / ly
  const double amplitude = flow.u0 * (a * a + b * b) / b * std::exp(-flow.nu * (a * a + b * b) * t);
  w[5 * nx + 3] += 1e-3 * amplitude;
  EXPECT_NEAR(spectral::taylor_green_error_2d(flow, w.data(), nx, ny, t), 1e-3, 1e-12);
}

template <class Tag>
class TaylorGreenError2DTest : public ::testing::Test {};
TYPED_TEST_SUITE(TaylorGreenError2DTest, AllBackends, BackendName);

// The solver's unforced Taylor-Green run (rk4_if, viscosity exact, nonlinear term zero) against
// the exact decay: round-off, as the spectral run's summary reports it.
TYPED_TEST(TaylorGreenError2DTest, Rk4IfRunIsExactToRoundOff) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  spectral::Vorticity2DConfig c;
  c.nx = 32;
  c.ny = 16;
  c.lx = 2 * M_PI;
  c.ly = M_PI;
  c.nu = 0.05;
  c.dt = 0.01;
  auto solver = spectral::make_vorticity2d<double>(TypeParam::k_backend, c);
  const spectral::TaylorGreen2D flow{c.lx, c.ly, c.nu, 1.5, 2};
  solver->set_taylor_green(flow.u0, flow.mode);
  solver->advance(100);
  const std::vector<double> w = solver->vorticity(c.ny, c.nx);
  EXPECT_LT(spectral::taylor_green_error_2d(flow, w.data(), c.nx, c.ny, solver->time()), 1e-12);
}

}  // namespace
}  // namespace twinsim::test
