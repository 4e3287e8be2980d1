// D3Q19 against analytic flows, on every backend and storage precision: mass conservation in a
// closed box (lid, obstacle, gravity), plane Poiseuille flow between walls normal to each axis
// with the force along each other axis (TRT exact), Couette flow under a wall moving in two
// directions at once, Poiseuille flow in a square duct against its Fourier series with the error
// falling at second order, and the momentum balance of an obstacle in a periodic box.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "backends.hpp"
#include "lbm_cases.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/lbm/Geometry.hpp"
#include "twinsim/lbm/Reference.hpp"
#include "twinsim/lbm/kernels/lattice_kernel.hpp"
#include "twinsim/lbm/kernels/stream_kernel.hpp"

namespace twinsim::test {
namespace {

template <class Case>
class LbmD3q19 : public ::testing::Test {
 protected:
  using Real = typename Case::Real;
  static constexpr bool k_fp32 = std::is_same_v<Real, float>;
  static std::unique_ptr<lbm::Solver> make(const lbm::LatticeConfig& c) {
    return lbm::make_solver(Case::k_backend, c);
  }
};
TYPED_TEST_SUITE(LbmD3q19, AllBackendsAndPrecisions, BackendPrecisionName);

const std::vector<double>& component(const lbm::Macroscopic& m, int axis) {
  return axis == 0 ? m.ux : axis == 1 ? m.uy : m.uz;
}

TYPED_TEST(LbmD3q19, ClosedBoxWithLidObstacleAndForceConservesMass) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const int n = 16;
  for (lbm::Collision collision : {lbm::Collision::bgk, lbm::Collision::trt}) {
    lbm::LatticeConfig c = box3d({n, n, n}, {0, 1, 2, 3, 4, 5}, 0.6, collision,
                                 precision_of<typename TestFixture::Real>());
    c.sides[5].velocity = {0.1, 0.05, 0.0};  // the lid at z_max, moving along x and y
    c.force = {0.0, 0.0, -1e-5};             // gravity: a hydrostatic density gradient forms
    add_solid_box(c, {5, 5, 4}, {9, 9, 8});
    auto solver = TestFixture::make(c);
    const double m0 = solver->total_mass();
    EXPECT_DOUBLE_EQ(m0, double(n * n * n - 64));
    solver->step(500);
    const lbm::Macroscopic m = solver->macroscopic();
    // The lid has set the fluid moving (the check is not of a fluid at rest).
    EXPECT_GT(std::abs(m.ux[(std::size_t(n - 1) * n + n / 2) * n + n / 2]), 0.02);
    const double drift = std::abs(solver->total_mass() - m0) / m0;
    std::printf("%s: relative mass drift after 500 steps %.3e\n", lbm::to_string(collision).c_str(),
                drift);
    // Rounding of a few ulps of the stored deviations per cell and step, of random sign.
    EXPECT_LT(drift, TestFixture::k_fp32 ? 1e-5 : 1e-12) << lbm::to_string(collision);
  }
}

// Walls normal to axis `w`, the force along axis `f`: u_f = a s (H - s) / (2 nu) across the
// plates, the other components zero. TRT with magic 3/16 makes it exact up to round-off, so any
// wrong velocity, weight or opposite in the table shows.
TYPED_TEST(LbmD3q19, PlanePoiseuilleIsExactWithTrtInEveryOrientation) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const int h = 16;
  const double tau = 0.9, nu = (tau - 0.5) / 3.0, u_max = 0.05;
  const double a = 8.0 * nu * u_max / (h * h);
  for (int w = 0; w < 3; ++w)
    for (int f = 0; f < 3; ++f) {
      if (f == w) continue;
      std::array<int, 3> cells = {1, 1, 1};
      cells[w] = h;
      lbm::LatticeConfig c = box3d(cells, {2 * w, 2 * w + 1}, tau, lbm::Collision::trt,
                                   precision_of<typename TestFixture::Real>());
      c.force[f] = a;
      auto solver = TestFixture::make(c);
      solver->step(steady_steps(h, tau));
      const lbm::Macroscopic m = solver->macroscopic();
      double diff = 0, norm = 0, cross = 0;
      for (int s = 0; s < h; ++s) {  // one cell per other axis: cell index = s
        const double exact = lbm::poiseuille_velocity(s + 0.5, h, a, nu);
        diff += std::pow(component(m, f)[s] - exact, 2);
        norm += exact * exact;
        for (int o = 0; o < 3; ++o)
          if (o != f) cross = std::max(cross, std::abs(component(m, o)[s]));
      }
      const double e = std::sqrt(diff / norm);
      const double bound = TestFixture::k_fp32 ? 1e-4 : 1e-10;
      EXPECT_LT(e, bound) << "walls normal to axis " << w << ", force along " << f;
      EXPECT_LT(cross, bound * u_max) << "walls normal to axis " << w << ", force along " << f;
    }
}

