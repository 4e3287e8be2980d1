// `spectral3d`: one 3D flow (Taylor-Green Re = 1600, ABC, a frame of an earlier run) as a run of
// the loop library. The solver is the stepper; the diagnostics records (E, Z, dissipation
// 2 nu Z, divergence, E(k), the last step) and the velocity frames are operations fired at every
// record: every steps_per_record steps with a fixed dt, every diagnostics interval of simulated
// time with an adaptive one (cfl > 0), which the solver lands on exactly. The summary's
// dissipation peak is computed from the records' history (peak_of, Analysis.hpp).
//
// Across MPI ranks (core::world()) the grid is split in slabs (Velocity3D.hpp): every rank steps
// its part and computes the records' figures with the others (reductions); rank 0 alone writes
// the file, the velocity frames gathered to it plane by plane (Comm::gather: rank 0 holds the
// whole field once per frame, as the writer needs it anyway). Each rank checkpoints its modes.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <filesystem>
#include <memory>
#include <optional>

#include "run_outputs.hpp"
#include "twinsim/core/Comm.hpp"
#include "twinsim/core/Timers.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/io/RunDirectory.hpp"
#include "twinsim/io/Xdmf.hpp"
#include "twinsim/spectral/Analysis.hpp"
#include "twinsim/spectral/Case.hpp"
#include "twinsim/spectral/Run.hpp"

namespace twinsim::spectral {

namespace {

constexpr const char* k_units = "case units: lengths in the unit of l, time in the unit of dt";

// The solver as the loop's stepper: fixed steps up to records * steps_per_record, or adaptive
// steps that land on `until` (the next record) and end on the last record's time.
template <class Real>
class Flow3D : public loop::Stepper {
 public:
  Flow3D(std::unique_ptr<Velocity3D<Real>> solver, const Settings3D& s)
      : m_solver(std::move(solver)), m_s(s) {
    // The last record's time as the loop's time trigger reaches it: each record lands exactly
    // on its time and the next is that time + interval, so the interval added `records` times
    // to 0 (records * interval may differ in the last bit).
    for (std::int64_t r = 0; r < s.records; ++r) m_end_time += s.interval;
  }

  Velocity3D<Real>& solver() const { return *m_solver; }

  std::int64_t step() const override { return m_step; }
  double time() const override { return m_solver->time(); }
  bool finished() const override {
    return adaptive() ? time() >= m_end_time : m_step >= m_s.records * m_s.steps_per_record;
  }
  void advance(std::int64_t steps, double until) override {
    if (adaptive()) {
      m_step += m_solver->advance_cfl_to(std::min(until, m_end_time), m_s.cfl, steps);
      return;
    }
    const std::int64_t n = std::min({steps, m_s.records * m_s.steps_per_record - m_step,
                                     loop::steps_until(time(), until, m_s.solver.dt)});
    m_solver->advance(n);
    m_step += n;
  }
  // In records: adaptive runs do not know their step count in advance.
  loop::Position position() const override {
    return {std::int64_t(time() / m_s.interval * (1 + 1e-12)), m_s.records, "records"};
  }

  void save(io::StateWriter& out) const override {
    save_state(m_solver->state(), out, "solver");
    out.put("flow/step", m_step);
  }
  // The divergence check on the device: the kinetic energy sums |u_k|^2 over every mode (a NaN
  // or infinity in any makes it non-finite), one number per sample read back.
  bool non_finite() const override {
    const std::vector<double> e = m_solver->kinetic_energy();
    return !std::all_of(e.begin(), e.end(), [](double x) { return std::isfinite(x); });
  }
  // On another rank count than the checkpoint's (in.parts(): every writer's file), this rank's
  // modes come from the slabs that held them; the clock from rank 0's file (every rank's is the
  // same).
  void load(const io::StateReader& in) override {
    if (in.parts().empty()) {
      m_solver->set_state(load_state<Real>(in, "solver"));
    } else {
      SpectralState<Real> state = m_solver->state();
      const SpectralState<Real> clock = load_clock<Real>(in, "solver");
      state.time = clock.time;
      state.last_dt = clock.last_dt;
      state.anchor = clock.anchor;
      state.steps = clock.steps;
      const Velocity3DConfig& c = m_solver->config();
      const int old_ranks = int(in.parts().size());
      io::split_again(
          in.parts(), "solver/modes", 3 * c.batch,
          [&](int r) { return mode_block(core::slab_layout(c.nz, c.ny, c.nx, r, old_ranks)); },
          mode_block(m_solver->layout()),
          reinterpret_cast<std::complex<Real>*>(state.modes.data()));
      m_solver->set_state(state);
    }
    m_step = in.get_int("flow/step");
  }

