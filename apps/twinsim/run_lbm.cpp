// The lattice Boltzmann solver as a run: a 2D (D2Q9) or 3D (D3Q19) flow given in physical units,
// converted to lattice units (refused when unstable or inaccurate), stepped to a step count or to
// steady state, with fields (HDF5 + XDMF), force and probe time series (HDF5 /observables) and
// figures (summary.json): convergence, MLUPS, drag and lift coefficients, and the comparison with
// Ghia's cavity centrelines, the Poiseuille parabola or the Schafer-Turek cylinder benchmarks when
// the case asks for it.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "runs.hpp"
#include "twinsim/core/Progress.hpp"
#include "twinsim/core/Timers.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/io/Xdmf.hpp"
#include "twinsim/lbm/Geometry.hpp"
#include "twinsim/lbm/Reference.hpp"
#include "twinsim/lbm/Solver.hpp"
#include "twinsim/lbm/Units.hpp"

namespace twinsim::app {

namespace {

constexpr const char* k_sides[6] = {"x_min", "x_max", "y_min", "y_max", "z_min", "z_max"};

struct LbmRun {
  lbm::LatticeConfig lattice;
  lbm::LatticeUnits units;
  int dims = 2;                        // 2 (D2Q9) or 3 (D3Q19)
  std::array<double, 3> acceleration;  // m/s^2
  std::string reference;
  double reynolds = 0;  // reference velocity x domain height / viscosity, or of the benchmark
  std::vector<lbm::Obstacle> obstacles;  // lattice units
  int obstacle_count = 0;                // largest obstacle number: mask numbers, then the shapes
  // For the force coefficients c = 2 F / (rho U^2 L) (2D, per unit depth) or 2 F / (rho U^2 A)
  // (3D): U [m/s], L [m] and A [m^2].
  double coefficient_velocity = 0, coefficient_length = 0, coefficient_area = 0;
  std::vector<std::array<double, 3>> probes;  // pressure probe points, m (2D: z = 0)
};

lbm::Boundary boundary_of(const std::string& name) {
  if (name == "periodic") return lbm::Boundary::periodic;
  if (name == "wall") return lbm::Boundary::wall;
  if (name == "velocity_inlet") return lbm::Boundary::velocity_inlet;
  return lbm::Boundary::pressure_outlet;
}

// A vector key of a section: x, y (2D and 3D; z = 0) or x, y, z (3D only).
std::array<double, 3> vector3(const io::Section& s, const std::string& key, int dims) {
  const std::vector<double>& v = s.get_floats(key);
  if (v.size() != 2 && int(v.size()) != dims)
    throw core::Error(fmt::format("{}.{}: {} values; give x, y{}", s.name(), key, v.size(),
                                  dims == 3 ? " or x, y, z" : " (z needs lattice = 'd3q19')"));
  return {v[0], v[1], v.size() > 2 ? v[2] : 0.0};
}

// Axes across side `side` (of `dims`) whose sides are not periodic: a parabolic inflow's profile
// is 4 s (L - s) / L^2 along each of them (a product of two across a 3D duct).
int bounded_axes_across(const io::Section& bnd, int side, int dims) {
  int n = 0;
  for (int b = 0; b < dims; ++b)
    if (b != side / 2 && bnd.get_string(k_sides[2 * b]) != "periodic") ++n;
  return n;
}

// Mean speed through a velocity inlet (m/s): the normal component, times 2/3 per bounded axis
// across a parabolic one (2D channel 2/3, 3D duct 4/9 of the peak).
double mean_inflow(const io::Section& bnd, int side, int dims) {
  const double normal =
      std::abs(vector3(bnd, std::string(k_sides[side]) + "_velocity", 3)[side / 2]);
  if (bnd.get_string(std::string(k_sides[side]) + "_profile") != "parabolic") return normal;
  return normal * std::pow(2.0 / 3.0, bounded_axes_across(bnd, side, dims));
}

// Whether a and b agree to round-off (b not 0).
bool near(double a, double b) { return std::abs(a - b) <= 1e-9 * std::abs(b); }

// Whether the case's only obstacle is the benchmark cylinder: a circle of `diameter` centred at
// (x, y) = centre (m).
bool one_cylinder(const io::Case& c, double diameter, const double* centre) {
  const std::vector<io::Section> obstacles = c.entries("lbm.obstacle");
  if (obstacles.size() != 1) return false;
  const io::Section& o = obstacles[0];
  const std::vector<double>& at = o.get_floats("center");
  return o.get_string("shape") == "circle" && o.has("radius") &&
         near(o.get_float("radius"), 0.5 * diameter) && near(at[0], centre[0]) &&
         near(at[1], centre[1]);
}

// Checks that the case is the Schafer-Turek channel (geometry, viscosity, inflow) of test case
// 2D-1 (Ubar = 0.2 m/s) or 2D-2 (Ubar = 1 m/s).
void check_schafer_turek(const io::Case& c, const LbmRun& r, double ubar) {
  using ST = lbm::SchaferTurek2D1;
  const io::Section dom = c.section("lbm.domain"), bnd = c.section("lbm.boundaries");
  const std::vector<double>& size = dom.get_floats("size");
  const bool ok = near(size[0], ST::k_length) && near(size[1], ST::k_height) &&
                  near(dom.get_float("viscosity"), ST::k_viscosity) &&
                  one_cylinder(c, ST::k_diameter, ST::k_center) &&
                  bnd.get_string("x_min") == "velocity_inlet" &&
                  bnd.get_string("x_min_profile") == "parabolic" &&
                  near(bnd.get_floats("x_min_velocity")[0], 1.5 * ubar) &&
                  bnd.get_floats("x_min_velocity")[1] == 0 && bnd.get_string("y_min") == "wall" &&
                  bnd.get_string("y_max") == "wall" && bnd.get_string("x_max") != "periodic";
  if (!ok)
    throw core::Error(fmt::format(
        "lbm.reference = '{}' needs the Schafer-Turek channel: size = [2.2, 0.41] m, viscosity = "
        "1e-3 m^2/s, one [[lbm.obstacle]] circle of radius 0.05 m at [0.2, 0.2] m, x_min a "
        "parabolic velocity_inlet with x_min_velocity = [{:.6g}, 0] m/s, walls at y_min and y_max "
        "and an outlet at x_max (see cases/lbm/cylinder_2d1.toml)",
        r.reference, 1.5 * ubar));
}

// Checks that the case is the Schafer-Turek 3D-1Z duct (geometry, viscosity, inflow).
void check_schafer_turek_3d1z(const io::Case& c) {
  using ST = lbm::SchaferTurek3D1Z;
  const io::Section dom = c.section("lbm.domain"), bnd = c.section("lbm.boundaries");
  const std::vector<double>& size = dom.get_floats("size");
  const std::vector<double>& inflow = bnd.get_floats("x_min_velocity");
  bool ok = size.size() == 3 && near(size[0], ST::k_length) && near(size[1], ST::k_height) &&
            near(size[2], ST::k_height) && near(dom.get_float("viscosity"), ST::k_viscosity) &&
            one_cylinder(c, ST::k_diameter, ST::k_center) &&
            bnd.get_string("x_min") == "velocity_inlet" &&
            bnd.get_string("x_min_profile") == "parabolic" && near(inflow[0], ST::k_peak) &&
            inflow[1] == 0 && (inflow.size() < 3 || inflow[2] == 0) &&
            bnd.get_string("x_max") != "periodic";
  for (const char* side : {"y_min", "y_max", "z_min", "z_max"})
    ok = ok && bnd.get_string(side) == "wall";
  if (!ok)
    throw core::Error(
        "lbm.reference = 'schafer_turek_3d1z' needs the Schafer-Turek 3D duct: lattice = "
        "'d3q19', size = [2.5, 0.41, 0.41] m, viscosity = 1e-3 m^2/s, one [[lbm.obstacle]] "
        "circle of radius 0.05 m at [0.5, 0.2] m, x_min a parabolic velocity_inlet with "
        "x_min_velocity = [0.45, 0, 0] m/s, walls at the y and z sides and an outlet at x_max "
        "(see cases/lbm/cylinder_3d1z.toml)");
}

// The case as a lattice; throws core::Error (with what to change) for settings the solver refuses.
LbmRun lattice_of(const io::Case& c) {
  const io::Section s = c.section("lbm"), dom = c.section("lbm.domain"),
                    bnd = c.section("lbm.boundaries");
  LbmRun r;
  lbm::PhysicalSetup setup;
  r.dims = s.get_string("lattice") == "d3q19" ? 3 : 2;
  const std::vector<double>& size = dom.get_floats("size");
  const std::vector<std::int64_t>& cells = dom.get_ints("cells");
  if (int(size.size()) != r.dims || int(cells.size()) != r.dims)
    throw core::Error(
        fmt::format("lbm.domain: lattice '{}' is {}D: size and cells need {} values "
                    "each (x, y{}), got {} and {}",
                    s.get_string("lattice"), r.dims, r.dims, r.dims == 3 ? ", z" : "", size.size(),
                    cells.size()));
  setup.size = {size[0], size[1], r.dims == 3 ? size[2] : 0.0};
  setup.cells = {int(cells[0]), int(cells[1]), r.dims == 3 ? int(cells[2]) : 1};
  setup.viscosity = dom.get_float("viscosity");
  setup.reference_velocity = dom.get_float("reference_velocity");
  setup.lattice_velocity = dom.get_float("lattice_velocity");
  setup.density = dom.get_float("density");
  setup.subgrid_model = s.get_float("smagorinsky") > 0;
  r.units = lbm::to_lattice_units(setup);
  r.reynolds = setup.reference_velocity * size[1] / setup.viscosity;

  lbm::LatticeConfig& l = r.lattice;
  l.collision = s.get_string("collision") == "bgk" ? lbm::Collision::bgk : lbm::Collision::trt;
  l.magic = s.get_float("magic");
  l.smagorinsky = s.get_float("smagorinsky");
  l.precision = s.get_string("precision") == "fp64" ? lbm::Precision::fp64 : lbm::Precision::fp32;
  l.lattice = r.dims == 3 ? lbm::Lattice::d3q19 : lbm::Lattice::d2q9;
  l.cells = setup.cells;
  l.tau = r.units.tau;
  const std::array<double, 3> a = vector3(dom, "acceleration", r.dims);
  r.acceleration = a;
  // Force per volume in lattice units: rho_0 = 1 times the lattice acceleration.
  l.force = {r.units.to_lattice_acceleration(a[0]), r.units.to_lattice_acceleration(a[1]),
             r.units.to_lattice_acceleration(a[2])};
  double max_inflow = 0;
  for (int side = 0; side < 6; ++side) {
    const std::string name = k_sides[side];
    lbm::Side& sd = l.sides[side];
    if (side >= 4 && r.dims == 2) {  // a 2D lattice is one cell thick, periodic in z
      if (bnd.get_string(name) != "periodic")
        throw core::Error(
            fmt::format("lbm.boundaries.{}: a 2D lattice (d2q9) has periodic z "
                        "sides; set lattice = 'd3q19' for walls in z",
                        name));
      continue;
    }
    sd.type = boundary_of(bnd.get_string(name));
    const std::array<double, 3> v = vector3(bnd, name + "_velocity", r.dims);
    sd.velocity = {r.units.to_lattice_velocity(v[0]), r.units.to_lattice_velocity(v[1]),
                   r.units.to_lattice_velocity(v[2])};
    sd.profile = bnd.get_string(name + "_profile") == "parabolic" ? lbm::Profile::parabolic
                                                                  : lbm::Profile::uniform;
    const double pressure = bnd.get_float(name + "_pressure");
    sd.density = 1.0 + pressure / r.units.pressure(2.0);  // pressure(2): Pa per unit of rho
    const bool moving = v[0] != 0 || v[1] != 0 || v[2] != 0;
    const std::string& other = bnd.get_string(k_sides[side ^ 1]);
    if (sd.type == lbm::Boundary::periodic && (moving || pressure != 0))
      throw core::Error(fmt::format("lbm.boundaries.{0}: a periodic side has no wall to move, "
                                    "inflow or pressure; make {0} a wall, velocity_inlet or "
                                    "pressure_outlet, or drop {0}_velocity and {0}_pressure",
                                    name));
    if ((sd.type == lbm::Boundary::periodic) != (other == "periodic"))
      throw core::Error(fmt::format("lbm.boundaries.{}: periodic sides come in pairs, but {} is "
                                    "'{}' and {} is '{}'",
                                    name, name, bnd.get_string(name), k_sides[side ^ 1], other));
    if (sd.type == lbm::Boundary::wall && v[side / 2] != 0)
      throw core::Error(fmt::format("lbm.boundaries.{}_velocity: walls move along themselves "
                                    "only; the component normal to {} must be 0",
                                    name, name));
    if (sd.type == lbm::Boundary::velocity_inlet) {
      const double inward = (side % 2 == 0 ? 1.0 : -1.0) * v[side / 2];
      if (!(inward > 0))
        throw core::Error(
            fmt::format("lbm.boundaries.{}_velocity = [{}, {}] m/s: a velocity "
                        "inlet needs a velocity component into the domain "
                        "(normal to {})",
                        name, v[0], v[1], name));
      if (sd.profile == lbm::Profile::parabolic && bounded_axes_across(bnd, side, r.dims) == 0)
        throw core::Error(
            fmt::format("lbm.boundaries.{}_profile = 'parabolic' vanishes at the "
                        "ends of {}, but every axis across it is periodic: make the sides "
                        "across it walls, or the profile 'uniform'",
                        name, name));
      max_inflow = std::max(max_inflow, std::hypot(v[0], v[1], v[2]));
      if (r.coefficient_velocity == 0) r.coefficient_velocity = mean_inflow(bnd, side, r.dims);
    } else if (sd.type != lbm::Boundary::wall && moving) {
      throw core::Error(fmt::format("lbm.boundaries.{}_velocity: only walls and velocity inlets "
                                    "take a velocity",
                                    name));
    }
    if (sd.type != lbm::Boundary::pressure_outlet && pressure != 0)
      throw core::Error(fmt::format("lbm.boundaries.{}_pressure: only a pressure_outlet holds a "
                                    "pressure",
                                    name));
    if (sd.type != lbm::Boundary::velocity_inlet && sd.profile == lbm::Profile::parabolic)
      throw core::Error(fmt::format("lbm.boundaries.{}_profile: profiles belong to velocity "
                                    "inlets",
                                    name));
  }
  if (max_inflow > setup.reference_velocity * (1 + 1e-12))
    throw core::Error(fmt::format("lbm.domain.reference_velocity = {} m/s is below the inflow "
                                  "speed {} m/s: it must be the largest speed expected (it sets "
                                  "the Mach number); raise it to at least {}",
                                  setup.reference_velocity, max_inflow, max_inflow));

  // Obstacles, in lattice units (cell centres at i + 1/2).
  // Circles and rectangles are 2D (extruded along z on d3q19), spheres and boxes 3D.
  for (const io::Section& o : c.entries("lbm.obstacle")) {
    lbm::Obstacle ob;
    const std::string shape = o.get_string("shape");
    const bool round = shape == "circle" || shape == "sphere";
    const std::size_t axes = shape == "sphere" || shape == "box" ? 3 : 2;
    if (axes == 3 && r.dims == 2)
      throw core::Error(fmt::format("{}: a {} needs lattice = 'd3q19'; use a {} on d2q9", o.name(),
                                    shape, round ? "circle" : "rectangle"));
    const std::vector<double>& centre = o.get_floats("center");
    if (centre.size() != axes)
      throw core::Error(fmt::format("{}: a {} takes a center of {} values, got {}", o.name(), shape,
                                    axes, centre.size()));
    for (std::size_t k = 0; k < axes; ++k) ob.center[k] = centre[k] / r.units.dx;
    if (round) {
      if (!o.has("radius") || o.has("size"))
        throw core::Error(fmt::format("{}: a {} takes radius (m) and no size", o.name(), shape));
      ob.shape = shape == "circle" ? lbm::Obstacle::Shape::circle : lbm::Obstacle::Shape::sphere;
      ob.radius = o.get_float("radius") / r.units.dx;
    } else {
      if (!o.has("size") || o.has("radius") || o.get_floats("size").size() != axes)
        throw core::Error(fmt::format("{}: a {} takes size = [{}] (m) and no radius", o.name(),
                                      shape, axes == 3 ? "x, y, z" : "x, y"));
      ob.shape = shape == "rectangle" ? lbm::Obstacle::Shape::rectangle : lbm::Obstacle::Shape::box;
      const std::vector<double>& e = o.get_floats("size");
      for (std::size_t k = 0; k < axes; ++k) ob.size[k] = e[k] / r.units.dx;
    }
    r.obstacles.push_back(ob);
  }
  // A mask from HDF5: obstacle numbers per cell (staircase walls); shapes are numbered after it.
  std::vector<std::uint8_t> file_mask;
  int mask_count = 0;
  if (c.has_section("lbm.mask")) {
    std::filesystem::path path = c.get_string("lbm.mask.file");
    if (path.is_relative()) path = std::filesystem::path(c.source()).parent_path() / path;
    const std::string dataset = c.get_string("lbm.mask.dataset");
    io::Array<double> a;
    try {
      a = io::H5File::open(path).read<double>(dataset);
    } catch (const core::Error& e) {
      throw core::Error(fmt::format("lbm.mask: {}", e.what()));
    }
    const io::Shape want = r.dims == 3
                               ? io::Shape{std::uint64_t(l.cells[2]), std::uint64_t(l.cells[1]),
                                           std::uint64_t(l.cells[0])}
                               : io::Shape{std::uint64_t(l.cells[1]), std::uint64_t(l.cells[0])};
    if (a.shape != want)
      throw core::Error(
          fmt::format("lbm.mask: {}:{} has shape [{}], the lattice needs [{}] "
                      "({}, x fastest)",
                      path.string(), dataset, fmt::join(a.shape, ", "), fmt::join(want, ", "),
                      r.dims == 3 ? "[z][y][x]" : "[y][x]"));
    file_mask.resize(a.values.size());
    for (std::size_t i = 0; i < a.values.size(); ++i) {
      const double v = a.values[i];
      if (!(v >= 0 && v <= 255 && v == std::floor(v)))
        throw core::Error(
            fmt::format("lbm.mask: {}:{} holds {} at x = {}, y = {}, z = {}: values "
                        "are 0 (fluid) or obstacle numbers 1-255",
                        path.string(), dataset, v, i % l.cells[0], i / l.cells[0] % l.cells[1],
                        i / l.cells[0] / l.cells[1]));
      file_mask[i] = std::uint8_t(v);
      mask_count = std::max(mask_count, int(v));
    }
    if (mask_count == 0)
      throw core::Error(fmt::format("lbm.mask: {}:{} has no solid cell", path.string(), dataset));
  }
  if (!r.obstacles.empty() || mask_count > 0) {
    lbm::ObstacleMask mask;
    if (!r.obstacles.empty()) {
      try {
        mask = lbm::rasterize(l.lattice, l.cells, r.obstacles);
      } catch (const core::Error& e) {
        throw core::Error(fmt::format("lbm.obstacle: {}", e.what()));
      }
      for (std::uint8_t& k : mask.solid)
        if (k) k = std::uint8_t(k + mask_count);
      if (mask_count + r.obstacles.size() > 255)
        throw core::Error("lbm.mask and lbm.obstacle: more than 255 obstacles");
    } else {
      mask.solid.assign(file_mask.size(), 0);
    }
    for (std::size_t i = 0; i < file_mask.size(); ++i)
      if (file_mask[i]) mask.solid[i] = file_mask[i];
    l.solid = std::move(mask.solid);
    if (s.get_string("obstacle_walls") == "interpolated" && !r.obstacles.empty())
      l.wall_fraction = std::move(mask.wall_fraction);
    if (mask_count == 0) {
      // The first obstacle's extent across y, and (3D) its frontal area across x.
      const lbm::Obstacle& first = r.obstacles.front();
      const bool round = first.shape == lbm::Obstacle::Shape::circle ||
                         first.shape == lbm::Obstacle::Shape::sphere;
      const double dx = r.units.dx, depth = l.cells[2] * dx;
      r.coefficient_length = (round ? 2 * first.radius : first.size[1]) * dx;
      switch (first.shape) {
        case lbm::Obstacle::Shape::sphere:
          r.coefficient_area = M_PI * std::pow(first.radius * dx, 2);
          break;
        case lbm::Obstacle::Shape::box:
          r.coefficient_area = first.size[1] * first.size[2] * dx * dx;
          break;
        default:
          r.coefficient_area = r.coefficient_length * depth;  // extruded through the domain
      }
    }
  }
  r.obstacle_count = mask_count + int(r.obstacles.size());
  const bool has_forces = c.has_section("lbm.forces");
  const double u_ref = has_forces ? c.get_float("lbm.forces.reference_velocity") : 0.0;
  const double l_ref = has_forces ? c.get_float("lbm.forces.reference_length") : 0.0;
  const double a_ref = has_forces ? c.get_float("lbm.forces.reference_area") : 0.0;
  if (u_ref > 0) r.coefficient_velocity = u_ref;
  if (l_ref > 0) r.coefficient_length = l_ref;
  if (a_ref > 0) r.coefficient_area = a_ref;
  if (r.obstacle_count > 0 && r.coefficient_velocity == 0)
    throw core::Error(
        "lbm.forces.reference_velocity: no velocity inlet gives the speed for the "
        "drag and lift coefficients; set it (m/s)");
  if (r.obstacle_count > 0 && r.dims == 2 && r.coefficient_length == 0)
    throw core::Error(
        "lbm.forces.reference_length: obstacles from lbm.mask come first and have "
        "no diameter to take; set the length of the coefficients (m)");
  if (r.obstacle_count > 0 && r.dims == 3 && r.coefficient_area == 0)
    throw core::Error(
        "lbm.forces.reference_area: obstacles from lbm.mask come first and have "
        "no frontal area to take; set the area of the coefficients (m^2)");
  const std::vector<double> points =
      has_forces ? c.get_floats("lbm.forces.probes") : std::vector<double>{};
  // x, y pairs in 2D, x, y, z triples in 3D.
  const std::size_t per_point = std::size_t(r.dims);
  if (points.size() % per_point != 0)
    throw core::Error(fmt::format("lbm.forces.probes: {} numbers; give {} (m)", points.size(),
                                  r.dims == 3 ? "x, y, z triples (d3q19)" : "x, y pairs (d2q9)"));
  for (std::size_t i = 0; i < points.size(); i += per_point) {
    const std::array<double, 3> p = {points[i], points[i + 1], r.dims == 3 ? points[i + 2] : 0.0};
    bool inside = true;
    for (int a = 0; a < r.dims; ++a) inside = inside && p[a] >= 0 && p[a] <= size[a];
    if (!inside)
      throw core::Error(
          r.dims == 3
              ? fmt::format("lbm.forces.probes: point ({}, {}, {}) m lies outside the domain "
                            "[0, {}] x [0, {}] x [0, {}] m",
                            p[0], p[1], p[2], size[0], size[1], size[2])
              : fmt::format("lbm.forces.probes: point ({}, {}) m lies outside the domain "
                            "[0, {}] x [0, {}] m",
                            p[0], p[1], size[0], size[1]));
    r.probes.push_back(p);
  }

  r.reference = s.get_string("reference");
  const bool reference_3d = r.reference == "schafer_turek_3d1z";
  if (r.reference != "none" && r.dims == 3 && !reference_3d)
    throw core::Error(
        fmt::format("lbm.reference = '{}' is a 2D benchmark; d3q19 runs take "
                    "'none' or 'schafer_turek_3d1z'",
                    r.reference));
  if (reference_3d && r.dims == 2)
    throw core::Error("lbm.reference = 'schafer_turek_3d1z' is a 3D benchmark: set lattice = "
                      "'d3q19'");
  if (r.reference == "ghia1982") {
    const bool walls = l.sides[0].type == lbm::Boundary::wall &&
                       l.sides[1].type == lbm::Boundary::wall &&
                       l.sides[2].type == lbm::Boundary::wall &&
                       l.sides[3].type == lbm::Boundary::wall;
    const double lid = bnd.get_floats("y_max_velocity")[0];
    if (!walls || size[0] != size[1] || cells[0] != cells[1] || lid <= 0)
      throw core::Error("lbm.reference = 'ghia1982' needs a square cavity: walls on all sides, "
                        "equal cells, and y_max_velocity = [U, 0] with U > 0");
    const long re = std::lround(lid * size[0] / setup.viscosity);
    if ((re != 100 && re != 1000) || std::abs(re - lid * size[0] / setup.viscosity) > 1e-6 * re)
      throw core::Error(fmt::format("lbm.reference = 'ghia1982' tabulates Re = 100 and 1000; this "
                                    "cavity has Re = U L / nu = {:.6g}",
                                    lid * size[0] / setup.viscosity));
    r.reynolds = double(re);
  } else if (r.reference == "poiseuille") {
    if (l.sides[0].type != lbm::Boundary::periodic || l.sides[2].type != lbm::Boundary::wall ||
        l.sides[3].type != lbm::Boundary::wall || a[1] != 0 || a[0] == 0)
      throw core::Error("lbm.reference = 'poiseuille' needs x periodic, walls at y_min and y_max "
                        "and acceleration = [a, 0] with a != 0");
    for (int side = 2; side < 4; ++side)
      if (bnd.get_floats(std::string(k_sides[side]) + "_velocity")[0] != 0)
        throw core::Error("lbm.reference = 'poiseuille' needs walls at rest");
  } else if (r.reference == "schafer_turek_2d1" || r.reference == "schafer_turek_2d2") {
    const double ubar = r.reference == "schafer_turek_2d1" ? lbm::SchaferTurek2D1::k_ubar
                                                           : lbm::SchaferTurek2D2::k_ubar;
    check_schafer_turek(c, r, ubar);
    r.reynolds = ubar * lbm::SchaferTurek2D1::k_diameter / lbm::SchaferTurek2D1::k_viscosity;
  } else if (reference_3d) {
    using ST = lbm::SchaferTurek3D1Z;
    check_schafer_turek_3d1z(c);
    r.reynolds = ST::k_ubar * ST::k_diameter / ST::k_viscosity;
  }
  return r;
}

// Field values of one output frame, physical units.
struct Frame {
  std::vector<double> velocity;   // [z][y][x][3] ([y][x][3] in 2D), m/s
  std::vector<double> pressure;   // Pa, relative to the reference state
  std::vector<double> density;    // kg/m^3
  std::vector<double> vorticity;  // 1/s: 2D dv/dx - du/dy; 3D the vector [z][y][x][3]
  std::vector<double> obstacle;   // 1 solid, 0 fluid
  bool finite = true;
};

Frame physical(const lbm::Macroscopic& m, const lbm::LatticeUnits& u) {
  const std::size_t n = m.rho.size();
  Frame f;
  f.velocity.resize(3 * n);
  f.pressure.resize(n);
  f.density.resize(n);
  f.vorticity.resize(m.vorticity.size());
  f.obstacle.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    f.velocity[3 * i] = u.velocity(m.ux[i]);
    f.velocity[3 * i + 1] = u.velocity(m.uy[i]);
    f.velocity[3 * i + 2] = u.velocity(m.uz[i]);
    f.pressure[i] = u.pressure(m.rho[i]);
    f.density[i] = m.rho[i] * u.density;
    f.obstacle[i] = m.solid[i];
    f.finite = f.finite && std::isfinite(m.rho[i] + m.ux[i] + m.uy[i] + m.uz[i]);
  }
  for (std::size_t i = 0; i < f.vorticity.size(); ++i) f.vorticity[i] = u.rate(m.vorticity[i]);
  return f;
}

}  // namespace

