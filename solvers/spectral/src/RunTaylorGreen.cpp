// `taylor_green_check` (cases/demo/taylor_green.toml) as a run of the loop library: the exact
// 2D Taylor-Green vortex sampled at each output time on the chosen backend and differentiated
// spectrally; a step is an output frame. The fields (HDF5 + XDMF) and the errors against the
// exact vorticity and energy are written by an operation; the run fails when they exceed
// round-off (the FFT path is broken).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>

#include "twinsim/core/Error.hpp"
#include "twinsim/core/Timers.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/io/RunDirectory.hpp"
#include "twinsim/io/Xdmf.hpp"
#include "twinsim/spectral/Case.hpp"
#include "twinsim/spectral/Run.hpp"
#include "twinsim/spectral/TaylorGreenCheck.hpp"

namespace twinsim::spectral {

namespace {

constexpr const char* k_units = "case units: lengths in the unit of 1/k, time in the unit of t_end";

// The output frames as steps: frame i at t_end i / (frames - 1).
class Frames : public loop::Stepper {
 public:
  Frames(std::unique_ptr<TaylorGreenCheck> check, const TaylorGreenSettings& s)
      : m_check(std::move(check)), m_s(s) {}

  TaylorGreenCheck& check() const { return *m_check; }
  double spacing() const { return 2.0 * M_PI / m_s.params.k / m_s.n; }

  std::int64_t step() const override { return m_frame; }
  double time() const override {
    return m_s.frames > 1 ? m_s.t_end * double(m_frame) / double(m_s.frames - 1) : 0.0;
  }
  bool finished() const override { return m_frame >= m_s.frames - 1; }
  void advance(std::int64_t steps, double until) override {
    for (std::int64_t taken = 0; taken < steps && !finished() && time() < until; ++taken) ++m_frame;
  }
  loop::Position position() const override { return {m_frame + 1, m_s.frames, "frames"}; }

  void save(io::StateWriter& out) const override { out.put("frames/frame", m_frame); }
  void load(const io::StateReader& in) override { m_frame = in.get_int("frames/frame"); }

  void summarize(io::Summary& sum, const core::Timers& /*timers*/) const override {
    sum.set("grid.n", m_s.n);
    sum.set("grid.spacing", spacing());
    sum.set("frames", m_s.frames);
  }

 private:
  std::unique_ptr<TaylorGreenCheck> m_check;
  TaylorGreenSettings m_s;
  std::int64_t m_frame = 0;
};

// The velocity, the spectral and the exact vorticity (/fields/...) with the XDMF sidecar, and
// the largest errors against the exact vorticity and the exact energy (U0^2/4) exp(-4 nu k^2 t).
class FrameWriter : public loop::Operation {
 public:
  FrameWriter(const Frames& frames, io::H5File& file, const std::filesystem::path& xmf,
              const TaylorGreenSettings& s)
      : m_frames(frames),
        m_p(s.params),
        m_velocity(file, "velocity", grid(s), 3, io::DType::f64, "length/time", "time"),
        m_vorticity(file, "vorticity", grid(s), 1, io::DType::f64, "1/time", "time"),
        m_exact(file, "vorticity_exact", grid(s), 1, io::DType::f64, "1/time", "time"),
        m_xdmf(xmf, file.path()),
        m_mesh{{1, std::uint64_t(s.n), std::uint64_t(s.n)},
               {0, 0, 0},
               {frames.spacing(), frames.spacing(), frames.spacing()}} {}

  std::string name() const override { return "frames"; }

  void use_history(loop::History& history) override {
    history.time_unit("time");
    m_history = &history;
    m_energy_column = history.column("kinetic_energy", "length^2/time^2");
    m_exact_column = history.column("kinetic_energy_exact", "length^2/time^2");
    m_error_column = history.column("vorticity_max_error", "1/time");
  }

