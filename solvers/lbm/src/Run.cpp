// Lattice Boltzmann flow as a run: a 2D (D2Q9) or 3D (D3Q19) flow given in physical units
// (Case.hpp converts it), stepped to a step count or to steady state by the loop library, with
// fields (HDF5 + XDMF), force and probe time series (HDF5 /observables) and figures
// (summary.json): convergence, MLUPS, drag and lift coefficients, and the comparison with Ghia's
// cavity centrelines, the Poiseuille parabola or the Schafer-Turek cylinder benchmarks when the
// case asks for it (Report.hpp). Everything written is in SI.
#include "twinsim/lbm/Run.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <utility>

#include "twinsim/core/Comm.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/io/Xdmf.hpp"
#include "twinsim/lbm/Block.hpp"
#include "twinsim/lbm/Case.hpp"
#include "twinsim/lbm/Reference.hpp"
#include "twinsim/lbm/Report.hpp"

namespace twinsim::lbm {

namespace {

constexpr const char* k_units =
    "SI: m, s, kg/m^3, Pa (pressure relative to the reference state), forces N (3D) or per unit "
    "depth N/m (2D)";

// The inflow ramp holds the inlet velocities constant over blocks of this many steps (the
// value at the block's first step), so where the loop's chunks end changes nothing.
constexpr std::int64_t k_ramp_block = 20;
// A mass change beyond 10 % is a warning in the log and summary.json: a closed box keeps its
// mass to round-off, and inlets with outlets change it by about the squared Mach number (well
// under 1 %); an inlet without an outlet grows it without bound.
constexpr double k_mass_drift_warning = 0.1;

core::Error diverged(std::int64_t step) {
  return core::Error(
      fmt::format("the flow diverged (non-finite values) by step {}: raise the "
                  "resolution or lower lattice_velocity",
                  step));
}

// The solver as the loop's stepper: lbm.steps steps (fewer when the convergence check halts it),
// velocity inlets (and the mean flow of absorbing layers) started by the inflow ramp
// sin^2(pi t / (2 T)). Keeps the fluid's mass at
// step 0 for the summary's drift.
class LbmStepper : public loop::Stepper {
 public:
  LbmStepper(std::unique_ptr<Solver> solver, CaseLattice lattice, std::int64_t steps,
             double inflow_ramp_s)
      : m_solver(std::move(solver)),
        m_lattice(std::move(lattice)),
        m_steps(steps),
        m_ramp_steps(inflow_ramp_s / m_lattice.units.dt) {
    // The step-0 state: a restart's load() replaces it (side velocities included).
    set_inflow(0);
    m_mass0 = m_solver->total_mass();
  }

  Solver& solver() const { return *m_solver; }
  const CaseLattice& lattice() const { return m_lattice; }
  // Steady state reached: the run is over whatever lbm.steps says (also after a restart from a
  // checkpoint taken at that step).
  void halt() { m_halted = true; }
  // (M - M0) / M0 since the run's start (open boundaries exchange mass with the outside).
  double mass_change() const { return (m_solver->total_mass() - m_mass0) / m_mass0; }

  std::int64_t step() const override { return m_solver->steps_done(); }
  double time() const override { return m_lattice.units.time(double(step())); }
  bool finished() const override { return m_halted || step() >= m_steps; }
  void advance(std::int64_t steps, double until) override {
    std::int64_t left =
        std::min({steps, m_steps - step(), loop::steps_until(time(), until, m_lattice.units.dt)});
    while (left > 0) {
      // During the ramp, steps go in its blocks, each at the velocity of its first step.
      const std::int64_t done = step(), block = done - done % k_ramp_block;
      std::int64_t n = left;
      if (double(block) < m_ramp_steps) n = std::min(n, k_ramp_block - done % k_ramp_block);
      set_inflow(block);
      m_solver->step(n);
      left -= n;
    }
  }
  // GPU steps are queued: wait, so that the loop's timer sees them.
  void synchronize() override { m_solver->synchronize(); }
  loop::Position position() const override { return {step(), m_steps, "steps"}; }