void add_lbm_schema(io::Schema& schema) {
  schema
      .section("lbm",
               "Lattice Boltzmann flow solver (2D D2Q9 or 3D D3Q19), case in physical "
               "units")
      .key_string("lattice",
                  "Velocity set: d2q9 (2D) or d3q19 (3D: size, cells with z, walls "
                  "and inlets at z sides, spheres and boxes)")
      .default_value("d2q9")
      .one_of({"d2q9", "d3q19"})
      .key_string("collision", "bgk (single relaxation time) or trt (two relaxation times)")
      .default_value("trt").one_of({"bgk", "trt"})
      .key_float("magic", "TRT magic parameter Lambda; 3/16 puts bounce-back walls exactly "
                          "mid-way for parabolic flow")
      .default_value(0.1875).greater_than(0.0)
      .key_float("smagorinsky",
                 "Smagorinsky constant C_s of the LES subgrid model (0: off, plain BGK/TRT): "
                 "eddy viscosity (C_s dx)^2 |S| added where the flow is sheared, from the "
                 "local non-equilibrium stress; typical 0.1-0.17 for under-resolved flows at "
                 "high Reynolds numbers")
      .default_value(0.0).at_least(0.0)
      .key_string("precision", "Storage and arithmetic of the populations")
      .default_value("fp32").one_of({"fp32", "fp64"})
      .key_int("steps", "Most time steps to run").required().at_least(1)
      .key_int("output_every", "Steps between field frames (0: the final state only)")
      .default_value(std::int64_t(1000)).at_least(0)
      .key_int("check_every", "Steps between convergence checks").default_value(std::int64_t(100))
      .at_least(1)
      .key_float("tolerance", "Stop when |u - u_last| / |u| between checks falls below this "
                              "(0: run all steps)")
      .default_value(0.0).at_least(0.0)
      .key_string("reference", "Compare with: none, ghia1982 (cavity centrelines at Re 100 or "
                               "1000), poiseuille (force-driven channel parabola), "
                               "schafer_turek_2d1 (cylinder, Re 20, steady: c_D, c_L, dP), "
                               "schafer_turek_2d2 (cylinder, Re 100: c_D max, c_L max, "
                               "Strouhal number), schafer_turek_3d1z (d3q19: cylinder across "
                               "a square duct, Re 20, steady: c_D, c_L, dP)")
      .default_value("none")
      .one_of({"none", "ghia1982", "poiseuille", "schafer_turek_2d1", "schafer_turek_2d2",
               "schafer_turek_3d1z"})
      .key_float("inflow_ramp",
                 "Time over which velocity inlets start from rest, as "
                 "sin^2(pi t / (2 T)) (0: at once). A smooth start sends out "
                 "weaker sound waves, which keeps low-viscosity starts stable")
      .default_value(0.0)
      .unit("s")
      .at_least(0.0)
      .key_string("obstacle_walls",
                  "Obstacle surfaces: interpolated (Bouzidi et al. 2001 "
                  "linear interpolated bounce-back, second order for curved "
                  "walls) or staircase (half-way bounce-back on the cells)")
      .default_value("interpolated")
      .one_of({"interpolated", "staircase"});
  schema.section("lbm.domain", "Domain, fluid and resolution")
      .required()
      .key_floats("size", "Domain edges x, y (and z for d3q19)")
      .required()
      .unit("m")
      .greater_than(0.0)
      .key_ints("cells", "Cells along x, y (and z for d3q19); square cells: proportional to size")
      .required()
      .at_least(1)
      .key_float("viscosity", "Kinematic viscosity")
      .required()
      .unit("m^2/s")
      .greater_than(0.0)
      .key_float("reference_velocity", "Largest speed expected (lid, inflow peak)")
      .required()
      .unit("m/s")
      .greater_than(0.0)
      .key_float("lattice_velocity",
                 "The reference velocity in lattice units: sets the time "
                 "step; Mach = lattice_velocity * sqrt(3)")
      .default_value(0.1)
      .greater_than(0.0)
      .key_float("density", "Fluid density")
      .default_value(1.0)
      .unit("kg/m^3")
      .greater_than(0.0)
      .key_floats("acceleration", "Body force per mass x, y (and z for d3q19; drives channel flow)")
      .default_value(std::vector<double>{0.0, 0.0})
      .unit("m/s^2");
  auto b = schema.section("lbm.boundaries",
                          "Domain sides: periodic (in pairs), half-way bounce-back walls "
                          "(optionally moving along themselves: a lid), velocity inlets (uniform "
                          "or parabolic) or pressure outlets (non-equilibrium extrapolation)");
  b.required();
  for (const char* side : k_sides) {
    const std::string name = side;
    const bool z = name[0] == 'z';  // z sides: periodic unless a d3q19 case says otherwise
    b.key_string(side, fmt::format("{} side{}", side, z ? " (d3q19 only; 2D: periodic)" : ""))
        .default_value(z ? "periodic" : "wall")
        .one_of({"periodic", "wall", "velocity_inlet", "pressure_outlet"});
    b.key_floats(name + "_velocity", fmt::format("Velocity of the {} wall, or the inflow "
                                                 "velocity of a velocity_inlet (its peak for a "
                                                 "parabolic profile); x, y (and z for d3q19)",
                                                 side))
        .default_value(std::vector<double>{0.0, 0.0})
        .unit("m/s");
    b.key_string(name + "_profile", fmt::format("Inflow profile across a velocity_inlet at {}: "
                                                "uniform, or parabolic: 4 s (L - s) / L^2 along "
                                                "each axis across the side that is not "
                                                "periodic (zero at its ends; on a d3q19 duct "
                                                "the product of two, mean 4/9 of the peak)",
                                                side))
        .default_value("uniform").one_of({"uniform", "parabolic"});
    b.key_float(name + "_pressure", fmt::format("Pressure held at a pressure_outlet at {}, "
                                                "relative to the reference state",
                                                side))
        .default_value(0.0).unit("Pa");
  }
  schema.section("lbm.obstacle", "A solid obstacle (repeat the table for more); forces on each "
                                 "are written per obstacle number, in file order from 1")
      .repeated()
      .key_string("shape",
                  "circle or rectangle (2D; on d3q19 extruded along z), sphere or box "
                  "(d3q19)")
      .required()
      .one_of({"circle", "rectangle", "sphere", "box"})
      .key_floats("center", "Centre x, y (sphere, box: x, y, z)")
      .required()
      .unit("m")
      .key_float("radius", "Radius of a circle or sphere")
      .optional()
      .unit("m")
      .greater_than(0.0)
      .key_floats("size", "Edges x, y of a rectangle, x, y, z of a box (axis-aligned)")
      .optional()
      .unit("m")
      .greater_than(0.0);
  schema
      .section("lbm.mask",
               "Obstacles from an HDF5 dataset [y][x] ([z][y][x] for d3q19) of "
               "the lattice's shape: 0 fluid, k > 0 a cell of obstacle k (staircase walls); "
               "obstacles of "
               "[[lbm.obstacle]] are numbered after the largest k")
      .key_string("file", "HDF5 file, relative to the case file's folder")
      .required()
      .key_string("dataset", "Dataset path in the file, e.g. /mask")
      .required();
  schema
      .section("lbm.forces",
               "Forces on obstacles (momentum exchange) and pressure probes, "
               "sampled as time series")
      .key_int("every", "Steps between samples of the forces and probes")
      .default_value(std::int64_t(10))
      .at_least(1)
      .key_float("reference_velocity",
                 "U of the coefficients c = 2 F / (rho U^2 L) (0: the "
                 "mean speed through the velocity inlet)")
      .default_value(0.0)
      .unit("m/s")
      .at_least(0.0)
      .key_float("reference_length",
                 "L of the 2D coefficients, per unit depth (0: the first "
                 "obstacle's diameter or its height across y)")
      .default_value(0.0)
      .unit("m")
      .at_least(0.0)
      .key_float("reference_area",
                 "A of the 3D coefficients c = 2 F / (rho U^2 A) (0: the "
                 "first obstacle's frontal area across x: pi r^2 for a "
                 "sphere, y x z edges for a box, height x depth if extruded)")
      .default_value(0.0)
      .unit("m^2")
      .at_least(0.0)
      .key_floats("probes",
                  "Pressure probe points x0, y0, x1, y1, ... (2D) or x0, y0, z0, x1, "
                  "... (3D); on an obstacle's surface extrapolated from the fluid")
      .default_value(std::vector<double>{})
      .unit("m");
}