  void summarize(io::Summary& sum, const core::Timers& timers) const override {
    const double seconds = timers.seconds("advance");
    const double per_step = m_step > 0 ? seconds / double(m_step) : 0.0;
    sum.set("grid.n", m_s.solver.nx);
    sum.set("kinetic_energy.final", m_solver->kinetic_energy()[0]);
    sum.set("steps.total", m_step);
    if (adaptive()) sum.set("time_step.cfl", m_s.cfl);
    sum.set("timing.solver_s", seconds);
    sum.set("timing.step_s", per_step);
    spdlog::info("{} steps, {:.3g} ms per step", m_step, 1e3 * per_step);
  }

 private:
  bool adaptive() const { return m_s.cfl > 0; }

  // The modes a rank holds, as a block of the global [kx][y][z] box (axis 0 kx): one rank
  // stores [z][y][kx], P > 1 ranks their rows of y as [y][kx][z] (core::SlabLayout).
  static io::Block3 mode_block(const core::SlabLayout& l) {
    io::Block3 b;
    b.begin = {0, l.y0, 0};
    b.end = {l.nkx(), l.y0 + l.rows, l.nz};
    b.stored = {l.nkx(), l.rows, l.nz};
    if (l.transposed) b.order = {2, 0, 1};
    return b;
  }

  std::unique_ptr<Velocity3D<Real>> m_solver;
  Settings3D m_s;
  std::int64_t m_step = 0;  // steps since t = 0
  double m_end_time = 0;    // adaptive: the last record's time
};

// A diagnostics record: E, Z, dissipation 2 nu Z, the last step and E(k) as rows of
// /kinetic_energy, /enstrophy, /dissipation, /time_step [record, 1] and /energy_spectrum
// [record, shell]; the history the summary's figures come from.
template <class Real>
class Records : public loop::Operation {
 public:
  // file: the output (rank 0), or null (the other ranks: they only take part in the figures).
  Records(const Flow3D<Real>& flow, io::H5File* file, const Settings3D& s, bool restarted)
      : m_flow(flow), m_nu(s.solver.nu), m_adaptive(s.cfl > 0) {
    m_dt_min = s.solver.dt;
    if (file) m_series.emplace(*file, std::uint64_t(flow.solver().spectrum_shells()));
    if (file && !restarted) {
      detail::describe_energy_spectrum(*file, std::uint64_t(flow.solver().spectrum_shells()),
                                       flow.solver().spectrum_shell_width(), "");
      file->set_attribute("/time_step", "definition",
                         std::string("the last step before each record (fixed runs: dt)"));
    }
  }

  std::string name() const override { return "records"; }

  void use_history(loop::History& history) override {
    if (!m_series) return;
    history.time_unit("time");
    m_history = &history;
    m_first_column = history.column("kinetic_energy", "length^2/time^2");
    history.column("enstrophy", "1/time^2");
    history.column("dissipation", "length^2/time^3");
    history.column("time_step", "time");
  }

  loop::Verdict fire() override {
    Velocity3D<Real>& solver = m_flow.solver();
    const std::int64_t step = m_flow.step();
    const double t = solver.time();
    const double e = solver.kinetic_energy()[0], z = solver.enstrophy()[0];
    const double eps = 2 * m_nu * z, dt = solver.last_dt();
    const std::vector<double> spectrum = solver.energy_spectrum();
    if (m_series) {
      m_series->energy.append(&e, step, t);
      m_series->enstrophy.append(&z, step, t);
      m_series->dissipation.append(&eps, step, t);
      m_series->time_step.append(&dt, step, t);
      m_series->spectrum.append(spectrum.data(), step, t);
    }
    if (m_history) {
      const double values[] = {e, z, eps, dt};
      for (std::size_t c = 0; c < 4; ++c) m_history->set(m_first_column + c, values[c]);
    }
    m_worst_divergence = std::max(m_worst_divergence, solver.relative_divergence()[0]);
    if (m_eps.empty()) m_e0 = e;
    if (!m_eps.empty() && m_adaptive) {
      m_dt_min = std::min(m_dt_min, dt);
      m_dt_max = std::max(m_dt_max, dt);
    }
    m_eps.push_back(eps);
    m_t.push_back(t);
    return loop::Verdict::go_on;
  }

