// `spectral`: the batched 2D dataset generator as a run of the loop library. Samples are
// advanced B at a time (batched FFTs) and each sample's vorticity trajectory, stored on a coarser
// grid by spectral truncation if asked, becomes one row of the dataset /vorticity/value
// [sample][time][y][x]. A run holds the sample range [first_sample, first_sample + samples), so
// Slurm array tasks each write a shard of one dataset; every sample's seed is recorded, so any
// row can be redone. Alongside it: per-sample energy, enstrophy and energy spectrum E(k) at
// every snapshot (added datasets; the trajectory layout is what the surrogates read).
//
// Each batch has its own clock (t = 0 at its start), so the snapshots are not triggers of the
// loop (its time triggers assume one clock): the Generator stepper runs the ensemble batch after
// batch, records a batch's snapshots when it reaches them (fixed steps: every
// steps_per_snapshot; adaptive steps: landing on each snapshot time exactly, as
// advance_cfl_to does) and appends its samples once it has recorded every snapshot. The loop
// owns checkpoints, stop signals, progress and timers; where its chunks end changes nothing.
//
// Across MPI ranks (core::world()) the batches are dealt out in rounds (loop::Rounds): in a
// round of P ranks, rank r runs the batch that one rank would run P * round + r-th, all in step
// (fixed steps: every batch takes the same steps; a rank without a batch in the last round
// counts them idle), and at the round's end rank 0 gathers the batches' records and appends them
// in sample order. Each batch holds the same samples as on one rank, so the dataset is bit for
// bit the same. A restart on another rank count deals the round in flight out again, in
// contiguous parts of its samples, and the rounds after it as usual: bit for bit on the CPU,
// where a sample's transforms do not depend on its batch-mates.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <filesystem>
#include <memory>
#include <numeric>
#include <optional>

#include "run_outputs.hpp"
#include "twinsim/core/BackendArray.hpp"
#include "twinsim/core/Comm.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/Timers.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/io/RunDirectory.hpp"
#include "twinsim/io/Xdmf.hpp"
#include "twinsim/loop/Rounds.hpp"
#include "twinsim/spectral/Analysis.hpp"
#include "twinsim/spectral/Case.hpp"
#include "twinsim/spectral/Run.hpp"
#include "twinsim/spectral/kernels/energy_spectrum_kernel.hpp"

namespace twinsim::spectral {

namespace {

constexpr const char* k_units = "case units: lengths in the unit of lx, time in the unit of dt";

// The settings as attributes of the dataset: what a reader needs to interpret or redo it.
void describe_dataset(io::H5File& file, const std::string& path, const Settings2D& s) {
  const Vorticity2DConfig& c = s.solver;
  std::vector<std::int64_t> seeds(s.samples);
  std::iota(seeds.begin(), seeds.end(), s.seed + s.first);
  const std::vector<std::pair<std::string, io::AttributeValue>> attributes = {
      {"axes", std::string("sample time y x")},
      {"equation", std::string("dw/dt + u.grad w = nu lap w + f, -lap psi = w, u = dpsi/dy, "
                               "v = -dpsi/dx; periodic box")},
      {"grid", std::vector<std::int64_t>{c.ny, c.nx}},
      {"stored_grid", std::vector<std::int64_t>{s.stored_ny, s.stored_nx}},
      {"downsampling", std::string("spectral truncation, Nyquist modes zero")},
      {"box", std::vector<double>{c.ly, c.lx}},
      {"nu", c.nu},
      {"dt", c.dt},
      {"scheme", std::string(to_string(c.scheme))},
      {"dealiasing", std::string("2/3 rule, |k_i| <= n_i / 3")},
      {"precision", s.precision},
      {"forcing", std::string(to_string(c.forcing.kind))},
      {"forcing_amplitude", c.forcing.amplitude},
      {"forcing_wavenumber", std::int64_t(c.forcing.wavenumber)},
      {"initial", std::string(s.from_file ? "file"
                              : s.random  ? "random"
                                          : "taylor_green")},
      {"cfl", s.cfl},
      {"time_step", std::string(s.cfl > 0 ? "adaptive: dt = min(dt, cfl * min_i (h_i / "
                                            "max|u_i|)) over the batch, /steps counts them"
                                          : "fixed dt")},
      {"random_field", std::string("covariance sigma^2 (-lap + tau^2)^(-alpha), Philox4x32-10 "
                                   "(seed, stream 0)")},
      {"alpha", s.field.alpha},
      {"tau", s.field.tau},
      {"sigma", s.field.sigma},
      {"taylor_green_u0", s.u0},
      {"taylor_green_mode", std::int64_t(s.mode)},
      {"first_sample", s.first},
      {"samples", s.samples},
      {"seeds", seeds},
  };
  for (const auto& [name, value] : attributes) file.set_attribute(path, name, value);
  if (s.from_file) {
    file.set_attribute(path, "initial_file", s.initial_file);
    file.set_attribute(path, "initial_dataset", s.initial_dataset);
    file.set_attribute(path, "initial_sample", s.initial_sample);
    file.set_attribute(path, "initial_frame", s.initial_frame);
  }
}

// What a batch has recorded, host memory; appended to the file when the batch ends, so the file
// never holds part of a sample. A checkpoint holds the frames recorded so far. The vorticity is
// the file's: with an in-situ trainer and samples.write = false it stays unset (the frames are
// in the backend record, Generator::m_device).
template <class Real>
struct BatchRecord {
  int batch = 0;
  std::uint64_t frames = 0, plane = 0, shells = 0;
  std::vector<Real> vorticity;            // [b][time][y][x] (stored grid)
  std::vector<double> energy, enstrophy;  // [b][time]
  std::vector<double> spectrum;           // [b][time][shell]
  std::vector<std::int64_t> steps;        // [time] steps from t = 0, the same for the batch

