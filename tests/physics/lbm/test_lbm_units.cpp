// Physical to lattice units, and the settings the solver refuses with a message saying what to
// change.
#include <gtest/gtest.h>

#include <string>

#include "lbm_cases.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/lbm/Units.hpp"

namespace twinsim::test {
namespace {

// The message of the core::Error thrown by f, or "" when none is thrown.
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const core::Error& e) {
    return e.what();
  }
  return "";
}

lbm::PhysicalSetup cavity_re100(int n) {
  lbm::PhysicalSetup s;
  s.size = {1.0, 1.0};
  s.cells = {n, n};
  s.viscosity = 0.01;
  s.reference_velocity = 1.0;
  s.lattice_velocity = 0.1;
  return s;
}

TEST(LbmUnits, CavityRe100OnSixtyFourCells) {
  const lbm::LatticeUnits u = lbm::to_lattice_units(cavity_re100(64));
  EXPECT_DOUBLE_EQ(u.dx, 1.0 / 64);
  EXPECT_DOUBLE_EQ(u.dt, 0.1 / 64);                 // u_lattice dx / U
  EXPECT_NEAR(u.viscosity, 0.1 * 64 / 100, 1e-15);  // u_lattice N / Re
  EXPECT_NEAR(u.tau, 3 * 0.064 + 0.5, 1e-15);
  EXPECT_NEAR(u.velocity(0.1), 1.0, 1e-15);
  EXPECT_NEAR(u.to_lattice_acceleration(2.0), 2.0 * u.dt * u.dt / u.dx, 1e-18);
  // p - p0 = c_s^2 (rho - 1) in lattice units, times rho dx^2 / dt^2.
  EXPECT_NEAR(u.pressure(1.03), 0.01 * 100.0, 1e-9);
}

TEST(LbmUnits, TauTooCloseToHalfIsRefusedWithTheCellsNeeded) {
  lbm::PhysicalSetup s = cavity_re100(8);
  s.viscosity = 1e-4;  // Re = 10^4 on 8 cells: tau = 0.50024, 1/42 of the margin needed
  const std::string message = error_of([&] { lbm::to_lattice_units(s); });
  EXPECT_NE(message.find("too close to 1/2"), std::string::npos) << message;
  EXPECT_NE(message.find("raise cells to [334, 334]"), std::string::npos) << message;
}

// A viscosity so small that tau - 1/2 underflows to 0 asks for infinitely many cells: the message
// says no lattice fits instead of converting infinity to an integer (found by fuzz_case).
TEST(LbmUnits, ViscosityThatUnderflowsTauNamesNoLattice) {
  lbm::PhysicalSetup s = cavity_re100(8);
  s.viscosity = 1e-300;
  const std::string message = error_of([&] { lbm::to_lattice_units(s); });
  EXPECT_NE(message.find("too close to 1/2"), std::string::npos) << message;
  EXPECT_NE(message.find("far beyond any machine: check viscosity"), std::string::npos) << message;
  EXPECT_EQ(message.find("raise cells"), std::string::npos) << message;
}

TEST(LbmUnits, HighMachIsRefusedWithTheLatticeVelocityToUse) {
  lbm::PhysicalSetup s = cavity_re100(64);
  s.lattice_velocity = 0.3;
  const std::string message = error_of([&] { lbm::to_lattice_units(s); });
  EXPECT_NE(message.find("Mach number 0.520"), std::string::npos) << message;
  EXPECT_NE(message.find("lower lattice_velocity to 0.173"), std::string::npos) << message;
}

