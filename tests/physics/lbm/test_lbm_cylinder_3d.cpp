// Schafer & Turek (1996) benchmark 3D-1Z: steady flow at Re = 20 past a cylinder spanning the
// height of a square duct (D3Q19), with the product-of-parabolas inflow. Drag and lift
// coefficients from momentum exchange against the published bands (twinsim/lbm/Reference.hpp).
// TWINSIM_CYLINDER3D_N cells per diameter, TWINSIM_CYLINDER3D_U the inflow peak (lattice units);
// bounds per resolution in CMakeLists.txt.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "backends.hpp"
#include "lbm_cases.hpp"
#include "twinsim/lbm/Reference.hpp"

namespace twinsim::test {
namespace {

using ST3 = lbm::SchaferTurek3D1Z;

// The 3D-1Z duct (2.5 x 0.41 x 0.41 m) with `per_d` cells per diameter (a multiple of 10): inflow
// of peak 0.45 m/s (u_peak in lattice units) at x_min, 16 Um y z (H - y) (H - z) / H^4, pressure
// outlet at x_max, walls at the y and z sides, the cylinder (D = 0.1 m at (0.5, 0.2) m, along z)
// with interpolated walls; nu = 1e-3 m^2/s for Re = Ubar D / nu = 20 with Ubar = 4/9 Um. TRT
// (magic 3/16), FP32. As a case, converted by the library.
lbm::LatticeConfig schafer_turek_3d1z(int per_d, double u_peak) {
  const std::string cells = std::to_string(41 * per_d / 10);
  return case_lattice(
             "[lbm]\nlattice = \"d3q19\"\nsteps = 1\n[lbm.domain]\nsize = [2.5, 0.41, 0.41]\n"
             "cells = [" + std::to_string(25 * per_d) + ", " + cells + ", " + cells +
             "]\nviscosity = 1e-3\nreference_velocity = 0.45\nlattice_velocity = " +
             toml_number(u_peak) +
             "\n[lbm.boundaries]\nx_min = \"velocity_inlet\"\nx_min_profile = \"parabolic\"\n"
             "x_min_velocity = [0.45, 0.0, 0.0]\nx_max = \"pressure_outlet\"\n"
             "z_min = \"wall\"\nz_max = \"wall\"\n"
             "[[lbm.obstacle]]\nshape = \"circle\"\ncenter = [0.5, 0.2]\nradius = 0.05\n")
      .config;
}

template <class Case>
class LbmCylinder3d : public ::testing::Test {};
TYPED_TEST_SUITE(LbmCylinder3d, AllBackends, BackendName);

TYPED_TEST(LbmCylinder3d, SchaferTurek3D1ZCoefficients) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const int per_d = TWINSIM_CYLINDER3D_N;
  const double u_peak = TWINSIM_CYLINDER3D_U, ubar = 4.0 / 9.0 * u_peak;
  const lbm::LatticeConfig c = schafer_turek_3d1z(per_d, u_peak);
  auto solver = lbm::make_solver(TypeParam::k_backend, c);
  // Force (lattice units) -> coefficient 2 F / (rho Ubar^2 D H), D H = per_d x cells in z.
  const double scale = lbm::coefficient_factor(1.0, ubar, double(per_d) * c.cells[2]);
  // The inflow starts as sin^2(pi t / (2 T)) over T = 2000 steps (~5 sound crossings of the
  // duct): an impulsive start rings with pressure waves that decay over ~2500 steps each e-fold
  // at this viscosity, longer than the flow takes to settle.
  const long ramp = 2000, block = 50;
  for (long s = 0; s < ramp; s += block) {
    const double f = std::pow(std::sin(0.5 * M_PI * double(s) / ramp), 2);
    solver->set_side_velocity(0, {f * u_peak, 0.0, 0.0});
    solver->step(block);
  }
  solver->set_side_velocity(0, {u_peak, 0.0, 0.0});
  // Steady when c_D changes by less than TWINSIM_CYLINDER3D_TOL (relative) over `check` steps,
  // three checks in a row: the duct between the inflow (bounce-back) and the outlet (fixed
  // density) rings as a quarter-wave resonator (period 4 L / c_s ~ 1700 steps) that wall
  // friction damps by e every ~3000 steps, and one small change can be a chance coincidence.
  const long check = 500;
  double cd = 0, last = 0;
  int quiet = 0;
  for (int k = 0; k < 200 && quiet < 3; ++k) {
    solver->step(check);
    const std::array<double, 3> f = solver->obstacle_forces()[0];
    cd = f[0] * scale;
    std::printf("step %ld: c_D %.5f, c_L %.5f\n", long(solver->steps_done()), cd, f[1] * scale);
    std::fflush(stdout);
    quiet = k > 0 && std::abs(cd - last) < TWINSIM_CYLINDER3D_TOL * std::abs(cd) ? quiet + 1 : 0;
    last = cd;
  }
  const std::array<double, 3> f = solver->obstacle_forces()[0];
  const double cl = f[1] * scale;
  // dP between the cylinder's front and rear points at mid-height (z = 0.205 m), cell units
  // (dx = D / per_d); p = rho / 3 in lattice units, to Pa at Ubar = 0.2 m/s, rho = 1 kg/m^3.
  const lbm::Macroscopic m = solver->macroscopic();
  const double to_pa = (ST3::k_ubar / ubar) * (ST3::k_ubar / ubar) / 3.0;
  const double to_cells = per_d / ST3::k_diameter, z = 0.205 * to_cells;
  const double front = lbm::probe(m, m.rho, 0.45 * to_cells, 0.2 * to_cells, z);
  const double rear = lbm::probe(m, m.rho, 0.55 * to_cells, 0.2 * to_cells, z);
  const double dp = (front - rear) * to_pa;
  std::printf("3D-1Z, %d cells per D, u_peak %.3f, tau %.4f, %ld steps: c_D %.4f (band %.2f-%.2f), "
              "c_L %.5f (band %.3f-%.3f), dP %.4f Pa (band %.3f-%.3f), c_side %.2e\n",
              per_d, u_peak, c.tau, long(solver->steps_done()), cd, ST3::k_cd.lower,
              ST3::k_cd.upper, cl, ST3::k_cl.lower, ST3::k_cl.upper, dp, ST3::k_dp.lower,
              ST3::k_dp.upper, f[2] * scale);
  EXPECT_NEAR(cd, ST3::k_cd.value, TWINSIM_CYLINDER3D_CD_BOUND * ST3::k_cd.value);
  EXPECT_NEAR(cl, ST3::k_cl.value, TWINSIM_CYLINDER3D_CL_BOUND * ST3::k_cl.value);
  EXPECT_NEAR(dp, ST3::k_dp.value, TWINSIM_CYLINDER3D_DP_BOUND * ST3::k_dp.value);
}

}  // namespace
}  // namespace twinsim::test