  BatchRecord(int b, std::uint64_t f, std::uint64_t p, std::uint64_t s)
      : batch(b),
        frames(f),
        plane(p),
        shells(s),
        vorticity(b * f * p),
        energy(b * f),
        enstrophy(b * f),
        spectrum(b * f * s),
        steps(f, 0) {}

  // What rank 0 appends for another rank's batch: its gathered arrays.
  BatchRecord(std::uint64_t f, std::uint64_t p, std::uint64_t s, std::vector<Real> w,
              std::vector<double> e, std::vector<double> z, std::vector<double> spec,
              std::vector<std::int64_t> st)
      : batch(int(e.size() / f)),
        frames(f),
        plane(p),
        shells(s),
        vorticity(std::move(w)),
        energy(std::move(e)),
        enstrophy(std::move(z)),
        spectrum(std::move(spec)),
        steps(std::move(st)) {}

  // The first `recorded` frames of each sample (the rest is not written yet).
  void save(io::StateWriter& w, std::uint64_t recorded) const {
    for (int b = 0; b < batch; ++b)
      w.put(fmt::format("batch/vorticity_{}", b), vorticity.data() + b * frames * plane,
            recorded * plane);
    w.put("batch/energy", energy);
    w.put("batch/enstrophy", enstrophy);
    w.put("batch/spectrum", spectrum);
    w.put("batch/steps", steps);
  }
  void load(const io::StateReader& r, std::uint64_t recorded) {
    for (int b = 0; b < batch; ++b)
      r.get(fmt::format("batch/vorticity_{}", b), vorticity.data() + b * frames * plane,
            recorded * plane);
    r.get("batch/energy", energy.data(), energy.size());
    r.get("batch/enstrophy", enstrophy.data(), enstrophy.size());
    r.get("batch/spectrum", spectrum.data(), spectrum.size());
    r.get("batch/steps", steps.data(), steps.size());
  }
};

// The shape of every sample's record, known to every rank (the file only to rank 0).
struct Layout {
  std::uint64_t frames, plane, shells;
  std::vector<double> times;  // of the snapshots [time] (fixed steps: k steps_per_snapshot dt)

