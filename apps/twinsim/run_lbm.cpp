// The lattice Boltzmann solver as a run: a 2D flow given in physical units, converted to
// lattice units (refused when unstable or inaccurate), stepped to a step count or to steady
// state, with fields (HDF5 + XDMF) and figures (summary.json): convergence, MLUPS, and the error
// against Ghia's cavity centrelines or the Poiseuille parabola when the case asks for it.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "runs.hpp"
#include "twinsim/core/Progress.hpp"
#include "twinsim/core/Timers.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/io/Xdmf.hpp"
#include "twinsim/lbm/Reference.hpp"
#include "twinsim/lbm/Solver.hpp"
#include "twinsim/lbm/Units.hpp"

namespace twinsim::app {

namespace {

constexpr const char* k_sides[4] = {"x_min", "x_max", "y_min", "y_max"};

struct LbmRun {
  lbm::LatticeConfig lattice;
  lbm::LatticeUnits units;
  std::array<double, 2> acceleration;  // m/s^2
  std::string reference;
  double reynolds = 0;  // reference velocity x domain height / viscosity
};

// The case as a lattice; throws core::Error (with what to change) for settings the solver refuses.
LbmRun lattice_of(const io::Case& c) {
  const io::Section s = c.section("lbm"), dom = c.section("lbm.domain"),
                    bnd = c.section("lbm.boundaries");
  LbmRun r;
  lbm::PhysicalSetup setup;
  const std::vector<double>& size = dom.get_floats("size");
  const std::vector<std::int64_t>& cells = dom.get_ints("cells");
  setup.size = {size[0], size[1]};
  setup.cells = {int(cells[0]), int(cells[1])};
  setup.viscosity = dom.get_float("viscosity");
  setup.reference_velocity = dom.get_float("reference_velocity");
  setup.lattice_velocity = dom.get_float("lattice_velocity");
  setup.density = dom.get_float("density");
  r.units = lbm::to_lattice_units(setup);
  r.reynolds = setup.reference_velocity * size[1] / setup.viscosity;

  lbm::LatticeConfig& l = r.lattice;
  l.collision = s.get_string("collision") == "bgk" ? lbm::Collision::bgk : lbm::Collision::trt;
  l.magic = s.get_float("magic");
  l.precision = s.get_string("precision") == "fp64" ? lbm::Precision::fp64 : lbm::Precision::fp32;
  l.cells = {setup.cells[0], setup.cells[1], 1};
  l.tau = r.units.tau;
  const std::vector<double>& a = dom.get_floats("acceleration");
  r.acceleration = {a[0], a[1]};
  // Force per volume in lattice units: rho_0 = 1 times the lattice acceleration.
  l.force = {r.units.to_lattice_acceleration(a[0]), r.units.to_lattice_acceleration(a[1]), 0.0};
  for (int side = 0; side < 4; ++side) {
    const std::string name = k_sides[side];
    l.sides[side].periodic = bnd.get_string(name) == "periodic";
    const std::vector<double>& v = bnd.get_floats(name + "_velocity");
    l.sides[side].velocity = {r.units.to_lattice_velocity(v[0]), r.units.to_lattice_velocity(v[1]),
                              0.0};
    if (l.sides[side].periodic && (v[0] != 0 || v[1] != 0))
      throw core::Error(fmt::format("lbm.boundaries.{}_velocity: a periodic side has no wall to "
                                    "move; make {} a wall or drop the velocity",
                                    name, name));
    if (!l.sides[side].periodic && v[side / 2] != 0)
      throw core::Error(fmt::format("lbm.boundaries.{}_velocity: walls move along themselves "
                                    "only; the component normal to {} must be 0",
                                    name, name));
  }
  r.reference = s.get_string("reference");
  if (r.reference == "ghia1982") {
    const bool walls = !l.sides[0].periodic && !l.sides[2].periodic;
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
    if (!l.sides[0].periodic || l.sides[2].periodic || a[1] != 0 || a[0] == 0)
      throw core::Error("lbm.reference = 'poiseuille' needs x periodic, walls at y_min and y_max "
                        "and acceleration = [a, 0] with a != 0");
    for (int side = 2; side < 4; ++side)
      if (bnd.get_floats(std::string(k_sides[side]) + "_velocity")[0] != 0)
        throw core::Error("lbm.reference = 'poiseuille' needs walls at rest");
  }
  return r;
}

// Field values of one output frame, physical units.
struct Frame {
  std::vector<double> velocity;  // [y][x][3], m/s
  std::vector<double> pressure;  // Pa, relative to the reference state
  std::vector<double> density;   // kg/m^3
  std::vector<double> vorticity; // 1/s
  std::vector<double> obstacle;  // 1 solid, 0 fluid
  bool finite = true;
};

Frame physical(const lbm::Macroscopic& m, const lbm::LatticeUnits& u) {
  const std::size_t n = m.rho.size();
  Frame f;
  f.velocity.resize(3 * n);
  f.pressure.resize(n);
  f.density.resize(n);
  f.vorticity.resize(n);
  f.obstacle.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    f.velocity[3 * i] = u.velocity(m.ux[i]);
    f.velocity[3 * i + 1] = u.velocity(m.uy[i]);
    f.velocity[3 * i + 2] = 0.0;
    f.pressure[i] = u.pressure(m.rho[i]);
    f.density[i] = m.rho[i] * u.density;
    f.vorticity[i] = u.rate(m.vorticity[i]);
    f.obstacle[i] = m.solid[i];
    f.finite = f.finite && std::isfinite(m.rho[i] + m.ux[i] + m.uy[i]);
  }
  return f;
}

}  // namespace

