// Smagorinsky subgrid model against analytic flows, on every backend and storage precision, D2Q9
// and D3Q19, BGK and TRT:
// - plane Couette flow: the shear rate S = U / H is uniform, so is the eddy viscosity
//   nu_t = (C_s dx)^2 |S| (|S| = sqrt(2 S_ab S_ab) = S); the profile stays linear and the
//   stress on the resting wall, measured by momentum exchange, is rho (nu + nu_t) S;
// - force-driven channel flow: the stress balance gives the profile in closed form;
// - negative constants are refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "backends.hpp"
#include "lbm_cases.hpp"
#include "twinsim/core/Error.hpp"

namespace twinsim::test {
namespace {

template <class Case>
class LbmSmagorinsky : public ::testing::Test {
 protected:
  using Real = typename Case::Real;
  static constexpr bool k_fp32 = std::is_same_v<Real, float>;
};
TYPED_TEST_SUITE(LbmSmagorinsky, AllBackendsAndPrecisions, BackendPrecisionName);

// Plane Couette flow in y: a solid row (obstacle 1, its surface half-way between rows 0 and 1)
// at rest, a wall at y_max moving along x at u_wall, H = ny - 1 cells apart; periodic along x
// (and z for D3Q19), one cell per periodic axis suffices.
lbm::LatticeConfig couette(lbm::Lattice lattice, lbm::Collision collision,
                           lbm::Precision precision, int ny, double tau, double u_wall,
                           double smagorinsky) {
  lbm::LatticeConfig c;
  c.lattice = lattice;
  c.collision = collision;
  c.precision = precision;
  c.cells = {1, ny, 1};
  c.tau = tau;
  c.smagorinsky = smagorinsky;
  c.sides[2].type = c.sides[3].type = lbm::Boundary::wall;
  c.sides[3].velocity = {u_wall, 0.0, 0.0};
  add_solid_box(c, {0, 0, 0}, {1, 1, 1});
  return c;
}

// Relative error of the eddy viscosity measured in Couette flow against (C_s dx)^2 S, S = u_wall
// / H, H = 4 cells, tau = 0.6. Prints the figures; checks that the profile stays linear.
template <class Case>
double couette_nu_t_error(lbm::Lattice lattice, lbm::Collision collision, double u_wall,
                          double cs) {
  using Real = typename Case::Real;
  const bool fp32 = std::is_same_v<Real, float>;
  const int ny = 5;
  const double h = ny - 1, shear = u_wall / h, tau = 0.6, nu = (tau - 0.5) / 3.0;
  const lbm::LatticeConfig c =
      couette(lattice, collision, precision_of<Real>(), ny, tau, u_wall, cs);
  auto s = lbm::make_solver(Case::k_backend, c);
  // Steady within exp(-30) of the slowest start-up mode (faster with the eddy viscosity).
  s->step(long(std::ceil(30.0 * h * h / (M_PI * M_PI * nu))));
  const std::string name = lbm::to_string(lattice) + " " + lbm::to_string(collision) +
                           " U " + std::to_string(u_wall) + " C_s " + std::to_string(cs);
  // The profile u = U (y - 1/2) / H at the cell centres y = 1 .. ny - 1: exact without the
  // model; with it TRT's normal stress (below) varies tau a little near the walls.
  const lbm::Macroscopic m = s->macroscopic();
  double profile_error = 0;
  for (int y = 1; y < ny; ++y)
    profile_error = std::max(profile_error, std::abs(m.ux[y] - shear * (y - 0.5)));
  EXPECT_LT(profile_error, (fp32 ? 1e-5 : 1e-12) * u_wall + (cs > 0 ? 1e-3 * u_wall : 0.0))
      << name;
  // Momentum exchange on the resting wall (its length is one cell): the shear stress.
  const double nu_t = s->obstacle_forces().at(0)[0] / shear - nu, predicted = cs * cs * shear;
  std::printf("%-36s nu_t %.6e predicted %.6e (nu %.4e), profile error %.1e\n", name.c_str(),
              nu_t, predicted, nu, profile_error / u_wall);
  if (cs == 0) {
    // Without the model the measurement itself: the molecular viscosity to rounding (FP32: the
    // force is a sum of populations of size u_wall, ~1e-7 of it).
    EXPECT_NEAR(nu_t, 0.0, (fp32 ? 1e-4 : 1e-11) * nu) << name;
    return 0;
  }
  return nu_t / predicted - 1;
}

// nu_t = (C_s dx)^2 S, to 1e-3 with BGK (measured 1.5e-4 at S = 0.025: the second-order error of
// the strain estimate). TRT's slow antisymmetric rate (magic 3/16) leaves a second-order normal
// stress Pi_xx ~ S^2 in the discrete Couette solution that |Pi_neq| counts as strain: nu_t is
// 0.56-0.94 % high at S = 0.025 (bound 1.5 %), and the error falls as S^2 (ratio 4 per halving
// of the shear rate; checked in FP64, where it stands above rounding).
TYPED_TEST(LbmSmagorinsky, CouetteStressHasTheEddyViscosity) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const double u_wall = 0.1;
  for (lbm::Lattice lattice : {lbm::Lattice::d2q9, lbm::Lattice::d3q19})
    for (lbm::Collision collision : {lbm::Collision::bgk, lbm::Collision::trt})
      for (double cs : {0.0, 0.17, 0.5}) {
        const double error = couette_nu_t_error<TypeParam>(lattice, collision, u_wall, cs);
        const bool trt = collision == lbm::Collision::trt;
        EXPECT_LT(std::abs(error), trt ? 1.5e-2 : 1e-3)
            << lbm::to_string(lattice) << " " << lbm::to_string(collision) << " C_s " << cs;
        if (trt && cs > 0 && !TestFixture::k_fp32) {
          const double half = couette_nu_t_error<TypeParam>(lattice, collision, u_wall / 2, cs);
          EXPECT_NEAR(error / half, 4.0, 1.0) << lbm::to_string(lattice) << " C_s " << cs;
        }
      }
}

// Force-driven channel flow with the Smagorinsky model: the stress balances the force,
// (nu + C^2 |u'|) u' = F (H/2 - y) for y < H/2 (walls at y = 0, H), so u' is the positive root of
// a quadratic and u(y) = (G(s_w) - G(s)) / F with s = F (H/2 - y), s_w = F H / 2 and
// G(s) = (-nu s + (nu^2 + 4 C^2 s)^(3/2) / (6 C^2)) / (2 C^2). The strain varies from its wall
// value to zero at the centreline, so does the local tau; the force enters |Pi_neq|.
double smagorinsky_channel(double y, double h, double nu, double force, double cs) {
  const double c2 = cs * cs;
  const auto g = [&](double s) {
    return (-nu * s + std::pow(nu * nu + 4 * c2 * s, 1.5) / (6 * c2)) / (2 * c2);
  };
  const double s = force * std::abs(h / 2 - y);
  return (g(force * h / 2) - g(s)) / force;
}

TYPED_TEST(LbmSmagorinsky, ChannelFlowFollowsTheAnalyticProfile) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TestFixture::Real;
  const int ny = 8;
  const double tau = 0.6, nu = (tau - 0.5) / 3.0, cs = 0.5;
  for (lbm::Lattice lattice : {lbm::Lattice::d2q9, lbm::Lattice::d3q19})
    for (lbm::Collision collision : {lbm::Collision::bgk, lbm::Collision::trt}) {
      // Laminar centreline speed 0.05; the model lowers it by 10 %.
      lbm::LatticeConfig c = channel(ny, tau, collision, precision_of<Real>(), 0.05);
      c.lattice = lattice;
      c.smagorinsky = cs;
      auto s = lbm::make_solver(TypeParam::k_backend, c);
      s->step(steady_steps(ny, tau));
      const lbm::Macroscopic m = s->macroscopic();
      double error = 0, laminar_error = 0;
      const double centre = smagorinsky_channel(ny / 2.0, ny, nu, c.force[0], cs);
      for (int y = 0; y < ny; ++y) {
        const double exact = smagorinsky_channel(y + 0.5, ny, nu, c.force[0], cs);
        error = std::max(error, std::abs(m.ux[y] - exact));
        laminar_error = std::max(
            laminar_error, std::abs(m.ux[y] - c.force[0] / (2 * nu) * (y + 0.5) * (ny - y - 0.5)));
      }
      const std::string name = lbm::to_string(lattice) + " " + lbm::to_string(collision);
      std::printf("%-12s centreline %.6f (laminar 0.05), max error %.2e of it (laminar profile "
                  "%.2e)\n",
                  name.c_str(), centre, error / centre, laminar_error / centre);
      // Measured (8 cells across): BGK 1.45 % (its wall-location error, second order: 0.37 % at
      // 16 cells, 0.092 % at 32), TRT 0.18 % (0.028 %, 0.0039 %); the model moves the
      // profile by 11-12 %.
      EXPECT_LT(error, (collision == lbm::Collision::bgk ? 2e-2 : 3e-3) * centre) << name;
    }
}

TYPED_TEST(LbmSmagorinsky, RefusesANegativeConstant) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  lbm::LatticeConfig c = cavity(8, 0.6, 0.1, lbm::Collision::trt, lbm::Precision::fp64);
  c.smagorinsky = -0.1;
  EXPECT_THROW(lbm::make_solver(TypeParam::k_backend, c), core::Error);
}

}  // namespace
}  // namespace twinsim::test