  explicit Layout(const Settings2D& s)
      : frames(std::uint64_t(s.snapshots) + 1),
        plane(std::uint64_t(s.stored_nx) * std::uint64_t(s.stored_ny)),
        shells(std::uint64_t(spectrum_shells_2d(grid(s)))),
        times(frames) {
    for (std::uint64_t k = 0; k < frames; ++k)
      times[k] =
          s.cfl > 0 ? double(k) * s.interval : double(k * s.steps_per_snapshot) * s.solver.dt;
  }
  static Grid2D grid(const Settings2D& s) {
    const Vorticity2DConfig& c = s.solver;
    return {c.nx, c.ny, c.nx / 2 + 1, 2 * M_PI / c.lx, 2 * M_PI / c.ly};
  }
};

// The run's datasets in <name>.h5 and the first sample's frames as a field series for ParaView.
// On a restart the series reopen where the checkpoint left them (whole samples; the first
// sample's frames) and the sidecar keeps as many steps.
template <class Real>
class Dataset {
 public:
  Dataset(io::H5File& file, const Settings2D& s, const std::filesystem::path& xmf, bool restarted)
      : m_frames(Layout(s).frames),
        m_plane(Layout(s).plane),
        m_shells(Layout(s).shells),
        m_trajectories(file, "/vorticity",
                       {{m_frames, std::uint64_t(s.stored_ny), std::uint64_t(s.stored_nx)},
                        detail::k_field_type<Real>,
                        "1/time",
                        "time"}),
        m_energy(file, "/kinetic_energy", {{m_frames}, io::DType::f64, "length^2/time^2", "time"}),
        m_enstrophy(file, "/enstrophy", {{m_frames}, io::DType::f64, "1/time^2", "time"}),
        // E(k) of every sample at every snapshot, on the solver's grid (not the stored one):
        // rows [sample][time][shell] like /kinetic_energy, shell s at |k| = s dk.
        m_spectrum(file, "/energy_spectrum",
                   {{m_frames, m_shells}, io::DType::f64, "length^2/time^2", "time"}),
        // Steps taken from t = 0 to each snapshot (adaptive runs vary; fixed runs k * steps).
        m_step_counts(file, "/steps", {{m_frames}, io::DType::i64, "", "time"}),
        m_first(file, "vorticity_first_sample",
                {std::uint64_t(s.stored_ny), std::uint64_t(s.stored_nx)}, 1,
                detail::k_field_type<Real>, "1/time", "time"),
        m_mesh{{1, std::uint64_t(s.stored_ny), std::uint64_t(s.stored_nx)},
               {0, 0, 0},
               {s.solver.lx / double(s.stored_nx), s.solver.ly / double(s.stored_ny),
                s.solver.lx / double(s.stored_nx)}},
        m_first_sample(s.first) {
    m_times = Layout(s).times;
    if (!restarted) {
      describe_dataset(file, "/vorticity", s);
      const Grid2D grid = Layout::grid(s);
      detail::describe_energy_spectrum(file, m_shells, spectrum_dk(grid.kx0, grid.ky0),
                                       ", solver grid, every sample at every snapshot");
      file.set_attribute("/energy_spectrum", "axes", std::string("sample time shell"));
      file.write("/snapshot_time", m_times.data(), {m_frames});
    }
    m_xdmf.emplace(io::XdmfWriter::for_run(xmf, file.path(), restarted, m_first.frames()));
  }

  // Snapshot k of the run's first sample (stored grid, host), at `step` steps from t = 0.
  void add_first_sample_frame(const Real* h_w, std::uint64_t k, std::int64_t step) {
    m_xdmf->add_step(m_times[k], m_mesh, {{"vorticity", m_first.append(h_w, step, m_times[k])}});
  }

  // The batch's samples as rows of the datasets; `begin`: the run's index of its first.
  void append(const BatchRecord<Real>& r, std::int64_t begin) {
    const double end = m_times.back();
    for (int b = 0; b < r.batch; ++b) {
      const std::int64_t sample = m_first_sample + begin + b;
      m_trajectories.append(r.vorticity.data() + std::size_t(b) * m_frames * m_plane, sample, end);
      m_energy.append(r.energy.data() + b * m_frames, sample, end);
      m_enstrophy.append(r.enstrophy.data() + b * m_frames, sample, end);
      m_spectrum.append(r.spectrum.data() + std::size_t(b) * m_frames * m_shells, sample, end);
      m_step_counts.append(r.steps.data(), sample, end);
    }
  }