void check_lbm(const io::Case& c) { lattice_of(c); }

OutputPlan plan_lbm(const io::Case& c) {
  const LbmRun setup = lattice_of(c);
  const std::uint64_t cells = std::uint64_t(setup.lattice.cells[0]) * setup.lattice.cells[1] *
                              std::uint64_t(setup.lattice.cells[2]);
  const std::uint64_t q = setup.dims == 3 ? 19 : 9;
  const std::uint64_t real = setup.lattice.precision == lbm::Precision::fp64 ? 8 : 4;
  const std::int64_t steps = c.get_int("lbm.steps"), output_every = c.get_int("lbm.output_every");
  const std::int64_t force_every = c.get_int("lbm.forces.every");
  // Samples at step 0, every `every` steps and at the end (at most).
  const auto count = [&](std::int64_t every) {
    return every > 0 ? std::uint64_t(steps / every + 2) : std::uint64_t(1);
  };
  const std::uint64_t obstacles = std::uint64_t(setup.obstacle_count);
  const std::uint64_t samples = obstacles + setup.probes.size() > 0 ? count(force_every) : 0;
  const std::uint64_t frames = count(output_every);
  OutputPlan plan;
  // Fields: velocity (3 values), pressure, density, vorticity (3D: 3 values) in the run's
  // precision; the obstacle mask FP32. Observables: force and coefficients (2 doubles; 3D: 3),
  // probe pressures.
  const std::uint64_t vorticity_values = setup.dims == 3 ? 3 : 1;
  plan.output_bytes =
      io::series_bytes(frames, cells * 3 * real) + 2 * io::series_bytes(frames, cells * real) +
      io::series_bytes(frames, cells * vorticity_values * real) +
      io::series_bytes(frames, cells * 4) +
      obstacles * 2 * io::series_bytes(samples, std::uint64_t(setup.dims) * 8) +
      setup.probes.size() * io::series_bytes(samples, 8);
  // Populations (Q) and the last velocity (3) per cell, the drag and lift histories, and the
  // file's own bytes (the case text, names, HDF5 headers: about 14 KiB measured).
  plan.checkpoint_bytes =
      cells * (q + 3) * real + samples * obstacles * 2 * 8 + c.resolved_text().size() + 32768;
  return plan;
}