void add_lbm_schema(io::Schema& schema) {
  schema.section("lbm", "Lattice Boltzmann flow solver (2D, D2Q9), case in physical units")
      .key_string("lattice", "Velocity set").default_value("d2q9").one_of({"d2q9"})
      .key_string("collision", "bgk (single relaxation time) or trt (two relaxation times)")
      .default_value("trt").one_of({"bgk", "trt"})
      .key_float("magic", "TRT magic parameter Lambda; 3/16 puts bounce-back walls exactly "
                          "mid-way for parabolic flow")
      .default_value(0.1875).greater_than(0.0)
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
                               "1000), poiseuille (force-driven channel parabola)")
      .default_value("none").one_of({"none", "ghia1982", "poiseuille"});
  schema.section("lbm.domain", "Domain, fluid and resolution").required()
      .key_floats("size", "Domain edges x, y").required().length(2).unit("m").greater_than(0.0)
      .key_ints("cells", "Cells along x, y (square cells: proportional to size)").required()
      .length(2).at_least(1)
      .key_float("viscosity", "Kinematic viscosity").required().unit("m^2/s").greater_than(0.0)
      .key_float("reference_velocity", "Largest speed expected (lid, inflow peak)").required()
      .unit("m/s").greater_than(0.0)
      .key_float("lattice_velocity", "The reference velocity in lattice units: sets the time "
                                     "step; Mach = lattice_velocity * sqrt(3)")
      .default_value(0.1).greater_than(0.0)
      .key_float("density", "Fluid density").default_value(1.0).unit("kg/m^3").greater_than(0.0)
      .key_floats("acceleration", "Body force per mass x, y (drives channel flow)")
      .default_value(std::vector<double>{0.0, 0.0}).length(2).unit("m/s^2");
  auto b = schema.section("lbm.boundaries", "Domain sides: periodic (in pairs) or half-way "
                                            "bounce-back walls, optionally moving along "
                                            "themselves (a lid)");
  for (const char* side : k_sides) {
    b.key_string(side, fmt::format("{} side", side)).default_value("wall")
        .one_of({"periodic", "wall"});
    b.key_floats(std::string(side) + "_velocity", fmt::format("Velocity of the {} wall", side))
        .default_value(std::vector<double>{0.0, 0.0}).length(2).unit("m/s");
  }
}

void check_lbm(const io::Case& c) { lattice_of(c); }