 private:
  std::uint64_t m_frames, m_plane, m_shells;
  io::TimeSeries m_trajectories, m_energy, m_enstrophy, m_spectrum, m_step_counts;
  io::FieldSeries m_first;
  io::CoRectMesh m_mesh;
  std::int64_t m_first_sample;
  std::vector<double> m_times;  // of the snapshots [time]
  std::optional<io::XdmfWriter> m_xdmf;
};

// Where the round's batch stands (the rounds themselves: loop::Rounds), and every figure
// summary.json is computed from; with the rounds, the solver's state and the batch's record,
// what a checkpoint holds.
struct GeneratorState {
  std::int64_t recorded = 0;     // snapshots the current batch has recorded
  double target = 0;             // adaptive steps: the time of the next snapshot
  std::int64_t total_steps = 0;  // steps of samples
  double dt_min = 0, dt_max = 0, tg_error = 0;
  // Per sample energy and enstrophy of the first and the last frame, summed in sample order.
  double e0 = 0, e1 = 0, z0 = 0, z1 = 0;

  template <class Self, class F>
  static void each(Self& s, F f) {
    f("recorded", s.recorded);
    f("target", s.target);
    f("total_steps", s.total_steps);
    f("dt_min", s.dt_min);
    f("dt_max", s.dt_max);
    f("tg_error", s.tg_error);
    f("e0", s.e0);
    f("e1", s.e1);
    f("z0", s.z0);
    f("z1", s.z1);
  }
  void save(io::StateWriter& w) const {
    each(*this,
         [&](const char* name, const auto& v) { w.put(std::string("generator/") + name, v); });
  }
  void load(const io::StateReader& r) {
    each(*this, [&](const char* name, auto& v) { r.get(std::string("generator/") + name, &v, 1); });
  }
};

// The ensemble, batch after batch, as the loop's stepper, in rounds (loop::Rounds: a round of P
// ranks holds P batches). step() counts batch steps over the whole run (a step of a batch of B
// samples is one step), time() is the current batch's clock. Initial fields need no
// random-number state in a checkpoint: a sample's field is a pure function of its seed.
template <class Real>
class Generator : public loop::Stepper, public loop::SampleSource, private loop::RoundWork {
 public:
  // dataset: rank 0's; null on the other ranks.
  Generator(core::Backend backend, Settings2D settings, std::unique_ptr<Dataset<Real>> dataset)
      : m_backend(backend),
        m_s(std::move(settings)),
        m_layout(m_s),
        m_out(std::move(dataset)),
        m_comm(core::world()),
        m_rounds(m_s.samples, m_s.solver.batch, 0,
                 {"generator/begin", "generator/batch_step", "generator/batch_steps",
                  "generator/round_samples", "generator/round_width", ""}),
        m_flow{m_s.solver.lx, m_s.solver.ly, m_s.solver.nu, m_s.u0, m_s.mode} {
    m_g.dt_min = m_s.solver.dt;
  }

  void set_sink(loop::SampleSink* sink, bool write) override {
    m_sink = sink;
    m_write = write;
  }

  std::int64_t step() const override { return m_rounds.steps(); }
  double time() const override { return m_solver ? m_solver->time() : 0.0; }
  bool finished() const override { return m_rounds.finished(); }

  // `until` is not used: the batches' clocks restart, so the loop is given no time triggers;
  // snapshots are reached by the generator itself.
  void advance(std::int64_t steps, double /*until*/) override { m_rounds.advance(steps, *this); }

  // In sample-snapshots: adaptive runs do not know their step count in advance.
  loop::Position position() const override {
    const std::int64_t total = m_s.samples * m_s.snapshots;
    return {m_rounds.member_units(m_s.snapshots, std::max<std::int64_t>(m_g.recorded - 1, 0)),
            total, "sample-snapshots"};
  }

