#include "twinsim/lbm/Units.hpp"

#include <fmt/format.h>

#include <cmath>
#include <string>

#include "twinsim/core/Error.hpp"

namespace twinsim::lbm {

namespace {

// "raise cells to [nx, ny(, nz)] or more": the fewest cells, at least factor times the case's
// along x, that keep the cells square (every axis an integer number of the same dx); plain
// rounding up where no such count lies within 1000 cells. A factor that asks for more than
// 1e9 cells along x (or is not finite: tau - 1/2 can underflow to 0) names no lattice at all.
std::string raised_cells(const PhysicalSetup& s, double factor) {
  const double wanted = s.cells[0] * factor;
  if (!(wanted <= 1e9)) {
    return fmt::format("it would take {:.3g} cells along x, far beyond any machine: check "
                       "viscosity, size and reference_velocity",
                       wanted);
  }
  const int axes = s.size[2] > 0 ? 3 : 2;
  const auto cells_along = [&](int a, long nx) { return s.size[a] / s.size[0] * double(nx); };
  const auto square = [&](long nx) {
    for (int a = 1; a < axes; ++a)
      if (std::abs(cells_along(a, nx) - std::round(cells_along(a, nx))) > 1e-6 * cells_along(a, nx))
        return false;
    return true;
  };
  const long first = long(std::ceil(s.cells[0] * factor - 1e-9));
  long nx = first;
  while (nx < first + 1000 && !square(nx)) ++nx;
  const bool found = square(nx);
  std::string out = "raise cells to [" + std::to_string(found ? nx : first);
  for (int a = 1; a < axes; ++a)
    out += ", " + std::to_string(found ? std::lround(cells_along(a, nx))
                                       : long(std::ceil(s.cells[a] * factor - 1e-9)));
  return out + "] or more";
}

}  // namespace

LatticeUnits to_lattice_units(const PhysicalSetup& s, const UnitLimits& limits) {
  TWINSIM_REQUIRE(s.cells[0] > 0 && s.cells[1] > 0 && s.size[0] > 0 && s.size[1] > 0 &&
                      s.viscosity > 0 && s.reference_velocity > 0 && s.lattice_velocity > 0,
                  "lattice units: sizes, cells, viscosity and velocities must be positive");
  const double dx = s.size[0] / s.cells[0], dy = s.size[1] / s.cells[1];
  if (std::abs(dx - dy) > 1e-9 * dx) {
    throw core::Error(fmt::format(
        "domain {} x {} m on {} x {} cells gives a cell size of {:.6g} m in x but {:.6g} m in y: "
        "lattice cells are square, so make cells proportional to the domain size (e.g. [{}, {}])",
        s.size[0], s.size[1], s.cells[0], s.cells[1], dx, dy, s.cells[0],
        std::lround(s.cells[0] * s.size[1] / s.size[0])));
  }
  if (s.size[2] > 0 && std::abs(s.size[2] / s.cells[2] - dx) > 1e-9 * dx) {
    throw core::Error(fmt::format(
        "domain depth {} m on {} cells gives a cell size of {:.6g} m in z but {:.6g} m in x: "
        "lattice cells are cubes, so make cells proportional to the domain size (e.g. {} in z)",
        s.size[2], s.cells[2], s.size[2] / s.cells[2], dx,
        std::lround(s.cells[0] * s.size[2] / s.size[0])));
  }
  LatticeUnits u;
  u.dx = dx;
  u.dt = s.lattice_velocity * dx / s.reference_velocity;
  u.density = s.density;
  u.viscosity = s.viscosity * u.dt / (dx * dx);
  u.tau = 3.0 * u.viscosity + 0.5;
  u.mach = s.lattice_velocity * std::sqrt(3.0);
  if (u.mach > limits.max_mach) {
    throw core::Error(fmt::format(
        "Mach number {:.3f} (lattice velocity {} over the lattice sound speed 1/sqrt(3)) exceeds "
        "{}: lower lattice_velocity to {:.3f} or less (compressibility errors grow as Ma^2)",
        u.mach, s.lattice_velocity, limits.max_mach, limits.max_mach / std::sqrt(3.0)));
  }
  if (u.tau < limits.min_tau) {
    // tau - 1/2 = 3 nu dt / dx^2 = 3 nu u_lattice / (U dx): proportional to the cell count and
    // to the lattice velocity.
    const double factor = (limits.min_tau - 0.5) / (u.tau - 0.5);
    const double max_lattice_velocity = limits.max_mach / std::sqrt(3.0);
    const std::string raise_cells = raised_cells(s, factor);
    // Raising the lattice velocity helps only while the Mach number stays acceptable.
    const std::string fix =
        s.lattice_velocity * factor <= max_lattice_velocity
            ? fmt::format("{}, or lattice_velocity to {:.3g} (at most {:.3f} for Mach {})",
                          raise_cells, s.lattice_velocity * factor, max_lattice_velocity,
                          limits.max_mach)
            : raise_cells;
    throw core::Error(fmt::format(
        "relaxation time tau = {:.4f} is too close to 1/2 (at least {} is needed for stability; "
        "Reynolds number per cell U dx / nu = {:.3g}): {}",
        u.tau, limits.min_tau, s.reference_velocity * dx / s.viscosity, fix));
  }
  const double cell_reynolds = s.reference_velocity * dx / s.viscosity;
  if (!s.subgrid_model && cell_reynolds > limits.max_cell_reynolds) {
    const double factor = cell_reynolds / limits.max_cell_reynolds;
    throw core::Error(fmt::format(
        "Reynolds number per cell U dx / nu = {:.3g} exceeds {}: the grid is too coarse for the "
        "flow (it diverges whatever the lattice velocity); {}, or turn "
        "on the Smagorinsky subgrid model (lbm.smagorinsky = 0.1 to 0.17) for a large-eddy "
        "simulation",
        cell_reynolds, limits.max_cell_reynolds, raised_cells(s, factor)));
  }
  return u;
}

}  // namespace twinsim::lbm