// A wall at z_max moving with (U, V, 0) over a wall at rest at z_min: the linear profile
// u = U (z + 1/2) / H (walls half-way), which half-way bounce-back with Ladd's moving-wall term
// reproduces exactly for BGK and TRT alike (the bounce-back error is proportional to u'').
TYPED_TEST(LbmD3q19, CouetteUnderAWallMovingInTwoDirectionsIsLinear) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const int h = 12;
  const double tau = 0.8, wall[2] = {0.04, -0.03};
  for (lbm::Collision collision : {lbm::Collision::bgk, lbm::Collision::trt}) {
    lbm::LatticeConfig c =
        box3d({1, 1, h}, {4, 5}, tau, collision, precision_of<typename TestFixture::Real>());
    c.sides[5].velocity = {wall[0], wall[1], 0.0};
    auto solver = TestFixture::make(c);
    solver->step(steady_steps(h, tau));
    const lbm::Macroscopic m = solver->macroscopic();
    double worst = 0;
    for (int z = 0; z < h; ++z) {
      const double s = (z + 0.5) / h;
      worst = std::max({worst, std::abs(m.ux[z] - wall[0] * s), std::abs(m.uy[z] - wall[1] * s),
                        std::abs(m.uz[z])});
    }
    std::printf("%s Couette: largest deviation %.3e of a wall speed 0.05\n",
                lbm::to_string(collision).c_str(), worst);
    EXPECT_LT(worst, TestFixture::k_fp32 ? 1e-6 : 1e-12) << lbm::to_string(collision);
  }
}

// Couette flow in every orientation (walls normal to axis w, the wall at the high side moving
// along f) through the solver: u_f = U (s + 1/2) / H is exact (see above), so the vorticity,
// curl_e u = eps_{e w f} U / H in the third axis e and 0 in the others, is exact too (central
// differences inside, one-sided beside the walls: both exact for a linear profile). Checks the
// components' order and signs in Macroscopic::vorticity ([cell][3]).
TYPED_TEST(LbmD3q19, CouetteVorticityIsExactInEveryOrientation) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const int h = 8;
  const double tau = 0.8, wall = 0.04;
  for (int w = 0; w < 3; ++w)
    for (int f = 0; f < 3; ++f) {
      if (f == w) continue;
      const int e = 3 - w - f;
      // eps_{e w f}: +1 for the cyclic orders (0 1 2), (1 2 0), (2 0 1).
      const double eps = (w - e + 3) % 3 == 1 ? 1.0 : -1.0;
      std::array<int, 3> cells = {1, 1, 1};
      cells[w] = h;
      lbm::LatticeConfig c = box3d(cells, {2 * w, 2 * w + 1}, tau, lbm::Collision::trt,
                                   precision_of<typename TestFixture::Real>());
      c.sides[2 * w + 1].velocity[f] = wall;
      auto solver = TestFixture::make(c);
      solver->step(steady_steps(h, tau));
      const lbm::Macroscopic m = solver->macroscopic();
      ASSERT_EQ(m.vorticity.size(), 3u * h);
      double worst = 0;
      for (int s = 0; s < h; ++s)
        for (int a = 0; a < 3; ++a) {
          const double exact = a == e ? eps * wall / h : 0.0;
          worst = std::max(worst, std::abs(m.vorticity[3 * s + a] - exact));
        }
      // A difference of two velocities, each within FP32's ~1e-6 of the wall speed (as in the
      // Couette test above): 2e-6 U, 3e-4 of the vorticity here; FP64 round-off.
      EXPECT_LT(worst, TestFixture::k_fp32 ? 2e-6 * wall : 1e-12 * wall / h)
          << "walls normal to axis " << w << ", moving along " << f;
    }
}