namespace {

// Force and probe time series: /observables/obstacle_<k>/force [t][2] (2D: N/m, per unit depth;
// 3D: [t][3], N) and /coefficients [t][2] (c_D, c_L; 3D: and the side force's), and
// /observables/probe_<i>/pressure [t] (Pa), H5MD style; kept in memory as well for the summary
// (maxima, Strouhal number). Probe series are [t][1].
class ForceSeries {
 public:
  ForceSeries(io::H5File& file, std::size_t obstacles, std::size_t probes, int dims,
              const std::string& force_units) {
    const std::uint64_t n = std::uint64_t(dims);
    for (std::size_t k = 1; k <= obstacles; ++k) {
      m_force.emplace_back(file, fmt::format("/observables/obstacle_{}/force", k),
                           io::TimeSeries::Spec{{n}, io::DType::f64, force_units, "s"});
      m_coefficients.emplace_back(file, fmt::format("/observables/obstacle_{}/coefficients", k),
                                  io::TimeSeries::Spec{{n}, io::DType::f64, "", "s"});
    }
    for (std::size_t i = 1; i <= probes; ++i)
      m_probe.emplace_back(file, fmt::format("/observables/probe_{}/pressure", i),
                           io::TimeSeries::Spec{{1}, io::DType::f64, "Pa", "s"});
    cd.resize(obstacles);
    cl.resize(obstacles);
  }

