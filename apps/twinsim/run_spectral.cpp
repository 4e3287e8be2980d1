// The spectral Navier-Stokes runs. `spectral` (2D) is a dataset generator: samples are advanced
// B at a time (batched FFTs) and each sample's vorticity trajectory, stored on a coarser grid by
// spectral truncation if asked, becomes one row of the dataset /vorticity/value
// [sample][time][y][x].
// A run holds the sample range [first_sample, first_sample + samples), so Slurm array tasks
// each write a shard of one dataset; every sample's seed is recorded, so any row can be redone.
// `spectral3d` runs one 3D flow (Taylor-Green Re = 1600) with its dissipation history.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "runs.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/Progress.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/io/Xdmf.hpp"
#include "twinsim/spectral/Velocity3D.hpp"
#include "twinsim/spectral/Vorticity2D.hpp"

namespace twinsim::app {

void add_spectral_schema(io::Schema& schema) {
  schema.section("spectral",
                 "Batched 2D incompressible Navier-Stokes, vorticity form, pseudo-spectral on a "
                 "periodic box; writes vorticity trajectories [sample, time, y, x]")
      .key_int("nx", "Grid points along x (even)").default_value(64).at_least(4)
      .key_int("ny", "Grid points along y (even)").default_value(64).at_least(4)
      .key_float("lx", "Box edge along x").default_value(1.0).unit("length").greater_than(0.0)
      .key_float("ly", "Box edge along y").default_value(1.0).unit("length").greater_than(0.0)
      .key_float("nu", "Kinematic viscosity").default_value(1e-3).unit("length^2/time")
      .at_least(0.0)
      .key_float("dt", "Time step").default_value(1e-4).unit("time").greater_than(0.0)
      .key_float("t_end", "Final time (a whole number of snapshot intervals)").default_value(1.0)
      .unit("time").greater_than(0.0)
      .key_string("scheme", "rk4_if: RK4 with integrating factor (4th order); cn_euler: "
                            "Crank-Nicolson + explicit Euler, the FNO generator's (1st order); "
                            "cn_heun: Crank-Nicolson + Heun (2nd order)")
      .default_value("rk4_if").one_of({"rk4_if", "cn_euler", "cn_heun"})
      .key_string("precision", "Arithmetic and stored precision").default_value("float64")
      .one_of({"float32", "float64"})
      .key_int("batch", "Samples advanced together in batched FFTs").default_value(16).at_least(1)
      .key_string("forcing", "Vorticity forcing: none; fno: A (sin(2 pi (x/lx + y/ly)) + "
                             "cos(...)); kolmogorov: curl of A sin(kf y) e_x")
      .default_value("none").one_of({"none", "fno", "kolmogorov"})
      .key_float("forcing_amplitude", "A: fno [1/time^2], kolmogorov [length/time^2]")
      .default_value(0.1)
      .key_int("forcing_wavenumber", "Kolmogorov: forcing waves per box edge ly").default_value(4)
      .at_least(1)
      .key_string("initial", "Initial vorticity: random (Gaussian random field per sample) or "
                             "taylor_green")
      .default_value("random").one_of({"random", "taylor_green"})
      .key_float("alpha", "Random field: covariance sigma^2 (-lap + tau^2)^(-alpha)")
      .default_value(2.5).greater_than(1.0)
      .key_float("tau", "Random field: inverse length scale tau").default_value(7.0)
      .unit("1/length").greater_than(0.0)
      .key_float("sigma", "Random field: amplitude sigma; the FNO generator's fields have "
                          "sqrt(2) 7^(3/2)")
      .default_value(26.191601707417593).greater_than(0.0)
      .key_float("u0", "Taylor-Green velocity amplitude").default_value(1.0)
      .unit("length/time").greater_than(0.0)
      .key_int("mode", "Taylor-Green waves per box edge").default_value(1).at_least(1)
      .key_int("seed", "Seed of sample 0; sample s draws with seed + s").default_value(0)
      .at_least(0)
      .key_int("first_sample", "Index of this run's first sample in the whole dataset")
      .default_value(0).at_least(0)
      .key_int("samples", "Samples in this run").default_value(1).at_least(1)
      .key_float("snapshot_interval", "Time between stored snapshots (a whole number of dt)")
      .default_value(1.0).unit("time").greater_than(0.0)
      .key_int("stored_nx", "Stored grid along x (spectral truncation); 0: the solver's")
      .default_value(0).at_least(0)
      .key_int("stored_ny", "Stored grid along y (spectral truncation); 0: the solver's")
      .default_value(0).at_least(0);
}

void add_spectral3d_schema(io::Schema& schema) {
  schema.section("spectral3d",
                 "3D incompressible Navier-Stokes, velocity (rotational) form, pseudo-spectral "
                 "on a periodic cube, RK4 with integrating factor")
      .key_int("n", "Grid points per direction (even)").default_value(64).at_least(4)
      .key_float("l", "Box edge").default_value(2 * M_PI).unit("length").greater_than(0.0)
      .key_float("nu", "Kinematic viscosity").default_value(1.0 / 1600).unit("length^2/time")
      .at_least(0.0)
      .key_float("dt", "Time step").default_value(5e-3).unit("time").greater_than(0.0)
      .key_float("t_end", "Final time (a whole number of diagnostics intervals)")
      .default_value(10.0).unit("time").greater_than(0.0)
      .key_string("initial", "taylor_green: u = V0 sin x cos y cos z, v = -V0 cos x sin y cos z; "
                             "abc: Arnold-Beltrami-Childress, A = B = C = V0")
      .default_value("taylor_green").one_of({"taylor_green", "abc"})
      .key_float("v0", "Velocity amplitude").default_value(1.0).unit("length/time")
      .greater_than(0.0)
      .key_float("linear_forcing", "A in the linear forcing f = A u").default_value(0.0)
      .unit("1/time").at_least(0.0)
      .key_string("precision", "Arithmetic and stored precision").default_value("float64")
      .one_of({"float32", "float64"})
      .key_float("diagnostics_interval", "Time between energy / enstrophy / dissipation records")
      .default_value(0.1).unit("time").greater_than(0.0)
      .key_int("snapshot_every", "Store the velocity field every this many diagnostics records "
                                 "(0: first and last only)")
      .default_value(0).at_least(0);
}

namespace {

// n = ratio as a whole number, or an Error naming what does not divide.
std::int64_t whole_multiple(double total, double unit, const char* what) {
  const double r = total / unit;
  const std::int64_t n = std::llround(r);
  if (n < 1 || std::abs(r - double(n)) > 1e-9 * r)
    throw core::Error(
        fmt::format("{} is not a whole multiple ({} / {} = {})", what, total, unit, r));
  return n;
}

struct Settings {
  spectral::Vorticity2DConfig solver;
  bool random = true;
  spectral::RandomFieldParams field;
  double u0 = 1.0;
  int mode = 1;
  std::int64_t seed = 0, first = 0, samples = 1;
  std::int64_t steps_per_snapshot = 1, snapshots = 1;  // frames stored: snapshots + 1 (t = 0)
  int stored_nx = 0, stored_ny = 0;
};

Settings read_settings(const io::Section& s) {
  Settings r;
  spectral::Vorticity2DConfig& c = r.solver;
  c.nx = int(s.get_int("nx"));
  c.ny = int(s.get_int("ny"));
  c.lx = s.get_float("lx");
  c.ly = s.get_float("ly");
  c.nu = s.get_float("nu");
  c.dt = s.get_float("dt");
  c.scheme = spectral::scheme_from_string(s.get_string("scheme"));
  c.forcing = {spectral::forcing_from_string(s.get_string("forcing")),
               s.get_float("forcing_amplitude"), int(s.get_int("forcing_wavenumber"))};
  r.random = s.get_string("initial") == "random";
  r.field = {s.get_float("alpha"), s.get_float("tau"), s.get_float("sigma")};
  r.u0 = s.get_float("u0");
  r.mode = int(s.get_int("mode"));
  r.seed = s.get_int("seed");
  r.first = s.get_int("first_sample");
  r.samples = s.get_int("samples");
  c.batch = int(std::min<std::int64_t>(s.get_int("batch"), r.samples));
  const double interval = s.get_float("snapshot_interval");
  r.steps_per_snapshot = whole_multiple(interval, c.dt, "spectral.snapshot_interval / dt");
  r.snapshots =
      whole_multiple(s.get_float("t_end"), interval, "spectral.t_end / snapshot_interval");
  r.stored_nx = s.get_int("stored_nx") ? int(s.get_int("stored_nx")) : c.nx;
  r.stored_ny = s.get_int("stored_ny") ? int(s.get_int("stored_ny")) : c.ny;
  if (r.stored_nx > c.nx || r.stored_ny > c.ny || r.stored_nx % 2 || r.stored_ny % 2)
    throw core::Error(fmt::format("stored grid {} x {}: expected even sizes no larger than the "
                                  "solver's {} x {}", r.stored_nx, r.stored_ny, c.nx, c.ny));
  return r;
}

// The settings as attributes of the dataset: what a reader needs to interpret or redo it.
void describe_dataset(io::H5File& file, const std::string& path, const Settings& s,
                      const std::string& precision) {
  const spectral::Vorticity2DConfig& c = s.solver;
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
      {"scheme", std::string(spectral::to_string(c.scheme))},
      {"dealiasing", std::string("2/3 rule, |k_i| <= n_i / 3")},
      {"precision", precision},
      {"forcing", std::string(spectral::to_string(c.forcing.kind))},
      {"forcing_amplitude", c.forcing.amplitude},
      {"forcing_wavenumber", std::int64_t(c.forcing.wavenumber)},
      {"initial", std::string(s.random ? "random" : "taylor_green")},
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
}

// Max |w - exact| / amplitude over sample 0 of w (stored grid) at time t: unforced Taylor-Green
// decays as exp(-nu (a^2 + b^2) t) with a, b = 2 pi mode / (lx, ly).
template <class Real>
double taylor_green_error(const std::vector<Real>& w, const Settings& s, double t) {
  const spectral::Grid2D g{s.stored_nx, s.stored_ny, s.stored_nx / 2 + 1, 2 * M_PI / s.solver.lx,
                           2 * M_PI / s.solver.ly};
  const double a = s.mode * g.kx0, b = s.mode * g.ky0;
  const double decay = std::exp(-s.solver.nu * (a * a + b * b) * t);
  const double amplitude = s.u0 * (a * a + b * b) / b * decay;
  double worst = 0;
  for (int y = 0; y < g.ny; ++y)
    for (int x = 0; x < g.nx; ++x) {
      const double px = x * s.solver.lx / g.nx, py = y * s.solver.ly / g.ny;
      const double exact = decay * spectral::taylor_green_vorticity_2d(g, s.u0, s.mode, px, py);
      worst = std::max(worst, std::abs(double(w[std::size_t(y) * g.nx + x]) - exact));
    }
  return worst / amplitude;
}

template <class Real>
RunResult run_samples(const RunContext& ctx, const Settings& s, const std::string& precision) {
  constexpr io::DType k_type = std::is_same_v<Real, float> ? io::DType::f32 : io::DType::f64;
  const spectral::Vorticity2DConfig& c = s.solver;
  const std::uint64_t frames = std::uint64_t(s.snapshots) + 1;
  const std::uint64_t mx = std::uint64_t(s.stored_nx), my = std::uint64_t(s.stored_ny);
  const std::size_t plane = std::size_t(mx * my);

  io::H5File file = io::H5File::create(ctx.run.file(ctx.name + ".h5"));
  io::write_provenance(file, {ctx.case_file.resolved_text(),
                              std::string(core::to_string(ctx.backend)),
                              "case units: lengths in the unit of lx, time in the unit of dt"});
  io::TimeSeries trajectories(file, "/vorticity", {{frames, my, mx}, k_type, "1/time", "time"});
  io::TimeSeries energy(file, "/kinetic_energy", {{frames}, io::DType::f64, "length^2/time^2",
                                                  "time"});
  io::TimeSeries enstrophy(file, "/enstrophy", {{frames}, io::DType::f64, "1/time^2", "time"});
  describe_dataset(file, "/vorticity", s, precision);
  std::vector<double> times(frames);
  for (std::uint64_t k = 0; k < frames; ++k)
    times[k] = double(k * s.steps_per_snapshot) * c.dt;
  file.write("/snapshot_time", times.data(), {frames});
  // The first sample as an ordinary field series, for ParaView.
  io::FieldSeries first(file, "vorticity_first_sample", {my, mx}, 1, k_type, "1/time", "time");
  io::XdmfWriter xdmf(ctx.run.file(ctx.name + ".xmf"), file.path());
  const double hx = c.lx / double(mx), hy = c.ly / double(my);
  const io::CoRectMesh mesh{{1, my, mx}, {0, 0, 0}, {hx, hy, hx}};

  const std::int64_t total_steps = s.samples * s.snapshots * s.steps_per_snapshot;
  core::Progress progress("spectral", total_steps, "sample-steps");
  double solver_s = 0, tg_error = 0;
  std::vector<double> e0, e1, z0, z1;  // per sample, first and last frame
  for (std::int64_t begin = 0; begin < s.samples; begin += c.batch) {
    spectral::Vorticity2DConfig bc = c;
    bc.batch = int(std::min<std::int64_t>(c.batch, s.samples - begin));
    auto solver = spectral::make_vorticity2d<Real>(ctx.backend, bc);
    if (s.random) {
      std::vector<std::uint64_t> seeds(bc.batch);
      std::iota(seeds.begin(), seeds.end(), std::uint64_t(s.seed + s.first + begin));
      solver->set_random_field(s.field, seeds);
    } else {
      solver->set_taylor_green(s.u0, s.mode);
    }
    std::vector<Real> batch_frames(std::size_t(bc.batch) * frames * plane);
    std::vector<double> batch_energy(std::size_t(bc.batch) * frames), batch_enstrophy(batch_energy);
    for (std::uint64_t k = 0; k < frames; ++k) {
      if (k > 0) {
        const auto t0 = std::chrono::steady_clock::now();
        solver->advance(s.steps_per_snapshot);
        solver_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      }
      const std::vector<Real> w = solver->vorticity(int(my), int(mx));
      const std::vector<double> e = solver->kinetic_energy(), z = solver->enstrophy();
      for (int b = 0; b < bc.batch; ++b) {
        std::copy_n(w.begin() + b * plane, plane,
                    batch_frames.begin() + (std::size_t(b) * frames + k) * plane);
        batch_energy[b * frames + k] = e[b];
        batch_enstrophy[b * frames + k] = z[b];
      }
      if (begin == 0) {
        xdmf.add_step(times[k], mesh,
                      {{"vorticity", first.append(w.data(), std::int64_t(k * s.steps_per_snapshot),
                                                  times[k])}});
        if (!s.random && c.forcing.kind == spectral::ForcingKind::none)
          tg_error = std::max(tg_error, taylor_green_error(w, s, times[k]));
      }
      progress.update((begin * s.snapshots + bc.batch * std::int64_t(k)) * s.steps_per_snapshot);
    }
    for (int b = 0; b < bc.batch; ++b) {
      const std::int64_t sample = s.first + begin + b;
      trajectories.append(batch_frames.data() + std::size_t(b) * frames * plane, sample,
                          times.back());
      energy.append(batch_energy.data() + b * frames, sample, times.back());
      enstrophy.append(batch_enstrophy.data() + b * frames, sample, times.back());
      e0.push_back(batch_energy[b * frames]);
      e1.push_back(batch_energy[b * frames + frames - 1]);
      z0.push_back(batch_enstrophy[b * frames]);
      z1.push_back(batch_enstrophy[b * frames + frames - 1]);
    }
  }
  progress.finish();

  const auto mean = [](const std::vector<double>& v) {
    return std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
  };
  const double batch_steps = double(s.snapshots * s.steps_per_snapshot) *
                             std::ceil(double(s.samples) / c.batch);
  RunResult r;
  r.summary.set("grid.nx", c.nx);
  r.summary.set("grid.ny", c.ny);
  r.summary.set("stored_grid.nx", s.stored_nx);
  r.summary.set("stored_grid.ny", s.stored_ny);
  r.summary.set("scheme", std::string(spectral::to_string(c.scheme)));
  r.summary.set("precision", precision);
  r.summary.set("samples.first", s.first);
  r.summary.set("samples.count", s.samples);
  r.summary.set("samples.batch", c.batch);
  r.summary.set("frames", std::int64_t(frames));
  r.summary.set("kinetic_energy.initial_mean", mean(e0));
  r.summary.set("kinetic_energy.final_mean", mean(e1));
  r.summary.set("enstrophy.initial_mean", mean(z0));
  r.summary.set("enstrophy.final_mean", mean(z1));
  r.summary.set("timing.solver_s", solver_s);
  r.summary.set("timing.batch_step_s", solver_s / batch_steps);
  r.summary.set("timing.sample_steps_per_s", double(total_steps) / solver_s);
  spdlog::info("{} samples x {} steps in {:.3g} s: {:.3g} ms per batch step of {}, {:.3g} "
               "sample-steps/s", s.samples, s.snapshots * s.steps_per_snapshot, solver_s,
               1e3 * solver_s / batch_steps, c.batch, double(total_steps) / solver_s);
  if (!s.random && c.forcing.kind == spectral::ForcingKind::none) {
    r.summary.set("taylor_green.max_relative_error", tg_error);
    spdlog::info("Taylor-Green: max |w - exact| / amplitude {:.3e}", tg_error);
  }
  return r;
}

// The 3D run: one sample, diagnostics (E, Z, dissipation 2 nu Z, divergence) every interval,
// the velocity field at snapshots.
template <class Real>
RunResult run_velocity3d(const RunContext& ctx, const io::Section& s) {
  constexpr io::DType k_type = std::is_same_v<Real, float> ? io::DType::f32 : io::DType::f64;
  spectral::Velocity3DConfig c;
  c.nx = c.ny = c.nz = int(s.get_int("n"));
  c.lx = c.ly = c.lz = s.get_float("l");
  c.nu = s.get_float("nu");
  c.dt = s.get_float("dt");
  c.linear_forcing = s.get_float("linear_forcing");
  const std::int64_t steps_per_record = whole_multiple(
      s.get_float("diagnostics_interval"), c.dt, "spectral3d.diagnostics_interval / dt");
  const std::int64_t records = whole_multiple(s.get_float("t_end"),
                                              s.get_float("diagnostics_interval"),
                                              "spectral3d.t_end / diagnostics_interval");
  const std::int64_t snapshot_every = s.get_int("snapshot_every");
  auto solver = spectral::make_velocity3d<Real>(ctx.backend, c);
  solver->set_initial(s.get_string("initial") == "abc" ? spectral::Initial3D::abc
                                                       : spectral::Initial3D::taylor_green,
                      s.get_float("v0"));

  io::H5File file = io::H5File::create(ctx.run.file(ctx.name + ".h5"));
  io::write_provenance(file, {ctx.case_file.resolved_text(),
                              std::string(core::to_string(ctx.backend)),
                              "case units: lengths in the unit of l, time in the unit of dt"});
  const std::uint64_t n = std::uint64_t(c.nx);
  io::FieldSeries velocity(file, "velocity", {n, n, n}, 3, k_type, "length/time", "time");
  io::TimeSeries energy(file, "/kinetic_energy", {{1}, io::DType::f64, "length^2/time^2", "time"});
  io::TimeSeries enstrophy(file, "/enstrophy", {{1}, io::DType::f64, "1/time^2", "time"});
  io::TimeSeries dissipation(file, "/dissipation", {{1}, io::DType::f64, "length^2/time^3",
                                                    "time"});
  io::XdmfWriter xdmf(ctx.run.file(ctx.name + ".xmf"), file.path());
  const double h = c.lx / double(n);
  const io::CoRectMesh mesh{{n, n, n}, {0, 0, 0}, {h, h, h}};
  const auto store_velocity = [&](std::int64_t step) {
    const std::vector<Real> planar = solver->velocity();  // [c][z][y][x]
    const std::size_t points = std::size_t(n * n * n);
    std::vector<Real> interleaved(3 * points);  // [z][y][x][c], what viewers read as a vector
    for (std::size_t i = 0; i < points; ++i)
      for (int k = 0; k < 3; ++k) interleaved[3 * i + k] = planar[k * points + i];
    xdmf.add_step(solver->time(), mesh,
                  {{"velocity", velocity.append(interleaved.data(), step, solver->time())}});
  };

  double peak = 0, t_peak = 0, worst_divergence = 0, solver_s = 0;
  const double e0 = solver->kinetic_energy()[0];
  core::Progress progress("spectral3d", records * steps_per_record, "steps");
  for (std::int64_t r = 0; r <= records; ++r) {
    if (r > 0) {
      const auto t0 = std::chrono::steady_clock::now();
      solver->advance(steps_per_record);
      solver_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    const std::int64_t step = r * steps_per_record;
    const double e = solver->kinetic_energy()[0], z = solver->enstrophy()[0], eps = 2 * c.nu * z;
    energy.append(&e, step, solver->time());
    enstrophy.append(&z, step, solver->time());
    dissipation.append(&eps, step, solver->time());
    worst_divergence = std::max(worst_divergence, solver->relative_divergence()[0]);
    if (eps > peak) peak = eps, t_peak = solver->time();
    if (r == 0 || r == records || (snapshot_every > 0 && r % snapshot_every == 0))
      store_velocity(step);
    progress.update(step);
  }
  progress.finish();

  RunResult result;
  result.summary.set("grid.n", c.nx);
  result.summary.set("kinetic_energy.initial", e0);
  result.summary.set("kinetic_energy.final", solver->kinetic_energy()[0]);
  result.summary.set("dissipation.peak", peak);
  result.summary.set("dissipation.t_peak", t_peak);
  result.summary.set("divergence.max_relative", worst_divergence);
  result.summary.set("timing.solver_s", solver_s);
  result.summary.set("timing.step_s", solver_s / double(records * steps_per_record));
  spdlog::info("peak dissipation {:.6f} at t = {:.3g}; max relative divergence {:.2e}; "
               "{:.3g} ms per step", peak, t_peak, worst_divergence,
               1e3 * solver_s / double(records * steps_per_record));
  return result;
}

}  // namespace

RunResult run_spectral3d(const RunContext& ctx) {
  const io::Section s = ctx.case_file.section("spectral3d");
  return s.get_string("precision") == "float32" ? run_velocity3d<float>(ctx, s)
                                                : run_velocity3d<double>(ctx, s);
}

RunResult run_spectral(const RunContext& ctx) {
  const Settings s = read_settings(ctx.case_file.section("spectral"));
  const std::string precision = ctx.case_file.get_string("spectral.precision");
  return precision == "float32" ? run_samples<float>(ctx, s, precision)
                                : run_samples<double>(ctx, s, precision);
}

}  // namespace twinsim::app