// The vorticity kernel on given fields: solid-body rotation u = Omega x (r - r0) about an
// arbitrary axis has curl u = 2 Omega everywhere, and the differences are exact for a linear
// field, central or one-sided: at every fluid cell, beside the walls and beside a solid cube.
// Across periodic sides the neighbour wraps: u_x = sin(k y) with y periodic gives the central
// difference -sin(k) cos(k y) for curl_z = -du/dy, exactly.
TEST(LbmVorticity, SolidBodyRotationAndPeriodicShear) {
  lbm::Domain<double> d{};
  d.n[0] = 7;
  d.n[1] = 6;
  d.n[2] = 5;
  for (int s = 0; s < 6; ++s) d.side[s] = lbm::k_wall;
  const std::size_t n = 7 * 6 * 5;
  std::vector<unsigned char> solid(n, 0);
  solid[(std::size_t(2) * 6 + 3) * 7 + 3] = 1;
  const double omega[3] = {0.01, -0.02, 0.03}, r0[3] = {3.2, 2.9, 2.1};
  std::vector<double> u[3];
  for (auto& v : u) v.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    int x[3];
    lbm::cell_position(d, lbm::Index(i), x);
    const double r[3] = {x[0] + 0.5 - r0[0], x[1] + 0.5 - r0[1], x[2] + 0.5 - r0[2]};
    u[0][i] = omega[1] * r[2] - omega[2] * r[1];
    u[1][i] = omega[2] * r[0] - omega[0] * r[2];
    u[2][i] = omega[0] * r[1] - omega[1] * r[0];
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (solid[i]) continue;
    double w[3];
    lbm::vorticity(d, lbm::Index(i), u[0].data(), u[1].data(), u[2].data(), solid.data(), w);
    for (int a = 0; a < 3; ++a) ASSERT_NEAR(w[a], 2 * omega[a], 1e-15) << "cell " << i;
  }
  d.side[2] = d.side[3] = lbm::k_periodic;
  const double k = 2 * M_PI / 6;
  std::fill(solid.begin(), solid.end(), 0);
  for (std::size_t i = 0; i < n; ++i) {
    int x[3];
    lbm::cell_position(d, lbm::Index(i), x);
    u[0][i] = std::sin(k * x[1]);
    u[1][i] = u[2][i] = 0;
  }
  for (std::size_t i = 0; i < n; ++i) {
    int x[3];
    lbm::cell_position(d, lbm::Index(i), x);
    double w[3];
    lbm::vorticity(d, lbm::Index(i), u[0].data(), u[1].data(), u[2].data(), solid.data(), w);
    EXPECT_NEAR(w[2], -std::sin(k) * std::cos(k * x[1]), 1e-15) << "cell " << i;
    EXPECT_EQ(w[0], 0.0);
    EXPECT_EQ(w[1], 0.0);
  }
}

// Force-driven flow in a square duct of n x n cells (walls at the y and z sides) against the
// series solution. The half-way walls of BGK slip by a fixed number of lattice units for a given
// tau, and the lattice's own truncation error is O(dx^2): the error falls by 4 per halving of dx.
TYPED_TEST(LbmD3q19, DuctFlowConvergesAtSecondOrder) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const double tau = 1.5, nu = (tau - 0.5) / 3.0;
  const auto error = [&](int n, lbm::Collision collision) {
    lbm::LatticeConfig c =
        box3d({1, n, n}, {2, 3, 4, 5}, tau, collision, precision_of<typename TestFixture::Real>());
    c.force = {8.0 * nu * 0.05 / (n * n), 0.0, 0.0};  // centreline speed about 0.03
    auto solver = TestFixture::make(c);
    // The slowest mode decays at 2 pi^2 nu / n^2: exp(-20) of the start-up is left, 1e-6 of
    // the smallest error measured here.
    solver->step(long(std::ceil(20.0 * n * n / (2.0 * M_PI * M_PI * nu))));
    return lbm::duct_error(solver->macroscopic(), c.force[0], nu);
  };
  const int sizes[3] = {8, 16, 32};
  double errors[3];
  for (int k = 0; k < 3; ++k) errors[k] = error(sizes[k], lbm::Collision::bgk);
  EXPECT_LT(errors[0], 0.1);
  double order[2];
  for (int k = 0; k + 1 < 3; ++k) {
    order[k] = std::log2(errors[k] / errors[k + 1]);
    std::printf("BGK duct: n = %d error %.3e, n = %d error %.3e, order %.3f\n", sizes[k], errors[k],
                sizes[k + 1], errors[k + 1], order[k]);
  }
  // 8 cells across is not yet asymptotic (the corner cells are a quarter of the wall cells):
  // the order approaches 2 from below.
  EXPECT_GT(order[0], 1.7);
  EXPECT_LT(order[0], order[1]);
  EXPECT_NEAR(order[1], 2.0, 0.1);
  // TRT (magic 3/16) is exact for the parabola between plates; in the duct what is left is the
  // series' curvature near the corners, also O(dx^2) and below BGK's slip at tau = 1.5.
  const double trt = error(16, lbm::Collision::trt);
  std::printf("TRT duct: n = 16 error %.3e\n", trt);
  EXPECT_LT(trt, errors[1]);
}