  void append(const std::vector<std::array<double, 3>>& force,
              const std::vector<std::array<double, 3>>& coefficient,
              const std::vector<double>& pressure, std::int64_t step, double t) {
    for (std::size_t k = 0; k < m_force.size(); ++k) {
      m_force[k].append(force[k].data(), step, t);
      m_coefficients[k].append(coefficient[k].data(), step, t);
      cd[k].push_back(coefficient[k][0]);
      cl[k].push_back(coefficient[k][1]);
    }
    for (std::size_t i = 0; i < m_probe.size(); ++i) m_probe[i].append(&pressure[i], step, t);
  }

  // The in-memory histories, for a restart (the file's series are reopened by their own).
  void save(io::StateWriter& out) const {
    for (std::size_t k = 0; k < cd.size(); ++k) {
      out.put(fmt::format("run/obstacle_{}/drag_coefficients", k + 1), cd[k]);
      out.put(fmt::format("run/obstacle_{}/lift_coefficients", k + 1), cl[k]);
    }
  }
  void load(const io::StateReader& in) {
    for (std::size_t k = 0; k < cd.size(); ++k) {
      cd[k] = in.get<double>(fmt::format("run/obstacle_{}/drag_coefficients", k + 1));
      cl[k] = in.get<double>(fmt::format("run/obstacle_{}/lift_coefficients", k + 1));
    }
  }