  void save(io::StateWriter& out) const override {
    m_solver->save(out);
    out.put("lbm/initial_mass", m_mass0);
  }
  // The divergence check on the device: the fluid's mass sums every fluid cell's density (a
  // NaN or infinity in any of its populations makes it non-finite), one number read back
  // instead of the populations.
  bool non_finite() const override { return !std::isfinite(m_solver->total_mass()); }
  void load(const io::StateReader& in) override {
    m_solver->load(in);
    m_mass0 = in.get_double("lbm/initial_mass");
  }

  void summarize(io::Summary& sum, const core::Timers& timers) const override {
    const LatticeConfig& l = m_lattice.config;
    const LatticeUnits& u = m_lattice.units;
    const std::int64_t done = step();
    // Open boundaries exchange mass with the outside: the drift then measures that, not an
    // error.
    const double mass_drift = std::abs(m_solver->total_mass() - m_mass0) / m_mass0;
    std::int64_t fluid = std::int64_t(l.cells[0]) * l.cells[1] * l.cells[2];
    for (std::uint8_t solid : l.solid) fluid -= solid ? 1 : 0;
    const double step_s = timers.seconds("advance");
    const double mlups = step_s > 0 ? double(fluid) * double(done) / step_s / 1e6 : 0;
    spdlog::info("lbm: {} steps, mass drift {:.3e}, {:.1f} MLUPS", done, mass_drift, mlups);
    sum.set("lattice.lattice", to_string(l.lattice));
    sum.set("lattice.collision", to_string(l.collision));
    sum.set("lattice.precision", to_string(l.precision));
    sum.set("lattice.cells_x", l.cells[0]);
    sum.set("lattice.cells_y", l.cells[1]);
    sum.set("lattice.cells_z", l.cells[2]);
    sum.set("lattice.tau", u.tau);
    sum.set("lattice.smagorinsky", l.smagorinsky);
    sum.set("lattice.mach", u.mach);
    sum.set("lattice.dx_m", u.dx);
    sum.set("lattice.dt_s", u.dt);
    sum.set("lattice.obstacle_walls", l.wall_fraction.empty() ? "staircase" : "interpolated");
    sum.set("reynolds", m_lattice.reynolds);
    sum.set("steps", done);
    sum.set("time_s", u.time(double(done)));
    sum.set("mass.relative_drift", mass_drift);
    if (mass_drift > k_mass_drift_warning)
      sum.warn(fmt::format("lbm: the fluid's mass changed by {:.3g} % since the start (warned "
                           "above {:g} %): mass enters or leaves without balance, e.g. a "
                           "velocity inlet without a pressure outlet",
                           100 * (m_solver->total_mass() - m_mass0) / m_mass0,
                           100 * k_mass_drift_warning));
    sum.set("performance.mlups", mlups);
    sum.set("performance.bytes_per_cell_update", m_solver->bytes_per_cell_update());
    sum.set("performance.step_s", step_s);
    sum.set("performance.output_s", timers.seconds("output"));
    sum.set("performance.forces_s", timers.seconds("forces"));
    // The references that compare fields (the cylinder benchmarks compare forces: ForceSampler).
    // The fields are gathered on rank 0 (a collective call), which writes the summary.
    if (m_lattice.reference != "ghia1982" && m_lattice.reference != "poiseuille") return;
    const Macroscopic m = m_solver->macroscopic(k_velocity);
    if (!core::world().root()) return;
    if (m_lattice.reference == "ghia1982")
      report_ghia1982(sum, m, l.sides[3].velocity[0], int(m_lattice.reynolds));
    else
      report_poiseuille(sum, m, l.force[0], u.viscosity);
  }