// Mass flux sum(rho u_x) through the plane x = i (lattice units: mass per step).
double plane_flux(const lbm::Macroscopic& m, int i) {
  const int nx = m.cells[0], ny = m.cells[1], nz = m.cells[2];
  double flux = 0;
  for (int k = 0; k < nz; ++k)
    for (int j = 0; j < ny; ++j) {
      const std::size_t c = (std::size_t(k) * ny + j) * nx + i;
      flux += m.rho[c] * m.ux[c];
    }
  return flux;
}

// A duct with a parabolic inflow of peak U at x_min and a pressure outlet at x_max, TRT.
// walls_in_z: walls at the z sides too (the inflow is 16 U y z (H - y) (H - z) / H^4), else
// periodic z sides (the inflow is the 2D parabola 4 U y (H - y) / H^2 in every z plane).
lbm::LatticeConfig parabolic_duct(std::array<int, 3> cells, bool walls_in_z, double u_peak,
                                  lbm::Precision precision) {
  lbm::LatticeConfig c = walls_in_z
                             ? box3d(cells, {2, 3, 4, 5}, 0.8, lbm::Collision::trt, precision)
                             : box3d(cells, {2, 3}, 0.8, lbm::Collision::trt, precision);
  c.sides[0].type = lbm::Boundary::velocity_inlet;
  c.sides[0].profile = lbm::Profile::parabolic;
  c.sides[0].velocity = {u_peak, 0.0, 0.0};
  c.sides[1].type = lbm::Boundary::pressure_outlet;
  return c;
}

