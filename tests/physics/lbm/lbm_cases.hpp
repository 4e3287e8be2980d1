#pragma once
// Lattice configurations shared by the lbm tests: in lattice units, or (the benchmarks) cases in
// physical units converted by the library.
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <string>
#include <type_traits>

#include "twinsim/io/Case.hpp"
#include "twinsim/io/Schema.hpp"
#include "twinsim/lbm/Case.hpp"
#include "twinsim/lbm/Geometry.hpp"
#include "twinsim/lbm/Solver.hpp"

namespace twinsim::test {

template <class Real>
constexpr lbm::Precision precision_of() {
  return std::is_same_v<Real, float> ? lbm::Precision::fp32 : lbm::Precision::fp64;
}

// A channel periodic in x with walls at y_min and y_max, driven by a body force along x that
// gives the centreline speed u_max: a = 8 nu u_max / H^2.
inline lbm::LatticeConfig channel(int ny, double tau, lbm::Collision collision,
                                  lbm::Precision precision, double u_max = 0.05) {
  lbm::LatticeConfig c;
  c.collision = collision;
  c.precision = precision;
  c.cells = {1, ny, 1};  // the flow is the same in every column: one suffices
  c.tau = tau;
  const double nu = (tau - 0.5) / 3.0;
  c.force = {8.0 * nu * u_max / (double(ny) * ny), 0.0, 0.0};
  c.sides[2].type = c.sides[3].type = lbm::Boundary::wall;
  return c;
}

// Steps for a channel started at rest to reach steady state within exp(-30) ~ 1e-13: the
// slowest mode decays with the viscous time H^2 / (pi^2 nu).
inline long steady_steps(int ny, double tau) {
  const double nu = (tau - 0.5) / 3.0;
  return long(std::ceil(30.0 * ny * ny / (M_PI * M_PI * nu)));
}

// A square cavity of n x n cells with walls all round and the lid (y_max) moving along +x.
inline lbm::LatticeConfig cavity(int n, double tau, double lid, lbm::Collision collision,
                                 lbm::Precision precision) {
  lbm::LatticeConfig c;
  c.collision = collision;
  c.precision = precision;
  c.cells = {n, n, 1};
  c.tau = tau;
  for (int s = 0; s < 4; ++s) c.sides[s].type = lbm::Boundary::wall;
  c.sides[3].velocity = {lid, 0.0, 0.0};
  return c;
}

// D3Q19 lattice of nx x ny x nz cells with walls on the sides `walls` (indices 0..5) and
// periodic sides elsewhere.
inline lbm::LatticeConfig box3d(std::array<int, 3> cells, std::initializer_list<int> walls,
                                double tau, lbm::Collision collision, lbm::Precision precision) {
  lbm::LatticeConfig c;
  c.lattice = lbm::Lattice::d3q19;
  c.collision = collision;
  c.precision = precision;
  c.cells = cells;
  c.tau = tau;
  for (int s : walls) c.sides[s].type = lbm::Boundary::wall;
  return c;
}

// Sets the cells of the box [lo, hi) (cell indices per axis) to obstacle `number`.
inline void add_solid_box(lbm::LatticeConfig& c, std::array<int, 3> lo, std::array<int, 3> hi,
                          std::uint8_t number = 1) {
  const std::size_t nx = c.cells[0], ny = c.cells[1];
  c.solid.resize(nx * ny * c.cells[2], 0);
  for (int z = lo[2]; z < hi[2]; ++z)
    for (int y = lo[1]; y < hi[1]; ++y)
      for (int x = lo[0]; x < hi[0]; ++x) c.solid[(std::size_t(z) * ny + y) * nx + x] = number;
}

// The lattice of a case given as the text of its [lbm] sections (physical units), through the
// library's case -> lattice mapping (lbm::lattice_of: units, sides, obstacles, refusals).
inline lbm::CaseLattice case_lattice(const std::string& text) {
  io::Schema schema;
  lbm::add_schema(schema);
  return lbm::lattice_of(io::Case::from_string(text, "lbm test case", schema));
}

// A number as TOML with all its digits.
inline std::string toml_number(double x) {
  char s[32];
  std::snprintf(s, sizeof s, "%.17g", x);
  return s;
}

// The Schafer-Turek channel (2.2 x 0.41 m, cylinder D = 0.1 m at (0.2, 0.2) m) with `per_d`
// cells per diameter (a multiple of 10, so the channel's height is whole cells): parabolic
// inflow of peak 0.3 m/s (Ubar = 0.2 m/s) at x_min, u_peak in lattice units, pressure outlet at
// x_max, walls at y_min and y_max, and the viscosity for the Reynolds number Ubar D / nu = re.
// TRT (magic 3/16). sponge_m > 0: an absorbing layer of that thickness before the outlet
// (lbm.boundaries.x_max_sponge). As a case, converted by the library.
inline lbm::CaseLattice schafer_turek_case(int per_d, double u_peak, double re, bool interpolated,
                                           lbm::Precision precision, double sponge_m = 0) {
  return case_lattice(
      "[lbm]\nsteps = 1\nprecision = \"" + lbm::to_string(precision) +
      "\"\nobstacle_walls = \"" + (interpolated ? "interpolated" : "staircase") +
      "\"\n[lbm.domain]\nsize = [2.2, 0.41]\ncells = [" + std::to_string(22 * per_d) + ", " +
      std::to_string(41 * per_d / 10) + "]\nviscosity = " + toml_number(0.2 * 0.1 / re) +
      "\nreference_velocity = 0.3\nlattice_velocity = " + toml_number(u_peak) +
      "\n[lbm.boundaries]\nx_min = \"velocity_inlet\"\nx_min_profile = \"parabolic\"\n"
      "x_min_velocity = [0.3, 0.0]\nx_max = \"pressure_outlet\"\nx_max_sponge = " +
      toml_number(sponge_m) + "\n"
      "[[lbm.obstacle]]\nshape = \"circle\"\ncenter = [0.2, 0.2]\nradius = 0.05\n");
}
inline lbm::LatticeConfig schafer_turek(int per_d, double u_peak, double re, bool interpolated,
                                        lbm::Precision precision, double sponge_m = 0) {
  return schafer_turek_case(per_d, u_peak, re, interpolated, precision, sponge_m).config;
}

}  // namespace twinsim::test