// Schafer-Turek 2D-2 (Re = 100, inflow peak 1.5 m/s, nu = 1e-3 m^2/s) diverges at 10 cells per
// diameter (cell Reynolds number 15) for every lattice velocity tried, and runs at 20: the first
// is refused with the next square grid above the bound (2.2 x 0.41 m: 440 x 82); an LES is not.
TEST(LbmUnits, CoarseGridForTheReynoldsNumberIsRefused) {
  lbm::PhysicalSetup s;
  s.size = {2.2, 0.41};
  s.cells = {220, 41};
  s.viscosity = 1e-3;
  s.reference_velocity = 1.5;
  s.lattice_velocity = 0.1;  // tau = 0.52: passes the tau bound
  const std::string message = error_of([&] { lbm::to_lattice_units(s); });
  EXPECT_NE(message.find("Reynolds number per cell U dx / nu = 15 exceeds 10"), std::string::npos)
      << message;
  EXPECT_NE(message.find("raise cells to [440, 82]"), std::string::npos) << message;
  EXPECT_NE(message.find("lbm.smagorinsky"), std::string::npos) << message;
  s.subgrid_model = true;
  EXPECT_EQ(error_of([&] { lbm::to_lattice_units(s); }), "");
  s.subgrid_model = false;
  s.cells = {440, 82};
  EXPECT_EQ(error_of([&] { lbm::to_lattice_units(s); }), "");
  // 3D: every axis is raised, to the first square grid: 15 cells along x would need 7.5 in z.
  lbm::PhysicalSetup box = cavity_re100(8);
  box.size = {1.0, 1.0, 0.5};
  box.cells = {8, 8, 4};
  box.viscosity = 1.0 / 150;  // U dx / nu = 18.75: 1.875 times the bound
  box.lattice_velocity = 0.15;  // tau = 0.524
  const std::string message_3d = error_of([&] { lbm::to_lattice_units(box); });
  EXPECT_NE(message_3d.find("raise cells to [16, 16, 8]"), std::string::npos) << message_3d;
}

TEST(LbmUnits, NonSquareCellsAreRefused) {
  lbm::PhysicalSetup s = cavity_re100(64);
  s.size = {2.0, 1.0};
  const std::string message = error_of([&] { lbm::to_lattice_units(s); });
  EXPECT_NE(message.find("make cells proportional to the domain size (e.g. [64, 32])"),
            std::string::npos)
      << message;
}

TEST(LbmSolver, InvalidLatticesAreRefused) {
  lbm::LatticeConfig c = cavity(8, 0.5, 0.1, lbm::Collision::bgk, lbm::Precision::fp64);
  EXPECT_NE(error_of([&] { lbm::make_solver(core::Backend::Cpu, c); }).find("must exceed 1/2"),
            std::string::npos);
  c.tau = 0.8;
  c.sides[0].type = lbm::Boundary::periodic;
  EXPECT_NE(error_of([&] { lbm::make_solver(core::Backend::Cpu, c); }).find("x_min and x_max"),
            std::string::npos);
  c.sides[0].type = lbm::Boundary::wall;
  c.sides[0].sponge = 4;  // an absorbing layer before a wall
  EXPECT_NE(error_of([&] { lbm::make_solver(core::Backend::Cpu, c); })
                .find("an absorbing layer of 4 cells at x_min (a wall): only a pressure outlet"),
            std::string::npos);
  c.sides[0].sponge = 0;
  c.solid.assign(10, 0);
  EXPECT_NE(error_of([&] { lbm::make_solver(core::Backend::Cpu, c); }).find("solid mask"),
            std::string::npos);
}

// The case key of an absorbing layer: in m, to whole cells, on a pressure outlet with a velocity
// inlet opposite (its inflow is what the layer relaxes towards); else refused naming the key.
TEST(LbmCase, AbsorbingLayerBeforeAnOutlet) {
  const lbm::LatticeConfig c = schafer_turek(20, 0.1, 100.0, true, lbm::Precision::fp32, 0.5);
  EXPECT_EQ(c.sides[1].sponge, 100);  // 0.5 m at dx = 5 mm
  EXPECT_EQ(c.sides[1].profile, lbm::Profile::parabolic);
  EXPECT_EQ(c.sides[1].velocity[0], c.sides[0].velocity[0]);
  EXPECT_EQ(schafer_turek(20, 0.1, 100.0, true, lbm::Precision::fp32).sides[1].sponge, 0);
  const std::string too_thick = error_of(
      [&] { schafer_turek(20, 0.1, 100.0, true, lbm::Precision::fp32, 3.0); });
  EXPECT_NE(too_thick.find("lbm.boundaries.x_max_sponge = 3 m is 600 cells: it must span 1 to "
                           "440 cells (the domain along x)"),
            std::string::npos)
      << too_thick;
}

}  // namespace
}  // namespace twinsim::test