// The product of parabolas across a square duct carries 4/9 of its peak times the area (the
// Schafer-Turek 3D inflow); downstream the flow develops into the duct's own profile, the
// Fourier series (which the product of parabolas is not: their shapes differ by several % of
// the peak). At steady state every cross-section carries the inflow's mass.
TYPED_TEST(LbmD3q19, ParabolicInflowFillsASquareDuctAndDevelopsTheSeriesProfile) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const int n = 16, length = 48;
  const double u_peak = 0.05;  // tau 0.8, nu 0.1: Re = Ubar n / nu = 3.6
  const lbm::LatticeConfig c =
      parabolic_duct({length, n, n}, true, u_peak, precision_of<typename TestFixture::Real>());
  auto solver = TestFixture::make(c);
  solver->step(4000);
  const lbm::Macroscopic m = solver->macroscopic();
  const double expected = 4.0 / 9.0 * u_peak * n * n;
  double worst = 0;
  for (int i = 0; i < length; ++i)
    worst = std::max(worst, std::abs(plane_flux(m, i) / expected - 1.0));
  // The inflow per step is sum 6 w_q u(mid-point) over the links into the duct. Summed over a
  // side's n cells the parabola is 1 + e (e = 1 / (2 n^2)) times its integral at cell centres
  // (straight links, and diagonals across the other axis) and 1 - 2 e at cell corners (the
  // diagonals along this axis, where the wall takes the outermost): with D3Q19's weights a third
  // each, (1 + e)^2 + 2 (1 + e)(1 - 2 e) = 3 (1 - e^2), so the flux is 1 - 1 / (4 n^4) times
  // 4/9 U A (4e-6 at n = 16). A wrong factor (2/3 instead of 4/9) or a missing axis is 50 % off,
  // evaluation at cell centres instead of mid-points 1 / n^2 = 0.4 %.
  std::printf("parabolic duct inflow: largest deviation of the mass flux from 4/9 U A %.2e\n",
              worst);
  EXPECT_LT(worst, 1e-5);
  // The profile two widths downstream (well before the outlet's last columns) against the
  // series with the same flux; at the inlet plane the product of parabolas still shows.
  const auto profile_error = [&](int i) {
    double series_flux = 0;
    for (int k = 0; k < n; ++k)
      for (int j = 0; j < n; ++j) series_flux += lbm::duct_velocity(j + 0.5, k + 0.5, n, n, 1, 1);
    const double scale = plane_flux(m, i) / series_flux;
    double diff = 0, norm = 0;
    for (int k = 0; k < n; ++k)
      for (int j = 0; j < n; ++j) {
        const std::size_t cell = (std::size_t(k) * n + j) * length + i;
        const double exact = scale * lbm::duct_velocity(j + 0.5, k + 0.5, n, n, 1, 1);
        diff += std::pow(m.rho[cell] * m.ux[cell] - exact, 2);
        norm += exact * exact;
      }
    return std::sqrt(diff / norm);
  };
  const double at_inlet = profile_error(0), developed = profile_error(2 * n);
  std::printf("parabolic duct inflow: profile error against the series %.2e at the inlet, "
              "%.2e at x = %d\n",
              at_inlet, developed, 2 * n);
  EXPECT_GT(at_inlet, 5 * developed);
  // TRT's error on the series at n = 16 with a body force is 8.8e-4 (DuctFlow... above).
  EXPECT_LT(developed, 3e-3);
}

// Periodic z sides: no profile across z, the 2D parabola in y (mean 2/3 of the peak), the same
// in every z plane.
TYPED_TEST(LbmD3q19, ParabolicInflowWithPeriodicZIsTheChannelParabola) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const int n = 16, length = 32, depth = 4;
  const double u_peak = 0.05;
  const lbm::LatticeConfig c =
      parabolic_duct({length, n, depth}, false, u_peak, precision_of<typename TestFixture::Real>());
  auto solver = TestFixture::make(c);
  solver->step(3000);
  const lbm::Macroscopic m = solver->macroscopic();
  const double expected = 2.0 / 3.0 * u_peak * n * depth;
  // With the link weights (see above) (1 + e) + (1 - 2 e) + (1 + e) = 3: the integral exactly,
  // up to the round-off of the storage precision.
  std::printf("parabolic inflow, periodic z: mass flux / (2/3 U A) - 1 = %.2e\n",
              plane_flux(m, 1) / expected - 1.0);
  EXPECT_NEAR(plane_flux(m, 1) / expected, 1.0, 1e-5);
  double spread = 0;
  for (int j = 0; j < n; ++j)
    for (int k = 1; k < depth; ++k) {
      const std::size_t a = std::size_t(j) * length + 1, b = (std::size_t(k) * n + j) * length + 1;
      spread = std::max(spread, std::abs(m.ux[b] - m.ux[a]));
    }
  EXPECT_LT(spread, (TestFixture::k_fp32 ? 1e-6 : 1e-12)) << "the inflow varies along periodic z";
}

// Flow driven by a body force through a periodic box round a solid cube: at steady state the
// momentum the force puts in (force density x fluid cells) leaves through the cube's links, so
// the momentum-exchange force on the cube equals it, component by component.
TYPED_TEST(LbmD3q19, ObstacleForceBalancesTheBodyForce) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const int n = 12;
  lbm::LatticeConfig c =
      box3d({n, n, n}, {}, 1.0, lbm::Collision::trt, precision_of<typename TestFixture::Real>());
  c.force = {2e-5, 1e-5, -5e-6};
  add_solid_box(c, {4, 4, 4}, {8, 8, 8});
  auto solver = TestFixture::make(c);
  solver->step(3000);
  const double fluid = n * n * n - 64;
  const std::array<double, 3> f = solver->obstacle_forces().at(0);
  for (int a = 0; a < 3; ++a) {
    const double expected = c.force[a] * fluid;
    std::printf("axis %d: obstacle force %.6e, body force on the fluid %.6e\n", a, f[a], expected);
    EXPECT_NEAR(f[a], expected, (TestFixture::k_fp32 ? 1e-4 : 1e-6) * std::abs(expected));
  }
}