  void save(io::StateWriter& w, const std::string& prefix) const override {
    w.put(prefix + "dissipation", m_eps);
    w.put(prefix + "time", m_t);
    w.put(prefix + "initial_energy", m_e0);
    w.put(prefix + "worst_divergence", m_worst_divergence);
    w.put(prefix + "dt_min", m_dt_min);
    w.put(prefix + "dt_max", m_dt_max);
  }
  void load(const io::StateReader& r, const std::string& prefix) override {
    m_eps = r.get<double>(prefix + "dissipation");
    m_t = r.get<double>(prefix + "time");
    m_e0 = r.get_double(prefix + "initial_energy");
    m_worst_divergence = r.get_double(prefix + "worst_divergence");
    m_dt_min = r.get_double(prefix + "dt_min");
    m_dt_max = r.get_double(prefix + "dt_max");
  }

  void summarize(io::Summary& sum) const override {
    const Peak peak = peak_of(m_t, m_eps);
    sum.set("kinetic_energy.initial", m_e0);
    sum.set("dissipation.peak", peak.value);
    sum.set("dissipation.t_peak", peak.time);
    // The peak between records: the parabola through the largest record and its neighbours.
    sum.set("dissipation.peak_interpolated", peak.value_interpolated);
    sum.set("dissipation.t_peak_interpolated", peak.time_interpolated);
    sum.set("divergence.max_relative", m_worst_divergence);
    if (m_adaptive) {
      sum.set("time_step.min", m_dt_min);  // over the last step before each record
      sum.set("time_step.max", m_dt_max);
    }
    spdlog::info("peak dissipation {:.6f} at t = {:.3g}; max relative divergence {:.2e}",
                 peak.value, peak.time, m_worst_divergence);
  }

 private:
  struct Series {
    Series(io::H5File& file, std::uint64_t shells)
        : energy(file, "/kinetic_energy", {{1}, io::DType::f64, "length^2/time^2", "time"}),
          enstrophy(file, "/enstrophy", {{1}, io::DType::f64, "1/time^2", "time"}),
          dissipation(file, "/dissipation", {{1}, io::DType::f64, "length^2/time^3", "time"}),
          // E(k) at every record: [record][shell], shell s at |k| = s dk (energy per shell).
          spectrum(file, "/energy_spectrum", {{shells}, io::DType::f64, "length^2/time^2", "time"}),
          time_step(file, "/time_step", {{1}, io::DType::f64, "time", "time"}) {}
    io::TimeSeries energy, enstrophy, dissipation, spectrum, time_step;
  };

  const Flow3D<Real>& m_flow;
  std::optional<Series> m_series;      // rank 0's output
  loop::History* m_history = nullptr;  // the run's table, when it keeps one (rank 0)
  std::size_t m_first_column = 0;      // of kinetic_energy; the others follow
  double m_nu;      // viscosity [length^2/time]
  bool m_adaptive;  // cfl > 0: the extremes of the last step are figures
  std::vector<double> m_eps, m_t;  // dissipation at each record, and its time
  double m_e0 = 0, m_worst_divergence = 0, m_dt_min = 0, m_dt_max = 0;
};

// The velocity field at records 0, every snapshot_every-th and the last (/fields/velocity,
// [time][z][y][x][3]) with the XDMF sidecar. Fired at every record, as Records is: the frames
// are chosen by the record's index. On several ranks each frame is gathered to rank 0, which
// alone has the file (the others pass null).
template <class Real>
class VelocityFrames : public loop::Operation {
 public:
  VelocityFrames(const Flow3D<Real>& flow, io::H5File* file, const std::filesystem::path& xmf,
                 const Settings3D& s, bool restarted)
      : m_flow(flow),
        m_n(std::uint64_t(s.solver.nx)),
        m_records(s.records),
        m_every(s.snapshot_every),
        m_mesh{{m_n, m_n, m_n},
               {0, 0, 0},
               {s.solver.lx / double(m_n), s.solver.lx / double(m_n), s.solver.lx / double(m_n)}} {
    if (!file) return;
    m_velocity.emplace(*file, "velocity", std::vector<std::uint64_t>{m_n, m_n, m_n}, 3,
                       detail::k_field_type<Real>, "length/time", "time");
    m_xdmf.emplace(io::XdmfWriter::for_run(xmf, file->path(), restarted, m_velocity->frames()));
  }

