// The 3D spectral solver split in slabs over however many ranks it is started with: one (ctest
// runs it as a plain program), 2 and 4 under mpirun (tests/mpi/CMakeLists.txt). Each rank also
// runs the undivided solver (a one-rank communicator of its own) as the reference, so a P-rank
// run is compared with a one-rank run in the same process; the analytic checks (ABC decay,
// Taylor-Green's initial figures and energy balance) hold on every rank count. Every backend.
//
// Tolerances, P ranks against one: the slab transform (2D planes + 1D columns) adds in another
// order than the 3D transform, so the fields differ at round-off: FP64 1e-12 of the largest
// velocity after 10 to 20 steps, FP32 1e-5. Measured with FFTW 3.3 (FFTW_ESTIMATE): 0 on 2 and 4
// ranks, FP32 and FP64 (its 3D plans take the same 2D + 1D path); the bound stays round-off.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "backends.hpp"
#include "twinsim/core/Comm.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/spectral/Velocity3D.hpp"

namespace twinsim::test {
namespace {

using spectral::Initial3D;
using spectral::Velocity3DConfig;

template <class Tag>
class Slabs3DTest : public ::testing::Test {};
TYPED_TEST_SUITE(Slabs3DTest, AllBackendsAndPrecisions, BackendPrecisionName);

template <class Real>
double tolerance() {
  return std::is_same_v<Real, double> ? 1e-12 : 1e-5;
}

// max |a - b| / max |b|; a and b whole fields (rank 0).
template <class Real>
double relative_difference(const std::vector<Real>& a, const std::vector<Real>& b) {
  EXPECT_EQ(a.size(), b.size());
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    diff = std::max(diff, std::abs(double(a[i]) - double(b[i])));
    scale = std::max(scale, std::abs(double(b[i])));
  }
  return diff / scale;
}

// A broadband field [c][b][z][y][x]: 24 random Fourier waves per component and sample, with
// wavenumbers up to 5 (inside the 2/3 rule at 16^3), amplitudes ~ 1/|k|; not divergence-free
// (set_velocity projects it). The same on every rank (fixed seed).
template <class Real>
std::vector<Real> broadband_field(int n, int batch) {
  std::mt19937_64 rng(12345);
  std::uniform_int_distribution<int> k(-5, 5);
  std::uniform_real_distribution<double> phase(0, 2 * M_PI);
  const std::size_t points = std::size_t(n) * n * n;
  std::vector<Real> f(3 * batch * points);
  for (int field = 0; field < 3 * batch; ++field)
    for (int w = 0; w < 24; ++w) {
      const int kx = k(rng), ky = k(rng), kz = k(rng);
      const double p = phase(rng), a = 1.0 / std::sqrt(1.0 + kx * kx + ky * ky + kz * kz);
      for (std::size_t i = 0; i < points; ++i) {
        const double x = 2 * M_PI * double(i % n) / n, y = 2 * M_PI * double(i / n % n) / n,
                     z = 2 * M_PI * double(i / (std::size_t(n) * n)) / n;
        f[field * points + i] += Real(a * std::cos(kx * x + ky * y + kz * z + p));
      }
    }
  return f;
}

Velocity3DConfig small_config() {
  Velocity3DConfig c;
  c.nx = c.ny = c.nz = 16;
  c.nu = 1e-3;
  c.dt = 0.01;
  c.batch = 2;
  return c;
}

// Taylor-Green: the P-rank field and figures equal the one-rank run to round-off after 10 steps,
// and both keep the analytic figures: E(0) = 0.125, Z(0) = 0.375, dE/dt = -2 nu Z.
TYPED_TEST(Slabs3DTest, TaylorGreenEqualsOneRankAndTheAnalyticFigures) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  core::Comm& comm = core::world();
  Velocity3DConfig c = small_config();
  c.nu = 1.0 / 100;
  auto split = spectral::make_velocity3d<Real>(TypeParam::k_backend, c, comm);
  auto whole = spectral::make_velocity3d<Real>(TypeParam::k_backend, c);
  split->set_initial(Initial3D::taylor_green, 1.0);
  whole->set_initial(Initial3D::taylor_green, 1.0);
  EXPECT_EQ(split->layout().ranks, comm.size());
  const double e0 = split->kinetic_energy()[1], z0 = split->enstrophy()[1];
  EXPECT_NEAR(e0, 0.125, 10 * tolerance<Real>() * 0.125);
  EXPECT_NEAR(z0, 0.375, 10 * tolerance<Real>() * 0.375);
  double dissipated = 0, z_before = z0;
  for (int s = 0; s < 10; ++s) {
    split->advance(1);
    const double z = split->enstrophy()[1];
    dissipated += 0.5 * c.dt * 2 * c.nu * (z_before + z);  // trapezoidal rule
    z_before = z;
  }
  whole->advance(10);
  const double e = split->kinetic_energy()[1];
  const bool fp64 = std::is_same_v<Real, double>;
  EXPECT_NEAR(e0 - e, dissipated, fp64 ? 1e-8 : 1e-6);
  EXPECT_NEAR(e, whole->kinetic_energy()[1], tolerance<Real>() * e);
  EXPECT_NEAR(split->enstrophy()[0], whole->enstrophy()[0], tolerance<Real>() * z0);
  EXPECT_LT(split->relative_divergence()[0], fp64 ? 1e-14 : 1e-6);
  const std::vector<double> spectrum = split->energy_spectrum(), reference =
                                                                      whole->energy_spectrum();
  ASSERT_EQ(spectrum.size(), reference.size());
  for (std::size_t s = 0; s < spectrum.size(); ++s)
    EXPECT_NEAR(spectrum[s], reference[s], tolerance<Real>() * 0.125);
  const std::vector<Real> u = spectral::gather_velocity(*split);
  if (comm.root()) {
    const double d = relative_difference(u, whole->velocity());
    std::printf("[ figure ] Taylor-Green, %d rank(s) against one, 10 steps: max |du| / max |u| "
                "%.2e\n", comm.size(), d);
    EXPECT_LT(d, tolerance<Real>());
  } else {
    EXPECT_TRUE(u.empty());
  }
}