  void save(io::StateWriter& out) const override {
    m_g.save(out);
    m_rounds.save(out);
    if (finished() || !m_solver) return;
    save_state(m_solver->state(), out, "solver");
    if (!m_device) {
      m_record->save(out, std::uint64_t(m_g.recorded));
      return;
    }
    // The frames the trainer's copy holds (the host record may hold none of them).
    BatchRecord<Real> r = *m_record;
    r.vorticity = m_device->to_host();
    r.save(out, std::uint64_t(m_g.recorded));
  }
  // The loop's check (at the end and before each checkpoint): one reduction over the batch on
  // the device. Each snapshot is checked as it is recorded (record_snapshot).
  bool non_finite() const override { return m_solver && m_solver->non_finite(); }
  std::string divergence_cause() const override {
    return "a time step spectral.dt too large for the flow's velocities (or set spectral.cfl), or "
           "a viscosity spectral.nu too small for the grid";
  }
  // On another rank count than the checkpoint's (in.parts(): every writer's file; the
  // generator's state from rank 0's, which every rank shares), the round in flight is dealt out
  // again: each rank's samples, their modes and records so far from the ranks that held them.
  void load(const io::StateReader& in) override {
    m_g.load(in);
    m_rounds.load(in);
    m_solver.reset();
    m_record.reset();
    if (finished() || m_rounds.held() == 0) return;
    make_batch();
    if (in.parts().empty()) {
      m_solver->set_state(load_state<Real>(in, "solver"));
      m_record->load(in, std::uint64_t(m_g.recorded));
    } else {
      load_dealt_out_again(in.parts());
    }
    if (m_device) m_device->from_host(m_record->vorticity);
  }

  // The round in flight from the writers' files on another rank count: this rank's samples of
  // it, their modes and records so far, from the ranks that held them.
  void load_dealt_out_again(const std::vector<const io::StateReader*>& parts) {
    // Rank r of the writers held the round's samples [first(r), first(r) + held(r)), counted
    // from the round's first: blocks of a [sample][values] array (io::split_again).
    const loop::Round old = m_rounds.written();
    const auto held = [&](std::int64_t first, std::int64_t count, int values) {
      io::Block3 b;
      b.begin = {0, int(first - old.begin), 0};
      b.end = {values, int(first - old.begin + count), 1};
      b.stored = {values, int(count), 1};
      return b;
    };
    const auto written = [&](int values) {
      return [&, values](int r) { return held(old.first(r), old.held(r), values); };
    };
    const std::int64_t first = m_rounds.first(), count = m_rounds.held();
    SpectralState<Real> state = load_clock<Real>(*parts[0], "solver");
    state.modes = m_solver->state().modes;
    const int modes = int(state.modes.size() / std::size_t(count));
    io::split_again(parts, "solver/modes", 1, written(modes), held(first, count, modes),
                    reinterpret_cast<std::complex<Real>*>(state.modes.data()));
    m_solver->set_state(state);
    BatchRecord<Real>& r = *m_record;
    const int frames = int(r.frames);
    io::split_again(parts, "batch/energy", 1, written(frames), held(first, count, frames),
                    r.energy.data());
    io::split_again(parts, "batch/enstrophy", 1, written(frames), held(first, count, frames),
                    r.enstrophy.data());
    const int spectrum = int(r.frames * r.shells);
    io::split_again(parts, "batch/spectrum", 1, written(spectrum), held(first, count, spectrum),
                    r.spectrum.data());
    parts[0]->get("batch/steps", r.steps.data(), r.steps.size());
    for (std::int64_t b = 0; b < count; ++b) {
      const std::int64_t sample = first + b;
      parts[std::size_t(old.holder(sample))]->get(
          fmt::format("batch/vorticity_{}", old.slot(sample)),
          r.vorticity.data() + b * r.frames * r.plane, std::uint64_t(m_g.recorded) * r.plane);
    }
  }