  loop::Verdict fire() override {
    const std::int64_t i = m_frames.step();
    const double t = m_frames.time();
    const TaylorGreenFrame f = m_frames.check().evaluate(t);
    const double energy = 0.25 * m_p.u0 * m_p.u0 * std::exp(-4.0 * m_p.nu * m_p.k * m_p.k * t);
    m_worst_error = std::max(m_worst_error, f.max_vorticity_error);
    m_worst_energy_error =
        std::max(m_worst_energy_error, std::abs(f.kinetic_energy - energy) / energy);
    m_final_energy = f.kinetic_energy;
    if (m_history) {
      m_history->set(m_energy_column, f.kinetic_energy);
      m_history->set(m_exact_column, energy);
      m_history->set(m_error_column, f.max_vorticity_error);
    }
    m_xdmf.add_step(t, m_mesh,
                    {{"velocity", m_velocity.append(f.velocity.data(), i, t)},
                     {"vorticity", m_vorticity.append(f.vorticity.data(), i, t)},
                     {"vorticity_exact", m_exact.append(f.vorticity_exact.data(), i, t)}});
    return loop::Verdict::go_on;
  }

  // Spectral differentiation of a band-limited field is exact: anything above round-off
  // (1e-12 of the amplitude in double precision) means the FFT path is broken.
  void finish(loop::End end) override {
    if (end != loop::End::finished) return;
    spdlog::info("max |spectral - exact| vorticity {:.3e} ({:.3e} of the amplitude {})",
                 m_worst_error, m_worst_error / amplitude(), amplitude());
    spdlog::info("kinetic energy: max relative deviation from (U0^2/4) exp(-4 nu k^2 t): {:.3e}",
                 m_worst_energy_error);
    if (!(m_worst_error <= 1e-12 * amplitude() && m_worst_energy_error <= 1e-12))
      throw core::Error(
          fmt::format("spectral vorticity error {:.3e} exceeds round-off", m_worst_error));
  }

  void summarize(io::Summary& sum) const override {
    sum.set("vorticity.max_abs_error", m_worst_error);
    sum.set("vorticity.max_relative_error", m_worst_error / amplitude());
    sum.set("kinetic_energy.final", m_final_energy);
    sum.set("kinetic_energy.max_relative_error", m_worst_energy_error);
  }

 private:
  static io::Shape grid(const TaylorGreenSettings& s) {
    return {std::uint64_t(s.n), std::uint64_t(s.n)};
  }
  double amplitude() const { return 2.0 * m_p.u0 * m_p.k; }  // of the vorticity at t = 0

  const Frames& m_frames;
  TaylorGreenParams m_p;
  io::FieldSeries m_velocity, m_vorticity, m_exact;
  io::XdmfWriter m_xdmf;
  io::CoRectMesh m_mesh;
  double m_worst_error = 0, m_worst_energy_error = 0, m_final_energy = 0;
  loop::History* m_history = nullptr;  // the run's table, when it keeps one
  std::size_t m_energy_column = 0, m_exact_column = 0, m_error_column = 0;
};

}  // namespace

loop::Run make_run_taylor_green(const loop::Setup& setup) {
  if (setup.restart)
    throw core::Error(
        "taylor_green_check has no state to continue: it evaluates the exact vortex in seconds; "
        "run it again without --restart (with --overwrite to reuse the folder)");
  const TaylorGreenSettings s = taylor_green_settings(setup.case_file);
  auto check = make_taylor_green_check(setup.backend, s.n, s.params);
  loop::Run run;
  run.output = setup.open_output(k_units);
  auto frames = std::make_unique<Frames>(std::move(check), s);
  run.add(std::make_unique<FrameWriter>(*frames, *run.output, setup.xmf(), s),
          loop::Trigger::every(1).from_start());
  run.stepper = std::move(frames);
  run.label = "taylor_green";
  return run;
}

const loop::Kind& kind_taylor_green() {
  static const loop::Kind k{
      "taylor_green_check",
      "exact 2D Taylor-Green vortex, vorticity by FFT checked against the analytic one",
      add_schema_taylor_green, make_run_taylor_green};
  return k;
}

}  // namespace twinsim::spectral
