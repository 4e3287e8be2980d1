// The 1D heat equation as a run: the FTCS solver steps; temperature frames (a 1D field with its
// XDMF sidecar) and the diagnostics (heat content; for a sine start, the error against the exact
// decaying mode) are operations of the loop. Checkpoints, --restart, signals, progress, timers,
// the preflight and summary.json come from the loop library.
#include "twinsim/heat/Run.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "twinsim/core/Timers.hpp"
#include "twinsim/heat/Case.hpp"
#include "twinsim/heat/kernels/heat_kernel.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/io/RunDirectory.hpp"
#include "twinsim/io/Xdmf.hpp"

namespace twinsim::heat {

namespace {

constexpr const char* k_units =
    "SI: x and length in m, time in s, temperature in K, alpha in m^2/s; heat content in K m "
    "(the integral of the temperature over the domain; times rho c_p for J per unit area)";

}  // namespace

HeatStepper::HeatStepper(std::unique_ptr<HeatSolver> solver, std::int64_t steps)
    : m_solver(std::move(solver)), m_steps(steps) {}

double HeatStepper::time() const { return double(step()) * m_solver->settings().dt; }

void HeatStepper::advance(std::int64_t steps, double until) {
  m_solver->run(std::min({steps, m_steps - step(),
                          loop::steps_until(time(), until, m_solver->settings().dt)}));
}

void HeatStepper::save(io::StateWriter& out) const {
  out.put("heat/step", m_solver->step());
  out.put("heat/temperature", m_solver->temperature());
}

void HeatStepper::load(const io::StateReader& in) {
  // get() throws, naming the checkpoint, when the row has another length than this case's.
  std::vector<double> u(std::size_t(m_solver->settings().cells));
  in.get("heat/temperature", u.data(), u.size());
  m_solver->set_state(in.get_int("heat/step"), u);
}

void HeatStepper::summarize(io::Summary& sum, const core::Timers& timers) const {
  const HeatSettings& s = m_solver->settings();
  const double seconds = timers.seconds("advance");
  const double rate = seconds > 0 ? double(s.cells) * double(step()) / seconds : 0.0;
  sum.set("units", k_units);
  sum.set("cells", s.cells);
  sum.set("dx_m", s.dx());
  sum.set("dt_s", s.dt);
  sum.set("r", s.r());
  sum.set("steps", step());
  sum.set("time_s", time());
  sum.set("timing.heat_s", seconds);
  sum.set("timing.cell_steps_per_s", rate);
}

namespace {

// The temperature at /fields/temperature, [t][1][1][n] (a 1D field as a one-point-thick 3D
// grid, the form ParaView's XDMF readers take), with the XDMF sidecar. On a restart the series
// reopens where the checkpoint left it and the sidecar keeps as many steps.
class TemperatureFrames : public loop::Operation {
 public:
  TemperatureFrames(const HeatStepper& stepper, io::H5File& file,
                    const std::filesystem::path& xmf, bool restarted)
      : m_stepper(stepper),
        m_series(file, "temperature", grid_of(stepper), 1, io::DType::f64, "K", "s"),
        m_xdmf(io::XdmfWriter::for_run(xmf, file.path(), restarted, m_series.frames())),
        m_mesh(mesh_of(stepper)) {}

  std::string name() const override { return "temperature"; }

  loop::Verdict fire() override {
    const std::vector<double> u = m_stepper.solver().temperature();
    const double t = m_stepper.time();
    m_xdmf.add_step(t, m_mesh,
                    {{"temperature", m_series.append(u.data(), m_stepper.step(), t)}});
    return loop::Verdict::go_on;
  }

 private:
  static io::Shape grid_of(const HeatStepper& stepper) {
    return {1, 1, std::uint64_t(stepper.solver().settings().cells)};
  }
  // Values sit at the cell centres: the mesh's points are the centres, half a cell in.
  static io::CoRectMesh mesh_of(const HeatStepper& stepper) {
    const double dx = stepper.solver().settings().dx();
    return {{1, 1, std::uint64_t(stepper.solver().settings().cells)}, {0.0, 0.0, 0.5 * dx},
            {dx, dx, dx}};
  }

  const HeatStepper& m_stepper;
  io::FieldSeries m_series;
  io::XdmfWriter m_xdmf;
  io::CoRectMesh m_mesh;
};

// The projection of the row (less the background) on sin(k x_i), K.
double sine_amplitude(const std::vector<double>& u, const HeatSettings& s, const Profile& p) {
  Profile unit = p;
  unit.amplitude = 1.0;
  unit.background = 0.0;
  const std::vector<double> mode = sample(s, unit);
  double along = 0, norm = 0;
  for (std::size_t i = 0; i < u.size(); ++i) {
    along += (u[i] - p.background) * mode[i];
    norm += mode[i] * mode[i];
  }
  return along / norm;
}

// The heat content (conserved by FTCS), logged as the run goes and compared with the start's at
// the end; for a sine start also the relative L2 error against the exact decaying mode, with
// the continuous decay exp(-alpha k^2 t) and with FTCS's own factor per step.
class Diagnostics : public loop::Operation {
 public:
  Diagnostics(const HeatStepper& stepper, const Profile& profile)
      : m_stepper(stepper), m_profile(profile) {}

  std::string name() const override { return "diagnostics"; }