  // timing.solver_s: the loop's "advance" phase, the recording of snapshots and the appends to
  // the file included.
  void summarize(io::Summary& sum, const core::Timers& timers) const override {
    const Vorticity2DConfig& c = m_s.solver;
    const double n = double(m_s.samples);
    const double seconds = timers.seconds("advance");
    sum.set("grid.nx", c.nx);
    sum.set("grid.ny", c.ny);
    sum.set("stored_grid.nx", m_s.stored_nx);
    sum.set("stored_grid.ny", m_s.stored_ny);
    sum.set("scheme", std::string(to_string(c.scheme)));
    sum.set("precision", m_s.precision);
    sum.set("samples.first", m_s.first);
    sum.set("samples.count", m_s.samples);
    sum.set("samples.batch", c.batch);
    sum.set("frames", std::int64_t(m_layout.frames));
    sum.set("kinetic_energy.initial_mean", m_g.e0 / n);
    sum.set("kinetic_energy.final_mean", m_g.e1 / n);
    sum.set("enstrophy.initial_mean", m_g.z0 / n);
    sum.set("enstrophy.final_mean", m_g.z1 / n);
    sum.set("steps.batch_total", m_rounds.steps());
    if (m_s.cfl > 0) {
      sum.set("time_step.cfl", m_s.cfl);
      sum.set("time_step.min", m_g.dt_min);  // over the last step of each interval
      sum.set("time_step.max", m_g.dt_max);
    }
    const double per_step = m_rounds.steps() > 0 ? seconds / double(m_rounds.steps()) : 0.0;
    const double rate = seconds > 0 ? double(m_g.total_steps) / seconds : 0.0;
    sum.set("timing.solver_s", seconds);
    sum.set("timing.batch_step_s", per_step);
    sum.set("timing.sample_steps_per_s", rate);
    spdlog::info(
        "{} samples, {} batch steps in {:.3g} s: {:.3g} ms per batch step of {}, "
        "{:.3g} sample-steps/s",
        m_s.samples, m_rounds.steps(), seconds, 1e3 * per_step, c.batch, rate);
    if (m_s.taylor_green()) {
      sum.set("taylor_green.max_relative_error", m_g.tg_error);
      spdlog::info("Taylor-Green: max |w - exact| / amplitude {:.3e}", m_g.tg_error);
    }
  }

 private:
  // The first sample of this rank's batch in the current round, and how many it holds (the
  // last may hold fewer, a rank past the end none).
  std::int64_t batch_begin() const { return m_rounds.first(); }
  int batch_size() const { return int(m_rounds.held()); }

  // The solver and the empty record of this rank's batch (with a sink, its frames in the
  // solver's memory too).
  void make_batch() {
    Vorticity2DConfig bc = m_s.solver;
    bc.batch = batch_size();
    m_solver = make_vorticity2d<Real>(m_backend, bc);
    m_record.emplace(bc.batch, m_layout.frames, m_layout.plane, m_layout.shells);
    m_device.reset();
    if (m_sink)
      m_device = std::make_unique<core::BackendArray<Real>>(
          m_backend, std::size_t(bc.batch) * m_layout.frames * m_layout.plane);
  }

  // The round in flight: this rank's batch (if any) from its initial fields, with its snapshot
  // at t = 0.
  void start_round() override {
    m_solver.reset();
    m_record.reset();
    m_device.reset();
    m_g.recorded = 0;
    const std::int64_t first = batch_begin();
    const int count = batch_size();
    if (count > 0) {
      make_batch();
      if (m_s.from_file) {
        m_solver->set_vorticity(initial_vorticity_from_file<Real>(m_s, first, count));
      } else if (m_s.random) {
        std::vector<std::uint64_t> seeds(count);
        std::iota(seeds.begin(), seeds.end(), std::uint64_t(m_s.seed + m_s.first + first));
        m_solver->set_random_field(m_s.field, seeds);
      } else {
        m_solver->set_taylor_green(m_s.u0, m_s.mode);
      }
    }
    record_snapshot();
  }

  // To the next snapshot at most (adaptive steps: landing on its time, one rank only,
  // make_run_2d); a rank without a batch idles.
  std::int64_t take(std::int64_t most) override {
    std::int64_t n;
    if (m_s.cfl > 0) {
      n = m_solver->advance_cfl_to(m_g.target, m_s.cfl, most);
    } else {
      n = std::min(most, m_g.recorded * m_s.steps_per_snapshot - m_rounds.round_step());
      if (m_solver) m_solver->advance(n);
    }
    m_g.total_steps += n * m_rounds.round().size;
    return n;
  }
  bool reached() override {
    const bool at_snapshot = m_s.cfl > 0
                                 ? m_solver->time() == m_g.target
                                 : m_rounds.round_step() == m_g.recorded * m_s.steps_per_snapshot;
    if (!at_snapshot) return false;
    record_snapshot();
    return m_g.recorded == std::int64_t(m_layout.frames);
  }