  std::vector<std::vector<double>> cd, cl;  // per obstacle, per sample

 private:
  std::vector<io::TimeSeries> m_force, m_coefficients, m_probe;
};

// Statistics of the last `window` samples of a signal: its maximum and mean, and the frequency
// of its oscillation (per sample).
struct Window {
  double max = 0, min = 0, mean = 0, frequency = 0;
};
Window last_window(const std::vector<double>& s, std::size_t window) {
  Window w;
  if (s.empty()) return w;
  const std::vector<double> tail(s.end() - std::min(window, s.size()), s.end());
  w.max = *std::max_element(tail.begin(), tail.end());
  w.min = *std::min_element(tail.begin(), tail.end());
  for (double v : tail) w.mean += v / double(tail.size());
  w.frequency = lbm::crossing_frequency(tail);
  return w;
}

std::vector<double> flat(const std::vector<std::array<double, 3>>& triples) {
  std::vector<double> v;
  for (const std::array<double, 3>& t : triples) v.insert(v.end(), t.begin(), t.end());
  return v;
}
std::vector<std::array<double, 3>> triples(const std::vector<double>& flat) {
  std::vector<std::array<double, 3>> t(flat.size() / 3);
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = {flat[3 * i], flat[3 * i + 1], flat[3 * i + 2]};
  return t;
}

// The run loop's state beyond the solver's, that summary.json is computed from: kept in
// checkpoints (names under "run/") so a restarted run ends with the figures of an uninterrupted
// one.
struct LoopState {
  LoopState(std::size_t obstacles, std::size_t probes)
      : force(obstacles), coefficient(obstacles), pressure(probes) {}

  void save(io::StateWriter& out) const {
    out.put("run/mass0", mass0);
    out.put("run/velocity_change", change);
    out.put("run/converged", std::int64_t(converged));
    out.put("run/finite", std::int64_t(finite));
    out.put("run/last_output", last_output);
    out.put("run/last_sample", last_sample);
    out.put("run/force", flat(force));
    out.put("run/coefficient", flat(coefficient));
    out.put("run/pressure", pressure);
  }
  void load(const io::StateReader& in) {
    mass0 = in.get_double("run/mass0");
    change = in.get_double("run/velocity_change");
    converged = in.get_int("run/converged") != 0;
    finite = in.get_int("run/finite") != 0;
    last_output = in.get_int("run/last_output");
    last_sample = in.get_int("run/last_sample");
    force = triples(in.get<double>("run/force"));
    coefficient = triples(in.get<double>("run/coefficient"));
    in.get("run/pressure", pressure.data(), pressure.size());
  }

  double mass0 = 0;   // total mass at step 0
  double change = 0;  // velocity change at the last check
  bool converged = false, finite = true;
  std::int64_t last_output = -1, last_sample = -1;  // steps of the last frame and sample
  // The last sample: per obstacle force (N/m; 3D: N) and (c_D, c_L, c_side); per probe pressure
  // (Pa). 2D: the third components are 0.
  std::vector<std::array<double, 3>> force, coefficient;
  std::vector<double> pressure;
};

// Timed phases; their seconds carry over a restart (performance.* in summary.json).
constexpr const char* k_phases[] = {"step", "output", "forces"};

// A steady Schafer-Turek benchmark (ST: its bands): c_D, c_L and dP (Pa) against the bands, in
// the log and in summary.json under `key`; relative errors too where the paper's values are
// high-precision ones (with_errors), not the bands' middles.
template <class ST>
void steady_benchmark(io::Summary& sum, const std::string& key, const char* title, double cd,
                      double cl, double dp, bool with_errors) {
  spdlog::info("{}: c_D {:.4f} (band [{}, {}]), c_L {:.5f} (band [{}, {}]), dP {:.4f} Pa (band "
               "[{}, {}])",
               title, cd, ST::k_cd.lower, ST::k_cd.upper, cl, ST::k_cl.lower, ST::k_cl.upper, dp,
               ST::k_dp.lower, ST::k_dp.upper);
  sum.set(key + ".drag_coefficient", cd);
  sum.set(key + ".lift_coefficient", cl);
  sum.set(key + ".pressure_difference_Pa", dp);
  if (with_errors) {
    sum.set(key + ".drag_relative_error", cd / ST::k_cd.value - 1);
    sum.set(key + ".lift_relative_error", cl / ST::k_cl.value - 1);
    sum.set(key + ".pressure_difference_relative_error", dp / ST::k_dp.value - 1);
  }
  sum.set(key + ".drag_in_band", ST::k_cd.contains(cd));
  sum.set(key + ".lift_in_band", ST::k_cl.contains(cl));
  sum.set(key + ".pressure_difference_in_band", ST::k_dp.contains(dp));
}

}  // namespace

