#pragma once
// Published and analytic reference solutions the solver is checked against, by the tests and by
// `twinsim run` (summary.json).
#include <array>
#include <cstddef>
#include <vector>

#include "twinsim/lbm/Solver.hpp"
#include "twinsim/lbm/Units.hpp"

namespace twinsim::lbm {

// Ghia, Ghia & Shin (1982), J. Comput. Phys. 48, 387-411: lid-driven square cavity, lid at
// y = 1 moving with u = 1. Table I: u on the vertical centreline x = 0.5 against y; Table II:
// v on the horizontal centreline y = 0.5 against x. Values as in shared/reference/fluids.md.
struct GhiaPoint {
  double position;  // y (Table I) or x (Table II), fraction of the cavity edge
  double re100;
  double re1000;
};
inline constexpr std::array<GhiaPoint, 17> k_ghia_u = {{
    {1.0000, 1.00000, 1.00000},
    {0.9766, 0.84123, 0.65928},
    {0.9688, 0.78871, 0.57492},
    {0.9609, 0.73722, 0.51117},
    {0.9531, 0.68717, 0.46604},
    {0.8516, 0.23151, 0.33304},
    {0.7344, 0.00332, 0.18719},
    {0.6172, -0.13641, 0.05702},
    {0.5000, -0.20581, -0.06080},
    {0.4531, -0.21090, -0.10648},
    {0.2813, -0.15662, -0.27805},
    {0.1719, -0.10150, -0.38289},
    {0.1016, -0.06434, -0.29730},
    {0.0703, -0.04775, -0.22220},
    {0.0625, -0.04192, -0.20196},
    {0.0547, -0.03717, -0.18109},
    {0.0000, 0.00000, 0.00000},
}};
inline constexpr std::array<GhiaPoint, 17> k_ghia_v = {{
    {1.0000, 0.00000, 0.00000},
    {0.9688, -0.05906, -0.21388},
    {0.9609, -0.07391, -0.27669},
    {0.9531, -0.08864, -0.33714},
    {0.9453, -0.10313, -0.39188},
    {0.9063, -0.16914, -0.51550},
    {0.8594, -0.22445, -0.42665},
    {0.8047, -0.24533, -0.31966},
    {0.5000, 0.05454, 0.02526},
    {0.2344, 0.17527, 0.32235},
    {0.2266, 0.17507, 0.33075},
    {0.1563, 0.16077, 0.37095},
    {0.0938, 0.12317, 0.32627},
    {0.0781, 0.10890, 0.30353},
    {0.0703, 0.10091, 0.29012},
    {0.0625, 0.09233, 0.27485},
    {0.0000, 0.00000, 0.00000},
}};

// Largest deviations from Ghia's centreline values, in units of the lid speed, over the table's
// interior points (the end points are the boundary conditions).
struct CentrelineErrors {
  double max_u = 0;  // Table I
  double max_v = 0;  // Table II
};

// For a cavity filling the whole lattice (walls on all sides, lid at y_max moving in +x with
// lid_velocity, lattice units), Reynolds number 100 or 1000. Profiles are interpolated linearly
// between cell centres and the walls. Throws core::Error for another Reynolds number.
CentrelineErrors ghia_centreline_errors(const Macroscopic& m, double lid_velocity, int reynolds);

// Steady force-driven channel flow between walls at y = 0 and y = height:
// u(y) = a y (height - y) / (2 nu), any consistent units.
inline double poiseuille_velocity(double y, double height, double acceleration, double viscosity) {
  return acceleration * y * (height - y) / (2.0 * viscosity);
}

// Relative L2 error sqrt(sum (u - u_exact)^2 / sum u_exact^2) of ux over all fluid cells of a
// lattice with walls at y_min and y_max and the body force ax along x (lattice units).
double poiseuille_error(const Macroscopic& m, double ax, double viscosity);

// Steady flow along x in a rectangular duct [0, ly] x [0, lz] (walls all round) driven by the
// acceleration `acceleration`, at (y, z): the Fourier series of e.g. White, Viscous Fluid Flow,
// eq. 3-48, with a = ly / 2, b = lz / 2 and Y, Z measured from the axis,
//   u = 16 a^2 g / (nu pi^3) sum_{n odd} (-1)^((n-1)/2) / n^3
//       [1 - cosh(n pi Z / 2a) / cosh(n pi b / 2a)] cos(n pi Y / 2a),
// summed to n = 4001 (the omitted terms are below 1e-7 of the peak).
double duct_velocity(double y, double z, double ly, double lz, double acceleration,
                     double viscosity);

// Relative L2 error of ux over the fluid cells of a lattice with walls at the y and z sides,
// against duct_velocity.
double duct_error(const Macroscopic& m, double ax, double viscosity);

// Schafer & Turek (1996), "Benchmark computations of laminar flow around a cylinder", Notes on
// Numerical Fluid Mechanics 52, 547-566: channel [0, 2.2] x [0, 0.41] m, cylinder of diameter
// D = 0.1 m centred at (0.2, 0.2) m, nu = 1e-3 m^2/s, rho = 1 kg/m^3, parabolic inflow of peak
// 1.5 Ubar. Coefficients c = 2 F / (rho Ubar^2 D), dP = p(0.15, 0.2) - p(0.25, 0.2) in Pa.
struct Band {
  double lower, upper;
  double value;  // high-precision value where published, else the band's middle
  bool contains(double x) const { return x >= lower && x <= upper; }
};
// Test case 2D-1: Ubar = 0.2 m/s, Re = 20, steady (values as in shared/reference/fluids.md).
struct SchaferTurek2D1 {
  static constexpr double k_ubar = 0.2, k_diameter = 0.1, k_height = 0.41, k_length = 2.2;
  static constexpr double k_viscosity = 1e-3, k_center[2] = {0.2, 0.2};
  static constexpr Band k_cd{5.57, 5.59, 5.57953523384};
  static constexpr Band k_cl{0.0104, 0.0110, 0.010618948146};
  static constexpr Band k_dp{0.1172, 0.1176, 0.11752016697};
};
// Test case 2D-2: Ubar = 1 m/s, Re = 100, periodic vortex shedding; maxima over a period and the
// Strouhal number St = D f / Ubar of the lift (Table 4 of the paper).
struct SchaferTurek2D2 {
  static constexpr double k_ubar = 1.0;
  static constexpr Band k_cd_max{3.22, 3.24, 3.23};
  static constexpr Band k_cl_max{0.99, 1.01, 1.00};
  static constexpr Band k_strouhal{0.295, 0.305, 0.300};
};
// Test case 3D-1Z of the same paper (Table 4 there), steady at Re = 20: a duct [0, 2.5] x
// [0, 0.41] x [0, 0.41] m with no-slip walls at the y and z sides, a cylinder of diameter
// D = 0.1 m centred at (x, y) = (0.5, 0.2) m with its axis along z through the whole height,
// inflow u(0, y, z) = 16 Um y z (H - y) (H - z) / H^4 with H = 0.41 m, Um = 0.45 m/s (mean
// Ubar = 4/9 Um = 0.2 m/s), outflow at x = 2.5 m, nu = 1e-3 m^2/s, rho = 1 kg/m^3.
// c = 2 F / (rho Ubar^2 D H); dP = p(0.45, 0.2, 0.205) - p(0.55, 0.2, 0.205) in Pa. The values
// are the bands' middles (the paper gives bands only).
struct SchaferTurek3D1Z {
  static constexpr double k_ubar = 0.2, k_peak = 0.45, k_diameter = 0.1, k_height = 0.41;
  static constexpr double k_length = 2.5, k_viscosity = 1e-3, k_center[2] = {0.5, 0.2};
  static constexpr Band k_cd{6.05, 6.25, 6.15};
  static constexpr Band k_cl{0.008, 0.010, 0.009};
  static constexpr Band k_dp{0.165, 0.175, 0.170};
};

// A point or direction in cell units (cell i centred at i + 1/2); z = 0.5 on a 2D lattice.
using Point = std::array<double, 3>;

// Value of a cell field (x fastest, [z][y][x], lattice units) at the point p in cell units:
// multilinear interpolation over the nearest cell centres (four in 2D, eight in 3D) where they
// are all fluid; beside an obstacle (some of them solid), surface_probe() along the wall's normal,
// taken from the mean centre of the solid cells within 2.5 cells to the point (exact for flat,
// circular and spherical walls up to the cells' staircase). Throws core::Error when no fluid cell
// is among them. The (x, y) form is for 2D lattices, (x, y, z) for 3D (D3Q19) ones.
double probe(const Macroscopic& m, const std::vector<double>& field, const Point& p);
double probe(const Macroscopic& m, const std::vector<double>& field, double x, double y);
double probe(const Macroscopic& m, const std::vector<double>& field, double x, double y, double z);

// Value of a cell field at the point p on a wall whose outward unit normal there is `normal`
// (cell units): quadratic extrapolation from probes s, s + 1 and s + 2 cells out along the
// normal, with s the first of 0.5, 0.75, ..., 2 where the nearest cell centres are all fluid
// (0.5 at a wall across a lattice axis, where the probes are the cell centres). Exact for a
// field linear in x, y, z, and for one quadratic along the normal where the probes see fluid
// cells only and the multilinear interpolation is exact (at cell centres).
double surface_probe(const Macroscopic& m, const std::vector<double>& field, const Point& p,
                     const Point& normal);

// Frequency (per unit of the sample spacing) of a periodic signal from its upward crossings of
// its mean over the samples: the mean interval between the first and the last crossing, with
// each crossing located by linear interpolation. 0 when fewer than two crossings.
double crossing_frequency(const std::vector<double>& signal);

// Statistics of the last `window` samples of a signal (all of them when it has fewer): extremes,
// mean, and the frequency of its oscillation per sample (crossing_frequency). All 0 when empty.
struct Window {
  double max = 0, min = 0, mean = 0, frequency = 0;
};
Window last_window(const std::vector<double>& signal, std::size_t window);

// Strouhal number f L / U of an oscillation of `frequency` per sample, sampled every
// `interval` (steps or seconds: the unit of L / U).
inline double strouhal_number(double frequency, double interval, double length, double velocity) {
  return frequency / interval * length / velocity;
}

// The factor c / F of a force coefficient, 2 / (rho U^2 L): L a length for a 2D force per unit
// depth, an area for a 3D force (consistent units: SI, or lattice units with rho = 1).
inline double coefficient_factor(double density, double velocity, double extent) {
  return 2.0 / (density * velocity * velocity * extent);
}

// The Schafer-Turek pressure difference dP (Pa) between the cylinder's front and rear points,
// extrapolated from the fluid by probe(): 2D-1 and 2D-2 at (0.15, 0.2) and (0.25, 0.2) m, 3D-1Z
// at (0.45, 0.2, 0.205) and (0.55, 0.2, 0.205) m; `units` of the lattice that holds the field.
double schafer_turek_2d_pressure_difference(const Macroscopic& m, const LatticeUnits& units);
double schafer_turek_3d1z_pressure_difference(const Macroscopic& m, const LatticeUnits& units);

// Schafer-Turek 2D-2 from the drag and lift coefficient series of the cylinder, sampled every
// `interval` seconds: over the last quarter of the samples (at least 2; the periodic state once
// the start-up has passed), the largest c_D and c_L and the Strouhal number D f / Ubar of the
// lift.
struct Shedding {
  std::size_t window = 0;  // samples
  double drag_max = 0, lift_max = 0, strouhal = 0;
};
Shedding schafer_turek_2d2(const std::vector<double>& drag, const std::vector<double>& lift,
                           double interval);

}  // namespace twinsim::lbm