  // The finished round's samples, in sample order, appended by rank 0 (collective).
  void complete_round() override {
    const int root = 0;
    std::vector<Real> no_w;
    std::vector<double> no_d;
    std::vector<std::int64_t> no_i;
    const BatchRecord<Real>* r = m_record ? &*m_record : nullptr;
    auto w = m_comm.gather(r && m_write ? r->vorticity : no_w, root);  // only the file's
    auto e = m_comm.gather(r ? r->energy : no_d, root);
    auto z = m_comm.gather(r ? r->enstrophy : no_d, root);
    auto spec = m_comm.gather(r ? r->spectrum : no_d, root);
    auto steps = m_comm.gather(r ? r->steps : no_i, root);
    if (m_sink)
      m_rounds.hand_over(*m_sink, m_device.get(), std::size_t(m_layout.frames * m_layout.plane));
    if (!m_comm.root()) return;
    std::int64_t first = m_rounds.round().begin;
    for (std::size_t k = 0; k < e.size() && !e[k].empty(); ++k) {
      const BatchRecord<Real> batch(m_layout.frames, m_layout.plane, m_layout.shells,
                                    std::move(w[k]), std::move(e[k]), std::move(z[k]),
                                    std::move(spec[k]), std::move(steps[k]));
      if (m_write) m_out->append(batch, first);
      add_sums(batch);
      first += batch.batch;
    }
  }

  // Snapshot m_g.recorded of the batch into the record (and, for the first batch, the file); a
  // rank without a batch only counts it.
  void record_snapshot() {
    const std::vector<double> z = m_solver ? m_solver->enstrophy() : std::vector<double>{};
    require_finite(z);
    if (!m_solver) {
      ++m_g.recorded;
      return;
    }
    const std::uint64_t k = std::uint64_t(m_g.recorded), frames = m_layout.frames;
    const std::uint64_t plane = m_layout.plane, shells = m_layout.shells;
    // The trainer's frames stay in the solver's memory; the host's only for the file (and a
    // Taylor-Green run's check).
    if (m_device)
      m_solver->vorticity_into(m_s.stored_ny, m_s.stored_nx, m_device->data() + k * plane,
                               std::int64_t(frames * plane));
    const bool host = m_write || !m_device || (batch_begin() == 0 && m_s.taylor_green());
    const std::vector<Real> w =
        host ? m_solver->vorticity(m_s.stored_ny, m_s.stored_nx) : std::vector<Real>{};
    const std::vector<double> e = m_solver->kinetic_energy();
    const std::vector<double> spec = m_solver->energy_spectrum();
    BatchRecord<Real>& r = *m_record;
    for (int b = 0; b < r.batch; ++b) {
      if (host)
        std::copy_n(w.begin() + b * plane, plane,
                    r.vorticity.begin() + (std::size_t(b) * frames + k) * plane);
      r.energy[b * frames + k] = e[b];
      r.enstrophy[b * frames + k] = z[b];
      std::copy_n(spec.begin() + b * shells, shells,
                  r.spectrum.begin() + (std::size_t(b) * frames + k) * shells);
    }
    r.steps[k] = m_rounds.round_step();
    if (batch_begin() == 0) {
      if (m_write) m_out->add_first_sample_frame(w.data(), k, m_rounds.round_step());
      if (m_s.taylor_green())
        m_g.tg_error =
            std::max(m_g.tg_error, taylor_green_error_2d(m_flow, w.data(), m_s.stored_nx,
                                                         m_s.stored_ny, m_layout.times[k]));
    }
    if (k > 0 && m_s.cfl > 0) {
      m_g.dt_min = std::min(m_g.dt_min, m_solver->last_dt());
      m_g.dt_max = std::max(m_g.dt_max, m_solver->last_dt());
    }
    ++m_g.recorded;
    m_g.target = m_solver->time() + m_s.interval;
  }