 private:
  // Inlet velocities at `step` of the ramp: the case's times sin^2(pi step / (2 ramp steps)).
  void set_inflow(std::int64_t step) {
    if (!(m_ramp_steps > 0)) return;
    const double f = step >= m_ramp_steps
                         ? 1.0
                         : std::pow(std::sin(0.5 * M_PI * double(step) / m_ramp_steps), 2);
    for (int side = 0; side < 6; ++side)  // inlets, and the mean flow of absorbing layers
      if (m_lattice.config.sides[side].type == Boundary::velocity_inlet ||
          m_lattice.config.sides[side].sponge > 0) {
        const std::array<double, 3>& v = m_lattice.config.sides[side].velocity;
        m_solver->set_side_velocity(side, {f * v[0], f * v[1], f * v[2]});
      }
  }

  std::unique_ptr<Solver> m_solver;
  CaseLattice m_lattice;  // the case's inlet velocities, which the ramp scales
  std::int64_t m_steps;
  double m_ramp_steps;  // the ramp's length in steps (0: none)
  double m_mass0 = 0;   // fluid mass at step 0, lattice units
  bool m_halted = false;
};

// Field values of one output frame, physical units.
struct Frame {
  std::vector<double> velocity;   // [z][y][x][3] ([y][x][3] in 2D), m/s
  std::vector<double> pressure;   // Pa, relative to the reference state
  std::vector<double> density;    // kg/m^3
  std::vector<double> vorticity;  // 1/s: 2D dv/dx - du/dy; 3D the vector [z][y][x][3]
  std::vector<double> obstacle;   // 1 solid, 0 fluid
  bool finite = true;
};

Frame physical(const Macroscopic& m, const LatticeUnits& u) {
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

// Velocity, pressure, density, vorticity and the obstacle mask as /fields/<name> [t][z][y][x]
// ([t][y][x] in 2D; velocity and the 3D vorticity with a trailing axis of 3) in the run's
// precision (the mask FP32), with the XDMF sidecar. A frame with non-finite values is written,
// then fails the run. On a restart the series reopen where the checkpoint left them and the
// sidecar keeps as many steps. Across MPI ranks the fields are gathered on rank 0, which alone
// has the file (`file` null on the others).
class FieldWriter : public loop::Operation {
 public:
  FieldWriter(const LbmStepper& stepper, io::H5File* file, const std::filesystem::path& xmf,
              bool restarted)
      : m_stepper(stepper) {
    if (!file) return;
    m_velocity.emplace(*file, "velocity", grid(stepper), 3, disk(stepper), "m s-1", "s");
    m_pressure.emplace(*file, "pressure", grid(stepper), 1, disk(stepper), "Pa", "s");
    m_density.emplace(*file, "density", grid(stepper), 1, disk(stepper), "kg m-3", "s");
    // 3D: the vorticity vector (an XDMF Vector, like the velocity); 2D: its one component.
    m_vorticity.emplace(*file, "vorticity", grid(stepper), stepper.lattice().dims == 3 ? 3 : 1,
                        disk(stepper), "s-1", "s");
    m_obstacle.emplace(*file, "obstacle", grid(stepper), 1, io::DType::f32, "", "s");
    m_xdmf.emplace(io::XdmfWriter::for_run(xmf, file->path(), restarted, m_velocity->frames()));
    // Values sit at cell centres, so the mesh's points are the centres: node data on a mesh
    // offset by half a cell.
    const std::array<int, 3>& cells = stepper.lattice().config.cells;
    const double dx = stepper.lattice().units.dx;
    m_mesh = {{std::uint64_t(cells[2]), std::uint64_t(cells[1]), std::uint64_t(cells[0])},
              {stepper.lattice().dims == 3 ? 0.5 * dx : 0.0, 0.5 * dx, 0.5 * dx},
              {dx, dx, dx}};
  }

  std::string name() const override { return "output"; }

  loop::Verdict fire() override {
    const std::int64_t step = m_stepper.step();
    // Every field is written. Every rank calls it: gathered on rank 0.
    const Macroscopic m = m_stepper.solver().macroscopic(k_all_fields);
    std::int64_t finite = 1;
    if (m_xdmf) {
      const Frame f = physical(m, m_stepper.lattice().units);
      const double t = m_stepper.time();
      m_xdmf->add_step(t, m_mesh,
                       {{"velocity", m_velocity->append(f.velocity.data(), step, t)},
                        {"pressure", m_pressure->append(f.pressure.data(), step, t)},
                        {"density", m_density->append(f.density.data(), step, t)},
                        {"vorticity", m_vorticity->append(f.vorticity.data(), step, t)},
                        {"obstacle", m_obstacle->append(f.obstacle.data(), step, t)}});
      finite = f.finite;
    }
    core::world().broadcast(&finite, sizeof finite, 0);  // every rank fails alike
    if (!finite) throw diverged(step);
    return loop::Verdict::go_on;
  }

 private:
  static io::Shape grid(const LbmStepper& stepper) {
    const std::array<int, 3>& c = stepper.lattice().config.cells;
    return stepper.lattice().dims == 3
               ? io::Shape{std::uint64_t(c[2]), std::uint64_t(c[1]), std::uint64_t(c[0])}
               : io::Shape{std::uint64_t(c[1]), std::uint64_t(c[0])};
  }
  static io::DType disk(const LbmStepper& stepper) {
    return stepper.lattice().config.precision == Precision::fp64 ? io::DType::f64 : io::DType::f32;
  }

  const LbmStepper& m_stepper;
  std::optional<io::FieldSeries> m_velocity, m_pressure, m_density, m_vorticity, m_obstacle;
  std::optional<io::XdmfWriter> m_xdmf;
  io::CoRectMesh m_mesh{};
};

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

// Forces on the obstacles (momentum exchange) and pressures at the probe points as time series,
// H5MD style: /observables/obstacle_<k>/force [t][2] (2D: N/m, per unit depth; 3D: [t][3], N)
// and /coefficients [t][2] (c_D, c_L; 3D: and the side force's), /observables/probe_<i>/pressure
// [t][1] (Pa). Keeps the drag and lift coefficient histories (through checkpoints) for the
// summary's maxima, means and Strouhal numbers, and the cylinder benchmarks' reports.
constexpr const char* k_coefficients[] = {"c_D", "c_L", "c_side"};

class ForceSampler : public loop::Operation {
 public:
  // `file` null: a rank other than 0, which samples (collective calls) but writes nothing.
  ForceSampler(LbmStepper& stepper, io::H5File* file, std::int64_t every)
      : m_stepper(stepper), m_every(every) {
    const CaseLattice& lattice = stepper.lattice();
    const std::size_t obstacles = std::size_t(lattice.obstacle_count);
    const std::uint64_t n = std::uint64_t(lattice.dims);
    const std::string force_units = lattice.dims == 3 ? "N" : "N m-1";
    for (std::size_t k = 1; k <= obstacles && file; ++k) {
      m_force_series.emplace_back(*file, fmt::format("/observables/obstacle_{}/force", k),
                                  io::TimeSeries::Spec::table({n}, force_units, "s"));
      m_coefficient_series.emplace_back(*file,
                                        fmt::format("/observables/obstacle_{}/coefficients", k),
                                        io::TimeSeries::Spec::table({n}, "", "s"));
    }
    for (std::size_t i = 1; i <= lattice.probes.size() && file; ++i)
      m_probe_series.emplace_back(*file, fmt::format("/observables/probe_{}/pressure", i),
                                  io::TimeSeries::Spec::table({1}, "Pa", "s"));
    m_force.resize(obstacles);
    m_coefficient.resize(obstacles);
    m_drag.resize(obstacles);
    m_lift.resize(obstacles);
    m_pressure.resize(lattice.probes.size());
    const LatticeUnits& u = lattice.units;
    m_to_coefficient = obstacles > 0
                           ? coefficient_factor(u.density, lattice.coefficient_velocity,
                                                lattice.dims == 3 ? lattice.coefficient_area
                                                                  : lattice.coefficient_length)
                           : 0.0;
  }

  std::string name() const override { return "forces"; }

  // Per obstacle its force components and c_D, c_L (3D: c_side); per probe its pressure.
  void use_history(loop::History& history) override {
    history.time_unit("s");
    m_history = &history;
    const int dims = m_stepper.lattice().dims;
    const std::string force_units = dims == 3 ? "N" : "N/m";
    std::vector<std::pair<std::string, std::string>> columns;  // name, unit
    for (std::size_t k = 1; k <= m_force.size(); ++k) {
      for (int a = 0; a < dims; ++a)
        columns.emplace_back(fmt::format("obstacle_{}.force_{}", k, "xyz"[a]), force_units);
      for (int a = 0; a < dims; ++a)
        columns.emplace_back(fmt::format("obstacle_{}.{}", k, k_coefficients[a]), "");
    }
    for (std::size_t i = 1; i <= m_pressure.size(); ++i)
      columns.emplace_back(fmt::format("probe_{}.pressure", i), "Pa");
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const std::size_t c = history.column(columns[i].first, columns[i].second);
      if (i == 0) m_first_column = c;
    }
  }

  loop::Verdict fire() override {
    const std::int64_t step = m_stepper.step();
    const CaseLattice& lattice = m_stepper.lattice();
    const LatticeUnits& u = lattice.units;
    const std::vector<std::array<double, 3>> f = m_stepper.solver().obstacle_forces();
    for (std::size_t k = 0; k < m_force.size(); ++k)
      for (int a = 0; a < 3; ++a) {
        m_force[k][a] = u.force(k < f.size() ? f[k][a] : 0.0, lattice.dims);
        m_coefficient[k][a] = m_force[k][a] * m_to_coefficient;
      }
    if (!lattice.probes.empty()) {
      // On rank 0, which has the fields; the others take its values.
      const Macroscopic m = m_stepper.solver().macroscopic(k_density);
      for (std::size_t i = 0; i < lattice.probes.size() && core::world().root(); ++i) {
        const std::array<double, 3>& q = lattice.probes[i];  // m; to cells (2D: the one plane)
        const Point p = {q[0] / u.dx, q[1] / u.dx, lattice.dims == 3 ? q[2] / u.dx : 0.5};
        m_pressure[i] = u.pressure(probe(m, m.rho, p));
      }
      core::world().broadcast(m_pressure.data(), m_pressure.size() * sizeof(double), 0);
    }
    const double t = m_stepper.time();
    for (std::size_t k = 0; k < m_force.size(); ++k) {
      if (!m_force_series.empty()) {
        m_force_series[k].append(m_force[k].data(), step, t);
        m_coefficient_series[k].append(m_coefficient[k].data(), step, t);
      }
      m_drag[k].push_back(m_coefficient[k][0]);
      m_lift[k].push_back(m_coefficient[k][1]);
    }
    for (std::size_t i = 0; i < m_probe_series.size(); ++i)
      m_probe_series[i].append(&m_pressure[i], step, t);
    if (m_history) record();
    return loop::Verdict::go_on;
  }

  void save(io::StateWriter& out, const std::string& prefix) const override {
    out.put(prefix + "force", flat(m_force));
    out.put(prefix + "coefficient", flat(m_coefficient));
    out.put(prefix + "pressure", m_pressure);
    for (std::size_t k = 0; k < m_drag.size(); ++k) {
      out.put(fmt::format("{}obstacle_{}/drag_coefficients", prefix, k + 1), m_drag[k]);
      out.put(fmt::format("{}obstacle_{}/lift_coefficients", prefix, k + 1), m_lift[k]);
    }
  }
  void load(const io::StateReader& in, const std::string& prefix) override {
    m_force = triples(in.get<double>(prefix + "force"));
    m_coefficient = triples(in.get<double>(prefix + "coefficient"));
    in.get(prefix + "pressure", m_pressure.data(), m_pressure.size());
    for (std::size_t k = 0; k < m_drag.size(); ++k) {
      m_drag[k] = in.get<double>(fmt::format("{}obstacle_{}/drag_coefficients", prefix, k + 1));
      m_lift[k] = in.get<double>(fmt::format("{}obstacle_{}/lift_coefficients", prefix, k + 1));
    }
  }

  // The last sample's forces, coefficients and probe pressures; over the last quarter of the
  // samples, maxima, means and the lift's Strouhal number; the cylinder benchmarks' reports.
  void summarize(io::Summary& sum) const override {
    const CaseLattice& lattice = m_stepper.lattice();
    const bool three_d = lattice.dims == 3;
    const double sample_s = lattice.units.time(double(m_every));
    if (!m_force.empty()) {
      sum.set("forces.reference_velocity_m_s", lattice.coefficient_velocity);
      if (three_d)
        sum.set("forces.reference_area_m2", lattice.coefficient_area);
      else
        sum.set("forces.reference_length_m", lattice.coefficient_length);
    }
    const std::string force_unit = three_d ? "_N" : "_N_per_m";
    for (std::size_t k = 0; k < m_force.size(); ++k) {
      const std::string key = fmt::format("forces.obstacle_{}", k + 1);
      sum.set(key + ".force_x" + force_unit, m_force[k][0]);
      sum.set(key + ".force_y" + force_unit, m_force[k][1]);
      sum.set(key + ".drag_coefficient", m_coefficient[k][0]);
      sum.set(key + ".lift_coefficient", m_coefficient[k][1]);
      if (three_d) {
        sum.set(key + ".force_z" + force_unit, m_force[k][2]);
        sum.set(key + ".side_coefficient", m_coefficient[k][2]);
      }
      if (m_drag[k].size() >= 8) {
        const std::size_t window = m_drag[k].size() / 4;
        const Window d = last_window(m_drag[k], window), l = last_window(m_lift[k], window);
        sum.set(key + ".window_samples", std::int64_t(window));
        sum.set(key + ".drag_coefficient_max", d.max);
        sum.set(key + ".drag_coefficient_mean", d.mean);
        sum.set(key + ".lift_coefficient_max", l.max);
        sum.set(key + ".lift_coefficient_mean", l.mean);
        // Round-off around a steady lift crosses its mean too: no frequency unless it swings by
        // more than 1e-3 of the drag.
        const bool oscillates = l.max - l.min > 1e-3 * std::abs(d.mean);
        sum.set(key + ".strouhal",
                oscillates ? strouhal_number(l.frequency, sample_s, lattice.coefficient_length,
                                             lattice.coefficient_velocity)
                           : 0.0);
      }
      spdlog::info("obstacle {}: c_D {:.5f}, c_L {:.5f} (F = {:.5g}, {:.5g} {})", k + 1,
                   m_coefficient[k][0], m_coefficient[k][1], m_force[k][0], m_force[k][1],
                   three_d ? "N" : "N/m");
    }
    for (std::size_t i = 0; i < m_pressure.size(); ++i)
      sum.set(fmt::format("probes.probe_{}.pressure_Pa", i + 1), m_pressure[i]);
    // The benchmarks ask for one cylinder (Case.cpp checks it): obstacle 1. The pressure
    // difference from the fields gathered on rank 0 (a collective call), which writes the summary.
    if (m_force.empty()) return;
    const bool two_d1 = lattice.reference == "schafer_turek_2d1";
    if (two_d1 || lattice.reference == "schafer_turek_3d1z") {
      const Macroscopic m = m_stepper.solver().macroscopic(k_density);
      if (!core::world().root()) return;
      if (two_d1)
        report_schafer_turek_2d1(sum, m_coefficient[0][0], m_coefficient[0][1],
                                 schafer_turek_2d_pressure_difference(m, lattice.units));
      else
        report_schafer_turek_3d1z(sum, m_coefficient[0][0], m_coefficient[0][1],
                                  schafer_turek_3d1z_pressure_difference(m, lattice.units));
    } else if (lattice.reference == "schafer_turek_2d2")
      report_schafer_turek_2d2(sum, schafer_turek_2d2(m_drag[0], m_lift[0], sample_s));
  }

 private:
  LbmStepper& m_stepper;
  std::int64_t m_every;         // steps between samples
  // The sample's columns, in the order use_history declared them.
  void record() {
    const int dims = m_stepper.lattice().dims;
    std::size_t column = m_first_column;
    for (std::size_t k = 0; k < m_force.size(); ++k) {
      for (int a = 0; a < dims; ++a) m_history->set(column++, m_force[k][a]);
      for (int a = 0; a < dims; ++a) m_history->set(column++, m_coefficient[k][a]);
    }
    for (double p : m_pressure) m_history->set(column++, p);
  }

  loop::History* m_history = nullptr;  // the run's table, when it keeps one
  std::size_t m_first_column = 0;
  double m_to_coefficient = 0;  // 2 / (rho U^2 L) (3D: A), SI
  std::vector<io::TimeSeries> m_force_series, m_coefficient_series, m_probe_series;
  // The last sample: per obstacle force (N/m; 3D: N) and (c_D, c_L, c_side); per probe pressure
  // (Pa). 2D: the third components are 0.
  std::vector<std::array<double, 3>> m_force, m_coefficient;
  std::vector<double> m_pressure;
  std::vector<std::vector<double>> m_drag, m_lift;  // per obstacle, per sample
};

// |u - u_last| / |u| between checks (Solver::velocity_change): ends the run once it falls below
// lbm.tolerance (> 0), fails it when it is not a number (the flow diverged).
class ConvergenceCheck : public loop::Operation {
 public:
  ConvergenceCheck(LbmStepper& stepper, double tolerance)
      : m_stepper(stepper), m_tolerance(tolerance) {}