// ABC flow: u x w = 0, the exact solution decays as exp(-nu t), split or not.
TYPED_TEST(Slabs3DTest, AbcFlowDecaysExactlyOnEveryRankCount) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  Velocity3DConfig c = small_config();
  c.nu = 0.1;
  c.dt = 0.05;
  auto solver = spectral::make_velocity3d<Real>(TypeParam::k_backend, c, core::world());
  solver->set_initial(Initial3D::abc, 1.0);
  const std::vector<Real> u0 = solver->velocity();  // this rank's planes
  solver->advance(40);
  const double decay = std::exp(-c.nu * solver->time());
  const std::vector<Real> u = solver->velocity();
  double worst = 0;
  for (std::size_t i = 0; i < u.size(); ++i)
    worst = std::max(worst, std::abs(double(u[i]) - decay * double(u0[i])));
  const double tol = std::is_same_v<Real, double> ? 1e-13 : 1e-5;
  EXPECT_LT(worst, tol * 2.0 * decay);  // |u| <= 2
  for (double e : solver->kinetic_energy()) EXPECT_NEAR(e, 1.5 * decay * decay, 10 * tol);
}

// A broadband field with forcing, fixed and adaptive steps: the nonlinear term moves energy
// between every shell, and the P-rank run stays the one-rank run to round-off (fields, E(k),
// the adaptive step count).
TYPED_TEST(Slabs3DTest, BroadbandFlowEqualsOneRank) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  core::Comm& comm = core::world();
  Velocity3DConfig c = small_config();
  c.linear_forcing = 0.5;
  auto split = spectral::make_velocity3d<Real>(TypeParam::k_backend, c, comm);
  auto whole = spectral::make_velocity3d<Real>(TypeParam::k_backend, c);
  const std::vector<Real> f = broadband_field<Real>(c.nx, c.batch);
  split->set_velocity(f);
  whole->set_velocity(f);
  split->advance(5);
  whole->advance(5);
  const std::int64_t split_steps = split->advance_cfl(0.05, 0.05);
  const std::int64_t whole_steps = whole->advance_cfl(0.05, 0.05);
  EXPECT_EQ(split_steps, whole_steps);
  EXPECT_GT(split_steps, 5);  // the CFL bound, not dt, set the steps
  const std::vector<double> spectrum = split->energy_spectrum(), reference =
                                                                      whole->energy_spectrum();
  const double e = whole->kinetic_energy()[0];
  for (std::size_t s = 0; s < spectrum.size(); ++s)
    EXPECT_NEAR(spectrum[s], reference[s], tolerance<Real>() * e);
  const std::vector<Real> u = spectral::gather_velocity(*split);
  if (comm.root()) {
    const double d = relative_difference(u, whole->velocity());
    std::printf("[ figure ] broadband flow, %d rank(s) against one, %lld steps: max |du| / "
                "max |u| %.2e\n", comm.size(), static_cast<long long>(5 + split_steps), d);
    EXPECT_LT(d, tolerance<Real>());
  }
}

// A checkpoint of each rank's modes continues bit for bit on the same rank count.
TYPED_TEST(Slabs3DTest, StateContinuesBitForBit) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  const Velocity3DConfig c = small_config();
  auto first = spectral::make_velocity3d<Real>(TypeParam::k_backend, c, core::world());
  first->set_velocity(broadband_field<Real>(c.nx, c.batch));
  first->advance(5);
  auto second = spectral::make_velocity3d<Real>(TypeParam::k_backend, c, core::world());
  second->set_state(first->state());
  first->advance(5);
  second->advance(5);
  const std::vector<core::Complex<Real>> a = first->state().modes, b = second->state().modes;
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(a[0])));
}

// A grid the rank count does not divide is refused.
TEST(Slabs3D, UnevenSplitIsRefused) {
  core::Comm& comm = core::world();
  Velocity3DConfig c = small_config();
  c.nx = c.ny = c.nz = 6;
  if (6 % comm.size() == 0) GTEST_SKIP() << comm.size() << " ranks divide 6";
  EXPECT_THROW(spectral::make_velocity3d<double>(core::Backend::Cpu, c, comm), core::Error);
}

}  // namespace
}  // namespace twinsim::test