  // The divergence check of every snapshot, from the enstrophy the record takes anyway (a
  // non-finite mode makes it non-finite): the run fails as diverged before the snapshot is
  // recorded, written or handed to training. The ranks agree (collective), so that none waits
  // for another in the round's gather.
  void require_finite(const std::vector<double>& enstrophy) {
    const auto bad = std::find_if(enstrophy.begin(), enstrophy.end(),
                                  [](double z) { return !std::isfinite(z); });
    const bool here = bad != enstrophy.end();
    if (!m_comm.any(here)) return;
    const std::string where =
        here ? fmt::format("sample {} has a non-finite vorticity (enstrophy {})",
                           m_s.first + batch_begin() + (bad - enstrophy.begin()), *bad)
             : std::string("a sample on another MPI rank has a non-finite vorticity");
    throw loop::Diverged(
        fmt::format("diverged at step {} (time {:.6g}, snapshot {}): {}; likely "
                    "cause: {}",
                    m_rounds.steps(), time(), m_g.recorded, where, divergence_cause()),
        m_rounds.steps());
  }

  // A finished batch's first and last energy and enstrophy into the summary's sums.
  void add_sums(const BatchRecord<Real>& r) {
    const std::uint64_t frames = r.frames;
    for (int b = 0; b < r.batch; ++b) {
      m_g.e0 += r.energy[b * frames];
      m_g.e1 += r.energy[b * frames + frames - 1];
      m_g.z0 += r.enstrophy[b * frames];
      m_g.z1 += r.enstrophy[b * frames + frames - 1];
    }
  }

  core::Backend m_backend;
  Settings2D m_s;
  Layout m_layout;
  std::unique_ptr<Dataset<Real>> m_out;  // rank 0's; null on the others
  core::Comm& m_comm;
  loop::Rounds m_rounds;
  TaylorGreen2D m_flow;  // the exact solution a Taylor-Green run is checked against
  GeneratorState m_g;
  std::unique_ptr<Vorticity2D<Real>> m_solver;  // this rank's batch (null: none this round)
  std::optional<BatchRecord<Real>> m_record;
  std::unique_ptr<core::BackendArray<Real>> m_device;  // with a sink: the batch's frames
  // [b][time][y][x] in the solver's memory, read there by the in-situ trainer (loop::SampleSink)
  loop::SampleSink* m_sink = nullptr;
  bool m_write = true;  // trajectories into the file (false: to the sink only)
};

template <class Real>
loop::Run make_generator(const loop::Setup& setup, const Settings2D& s) {
  loop::Run run;
  std::unique_ptr<Dataset<Real>> dataset;
  if (core::world().root()) {
    run.output = setup.open_output(k_units);
    dataset = std::make_unique<Dataset<Real>>(*run.output, s, setup.xmf(),
                                              setup.restart != nullptr);
  }
  run.stepper = std::make_unique<Generator<Real>>(setup.backend, s, std::move(dataset));
  return run;
}

}  // namespace

loop::Run make_run_2d(const loop::Setup& setup) {
  const Settings2D s = settings_2d(setup.case_file);
  // Adaptive steps give each batch its own step count: the ranks' rounds would not stay in step.
  if (s.cfl > 0 && core::world().size() > 1)
    throw core::Error(fmt::format("spectral.cfl = {}: adaptive steps run on one rank only ({} "
                                  "ranks here); use fixed steps (cfl = 0) or one rank",
                                  s.cfl, core::world().size()));
  return s.precision == "float32" ? make_generator<float>(setup, s)
                                  : make_generator<double>(setup, s);
}

loop::SampleShape samples_2d(const io::Case& case_file) {
  const Settings2D s = settings_2d(case_file);
  return {s.samples, s.snapshots + 1, s.stored_ny, s.stored_nx, s.interval, "vorticity"};
}

const loop::Kind& kind_2d() {
  static const loop::Kind k{"spectral",
                            "batched 2D pseudo-spectral Navier-Stokes (vorticity form): "
                            "trajectories [sample, time, y, x] for surrogate training",
                            add_schema_2d,
                            make_run_2d,
                            check_2d,
                            plan_2d,
                            "solver",
                            samples_2d,
                            /*splits_across_ranks=*/true,
                            /*restarts_on_other_ranks=*/true};
  return k;
}

}  // namespace twinsim::spectral