  std::string name() const override { return "convergence"; }

  void use_history(loop::History& history) override {
    history.time_unit("s");
    m_history = &history;
    m_change_column = history.column("velocity_change");
    m_mass_column = history.column("mass_change");
  }

  loop::Verdict fire() override {
    m_change = m_stepper.solver().velocity_change();
    if (m_history) {
      m_history->set(m_change_column, m_change);
      m_history->set(m_mass_column, m_stepper.mass_change());
    }
    if (std::isnan(m_change)) throw diverged(m_stepper.step());
    m_converged = m_tolerance > 0 && m_change < m_tolerance;
    if (!m_converged) return loop::Verdict::go_on;
    m_stepper.halt();
    return loop::Verdict::stop;
  }

  void save(io::StateWriter& out, const std::string& prefix) const override {
    out.put(prefix + "velocity_change", m_change);
    out.put(prefix + "converged", std::int64_t(m_converged));
  }
  void load(const io::StateReader& in, const std::string& prefix) override {
    m_change = in.get_double(prefix + "velocity_change");
    m_converged = in.get_int(prefix + "converged") != 0;
    if (m_converged) m_stepper.halt();
  }

  void summarize(io::Summary& sum) const override {
    spdlog::info("lbm: velocity change {:.3e}{}", m_change, m_converged ? " (converged)" : "");
    sum.set("convergence.velocity_change", m_change);
    sum.set("convergence.tolerance", m_tolerance);
    sum.set("convergence.converged", m_converged);
  }

