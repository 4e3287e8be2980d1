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

TEST(LbmUnits, HighMachIsRefusedWithTheLatticeVelocityToUse) {
  lbm::PhysicalSetup s = cavity_re100(64);
  s.lattice_velocity = 0.3;
  const std::string message = error_of([&] { lbm::to_lattice_units(s); });
  EXPECT_NE(message.find("Mach number 0.520"), std::string::npos) << message;
  EXPECT_NE(message.find("lower lattice_velocity to 0.173"), std::string::npos) << message;
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
  c.solid.assign(10, 0);
  EXPECT_NE(error_of([&] { lbm::make_solver(core::Backend::Cpu, c); }).find("solid mask"),
            std::string::npos);
}

}  // namespace
}  // namespace twinsim::test
