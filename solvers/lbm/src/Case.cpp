// The [lbm] sections of a case file: their schema, the lattice they describe (physical units
// converted to lattice units, obstacles rasterised, a mask file read), the refusals the schema
// cannot make, and the disk the run will take.
#include "twinsim/lbm/Case.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "twinsim/core/Comm.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/lbm/Block.hpp"
#include "twinsim/lbm/Geometry.hpp"
#include "twinsim/lbm/Reference.hpp"

namespace twinsim::lbm {

namespace {

constexpr const char* k_sides[6] = {"x_min", "x_max", "y_min", "y_max", "z_min", "z_max"};

Boundary boundary_of(const std::string& name) {
  if (name == "periodic") return Boundary::periodic;
  if (name == "wall") return Boundary::wall;
  if (name == "velocity_inlet") return Boundary::velocity_inlet;
  return Boundary::pressure_outlet;
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
// A solid mask of every cell has no flow to compute: its velocities and mass drift would be
// 0/0 (the issue saw "velocity change inf, mass drift -nan", status ok).
void require_a_fluid_cell(const std::vector<std::uint8_t>& solid, bool from_mask,
                          bool from_obstacles) {
  if (std::find(solid.begin(), solid.end(), std::uint8_t(0)) != solid.end()) return;
  throw core::Error(fmt::format(
      "{}: all {} cells of the lattice are solid; the flow needs at least one fluid cell (0 in "
      "the mask, outside every obstacle)",
      from_mask && from_obstacles ? "lbm.mask and lbm.obstacle"
                                  : from_mask ? "lbm.mask" : "lbm.obstacle",
      solid.size()));
}

bool near(double a, double b) { return std::abs(a - b) <= 1e-9 * std::abs(b); }

// Whether the case's only obstacle is the benchmark cylinder: a circle of `diameter` centred at
// (x, y) = centre (m).
bool one_cylinder(const io::Case& c, double diameter, const double* centre) {
  const std::vector<io::Section> obstacles = c.entries("lbm.obstacle");
  if (obstacles.size() != 1 || !obstacles[0].has("center")) return false;
  const io::Section& o = obstacles[0];
  const std::vector<double>& at = o.get_floats("center");
  return o.get_string("shape") == "circle" && o.has("radius") &&
         near(o.get_float("radius"), 0.5 * diameter) && near(at[0], centre[0]) &&
         near(at[1], centre[1]);
}

// Checks that the case is the Schafer-Turek channel (geometry, viscosity, inflow) of test case
// 2D-1 (Ubar = 0.2 m/s) or 2D-2 (Ubar = 1 m/s).
void check_schafer_turek(const io::Case& c, const CaseLattice& r, double ubar) {
  using ST = SchaferTurek2D1;
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
  using ST = SchaferTurek3D1Z;
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

// An [[lbm.obstacle]] of shape 'stl': the file read, checked closed, placed (scale, rotation,
// translation) and put in lattice units. Every refusal names the key and the file.
Obstacle stl_obstacle(const io::Case& c, const io::Section& o, const CaseLattice& r) {
  if (r.dims != 3)
    throw core::Error(fmt::format("{}.shape = 'stl' needs lattice = 'd3q19'", o.name()));
  if (!o.has("file"))
    throw core::Error(fmt::format("{}: shape = 'stl' needs file (the STL file, relative to the "
                                  "case file's folder)",
                                  o.name()));
  for (const char* key : {"center", "radius", "size"})
    if (o.has(key))
      throw core::Error(fmt::format("{}.{}: not for shape = 'stl' (place the mesh with scale, "
                                    "rotation and translation)",
                                    o.name(), key));
  std::filesystem::path path = o.get_string("file");
  if (path.is_relative()) path = std::filesystem::path(c.source()).parent_path() / path;
  const std::vector<double>& rotation = o.get_floats("rotation");
  const std::vector<double>& translation = o.get_floats("translation");
  if (rotation.size() != 3 || translation.size() != 3)
    throw core::Error(fmt::format("{}.{}: give 3 values (x, y, z)", o.name(),
                                  rotation.size() != 3 ? "rotation" : "translation"));
  Mesh mesh;
  try {
    mesh = read_stl(path);
  } catch (const core::Error& e) {
    throw core::Error(fmt::format("{}.file: {}", o.name(), e.what()));
  }
  const std::string defect = surface_defect(mesh);
  if (!defect.empty())
    throw core::Error(fmt::format("{}.file: {}: {} (in the file's units); voxelisation by ray "
                                  "parity needs a closed, manifold surface: repair the mesh "
                                  "(e.g. meshfix, or Blender's 3D-Print toolbox)",
                                  o.name(), path.string(), defect));
  const double scale = o.get_float("scale") / r.units.dx;
  std::array<double, 3> shift;
  for (int a = 0; a < 3; ++a) shift[a] = translation[a] / r.units.dx;
  Obstacle ob;
  ob.shape = Obstacle::Shape::mesh;
  ob.mesh = std::make_shared<const MeshShape>(
      placed(mesh, scale, {rotation[0], rotation[1], rotation[2]}, shift));
  return ob;
}

}  // namespace

void add_schema(io::Schema& schema) {
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
      .key_string("precision", "Storage and arithmetic of the populations: fp32, fp64, or "
                               "fp16s (FP32 arithmetic, populations stored in 16 bits: half "
                               "the memory and traffic of fp32, errors in solvers/lbm/README.md)")
      .default_value("fp32").one_of({"fp32", "fp64", "fp16s"})
      .key_string("streaming", "two_lattice (read one lattice, write the other) or in_place "
                               "(one lattice, the AA pattern: half the population memory, the "
                               "same fields bit for bit; not with interpolated obstacle walls, "
                               "pressure outlets or several MPI ranks)")
      .default_value("two_lattice").one_of({"two_lattice", "in_place"})
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
      .one_of({"interpolated", "staircase"})
      .key_ints("processors",
                "Across MPI ranks: the blocks along x, y (and z for d3q19), their product the "
                "rank count, each at least 2 cells along a cut axis ([]: chosen for the least "
                "halo). Ignored on one rank")
      .default_value(std::vector<std::int64_t>{})
      .layout();
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
    b.key_float(name + "_sponge",
                fmt::format("Thickness of an absorbing layer before a pressure_outlet at {0} "
                            "(0: none, the outlet alone, which reflects sound waves). Over it "
                            "the flow relaxes towards the inflow of the velocity_inlet opposite "
                            "(its velocity and profile) at the outlet's pressure, more strongly "
                            "towards {0}, so sound leaves without coming back; make it about "
                            "as thick as the sound's wavelength and keep what you measure "
                            "upstream of it",
                            side))
        .default_value(0.0).unit("m").at_least(0.0);
  }
  schema.section("lbm.obstacle", "A solid obstacle (repeat the table for more); forces on each "
                                 "are written per obstacle number, in file order from 1")
      .repeated()
      .key_string("shape",
                  "circle or rectangle (2D; on d3q19 extruded along z), sphere or box "
                  "(d3q19), stl (d3q19: a closed triangle mesh from an STL file)")
      .required()
      .one_of({"circle", "rectangle", "sphere", "box", "stl"})
      .key_floats("center", "Centre x, y (sphere, box: x, y, z); not for stl")
      .optional()
      .unit("m")
      .key_float("radius", "Radius of a circle or sphere")
      .optional()
      .unit("m")
      .greater_than(0.0)
      .key_floats("size", "Edges x, y of a rectangle, x, y, z of a box (axis-aligned)")
      .optional()
      .unit("m")
      .greater_than(0.0)
      .key_string("file", "stl: the STL file (ASCII or binary), relative to the case file's "
                          "folder; a closed surface (every edge shared by two triangles)")
      .optional()
      .key_float("scale", "stl: metres per STL unit (0.001 for a file in mm)")
      .default_value(1.0)
      .unit("m")
      .greater_than(0.0)
      .key_floats("rotation", "stl: rotation about the x, then y, then z axis through the "
                              "file's origin (right-handed), applied after the scale")
      .default_value(std::vector<double>{0.0, 0.0, 0.0})
      .unit("deg")
      .key_floats("translation", "stl: shift x, y, z applied after scale and rotation")
      .default_value(std::vector<double>{0.0, 0.0, 0.0})
      .unit("m");
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

CaseLattice lattice_of(const io::Case& c, core::Backend backend, double viscosity) {
  const io::Section s = c.section("lbm"), dom = c.section("lbm.domain"),
                    bnd = c.section("lbm.boundaries");
  CaseLattice r;
  PhysicalSetup setup;
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
  setup.viscosity = viscosity > 0 ? viscosity : dom.get_float("viscosity");
  setup.reference_velocity = dom.get_float("reference_velocity");
  setup.lattice_velocity = dom.get_float("lattice_velocity");
  setup.density = dom.get_float("density");
  setup.subgrid_model = s.get_float("smagorinsky") > 0;
  r.units = to_lattice_units(setup);
  r.reynolds = setup.reference_velocity * size[1] / setup.viscosity;

  LatticeConfig& l = r.config;
  l.collision = s.get_string("collision") == "bgk" ? Collision::bgk : Collision::trt;
  l.magic = s.get_float("magic");
  l.smagorinsky = s.get_float("smagorinsky");
  const std::string& precision = s.get_string("precision");
  l.precision = precision == "fp64"    ? Precision::fp64
                : precision == "fp16s" ? Precision::fp16s
                                       : Precision::fp32;
  l.streaming =
      s.get_string("streaming") == "in_place" ? Streaming::in_place : Streaming::two_lattice;
  l.lattice = r.dims == 3 ? Lattice::d3q19 : Lattice::d2q9;
  l.cells = setup.cells;
  if (const std::vector<std::int64_t>& p = s.get_ints("processors"); !p.empty()) {
    if (int(p.size()) != r.dims || *std::min_element(p.begin(), p.end()) < 1)
      throw core::Error(fmt::format("lbm.processors: {} blocks along x, y{} (each at least 1) "
                                    "for a {}D lattice, got [{}]",
                                    r.dims, r.dims == 3 ? ", z" : "", r.dims,
                                    fmt::join(p, ", ")));
    l.processors = {int(p[0]), int(p[1]), r.dims == 3 ? int(p[2]) : 1};
  }
  l.tau = r.units.tau;
  const std::array<double, 3> a = vector3(dom, "acceleration", r.dims);
  // Force per volume in lattice units: rho_0 = 1 times the lattice acceleration.
  l.force = {r.units.to_lattice_acceleration(a[0]), r.units.to_lattice_acceleration(a[1]),
             r.units.to_lattice_acceleration(a[2])};
  double max_inflow = 0;
  for (int side = 0; side < 6; ++side) {
    const std::string name = k_sides[side];
    Side& sd = l.sides[side];
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
    sd.profile = bnd.get_string(name + "_profile") == "parabolic" ? Profile::parabolic
                                                                  : Profile::uniform;
    const double pressure = bnd.get_float(name + "_pressure");
    sd.density = 1.0 + pressure / r.units.pressure(2.0);  // pressure(2): Pa per unit of rho
    const bool moving = v[0] != 0 || v[1] != 0 || v[2] != 0;
    const std::string& other = bnd.get_string(k_sides[side ^ 1]);
    if (sd.type == Boundary::periodic && (moving || pressure != 0))
      throw core::Error(fmt::format("lbm.boundaries.{0}: a periodic side has no wall to move, "
                                    "inflow or pressure; make {0} a wall, velocity_inlet or "
                                    "pressure_outlet, or drop {0}_velocity and {0}_pressure",
                                    name));
    if ((sd.type == Boundary::periodic) != (other == "periodic"))
      throw core::Error(fmt::format("lbm.boundaries.{}: periodic sides come in pairs, but {} is "
                                    "'{}' and {} is '{}'",
                                    name, name, bnd.get_string(name), k_sides[side ^ 1], other));
    if (sd.type == Boundary::wall && v[side / 2] != 0)
      throw core::Error(fmt::format("lbm.boundaries.{}_velocity: walls move along themselves "
                                    "only; the component normal to {} must be 0",
                                    name, name));
    if (sd.type == Boundary::velocity_inlet) {
      const double inward = (side % 2 == 0 ? 1.0 : -1.0) * v[side / 2];
      if (!(inward > 0))
        throw core::Error(
            fmt::format("lbm.boundaries.{}_velocity = [{}, {}] m/s: a velocity "
                        "inlet needs a velocity component into the domain "
                        "(normal to {})",
                        name, v[0], v[1], name));
      if (sd.profile == Profile::parabolic && bounded_axes_across(bnd, side, r.dims) == 0)
        throw core::Error(
            fmt::format("lbm.boundaries.{}_profile = 'parabolic' vanishes at the "
                        "ends of {}, but every axis across it is periodic: make the sides "
                        "across it walls, or the profile 'uniform'",
                        name, name));
      max_inflow = std::max(max_inflow, std::hypot(v[0], v[1], v[2]));
      if (r.coefficient_velocity == 0) r.coefficient_velocity = mean_inflow(bnd, side, r.dims);
    } else if (sd.type != Boundary::wall && moving) {
      throw core::Error(fmt::format("lbm.boundaries.{}_velocity: only walls and velocity inlets "
                                    "take a velocity",
                                    name));
    }
    if (sd.type != Boundary::pressure_outlet && pressure != 0)
      throw core::Error(fmt::format("lbm.boundaries.{}_pressure: only a pressure_outlet holds a "
                                    "pressure",
                                    name));
    const double sponge = bnd.get_float(name + "_sponge");
    if (sponge > 0) {
      if (sd.type != Boundary::pressure_outlet || other != "velocity_inlet")
        throw core::Error(fmt::format("lbm.boundaries.{}_sponge = {} m: an absorbing layer "
                                      "belongs to a pressure_outlet with a velocity_inlet "
                                      "opposite (at {}), whose inflow it relaxes towards; got "
                                      "'{}' and '{}'",
                                      name, sponge, k_sides[side ^ 1], bnd.get_string(name),
                                      other));
      sd.sponge = int(std::lround(sponge / r.units.dx));
      if (sd.sponge < 1 || sd.sponge > l.cells[side / 2])
        throw core::Error(fmt::format("lbm.boundaries.{}_sponge = {} m is {} cells: it must "
                                      "span 1 to {} cells (the domain along {})",
                                      name, sponge, sd.sponge, l.cells[side / 2],
                                      "xyz"[side / 2]));
    }
    if (sd.type != Boundary::velocity_inlet && sd.profile == Profile::parabolic)
      throw core::Error(fmt::format("lbm.boundaries.{}_profile: profiles belong to velocity "
                                    "inlets",
                                    name));
  }
  // An absorbing layer relaxes towards the inflow opposite: the mean flow that leaves.
  for (int side = 0; side < 6; ++side)
    if (l.sides[side].sponge > 0) {
      l.sides[side].velocity = l.sides[side ^ 1].velocity;
      l.sides[side].profile = l.sides[side ^ 1].profile;
    }
  if (max_inflow > setup.reference_velocity * (1 + 1e-12))
    throw core::Error(fmt::format("lbm.domain.reference_velocity = {} m/s is below the inflow "
                                  "speed {} m/s: it must be the largest speed expected (it sets "
                                  "the Mach number); raise it to at least {}",
                                  setup.reference_velocity, max_inflow, max_inflow));

  // Obstacles, in lattice units (cell centres at i + 1/2).
  // Circles and rectangles are 2D (extruded along z on d3q19), spheres and boxes 3D.
  std::vector<Obstacle> obstacles;
  for (const io::Section& o : c.entries("lbm.obstacle")) {
    Obstacle ob;
    const std::string shape = o.get_string("shape");
    if (shape == "stl") {
      obstacles.push_back(stl_obstacle(c, o, r));
      continue;
    }
    if (o.has("file"))
      throw core::Error(fmt::format("{}.file: only for shape = 'stl'", o.name()));
    const bool round = shape == "circle" || shape == "sphere";
    const std::size_t axes = shape == "sphere" || shape == "box" ? 3 : 2;
    if (axes == 3 && r.dims == 2)
      throw core::Error(fmt::format("{}: a {} needs lattice = 'd3q19'; use a {} on d2q9", o.name(),
                                    shape, round ? "circle" : "rectangle"));
    if (!o.has("center"))
      throw core::Error(fmt::format("{}: a {} needs center (m)", o.name(), shape));
    const std::vector<double>& centre = o.get_floats("center");
    if (centre.size() != axes)
      throw core::Error(fmt::format("{}: a {} takes a center of {} values, got {}", o.name(), shape,
                                    axes, centre.size()));
    for (std::size_t k = 0; k < axes; ++k) ob.center[k] = centre[k] / r.units.dx;
    if (round) {
      if (!o.has("radius") || o.has("size"))
        throw core::Error(fmt::format("{}: a {} takes radius (m) and no size", o.name(), shape));
      ob.shape = shape == "circle" ? Obstacle::Shape::circle : Obstacle::Shape::sphere;
      ob.radius = o.get_float("radius") / r.units.dx;
    } else {
      if (!o.has("size") || o.has("radius") || o.get_floats("size").size() != axes)
        throw core::Error(fmt::format("{}: a {} takes size = [{}] (m) and no radius", o.name(),
                                      shape, axes == 3 ? "x, y, z" : "x, y"));
      ob.shape = shape == "rectangle" ? Obstacle::Shape::rectangle : Obstacle::Shape::box;
      const std::vector<double>& e = o.get_floats("size");
      for (std::size_t k = 0; k < axes; ++k) ob.size[k] = e[k] / r.units.dx;
    }
    obstacles.push_back(ob);
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
  if (!obstacles.empty() || mask_count > 0) {
    ObstacleMask mask;
    if (!obstacles.empty()) {
      try {
        mask = rasterize(l.lattice, l.cells, obstacles, backend);
      } catch (const core::Error& e) {
        throw core::Error(fmt::format("lbm.obstacle: {}", e.what()));
      }
      for (std::uint8_t& k : mask.solid)
        if (k) k = std::uint8_t(k + mask_count);
      if (mask_count + obstacles.size() > 255)
        throw core::Error("lbm.mask and lbm.obstacle: more than 255 obstacles");
    } else {
      mask.solid.assign(file_mask.size(), 0);
    }
    for (std::size_t i = 0; i < file_mask.size(); ++i)
      if (file_mask[i]) mask.solid[i] = file_mask[i];
    l.solid = std::move(mask.solid);
    require_a_fluid_cell(l.solid, c.has_section("lbm.mask"), !obstacles.empty());
    if (s.get_string("obstacle_walls") == "interpolated" && !obstacles.empty())
      l.wall_fraction = std::move(mask.wall_fraction);
    if (mask_count == 0) {
      // The first obstacle's extent across y, and (3D) its frontal area across x.
      const Obstacle& first = obstacles.front();
      const bool round = first.shape == Obstacle::Shape::circle ||
                         first.shape == Obstacle::Shape::sphere;
      const double dx = r.units.dx, depth = l.cells[2] * dx;
      r.coefficient_length = (round ? 2 * first.radius : first.size[1]) * dx;
      switch (first.shape) {
        case Obstacle::Shape::sphere:
          r.coefficient_area = M_PI * std::pow(first.radius * dx, 2);
          break;
        case Obstacle::Shape::box:
          r.coefficient_area = first.size[1] * first.size[2] * dx * dx;
          break;
        case Obstacle::Shape::mesh: {
          const auto box = bounds(first.mesh->mesh());
          r.coefficient_length = (box[1][1] - box[0][1]) * dx;
          r.coefficient_area = frontal_area(first.mesh->mesh()) * dx * dx;
          break;
        }
        default:
          r.coefficient_area = r.coefficient_length * depth;  // extruded through the domain
      }
    }
  }
  r.obstacle_count = mask_count + int(obstacles.size());
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
    const bool walls = l.sides[0].type == Boundary::wall &&
                       l.sides[1].type == Boundary::wall &&
                       l.sides[2].type == Boundary::wall &&
                       l.sides[3].type == Boundary::wall;
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
    if (l.sides[0].type != Boundary::periodic || l.sides[2].type != Boundary::wall ||
        l.sides[3].type != Boundary::wall || a[1] != 0 || a[0] == 0)
      throw core::Error("lbm.reference = 'poiseuille' needs x periodic, walls at y_min and y_max "
                        "and acceleration = [a, 0] with a != 0");
    for (int side = 2; side < 4; ++side)
      if (bnd.get_floats(std::string(k_sides[side]) + "_velocity")[0] != 0)
        throw core::Error("lbm.reference = 'poiseuille' needs walls at rest");
  } else if (r.reference == "schafer_turek_2d1" || r.reference == "schafer_turek_2d2") {
    const double ubar = r.reference == "schafer_turek_2d1" ? SchaferTurek2D1::k_ubar
                                                           : SchaferTurek2D2::k_ubar;
    check_schafer_turek(c, r, ubar);
    r.reynolds = ubar * SchaferTurek2D1::k_diameter / SchaferTurek2D1::k_viscosity;
  } else if (reference_3d) {
    using ST = SchaferTurek3D1Z;
    check_schafer_turek_3d1z(c);
    r.reynolds = ST::k_ubar * ST::k_diameter / ST::k_viscosity;
  }
  check_streaming(l);  // so that `twinsim check` refuses it too
  return r;
}

// The blocks across MPI ranks (Block.hpp) fit the lattice: lbm.processors for their own count
// (so that a one-rank `twinsim check` judges them), and for this run's rank count.
void check(const io::Case& c) {
  const LatticeConfig l = lattice_of(c).config;
  const std::array<int, 3>& p = l.processors;
  if (p != std::array<int, 3>{0, 0, 0}) block_cuts(l, p[0] * p[1] * p[2]);
  if (core::world().size() > 1) block_cuts(l, core::world().size());
}

loop::Plan plan(const io::Case& c) {
  const CaseLattice lattice = lattice_of(c);
  const std::uint64_t cells = std::uint64_t(lattice.config.cells[0]) * lattice.config.cells[1] *
                              std::uint64_t(lattice.config.cells[2]);
  const std::uint64_t q = lattice.dims == 3 ? 19 : 9;
  // Fields and checkpointed populations in the arithmetic's precision (FP32 for fp16s).
  const std::uint64_t real = lattice.config.precision == Precision::fp64 ? 8 : 4;
  const std::int64_t steps = c.get_int("lbm.steps"), output_every = c.get_int("lbm.output_every");
  const std::int64_t force_every = c.get_int("lbm.forces.every");
  // Samples at step 0, every `every` steps and at the end (at most).
  const auto count = [&](std::int64_t every) {
    return every > 0 ? std::uint64_t(steps / every + 2) : std::uint64_t(1);
  };
  const std::uint64_t obstacles = std::uint64_t(lattice.obstacle_count);
  const std::uint64_t samples = obstacles + lattice.probes.size() > 0 ? count(force_every) : 0;
  const std::uint64_t frames = count(output_every);
  loop::Plan plan;
  // Fields: velocity (3 values), pressure, density, vorticity (3D: 3 values) in the run's
  // precision; the obstacle mask FP32. Observables: force and coefficients (2 doubles; 3D: 3),
  // probe pressures.
  const std::uint64_t vorticity_values = lattice.dims == 3 ? 3 : 1;
  plan.output_bytes =
      io::series_bytes(frames, cells * 3 * real) + 2 * io::series_bytes(frames, cells * real) +
      io::series_bytes(frames, cells * vorticity_values * real) +
      io::series_bytes(frames, cells * 4) +
      obstacles * 2 * io::series_bytes(samples, std::uint64_t(lattice.dims) * 8) +
      lattice.probes.size() * io::series_bytes(samples, 8);
  // Populations (Q) and the last velocity (3) per cell, the drag and lift histories, and the
  // file's own bytes (the case text, names, HDF5 headers: about 14 KiB measured).
  plan.checkpoint_bytes =
      cells * (q + 3) * real + samples * obstacles * 2 * 8 + c.resolved_text().size() + 32768;
  // Backend memory: populations (stored precision, one or two lattices), fields, masks.
  plan.device_bytes = cells * bytes_per_cell(lattice.config);
  plan.size_keys = "lbm.domain.cells";
  return plan;
}

}  // namespace twinsim::lbm