RunResult run_lbm(const RunContext& ctx) {
  const io::Case& c = ctx.case_file;
  const LbmRun setup = lattice_of(c);
  const lbm::LatticeConfig& l = setup.lattice;
  const lbm::LatticeUnits& u = setup.units;
  const io::Section s = c.section("lbm");
  const std::int64_t steps = s.get_int("steps"), output_every = s.get_int("output_every"),
                     check_every = s.get_int("check_every");
  const std::int64_t force_every = c.get_int("lbm.forces.every");
  const double tolerance = s.get_float("tolerance");
  spdlog::info(
      "lbm: {} {} {}, {} x {} x {} cells, dx = {:.4g} m, dt = {:.4g} s, tau = {:.4f}, "
      "Mach {:.3f}, Re = {:.4g}, {} obstacle(s) with {} walls",
      lbm::to_string(l.lattice), lbm::to_string(l.collision), lbm::to_string(l.precision),
      l.cells[0], l.cells[1], l.cells[2], u.dx, u.dt, u.tau, u.mach, setup.reynolds,
      setup.obstacle_count, l.wall_fraction.empty() ? "staircase" : "interpolated");

  auto solver = lbm::make_solver(ctx.backend, l);
  // Inflow ramp: inlet velocities scaled by sin^2(pi t / 2T), constant over each ramp_chunk
  // steps (taken at the chunk's first step, so independent of where the loop's chunks end).
  const double ramp_steps = s.get_float("inflow_ramp") / u.dt;
  const std::int64_t ramp_chunk = 20;
  const auto set_inflow = [&](std::int64_t step) {
    if (!(ramp_steps > 0)) return;
    const double f =
        step >= ramp_steps ? 1.0 : std::pow(std::sin(0.5 * M_PI * double(step) / ramp_steps), 2);
    for (int side = 0; side < 6; ++side)
      if (l.sides[side].type == lbm::Boundary::velocity_inlet) {
        const std::array<double, 3>& v = l.sides[side].velocity;
        solver->set_side_velocity(side, {f * v[0], f * v[1], f * v[2]});
      }
  };
  io::H5File file = open_output(ctx, "SI: m, s, kg/m^3, Pa (pressure relative to the reference "
                                     "state), forces N (3D) or per unit depth N/m (2D)");
  const bool three_d = setup.dims == 3;
  const io::Shape grid = three_d ? io::Shape{std::uint64_t(l.cells[2]), std::uint64_t(l.cells[1]),
                                             std::uint64_t(l.cells[0])}
                                 : io::Shape{std::uint64_t(l.cells[1]), std::uint64_t(l.cells[0])};
  const io::DType disk = l.precision == lbm::Precision::fp64 ? io::DType::f64 : io::DType::f32;
  io::FieldSeries velocity(file, "velocity", grid, 3, disk, "m s-1", "s");
  io::FieldSeries pressure(file, "pressure", grid, 1, disk, "Pa", "s");
  io::FieldSeries density(file, "density", grid, 1, disk, "kg m-3", "s");
  // 3D: the vorticity vector (an XDMF Vector, like the velocity); 2D: its one component.
  io::FieldSeries vorticity(file, "vorticity", grid, three_d ? 3 : 1, disk, "s-1", "s");
  io::FieldSeries obstacle(file, "obstacle", grid, 1, io::DType::f32, "", "s");
  const std::filesystem::path xmf_path = ctx.run.file(ctx.name + ".xmf");
  // A restart keeps the sidecar's steps of the frames the checkpoint kept.
  io::XdmfWriter xdmf = ctx.restart ? io::XdmfWriter(xmf_path, file.path(), velocity.frames())
                                    : io::XdmfWriter(xmf_path, file.path());
  // Values sit at cell centres, so the mesh's points are the centres: node data on a mesh
  // offset by half a cell.
  const io::CoRectMesh mesh{
      {std::uint64_t(l.cells[2]), std::uint64_t(l.cells[1]), std::uint64_t(l.cells[0])},
      {three_d ? 0.5 * u.dx : 0.0, 0.5 * u.dx, 0.5 * u.dx},
      {u.dx, u.dx, u.dx}};
  const std::size_t n_obstacles = std::size_t(setup.obstacle_count);
  ForceSeries series(file, n_obstacles, setup.probes.size(), setup.dims,
                     three_d ? "N" : "N m-1");
  // Lattice force to N: rho dx^4 / dt^2 (2D: per unit depth, N/m, rho dx^3 / dt^2); to a
  // coefficient: 2 / (rho U^2 A) (2D: 2 / (rho U^2 L)).
  const double to_newton = u.density * std::pow(u.dx, three_d ? 4 : 3) / (u.dt * u.dt);
  const double to_coefficient =
      n_obstacles > 0 ? 2.0 / (u.density * setup.coefficient_velocity * setup.coefficient_velocity *
                               (three_d ? setup.coefficient_area : setup.coefficient_length))
                      : 0.0;

  core::Timers timers;
  LoopState st(n_obstacles, setup.probes.size());
  const auto output = [&]() -> bool {
    core::ScopedTimer timer(timers, "output");
    const Frame f = physical(solver->macroscopic(), u);
    const std::int64_t step = solver->steps_done();
    const double t = u.time(double(step));
    xdmf.add_step(t, mesh,
                  {{"velocity", velocity.append(f.velocity.data(), step, t)},
                   {"pressure", pressure.append(f.pressure.data(), step, t)},
                   {"density", density.append(f.density.data(), step, t)},
                   {"vorticity", vorticity.append(f.vorticity.data(), step, t)},
                   {"obstacle", obstacle.append(f.obstacle.data(), step, t)}});
    st.last_output = step;
    return f.finite;
  };
  const auto sample = [&]() {
    if (n_obstacles == 0 && setup.probes.empty()) return;
    core::ScopedTimer timer(timers, "forces");
    const std::vector<std::array<double, 3>> f = solver->obstacle_forces();
    for (std::size_t k = 0; k < n_obstacles; ++k) {
      for (int a = 0; a < 3; ++a) {
        st.force[k][a] = f[k][a] * to_newton;
        st.coefficient[k][a] = st.force[k][a] * to_coefficient;
      }
    }
    if (!setup.probes.empty()) {
      const lbm::Macroscopic m = solver->macroscopic();
      for (std::size_t i = 0; i < setup.probes.size(); ++i) {
        const std::array<double, 3>& q = setup.probes[i];  // m; to cells (2D: the one plane)
        const lbm::Point p = {q[0] / u.dx, q[1] / u.dx, setup.dims == 3 ? q[2] / u.dx : 0.5};
        st.pressure[i] = u.pressure(lbm::probe(m, m.rho, p));
      }
    }
    const std::int64_t step = solver->steps_done();
    series.append(st.force, st.coefficient, st.pressure, step, u.time(double(step)));
    st.last_sample = step;
  };
  const io::Checkpoints::Save save = [&](io::StateWriter& out) {
    solver->save(out);
    st.save(out);
    series.save(out);
    for (const char* phase : k_phases)
      out.put(std::string("run/seconds/") + phase, timers.seconds(phase));
  };

  if (ctx.restart) {
    const io::StateReader& in = ctx.restart->state();
    solver->load(in);
    st.load(in);
    series.load(in);
    for (const char* phase : k_phases)
      timers.add(phase, in.get_double(std::string("run/seconds/") + phase));
    spdlog::info("lbm: continuing at step {} with {} field frame(s) and {} force sample(s)",
                 solver->steps_done(), velocity.frames(),
                 series.cd.empty() ? 0 : series.cd[0].size());
  } else {
    set_inflow(0);
    st.mass0 = solver->total_mass();
    if (output_every > 0) output();
    sample();
    st.change = solver->velocity_change();
  }
  core::Progress progress("lbm", steps);
  if (ctx.restart) progress.resume_at(ctx.restart->step());
  // Steps per chunk between stop-signal checks: adapted so that a chunk takes about 0.2 s.
  std::int64_t max_chunk = 1;
  bool interrupted = false;
  while (solver->steps_done() < steps && !st.converged && st.finite && !interrupted) {
    const std::int64_t done = solver->steps_done();
    std::int64_t n =
        std::min({check_every - done % check_every, steps - done, force_every - done % force_every,
                  max_chunk, ctx.checkpoints.next_step(done) - done});
    if (output_every > 0) n = std::min(n, output_every - done % output_every);
    const std::int64_t ramp_start = done - done % ramp_chunk;
    if (double(ramp_start) < ramp_steps) n = std::min(n, ramp_chunk - done % ramp_chunk);
    set_inflow(ramp_start);
    const double before_s = timers.seconds("step");
    {
      core::ScopedTimer timer(timers, "step");
      solver->step(n);
      solver->synchronize();  // GPU steps are queued: wait, so the timer sees them
    }
    const double chunk_s = timers.seconds("step") - before_s;
    max_chunk = std::int64_t(
        std::clamp(0.2 * double(n) / std::max(chunk_s, 1e-9), 1.0, 2.0 * double(max_chunk)));
    const std::int64_t now = solver->steps_done();
    if (now % force_every == 0) sample();
    if (now % check_every == 0) {
      st.change = solver->velocity_change();
      st.finite = !std::isnan(st.change);
      st.converged = tolerance > 0 && st.change < tolerance;
    }
    if (output_every > 0 && now % output_every == 0) st.finite = output() && st.finite;
    progress.update(now);
    interrupted = ctx.checkpoints.at_boundary(now, u.time(double(now)), save, &file);
  }
  progress.finish();
  RunResult r;
  if (interrupted) {
    r.interrupted = true;
    r.summary.set("steps", solver->steps_done());
    r.summary.set("time_s", u.time(double(solver->steps_done())));
    return r;
  }
  if (st.last_output != solver->steps_done()) st.finite = output() && st.finite;
  if (st.last_sample != solver->steps_done()) sample();

  const double mass_drift = std::abs(solver->total_mass() - st.mass0) / st.mass0;
  std::int64_t fluid = 0;
  const lbm::Macroscopic m = solver->macroscopic();
  for (std::uint8_t solid : m.solid) fluid += solid ? 0 : 1;
  const double step_s = timers.seconds("step");
  const double mlups = step_s > 0 ? double(fluid) * double(solver->steps_done()) / step_s / 1e6 : 0;
  spdlog::info("lbm: {} steps, velocity change {:.3e}{}, mass drift {:.3e}, {:.1f} MLUPS",
               solver->steps_done(), st.change, st.converged ? " (converged)" : "", mass_drift,
               mlups);

  io::Summary& sum = r.summary;
  sum.set("lattice.lattice", lbm::to_string(l.lattice));
  sum.set("lattice.collision", lbm::to_string(l.collision));
  sum.set("lattice.precision", lbm::to_string(l.precision));
  sum.set("lattice.cells_x", l.cells[0]);
  sum.set("lattice.cells_y", l.cells[1]);
  sum.set("lattice.cells_z", l.cells[2]);
  sum.set("lattice.tau", u.tau);
  sum.set("lattice.smagorinsky", l.smagorinsky);
  sum.set("lattice.mach", u.mach);
  sum.set("lattice.dx_m", u.dx);
  sum.set("lattice.dt_s", u.dt);
  sum.set("lattice.obstacle_walls", l.wall_fraction.empty() ? "staircase" : "interpolated");
  sum.set("reynolds", setup.reynolds);
  sum.set("steps", solver->steps_done());
  sum.set("time_s", u.time(double(solver->steps_done())));
  sum.set("convergence.velocity_change", st.change);
  sum.set("convergence.tolerance", tolerance);
  sum.set("convergence.converged", st.converged);
  // Open boundaries exchange mass with the outside: the drift then measures that, not an error.
  sum.set("mass.relative_drift", mass_drift);
  sum.set("performance.mlups", mlups);
  sum.set("performance.bytes_per_cell_update", solver->bytes_per_cell_update());
  sum.set("performance.step_s", step_s);
  sum.set("performance.output_s", timers.seconds("output"));
  sum.set("performance.forces_s", timers.seconds("forces"));
  if (n_obstacles > 0) {
    sum.set("forces.reference_velocity_m_s", setup.coefficient_velocity);
    if (three_d)
      sum.set("forces.reference_area_m2", setup.coefficient_area);
    else
      sum.set("forces.reference_length_m", setup.coefficient_length);
  }
  const std::string force_unit = three_d ? "_N" : "_N_per_m";
  for (std::size_t k = 0; k < n_obstacles; ++k) {
    const std::string key = fmt::format("forces.obstacle_{}", k + 1);
    sum.set(key + ".force_x" + force_unit, st.force[k][0]);
    sum.set(key + ".force_y" + force_unit, st.force[k][1]);
    sum.set(key + ".drag_coefficient", st.coefficient[k][0]);
    sum.set(key + ".lift_coefficient", st.coefficient[k][1]);
    if (three_d) {
      sum.set(key + ".force_z" + force_unit, st.force[k][2]);
      sum.set(key + ".side_coefficient", st.coefficient[k][2]);
    }
    // Over the last quarter of the samples: maxima, means and the lift's frequency as a
    // Strouhal number f L / U (0 when the lift does not oscillate there).
    if (series.cd[k].size() >= 8) {
      const std::size_t window = series.cd[k].size() / 4;
      const Window d = last_window(series.cd[k], window), lift = last_window(series.cl[k], window);
      sum.set(key + ".window_samples", std::int64_t(window));
      sum.set(key + ".drag_coefficient_max", d.max);
      sum.set(key + ".drag_coefficient_mean", d.mean);
      sum.set(key + ".lift_coefficient_max", lift.max);
      sum.set(key + ".lift_coefficient_mean", lift.mean);
      // Round-off around a steady lift crosses its mean too: no frequency unless it swings by
      // more than 1e-3 of the drag.
      const bool oscillates = lift.max - lift.min > 1e-3 * std::abs(d.mean);
      sum.set(key + ".strouhal", oscillates ? lift.frequency / u.time(double(force_every)) *
                                                  setup.coefficient_length /
                                                  setup.coefficient_velocity
                                            : 0.0);
    }
    spdlog::info("obstacle {}: c_D {:.5f}, c_L {:.5f} (F = {:.5g}, {:.5g} {})", k + 1,
                 st.coefficient[k][0], st.coefficient[k][1], st.force[k][0], st.force[k][1],
                 three_d ? "N" : "N/m");
  }
  for (std::size_t i = 0; i < setup.probes.size(); ++i)
    sum.set(fmt::format("probes.probe_{}.pressure_Pa", i + 1), st.pressure[i]);
  if (setup.reference == "ghia1982") {
    const double lid = l.sides[3].velocity[0];
    const lbm::CentrelineErrors e = lbm::ghia_centreline_errors(m, lid, int(setup.reynolds));
    spdlog::info("Ghia et al. 1982 centrelines: max |u - ref| {:.4f}, max |v - ref| {:.4f} "
                 "(of the lid speed)", e.max_u, e.max_v);
    sum.set("ghia1982.max_u_error", e.max_u);
    sum.set("ghia1982.max_v_error", e.max_v);
  } else if (setup.reference == "poiseuille") {
    const double e = lbm::poiseuille_error(m, l.force[0], u.viscosity);
    spdlog::info("Poiseuille: relative L2 error of u against the parabola {:.3e}", e);
    sum.set("poiseuille.relative_l2_error", e);
  } else if (setup.reference == "schafer_turek_2d1") {
    using ST = lbm::SchaferTurek2D1;
    // dP between the cylinder's front and rear points, extrapolated from the fluid.
    const double front = lbm::probe(m, m.rho, (ST::k_center[0] - 0.5 * ST::k_diameter) / u.dx,
                                    ST::k_center[1] / u.dx);
    const double rear = lbm::probe(m, m.rho, (ST::k_center[0] + 0.5 * ST::k_diameter) / u.dx,
                                   ST::k_center[1] / u.dx);
    steady_benchmark<ST>(sum, "schafer_turek_2d1", "Schafer-Turek 2D-1", st.coefficient[0][0],
                         st.coefficient[0][1], u.pressure(front) - u.pressure(rear), true);
  } else if (setup.reference == "schafer_turek_3d1z") {
    using ST = lbm::SchaferTurek3D1Z;
    // dP between the cylinder's front and rear points at mid-height, extrapolated from the fluid.
    const double x = ST::k_center[0] / u.dx, r = 0.5 * ST::k_diameter / u.dx;
    const double y = ST::k_center[1] / u.dx, z = 0.5 * ST::k_height / u.dx;
    const double front = lbm::probe(m, m.rho, x - r, y, z);
    const double rear = lbm::probe(m, m.rho, x + r, y, z);
    // The paper gives bands only: no relative errors against their middles.
    steady_benchmark<ST>(sum, "schafer_turek_3d1z", "Schafer-Turek 3D-1Z", st.coefficient[0][0],
                         st.coefficient[0][1], u.pressure(front) - u.pressure(rear), false);
  } else if (setup.reference == "schafer_turek_2d2" && !series.cd.empty()) {
    using ST = lbm::SchaferTurek2D2;
    // The last quarter of the samples (the periodic state once the start-up has passed).
    const std::size_t window = std::max<std::size_t>(series.cd[0].size() / 4, 2);
    const Window d = last_window(series.cd[0], window), lift = last_window(series.cl[0], window);
    const double sample_s = u.time(double(force_every));
    const double strouhal = lift.frequency / sample_s * lbm::SchaferTurek2D1::k_diameter / ST::k_ubar;
    spdlog::info("Schafer-Turek 2D-2 (last {} samples): c_D max {:.4f} (band [{}, {}]), c_L max "
                 "{:.4f} (band [{}, {}]), St {:.4f} (band [{}, {}])",
                 window, d.max, ST::k_cd_max.lower, ST::k_cd_max.upper, lift.max,
                 ST::k_cl_max.lower, ST::k_cl_max.upper, strouhal, ST::k_strouhal.lower,
                 ST::k_strouhal.upper);
    sum.set("schafer_turek_2d2.drag_coefficient_max", d.max);
    sum.set("schafer_turek_2d2.lift_coefficient_max", lift.max);
    sum.set("schafer_turek_2d2.strouhal", strouhal);
    sum.set("schafer_turek_2d2.window_samples", std::int64_t(window));
    sum.set("schafer_turek_2d2.drag_max_in_band", ST::k_cd_max.contains(d.max));
    sum.set("schafer_turek_2d2.lift_max_in_band", ST::k_cl_max.contains(lift.max));
    sum.set("schafer_turek_2d2.strouhal_in_band", ST::k_strouhal.contains(strouhal));
  }
  r.ok = st.finite;
  if (!r.ok)
    r.failure = fmt::format("the flow diverged (non-finite values) by step {}: raise the "
                            "resolution or lower lattice_velocity",
                            solver->steps_done());
  return r;
}

}  // namespace twinsim::app