// A sphere (interpolated walls) in a periodic box, flow driven by a body force: at steady state
// the momentum-exchange force on the sphere equals the body force on the fluid. Interpolated
// bounce-back does not conserve mass exactly, so the bound is looser than for staircase walls.
TYPED_TEST(LbmD3q19, SphereWithInterpolatedWallsBalancesTheBodyForce) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const int n = 12;
  lbm::LatticeConfig c =
      box3d({n, n, n}, {}, 1.0, lbm::Collision::trt, precision_of<typename TestFixture::Real>());
  c.force = {2e-5, 0.0, 1e-5};
  lbm::Obstacle sphere;
  sphere.shape = lbm::Obstacle::Shape::sphere;
  sphere.center = {6.0, 6.2, 5.9};
  sphere.radius = 3.1;
  lbm::ObstacleMask mask = lbm::rasterize(lbm::Lattice::d3q19, c.cells, {sphere});
  const double fluid = n * n * n - double(mask.solid_cells[0]);
  c.solid = std::move(mask.solid);
  c.wall_fraction = std::move(mask.wall_fraction);
  auto solver = TestFixture::make(c);
  solver->step(3000);
  const std::array<double, 3> f = solver->obstacle_forces().at(0);
  for (int a : {0, 2}) {
    const double expected = c.force[a] * fluid;
    std::printf("sphere, axis %d: obstacle force %.6e, body force on the fluid %.6e\n", a, f[a],
                expected);
    EXPECT_NEAR(f[a], expected, 1e-3 * std::abs(expected));
  }
  EXPECT_NEAR(f[1], 0.0, 1e-2 * std::abs(c.force[0] * fluid));
}

// Spheres: about 4/3 pi r^3 cells; the wall fractions are listed for exactly the fluid cells
// with a solid upstream neighbour inside the domain, the kernels' lookup (lbm::wall_fraction, a
// bisection) finds each and gives 1/2 for cells not listed, and every link into the sphere has
// its wall point on the surface. Boxes with faces half-way between cell centres: exactly their
// volume, every fraction 1/2.
TEST(LbmGeometry, SpheresAndBoxesOnD3q19) {
  const std::array<int, 3> cells = {20, 20, 20};
  const std::size_t count = 8000;
  lbm::Obstacle sphere;
  sphere.shape = lbm::Obstacle::Shape::sphere;
  sphere.center = {10.0, 9.7, 10.2};
  sphere.radius = 5.3;
  const lbm::ObstacleMask m = lbm::rasterize(lbm::Lattice::d3q19, cells, {sphere});
  const double volume = 4.0 / 3.0 * M_PI * std::pow(sphere.radius, 3);
  EXPECT_NEAR(double(m.solid_cells[0]), volume, 0.05 * volume);
  const lbm::WallFractions& w = m.wall_fraction;
  ASSERT_EQ(w.fraction.size(), 19 * w.cell.size());
  const lbm::WallFractionView<double> view{w.cell.data(), w.fraction.data(),
                                           std::int32_t(w.cell.size())};
  int links = 0;
  std::size_t listed = 0;
  for (std::size_t cell = 0; cell < count; ++cell) {
    if (m.solid[cell]) continue;
    const int x[3] = {int(cell % 20), int(cell / 20 % 20), int(cell / 400)};
    const auto at = std::find(w.cell.begin(), w.cell.end(), std::uint32_t(cell));
    const std::size_t k = std::size_t(at - w.cell.begin());
    bool boundary = false;
    for (int q = 1; q < 19; ++q) {
      const int up[3] = {x[0] - lbm::D3Q19::c(q, 0), x[1] - lbm::D3Q19::c(q, 1),
                         x[2] - lbm::D3Q19::c(q, 2)};
      const bool in_domain =
          std::min({up[0], up[1], up[2]}) >= 0 && std::max({up[0], up[1], up[2]}) < 20;
      if (!in_domain || !m.solid[(std::size_t(up[2]) * 20 + up[1]) * 20 + up[0]]) continue;
      boundary = true;
      ASSERT_NE(at, w.cell.end()) << "cell " << cell << " has a solid neighbour, not listed";
      const double t = w.fraction[k * 19 + q];
      // What the kernels read: the cell's slot found by bisection.
      ASSERT_EQ(lbm::wall_fraction<lbm::D3Q19>(view, core::Index(cell), q), t);
      ASSERT_GT(t, 0.0);
      ASSERT_LE(t, 1.0);
      double r2 = 0;
      for (int a = 0; a < 3; ++a) {
        const double p = x[a] + 0.5 + t * (up[a] - x[a]) - sphere.center[a];
        r2 += p * p;
      }
      EXPECT_NEAR(std::sqrt(r2), sphere.radius, 1e-9);
      ++links;
    }
    EXPECT_EQ(boundary, at != w.cell.end()) << "cell " << cell;
    if (!boundary) EXPECT_EQ(lbm::wall_fraction<lbm::D3Q19>(view, core::Index(cell), 1), 0.5);
    listed += boundary ? 1 : 0;
  }
  EXPECT_EQ(listed, w.cell.size());
  EXPECT_TRUE(std::is_sorted(w.cell.begin(), w.cell.end()));
  EXPECT_GT(links, 500);

  lbm::Obstacle box;
  box.shape = lbm::Obstacle::Shape::box;
  box.center = {10.0, 9.0, 11.0};
  box.size = {4.0, 6.0, 8.0};
  const lbm::ObstacleMask b = lbm::rasterize(lbm::Lattice::d3q19, cells, {box});
  EXPECT_EQ(b.solid_cells[0], 4 * 6 * 8);
  EXPECT_FALSE(b.wall_fraction.empty());
  for (double t : b.wall_fraction.fraction) ASSERT_EQ(t, 0.5);
}