  std::string name() const override { return "velocity"; }

  loop::Verdict fire() override {
    const std::int64_t r = m_record++;
    if (!(r == 0 || r == m_records || (m_every > 0 && r % m_every == 0)))
      return loop::Verdict::go_on;
    Velocity3D<Real>& solver = m_flow.solver();
    const double t = solver.time();
    const std::vector<Real> planar = gather_velocity(solver);  // [c][z][y][x] on rank 0
    if (!m_velocity) return loop::Verdict::go_on;
    const std::size_t points = std::size_t(m_n * m_n * m_n);
    std::vector<Real> interleaved(3 * points);  // [z][y][x][c], what viewers read as a vector
    for (std::size_t i = 0; i < points; ++i)
      for (int k = 0; k < 3; ++k) interleaved[3 * i + k] = planar[k * points + i];
    m_xdmf->add_step(t, m_mesh,
                     {{"velocity", m_velocity->append(interleaved.data(), m_flow.step(), t)}});
    return loop::Verdict::go_on;
  }

  void save(io::StateWriter& w, const std::string& prefix) const override {
    w.put(prefix + "record", m_record);
  }
  void load(const io::StateReader& r, const std::string& prefix) override {
    m_record = r.get_int(prefix + "record");
  }

 private:
  const Flow3D<Real>& m_flow;
  std::uint64_t m_n;
  std::int64_t m_records, m_every;
  std::int64_t m_record = 0;  // the index of the next record
  io::CoRectMesh m_mesh;
  std::optional<io::FieldSeries> m_velocity;  // rank 0
  std::optional<io::XdmfWriter> m_xdmf;
};

template <class Real>
loop::Run make_flow(const loop::Setup& setup, const Settings3D& s) {
  auto solver = make_velocity3d<Real>(setup.backend, s.solver, core::world());
  // A restart loads the state from the checkpoint (Flow3D::load).
  if (!setup.restart) {
    if (s.initial == "file")
      solver->set_velocity(initial_velocity_from_file<Real>(s));
    else
      solver->set_initial(s.initial == "abc" ? Initial3D::abc : Initial3D::taylor_green, s.v0);
  }
  loop::Run run;
  if (core::world().root()) run.output = setup.open_output(k_units);
  auto flow = std::make_unique<Flow3D<Real>>(std::move(solver), s);
  const bool restarted = setup.restart != nullptr;
  // Fixed dt: the record steps exactly; adaptive: simulated time, landed on exactly.
  const loop::Trigger every_record =
      s.cfl > 0 ? loop::Trigger::every_time_interval(s.interval).from_start()
                : loop::Trigger::every(s.steps_per_record).from_start();
  run.add(std::make_unique<Records<Real>>(*flow, run.output.get(), s, restarted), every_record);
  run.add(std::make_unique<VelocityFrames<Real>>(*flow, run.output.get(), setup.xmf(), s,
                                                 restarted),
          every_record);
  run.stepper = std::move(flow);
  return run;
}

}  // namespace

loop::Run make_run_3d(const loop::Setup& setup) {
  const Settings3D s = settings_3d(setup.case_file);
  return s.precision == "float32" ? make_flow<float>(setup, s) : make_flow<double>(setup, s);
}

const loop::Kind& kind_3d() {
  static const loop::Kind k{"spectral3d",
                            "3D pseudo-spectral Navier-Stokes (velocity form): Taylor-Green, "
                            "ABC; energy, enstrophy, dissipation history",
                            add_schema_3d,
                            make_run_3d,
                            check_3d,
                            plan_3d,
                            "solver",
                            nullptr,
                            /*splits_across_ranks=*/true,
                            /*restarts_on_other_ranks=*/true};
  return k;
}

}  // namespace twinsim::spectral