  void use_history(loop::History& history) override {
    history.time_unit("s");
    m_history = &history;
    m_heat_column = history.column("heat_content", "K m");
    if (is_sine()) m_error_column = history.column("sine_l2_error");
  }

  loop::Verdict fire() override {
    const HeatSolver& solver = m_stepper.solver();
    const double q = solver.heat_content();
    if (!m_have_start) {
      // The start's integral of |u|: the scale of the heat content's change, which for a sine
      // on no background is itself zero.
      double scale = 0;
      for (double u : solver.temperature()) scale += std::abs(u);
      m_start = q;
      m_scale = scale * solver.settings().dx();
      m_have_start = true;
    }
    if (m_history) {
      m_history->set(m_heat_column, q);
      if (is_sine()) m_history->set(m_error_column, sine_error(false));
    }
    if (is_sine())
      spdlog::info("step {:>8}  t {:<10.6g} s  heat content {:.15g} K m  sine L2 error {:.3e}",
                   m_stepper.step(), m_stepper.time(), q, sine_error(false));
    else
      spdlog::info("step {:>8}  t {:<10.6g} s  heat content {:.15g} K m", m_stepper.step(),
                   m_stepper.time(), q);
    return loop::Verdict::go_on;
  }

  void save(io::StateWriter& out, const std::string& prefix) const override {
    out.put(prefix + "start_heat_content", m_start);
    out.put(prefix + "start_abs_heat", m_scale);
  }
  void load(const io::StateReader& in, const std::string& prefix) override {
    m_start = in.get_double(prefix + "start_heat_content");
    m_scale = in.get_double(prefix + "start_abs_heat");
    m_have_start = true;
  }

  void summarize(io::Summary& sum) const override {
    if (!m_have_start) return;
    const HeatSolver& solver = m_stepper.solver();
    const double q = solver.heat_content();
    sum.set("heat_content.initial", m_start);
    sum.set("heat_content.final", q);
    // Relative to the start's integral of |u|, so that a zero heat content has a scale.
    sum.set("heat_content.relative_change", m_scale > 0 ? (q - m_start) / m_scale : 0.0);
    if (!is_sine()) {
      const std::vector<double> u = solver.temperature();
      sum.set("temperature.max", *std::max_element(u.begin(), u.end()));
      return;
    }
    const HeatSettings& s = solver.settings();
    const std::int64_t steps = solver.step();
    const double k = m_profile.wavenumber(s);
    sum.set("sine.k_per_m", k);
    sum.set("sine.l2_error", sine_error(false));
    sum.set("sine.l2_error_discrete", sine_error(true));
    sum.set("sine.amplitude_factor.measured",
            sine_amplitude(solver.temperature(), s, m_profile) / m_profile.amplitude);
    sum.set("sine.amplitude_factor.exact", std::exp(-s.alpha * k * k * m_stepper.time()));
    sum.set("sine.amplitude_factor.discrete",
            std::pow(ftcs_amplification(s.r(), k * s.dx()), double(steps)));
  }

 private:
  bool is_sine() const { return m_profile.shape == Profile::Shape::sine; }
  // Relative L2 error of the row against the exact sine solution: the heat equation's
  // (discrete = false) or FTCS's (true; round-off).
  double sine_error(bool discrete) const {
    const HeatSolver& solver = m_stepper.solver();
    return relative_l2_error(
        solver.temperature(),
        sine_solution(solver.settings(), m_profile, solver.step(), discrete),
        m_profile.background);
  }

  const HeatStepper& m_stepper;
  Profile m_profile;
  double m_start = 0;  // heat content at step 0, K m
  double m_scale = 0;  // integral of |u| at step 0, K m
  bool m_have_start = false;
  loop::History* m_history = nullptr;  // the run's table, when it keeps one
  std::size_t m_heat_column = 0, m_error_column = 0;
};

}  // namespace

loop::Run make_run(const loop::Setup& setup) {
  const Start start = start_of(setup.case_file);
  const HeatSettings& s = start.settings;
  loop::Run run;
  run.output = setup.open_output(k_units);
  auto stepper = std::make_unique<HeatStepper>(
      make_heat_solver(setup.backend, s, sample(s, start.profile)), start.steps);
  spdlog::info("heat1d: {} cells of {:.6g} m, alpha {} m^2/s, dt {} s (r = alpha dt / dx^2 = "
               "{:.4g}), {} steps to t = {:.6g} s",
               s.cells, s.dx(), s.alpha, s.dt, s.r(), start.steps,
               double(start.steps) * s.dt);

  // Diagnostics before the frame of the same step: its log line comes first.
  const loop::Trigger every = loop::Trigger::every(start.output_every).from_start().at_run_end();
  run.add(std::make_unique<Diagnostics>(*stepper, start.profile), every);
  if (start.output_every > 0)
    run.add(std::make_unique<TemperatureFrames>(*stepper, *run.output, setup.xmf(),
                                                setup.restart != nullptr),
            every);
  run.stepper = std::move(stepper);
  return run;
}

const loop::Kind& kind() {
  static const loop::Kind k{"heat1d",
                            "1D heat equation on a periodic domain, explicit FTCS (the "
                            "worked example of docs/adding-a-solver.md)",
                            add_schema, make_run, check, plan};
  return k;
}

}  // namespace twinsim::heat
