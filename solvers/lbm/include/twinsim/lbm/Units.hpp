#pragma once
// From a case in physical units to lattice units (dx = dt = 1, rho_0 = 1) and back. The
// resolution fixes dx; the reference velocity (the largest speed expected) is mapped to a chosen
// lattice velocity, which fixes dt; the viscosity then fixes tau. Settings that would be unstable
// (tau too close to 1/2, or a grid too coarse for the Reynolds number) or inaccurate (Mach number
// too high) are refused with what to change.
#include <array>
#include <cmath>

namespace twinsim::lbm {

struct PhysicalSetup {
  std::array<double, 3> size = {1, 1, 0};  // domain edges x, y, z [m]; z 0 for a 2D domain
  std::array<int, 3> cells = {1, 1, 1};    // cells along x, y, z; dx must come out equal on all
  double viscosity = 0;                 // kinematic [m^2/s]
  double reference_velocity = 0;        // the largest speed expected [m/s]
  double lattice_velocity = 0.1;        // what reference_velocity becomes [lattice units]
  double density = 1;                   // [kg/m^3], scales pressure
  bool subgrid_model = false;           // Smagorinsky on: the grid need not resolve the flow
};

struct UnitLimits {
  double min_tau = 0.51;  // BGK/TRT become unstable as tau -> 1/2
  double max_mach = 0.3;  // u / c_s; compressibility errors grow as Ma^2
  // Reynolds number of one cell, U dx / nu (independent of the lattice velocity). Above it the
  // flow's thinnest layers span too few cells and the run diverges whatever tau is: measured on
  // Schafer-Turek 2D-2 (10 cells per diameter, TRT): 11 runs, 12 diverges at tau 0.5125,
  // 0.525 and 0.5375. Not applied with a subgrid model, whose eddy viscosity is what
  // stabilises under-resolved flow.
  double max_cell_reynolds = 10;
};

struct LatticeUnits {
  double dx = 0;         // [m]
  double dt = 0;         // [s]
  double density = 1;    // [kg/m^3] of rho = 1
  double viscosity = 0;  // lattice units
  double tau = 0;
  double mach = 0;  // of the reference velocity

  double to_lattice_velocity(double u) const { return u * dt / dx; }
  double to_lattice_acceleration(double a) const { return a * dt * dt / dx; }
  double velocity(double u_lattice) const { return u_lattice * dx / dt; }
  double time(double steps) const { return steps * dt; }
  double rate(double per_step) const { return per_step / dt; }  // vorticity, shear rate [1/s]
  // Pressure relative to the reference state, p - p_0 = c_s^2 (rho - 1) [Pa].
  double pressure(double rho_lattice) const {
    return (rho_lattice - 1.0) / 3.0 * density * dx * dx / (dt * dt);
  }
  // A force from momentum exchange [N] on a 3D lattice (dims 3), per unit depth [N/m] on a 2D
  // one: rho dx^4 / dt^2 (2D rho dx^3 / dt^2) per lattice unit.
  double force(double f_lattice, int dims) const {
    return f_lattice * (density * std::pow(dx, dims == 3 ? 4 : 3) / (dt * dt));
  }
};

// Throws core::Error when the cells do not give one dx, when tau < limits.min_tau, when the
// Mach number exceeds limits.max_mach or when the cell Reynolds number exceeds
// limits.max_cell_reynolds (without a subgrid model); the message says what to change and to
// what.
LatticeUnits to_lattice_units(const PhysicalSetup& setup, const UnitLimits& limits = {});

}  // namespace twinsim::lbm