TEST(LbmD3q19Config, RefusesWhatItCannotDo) {
  lbm::LatticeConfig c =
      box3d({8, 8, 8}, {2, 3, 4, 5}, 0.8, lbm::Collision::trt, lbm::Precision::fp64);
  c.sides[0].type = lbm::Boundary::velocity_inlet;
  c.sides[1].type = lbm::Boundary::pressure_outlet;
  c.sides[0].profile = lbm::Profile::parabolic;
  EXPECT_NO_THROW(lbm::make_solver(core::Backend::Cpu, c));
  for (int s = 2; s < 6; ++s) c.sides[s].type = lbm::Boundary::periodic;
  // Every axis across the inlet periodic: no end for the parabola to vanish at.
  EXPECT_THROW(lbm::make_solver(core::Backend::Cpu, c), core::Error);
  c.sides[0].profile = lbm::Profile::uniform;
  EXPECT_NO_THROW(lbm::make_solver(core::Backend::Cpu, c));
  for (int s = 2; s < 6; ++s) c.sides[s].type = lbm::Boundary::wall;
  c.wall_fraction.cell = {3, 70};
  c.wall_fraction.fraction.assign(9 * 2, 0.5);  // D2Q9's count
  EXPECT_THROW(lbm::make_solver(core::Backend::Cpu, c), core::Error);
  c.wall_fraction.fraction.assign(19 * 2, 0.5);
  EXPECT_NO_THROW(lbm::make_solver(core::Backend::Cpu, c));
  c.wall_fraction.fraction[19 + 4] = 0.0;  // outside (0, 1]
  EXPECT_THROW(lbm::make_solver(core::Backend::Cpu, c), core::Error);
  c.wall_fraction.fraction[19 + 4] = 1.0;
  c.wall_fraction.cell = {70, 3};  // not ascending
  EXPECT_THROW(lbm::make_solver(core::Backend::Cpu, c), core::Error);
  c.wall_fraction.cell = {3, 512};  // beyond the lattice
  EXPECT_THROW(lbm::make_solver(core::Backend::Cpu, c), core::Error);
  c.lattice = lbm::Lattice::d2q9;
  c.wall_fraction = {};
  EXPECT_THROW(lbm::make_solver(core::Backend::Cpu, c), core::Error);  // D2Q9 with 8 z cells
}

}  // namespace
}  // namespace twinsim::test