 private:
  LbmStepper& m_stepper;
  loop::History* m_history = nullptr;  // the run's table, when it keeps one
  std::size_t m_change_column = 0, m_mass_column = 0;
  double m_tolerance;
  double m_change = 0;  // at the last check
  bool m_converged = false;
};

// The lattice's blocks on `ranks` MPI ranks, as the run logs them (Block.hpp).
std::string blocks_line(const LatticeConfig& l, int ranks) {
  return fmt::format("lbm: {} across {} MPI ranks", describe(block_of(l, 0, ranks)), ranks);
}

// The blocks of `ranks` (Kind::split): what `twinsim check --ranks N` prints.
std::string split(const io::Case& c, int ranks) {
  return blocks_line(lattice_of(c).config, ranks);
}

}  // namespace

loop::Run make_run(const loop::Setup& setup) {
  const io::Case& c = setup.case_file;
  const io::Section s = c.section("lbm");
  CaseLattice lattice = lattice_of(c, setup.backend);
  const LatticeConfig& l = lattice.config;
  const LatticeUnits& u = lattice.units;
  spdlog::info(
      "lbm: {} {} {}, {} x {} x {} cells, dx = {:.4g} m, dt = {:.4g} s, tau = {:.4f}, "
      "Mach {:.3f}, Re = {:.4g}, {} obstacle(s) with {} walls",
      to_string(l.lattice), to_string(l.collision), to_string(l.precision), l.cells[0], l.cells[1],
      l.cells[2], u.dx, u.dt, u.tau, u.mach, lattice.reynolds, lattice.obstacle_count,
      l.wall_fraction.empty() ? "staircase" : "interpolated");
  // Split across the MPI ranks (one rank: whole): Block.hpp.
  if (core::world().size() > 1)
    spdlog::info("{}", blocks_line(l, core::world().size()));
  else if (l.processors != std::array<int, 3>{0, 0, 0})
    spdlog::warn("lbm.processors asks for {} x {} x {} blocks; this run has one rank: the "
                 "lattice is whole", l.processors[0], l.processors[1], l.processors[2]);
  std::unique_ptr<Solver> solver = make_solver(setup.backend, l, core::world());
  const bool sampled = lattice.obstacle_count > 0 || !lattice.probes.empty();

  loop::Run run;
  // A restart appends to the run's file, cut back to the frames it had at the checkpoint. Rank 0
  // alone writes it.
  if (core::world().root()) run.output = setup.open_output(k_units);
  auto stepper = std::make_unique<LbmStepper>(std::move(solver), std::move(lattice),
                                              s.get_int("steps"), s.get_float("inflow_ramp"));
  auto fields =
      std::make_unique<FieldWriter>(*stepper, run.output.get(), setup.xmf(), setup.restart != nullptr);
  // At a step where several fall, forces first, then the check, then the frame. Each fires at
  // step 0 of a fresh run (the check takes its reference velocity there) and the writers also
  // at the end and at a failure (a last frame of the state that failed).
  if (sampled) {
    const std::int64_t every = c.get_int("lbm.forces.every");
    run.add(std::make_unique<ForceSampler>(*stepper, run.output.get(), every),
            loop::Trigger::every(every).from_start().at_run_end().on_failure());
  }
  run.add(std::make_unique<ConvergenceCheck>(*stepper, s.get_float("tolerance")),
          loop::Trigger::every(s.get_int("check_every")).from_start());
  const std::int64_t output_every = s.get_int("output_every");
  run.add(std::move(fields),
          output_every > 0
              ? loop::Trigger::every(output_every).from_start().at_run_end().on_failure()
              : loop::Trigger::end().on_failure());
  run.stepper = std::move(stepper);
  return run;
}

const loop::Kind& kind() {
  static const loop::Kind k{"lbm",
                            "lattice Boltzmann flow (D2Q9 or D3Q19, BGK/TRT): cavities, channels, "
                            "obstacles, walls, body force",
                            add_schema,
                            make_run,
                            check,
                            plan,
                            "solver",
                            nullptr,
                            /*splits_across_ranks=*/true,
                            /*restarts_on_other_ranks=*/true,
                            split};
  return k;
}

}  // namespace twinsim::lbm