RunResult run_lbm(const RunContext& ctx) {
  const io::Case& c = ctx.case_file;
  const LbmRun setup = lattice_of(c);
  const lbm::LatticeConfig& l = setup.lattice;
  const lbm::LatticeUnits& u = setup.units;
  const io::Section s = c.section("lbm");
  const std::int64_t steps = s.get_int("steps"), output_every = s.get_int("output_every"),
                     check_every = s.get_int("check_every");
  const double tolerance = s.get_float("tolerance");
  spdlog::info("lbm: D2Q9 {} {}, {} x {} cells, dx = {:.4g} m, dt = {:.4g} s, tau = {:.4f}, "
               "Mach {:.3f}, Re = {:.4g}",
               lbm::to_string(l.collision), lbm::to_string(l.precision), l.cells[0], l.cells[1],
               u.dx, u.dt, u.tau, u.mach, setup.reynolds);

  auto solver = lbm::make_solver(ctx.backend, l);
  io::H5File file = io::H5File::create(ctx.run.file(ctx.name + ".h5"));
  io::write_provenance(file, {c.resolved_text(), std::string(core::to_string(ctx.backend)),
                              "SI: m, s, kg/m^3, Pa (pressure relative to the reference state)"});
  const io::Shape grid = {std::uint64_t(l.cells[1]), std::uint64_t(l.cells[0])};
  const io::DType disk = l.precision == lbm::Precision::fp64 ? io::DType::f64 : io::DType::f32;
  io::FieldSeries velocity(file, "velocity", grid, 3, disk, "m s-1", "s");
  io::FieldSeries pressure(file, "pressure", grid, 1, disk, "Pa", "s");
  io::FieldSeries density(file, "density", grid, 1, disk, "kg m-3", "s");
  io::FieldSeries vorticity(file, "vorticity", grid, 1, disk, "s-1", "s");
  io::FieldSeries obstacle(file, "obstacle", grid, 1, io::DType::f32, "", "s");
  io::XdmfWriter xdmf(ctx.run.file(ctx.name + ".xmf"), file.path());
  // Values sit at cell centres, so the mesh's points are the centres: node data on a mesh
  // offset by half a cell.
  const io::CoRectMesh mesh{{1, grid[0], grid[1]}, {0.0, 0.5 * u.dx, 0.5 * u.dx},
                            {u.dx, u.dx, u.dx}};

  core::Timers timers;
  std::int64_t last_output = -1;
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
    last_output = step;
    return f.finite;
  };

  const double mass0 = solver->total_mass();
  if (output_every > 0) output();
  double change = solver->velocity_change();
  bool converged = false, finite = true;
  core::Progress progress("lbm", steps);
  while (solver->steps_done() < steps && !converged && finite) {
    const std::int64_t done = solver->steps_done();
    std::int64_t n = std::min(check_every - done % check_every, steps - done);
    if (output_every > 0) n = std::min(n, output_every - done % output_every);
    {
      core::ScopedTimer timer(timers, "step");
      solver->step(n);
      solver->synchronize();  // GPU steps are queued: wait, so the timer sees them
    }
    const std::int64_t now = solver->steps_done();
    if (now % check_every == 0) {
      change = solver->velocity_change();
      finite = !std::isnan(change);
      converged = tolerance > 0 && change < tolerance;
    }
    if (output_every > 0 && now % output_every == 0) finite = output() && finite;
    progress.update(now);
  }
  progress.finish();
  if (last_output != solver->steps_done()) finite = output() && finite;

  const double mass_drift = std::abs(solver->total_mass() - mass0) / mass0;
  std::int64_t fluid = 0;
  const lbm::Macroscopic m = solver->macroscopic();
  for (std::uint8_t solid : m.solid) fluid += solid ? 0 : 1;
  const double step_s = timers.seconds("step");
  const double mlups = step_s > 0 ? double(fluid) * double(solver->steps_done()) / step_s / 1e6 : 0;
  spdlog::info("lbm: {} steps, velocity change {:.3e}{}, mass drift {:.3e}, {:.1f} MLUPS",
               solver->steps_done(), change, converged ? " (converged)" : "", mass_drift, mlups);

  RunResult r;
  io::Summary& sum = r.summary;
  sum.set("lattice.collision", lbm::to_string(l.collision));
  sum.set("lattice.precision", lbm::to_string(l.precision));
  sum.set("lattice.cells_x", l.cells[0]);
  sum.set("lattice.cells_y", l.cells[1]);
  sum.set("lattice.tau", u.tau);
  sum.set("lattice.mach", u.mach);
  sum.set("lattice.dx_m", u.dx);
  sum.set("lattice.dt_s", u.dt);
  sum.set("reynolds", setup.reynolds);
  sum.set("steps", solver->steps_done());
  sum.set("time_s", u.time(double(solver->steps_done())));
  sum.set("convergence.velocity_change", change);
  sum.set("convergence.tolerance", tolerance);
  sum.set("convergence.converged", converged);
  sum.set("mass.relative_drift", mass_drift);
  sum.set("performance.mlups", mlups);
  sum.set("performance.bytes_per_cell_update", solver->bytes_per_cell_update());
  sum.set("performance.step_s", step_s);
  sum.set("performance.output_s", timers.seconds("output"));
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
  }
  r.ok = finite;
  if (!r.ok)
    r.failure = fmt::format("the flow diverged (non-finite values) by step {}: raise the "
                            "resolution or lower lattice_velocity",
                            solver->steps_done());
  return r;
}

}  // namespace twinsim::app
