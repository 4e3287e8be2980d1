// The spectral Navier-Stokes runs. `spectral` (2D) is a dataset generator: samples are advanced
// B at a time (batched FFTs) and each sample's vorticity trajectory, stored on a coarser grid by
// spectral truncation if asked, becomes one row of the dataset /vorticity/value
// [sample][time][y][x].
// A run holds the sample range [first_sample, first_sample + samples), so Slurm array tasks
// each write a shard of one dataset; every sample's seed is recorded, so any row can be redone.
// Alongside it: per-sample energy, enstrophy and energy spectrum E(k) at every snapshot (added
// datasets; the trajectory layout is what the surrogates read and stays as it is).
// `spectral3d` runs one 3D flow (Taylor-Green Re = 1600) with its dissipation and E(k) history.
// Both take an adaptive CFL step (`cfl` > 0) and initial fields from an HDF5 file.
// Both are checkpointed at step boundaries and continue bit for bit on --restart.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <numeric>
#include <optional>

#include "runs.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/Progress.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/io/Xdmf.hpp"
#include "twinsim/spectral/Velocity3D.hpp"
#include "twinsim/spectral/Vorticity2D.hpp"
#include "twinsim/spectral/kernels/energy_spectrum_kernel.hpp"

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
      .key_float("dt", "Time step; with cfl > 0 the largest step allowed").default_value(1e-4)
      .unit("time").greater_than(0.0)
      .key_float("cfl", "Adaptive step dt = min(dt, cfl * min_i (h_i / max|u_i|)), the maximum "
                        "over the grid and the batch, steps shortened to land on every snapshot; "
                        "0: fixed dt (the FNO generator's step, exactly)")
      .default_value(0.0).at_least(0.0)
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
      .key_string("initial", "Initial vorticity: random (Gaussian random field per sample), "
                             "taylor_green, or file (a frame of an HDF5 dataset [sample, time, y, "
                             "x] on the solver's grid, e.g. an earlier run's /vorticity/value)")
      .default_value("random").one_of({"random", "taylor_green", "file"})
      .key_string("initial_file", "initial = file: the HDF5 file (path as given, relative to "
                                  "the working directory)")
      .optional()
      .key_string("initial_dataset", "initial = file: dataset [sample, time, y, x]")
      .default_value("/vorticity/value")
      .key_int("initial_sample", "initial = file: the row of this run's first sample; sample s "
                                 "of the run starts from row initial_sample + s")
      .default_value(0).at_least(0)
      .key_int("initial_frame", "initial = file: the time index to start from; -1: the last")
      .default_value(-1).at_least(-1)
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
      .key_float("dt", "Time step; with cfl > 0 the largest step allowed").default_value(5e-3)
      .unit("time").greater_than(0.0)
      .key_float("cfl", "Adaptive step dt = min(dt, cfl * min_i (h_i / max|u_i|)), steps "
                        "shortened to land on every diagnostics record; 0: fixed dt")
      .default_value(0.0).at_least(0.0)
      .key_float("t_end", "Final time (a whole number of diagnostics intervals)")
      .default_value(10.0).unit("time").greater_than(0.0)
      .key_string("initial", "taylor_green: u = V0 sin x cos y cos z, v = -V0 cos x sin y cos z; "
                             "abc: Arnold-Beltrami-Childress, A = B = C = V0; file: a frame of "
                             "an HDF5 velocity dataset [time, z, y, x, 3] on the solver's grid "
                             "(an earlier run's /fields/velocity/value), projected divergence-free")
      .default_value("taylor_green").one_of({"taylor_green", "abc", "file"})
      .key_string("initial_file", "initial = file: the HDF5 file (relative to the working "
                                  "directory)")
      .optional()
      .key_string("initial_dataset", "initial = file: dataset [time, z, y, x, 3]")
      .default_value("/fields/velocity/value")
      .key_int("initial_frame", "initial = file: the time index to start from; -1: the last")
      .default_value(-1).at_least(-1)
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
  bool from_file = false;            // initial = file (random is false then)
  std::string initial_file, initial_dataset;
  std::int64_t initial_sample = 0, initial_frame = -1;
  double cfl = 0;                    // > 0: adaptive steps
  double interval = 1;               // snapshot interval [time]
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
  r.from_file = s.get_string("initial") == "file";
  if (r.from_file) {
    if (!s.has("initial_file"))
      throw core::Error("spectral.initial = \"file\" needs spectral.initial_file (the HDF5 file "
                        "to start from) and, unless it is /vorticity/value, "
                        "spectral.initial_dataset");
    r.initial_file = s.get_string("initial_file");
    r.initial_dataset = s.get_string("initial_dataset");
    r.initial_sample = s.get_int("initial_sample");
    r.initial_frame = s.get_int("initial_frame");
  }
  r.cfl = s.get_float("cfl");
  r.field = {s.get_float("alpha"), s.get_float("tau"), s.get_float("sigma")};
  r.u0 = s.get_float("u0");
  r.mode = int(s.get_int("mode"));
  r.seed = s.get_int("seed");
  r.first = s.get_int("first_sample");
  r.samples = s.get_int("samples");
  c.batch = int(std::min<std::int64_t>(s.get_int("batch"), r.samples));
  const double interval = s.get_float("snapshot_interval");
  r.interval = interval;
  // Adaptive steps land on every snapshot by themselves: dt need not divide the interval.
  r.steps_per_snapshot =
      r.cfl > 0 ? 0 : whole_multiple(interval, c.dt, "spectral.snapshot_interval / dt");
  r.snapshots =
      whole_multiple(s.get_float("t_end"), interval, "spectral.t_end / snapshot_interval");
  r.stored_nx = s.get_int("stored_nx") ? int(s.get_int("stored_nx")) : c.nx;
  r.stored_ny = s.get_int("stored_ny") ? int(s.get_int("stored_ny")) : c.ny;
  if (r.stored_nx > c.nx || r.stored_ny > c.ny || r.stored_nx % 2 || r.stored_ny % 2)
    throw core::Error(fmt::format("stored grid {} x {}: expected even sizes no larger than the "
                                  "solver's {} x {}", r.stored_nx, r.stored_ny, c.nx, c.ny));
  return r;
}

// The wavenumbers of the /energy_spectrum shells (k = s dk) and what the spectrum is.
void describe_energy_spectrum(io::H5File& file, std::uint64_t shells, double dk,
                              const std::string& layout) {
  std::vector<double> k(shells);
  for (std::uint64_t i = 0; i < shells; ++i) k[i] = double(i) * dk;
  file.write("/energy_spectrum_wavenumber", k.data(), {shells});
  file.set_attribute("/energy_spectrum_wavenumber", "units", std::string("1/length"));
  file.set_attribute("/energy_spectrum", "definition",
                     "E_s = sum of 1/2 |u_k|^2 over modes with round(|k| / dk) = s (energy per "
                     "shell; sum over s = mean kinetic energy)" + layout);
  file.set_attribute("/energy_spectrum", "dk", dk);
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
      {"initial", std::string(s.from_file ? "file" : s.random ? "random" : "taylor_green")},
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

// The frame of the initial file this run starts from, after checking the file against the run:
// a dataset [sample, time, y, x] on the solver's grid with a row for every sample of the run.
std::int64_t checked_initial_frame(const Settings& s, const io::H5File& file) {
  const io::Shape shape = file.shape(s.initial_dataset);
  const spectral::Vorticity2DConfig& c = s.solver;
  const std::string where = fmt::format("{}:{}", s.initial_file, s.initial_dataset);
  if (shape.size() != 4 || shape[2] != std::uint64_t(c.ny) || shape[3] != std::uint64_t(c.nx))
    throw core::Error(fmt::format(
        "spectral.initial = \"file\": {} has shape [{}], expected [sample, time, {}, {}] (the "
        "solver's ny, nx; a run stored at a coarser grid cannot seed this one, spectral "
        "interpolation is not implemented)", where, fmt::join(shape, ", "), c.ny, c.nx));
  const std::int64_t frames = std::int64_t(shape[1]);
  const std::int64_t frame = s.initial_frame < 0 ? frames - 1 : s.initial_frame;
  if (frame >= frames)
    throw core::Error(fmt::format("spectral.initial_frame = {}: {} holds {} frames", frame, where,
                                  frames));
  const std::int64_t last_row = s.initial_sample + s.samples - 1;
  if (last_row >= std::int64_t(shape[0]))
    throw core::Error(fmt::format(
        "spectral.initial = \"file\": the run's {} samples need rows {} to {} of {}, which has "
        "{} rows", s.samples, s.initial_sample, last_row, where, shape[0]));
  return frame;
}

// Initial vorticity of samples [first, first + count) of this run from the file (rows
// initial_sample + first ...); host [b][y][x].
template <class Real>
std::vector<Real> initial_from_file(const Settings& s, std::int64_t first, int count) {
  const io::H5File file = io::H5File::open(s.initial_file);
  const std::int64_t frame = checked_initial_frame(s, file);
  const spectral::Vorticity2DConfig& c = s.solver;
  const std::size_t plane = std::size_t(c.ny) * c.nx;
  std::vector<Real> out(plane * std::size_t(count));
  for (int b = 0; b < count; ++b) {
    const io::Array<double> row =
        file.read_frame<double>(s.initial_dataset, std::uint64_t(s.initial_sample + first + b));
    for (std::size_t i = 0; i < plane; ++i)
      out[b * plane + i] = Real(row.values[std::size_t(frame) * plane + i]);
  }
  return out;
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

// A run's scalars in a checkpoint, under run/<name>: State::each(state, f) calls f(name, member)
// for each of them.
template <class State>
void save_scalars(const State& state, io::StateWriter& w) {
  State::each(state, [&](const char* name, const auto& v) {
    w.put(std::string("run/") + name, v);
  });
}
template <class State>
void load_scalars(State& state, const io::StateReader& r) {
  State::each(state, [&](const char* name, auto& v) {
    r.get(std::string("run/") + name, &v, 1);
  });
}

// Checkpoints of the dataset generator. /vorticity is a TimeSeries whose frames are whole
// samples [time][y][x]: a batch's trajectories stay in memory (BatchRecord) until its last
// snapshot and are appended then, so the file never holds part of a sample. A checkpoint holds
// the solver's state and what the batch has recorded so far; a restart cuts every series back
// to its frames at the checkpoint (reopen_output: whole samples, and the first sample's frames
// for ParaView) and appends from there, so no sample or frame is written twice or left out.
// Initial fields need no random-number state: a sample's field is a pure function of its seed.

// What a batch has recorded, host memory; appended to the file when the batch ends.
template <class Real>
struct BatchRecord {
  int batch = 0;
  std::uint64_t frames = 0, plane = 0, shells = 0;
  std::vector<Real> vorticity;             // [b][time][y][x] (stored grid)
  std::vector<double> energy, enstrophy;   // [b][time]
  std::vector<double> spectrum;            // [b][time][shell]
  std::vector<std::int64_t> steps;         // [time] steps from t = 0, the same for the batch

  BatchRecord(int b, std::uint64_t f, std::uint64_t p, std::uint64_t s)
      : batch(b), frames(f), plane(p), shells(s), vorticity(b * f * p), energy(b * f),
        enstrophy(b * f), spectrum(b * f * s), steps(f, 0) {}

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

// Where the generator stands, and every figure summary.json is computed from.
struct GeneratorState {
  std::int64_t begin = 0;       // the current batch's first sample (of this run)
  std::int64_t recorded = 0;    // snapshots the current batch has recorded
  std::int64_t batch_step = 0;  // steps the current batch has taken
  double target = 0;            // adaptive steps: the time of the next snapshot
  std::int64_t batch_steps = 0, total_steps = 0;  // steps of batches; of samples
  double dt_min = 0, dt_max = 0, tg_error = 0, solver_s = 0;
  // Per sample energy and enstrophy of the first and the last frame, summed in sample order.
  double e0 = 0, e1 = 0, z0 = 0, z1 = 0;

  void save(io::StateWriter& w) const { save_scalars(*this, w); }
  void load(const io::StateReader& r) { load_scalars(*this, r); }

  template <class Self, class F>
  static void each(Self& s, F f) {
    f("begin", s.begin);
    f("recorded", s.recorded);
    f("batch_step", s.batch_step);
    f("target", s.target);
    f("batch_steps", s.batch_steps);
    f("total_steps", s.total_steps);
    f("dt_min", s.dt_min);
    f("dt_max", s.dt_max);
    f("tg_error", s.tg_error);
    f("solver_s", s.solver_s);
    f("e0", s.e0);
    f("e1", s.e1);
    f("z0", s.z0);
    f("z1", s.z1);
  }
};

// The initial vorticity of the batch of `count` samples from the run's sample `begin`.
template <class Real>
void set_initial(spectral::Vorticity2D<Real>& solver, const Settings& s, std::int64_t begin,
                 int count) {
  if (s.from_file) {
    solver.set_vorticity(initial_from_file<Real>(s, begin, count));
  } else if (s.random) {
    std::vector<std::uint64_t> seeds(count);
    std::iota(seeds.begin(), seeds.end(), std::uint64_t(s.seed + s.first + begin));
    solver.set_random_field(s.field, seeds);
  } else {
    solver.set_taylor_green(s.u0, s.mode);
  }
}

template <class Real>
RunResult run_samples(const RunContext& ctx, const Settings& s, const std::string& precision) {
  constexpr io::DType k_type = std::is_same_v<Real, float> ? io::DType::f32 : io::DType::f64;
  const spectral::Vorticity2DConfig& c = s.solver;
  const std::uint64_t frames = std::uint64_t(s.snapshots) + 1;
  const std::uint64_t mx = std::uint64_t(s.stored_nx), my = std::uint64_t(s.stored_ny);
  const std::size_t plane = std::size_t(mx * my);

  io::H5File file = open_output(ctx, "case units: lengths in the unit of lx, time in the unit of dt");
  io::TimeSeries trajectories(file, "/vorticity", {{frames, my, mx}, k_type, "1/time", "time"});
  io::TimeSeries energy(file, "/kinetic_energy", {{frames}, io::DType::f64, "length^2/time^2",
                                                  "time"});
  io::TimeSeries enstrophy(file, "/enstrophy", {{frames}, io::DType::f64, "1/time^2", "time"});
  // E(k) of every sample at every snapshot, on the solver's grid (not the stored one): rows
  // [sample][time][shell] like /kinetic_energy, shell s at |k| = s dk.
  const spectral::Grid2D grid{c.nx, c.ny, c.nx / 2 + 1, 2 * M_PI / c.lx, 2 * M_PI / c.ly};
  const std::uint64_t shells = std::uint64_t(spectral::spectrum_shells_2d(grid));
  const double dk = spectral::spectrum_dk(grid.kx0, grid.ky0);
  io::TimeSeries spectrum(file, "/energy_spectrum", {{frames, shells}, io::DType::f64,
                                                     "length^2/time^2", "time"});
  // Steps taken from t = 0 to each snapshot (adaptive runs vary; fixed runs k * steps).
  io::TimeSeries step_counts(file, "/steps", {{frames}, io::DType::i64, "", "time"});
  std::vector<double> times(frames);
  for (std::uint64_t k = 0; k < frames; ++k)
    times[k] = s.cfl > 0 ? double(k) * s.interval : double(k * s.steps_per_snapshot) * c.dt;
  // The first sample as an ordinary field series, for ParaView.
  io::FieldSeries first(file, "vorticity_first_sample", {my, mx}, 1, k_type, "1/time", "time");
  if (!ctx.restart) {
    describe_dataset(file, "/vorticity", s, precision);
    describe_energy_spectrum(file, shells, dk, ", solver grid, every sample at every snapshot");
    file.set_attribute("/energy_spectrum", "axes", std::string("sample time shell"));
    file.write("/snapshot_time", times.data(), {frames});
  }
  const std::filesystem::path xmf = ctx.run.file(ctx.name + ".xmf");
  io::XdmfWriter xdmf = ctx.restart ? io::XdmfWriter(xmf, file.path(), first.frames())
                                    : io::XdmfWriter(xmf, file.path());
  const double hx = c.lx / double(mx), hy = c.ly / double(my);
  const io::CoRectMesh mesh{{1, my, mx}, {0, 0, 0}, {hx, hy, hx}};
  const bool taylor_green =
      !s.random && !s.from_file && c.forcing.kind == spectral::ForcingKind::none;

  // Progress in sample-snapshots: adaptive runs do not know their step count in advance.
  core::Progress progress("spectral", s.samples * s.snapshots, "sample-snapshots");
  GeneratorState g;
  g.dt_min = c.dt;
  if (ctx.restart) g.load(ctx.restart->state());
  std::unique_ptr<spectral::Vorticity2D<Real>> solver;
  std::optional<BatchRecord<Real>> record;

  // Snapshot g.recorded of the batch into the record (and, for the first batch, the file).
  const auto record_snapshot = [&] {
    const std::uint64_t k = std::uint64_t(g.recorded);
    const std::vector<Real> w = solver->vorticity(int(my), int(mx));
    const std::vector<double> e = solver->kinetic_energy(), z = solver->enstrophy();
    const std::vector<double> spec = solver->energy_spectrum();
    for (int b = 0; b < record->batch; ++b) {
      std::copy_n(w.begin() + b * plane, plane,
                  record->vorticity.begin() + (std::size_t(b) * frames + k) * plane);
      record->energy[b * frames + k] = e[b];
      record->enstrophy[b * frames + k] = z[b];
      std::copy_n(spec.begin() + b * shells, shells,
                  record->spectrum.begin() + (std::size_t(b) * frames + k) * shells);
    }
    record->steps[k] = g.batch_step;
    if (g.begin == 0) {
      xdmf.add_step(times[k], mesh,
                    {{"vorticity", first.append(w.data(), g.batch_step, times[k])}});
      if (taylor_green) g.tg_error = std::max(g.tg_error, taylor_green_error(w, s, times[k]));
    }
    if (k > 0 && s.cfl > 0) {
      g.dt_min = std::min(g.dt_min, solver->last_dt());
      g.dt_max = std::max(g.dt_max, solver->last_dt());
    }
    progress.update(g.begin * s.snapshots + record->batch * std::int64_t(k));
    ++g.recorded;
    g.target = solver->time() + s.interval;
  };
  // The batch's samples as rows of the datasets, once it has recorded every snapshot.
  const auto append_batch = [&] {
    const BatchRecord<Real>& r = *record;
    for (int b = 0; b < r.batch; ++b) {
      const std::int64_t sample = s.first + g.begin + b;
      trajectories.append(r.vorticity.data() + std::size_t(b) * frames * plane, sample,
                          times.back());
      energy.append(r.energy.data() + b * frames, sample, times.back());
      enstrophy.append(r.enstrophy.data() + b * frames, sample, times.back());
      spectrum.append(r.spectrum.data() + std::size_t(b) * frames * shells, sample,
                      times.back());
      step_counts.append(r.steps.data(), sample, times.back());
      g.e0 += r.energy[b * frames];
      g.e1 += r.energy[b * frames + frames - 1];
      g.z0 += r.enstrophy[b * frames];
      g.z1 += r.enstrophy[b * frames + frames - 1];
    }
  };
  const auto save = [&](io::StateWriter& w) {
    spectral::save_state(solver->state(), w, "solver");
    g.save(w);
    record->save(w, std::uint64_t(g.recorded));
  };

  // Every step is a boundary: a checkpoint may fall anywhere in a batch.
  for (bool resumed = ctx.restart != nullptr; g.begin < s.samples; g.begin += c.batch) {
    spectral::Vorticity2DConfig bc = c;
    bc.batch = int(std::min<std::int64_t>(c.batch, s.samples - g.begin));
    solver = spectral::make_vorticity2d<Real>(ctx.backend, bc);
    record.emplace(bc.batch, frames, plane, shells);
    if (resumed) {
      solver->set_state(spectral::load_state<Real>(ctx.restart->state(), "solver"));
      record->load(ctx.restart->state(), std::uint64_t(g.recorded));
      resumed = false;
    } else {
      set_initial(*solver, s, g.begin, bc.batch);
      g.recorded = g.batch_step = 0;
      record_snapshot();
    }
    while (g.recorded < std::int64_t(frames)) {
      const auto t0 = std::chrono::steady_clock::now();
      if (s.cfl > 0)
        solver->advance_cfl_to(g.target, s.cfl, 1);
      else
        solver->advance(1);
      g.solver_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      ++g.batch_step;
      ++g.batch_steps;
      g.total_steps += bc.batch;
      if (s.cfl > 0 ? solver->time() == g.target
                    : g.batch_step == g.recorded * s.steps_per_snapshot) {
        record_snapshot();
        if (g.recorded == std::int64_t(frames)) append_batch();
      }
      if (ctx.checkpoints.at_boundary(g.batch_steps, solver->time(), save, &file)) {
        RunResult r;
        r.interrupted = true;
        return r;
      }
    }
  }
  progress.finish();

  const double n = double(s.samples);
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
  r.summary.set("kinetic_energy.initial_mean", g.e0 / n);
  r.summary.set("kinetic_energy.final_mean", g.e1 / n);
  r.summary.set("enstrophy.initial_mean", g.z0 / n);
  r.summary.set("enstrophy.final_mean", g.z1 / n);
  r.summary.set("steps.batch_total", g.batch_steps);
  if (s.cfl > 0) {
    r.summary.set("time_step.cfl", s.cfl);
    r.summary.set("time_step.min", g.dt_min);  // over the last step of each interval
    r.summary.set("time_step.max", g.dt_max);
  }
  r.summary.set("timing.solver_s", g.solver_s);
  r.summary.set("timing.batch_step_s", g.solver_s / double(g.batch_steps));
  r.summary.set("timing.sample_steps_per_s", double(g.total_steps) / g.solver_s);
  spdlog::info("{} samples, {} batch steps in {:.3g} s: {:.3g} ms per batch step of {}, {:.3g} "
               "sample-steps/s", s.samples, g.batch_steps, g.solver_s,
               1e3 * g.solver_s / double(g.batch_steps), c.batch,
               double(g.total_steps) / g.solver_s);
  if (taylor_green) {
    r.summary.set("taylor_green.max_relative_error", g.tg_error);
    spdlog::info("Taylor-Green: max |w - exact| / amplitude {:.3e}", g.tg_error);
  }
  return r;
}

// The frame of spectral3d's initial file, after checking it holds a dataset [time, z, y, x, 3]
// on the n^3 grid.
std::int64_t checked_initial_velocity_frame(const io::Section& s, const io::H5File& file, int n) {
  const std::string path = s.get_string("initial_file"),
                    dataset = s.get_string("initial_dataset");
  const io::Shape shape = file.shape(dataset);
  const std::uint64_t un = std::uint64_t(n);
  if (shape.size() != 5 || shape[1] != un || shape[2] != un || shape[3] != un || shape[4] != 3)
    throw core::Error(fmt::format("spectral3d.initial = \"file\": {}:{} has shape [{}], "
                                  "expected [time, {}, {}, {}, 3] (the solver's grid)",
                                  path, dataset, fmt::join(shape, ", "), n, n, n));
  const std::int64_t frames = std::int64_t(shape[0]);
  const std::int64_t frame = s.get_int("initial_frame") < 0 ? frames - 1 : s.get_int("initial_frame");
  if (frame >= frames)
    throw core::Error(fmt::format("spectral3d.initial_frame = {}: {}:{} holds {} frames", frame,
                                  path, dataset, frames));
  return frame;
}

io::H5File open_initial_velocity_file(const io::Section& s) {
  if (!s.has("initial_file"))
    throw core::Error("spectral3d.initial = \"file\" needs spectral3d.initial_file (the HDF5 "
                      "file to start from)");
  return io::H5File::open(s.get_string("initial_file"));
}

// Initial velocity from a frame of a dataset [time, z, y, x, 3] on the n^3 grid; host planar
// [c][z][y][x] as Velocity3D::set_velocity takes it.
template <class Real>
std::vector<Real> initial_velocity_from_file(const io::Section& s, int n) {
  const io::H5File file = open_initial_velocity_file(s);
  const std::int64_t frame = checked_initial_velocity_frame(s, file, n);
  const std::string dataset = s.get_string("initial_dataset");
  const std::uint64_t un = std::uint64_t(n);
  const io::Array<double> f = file.read_frame<double>(dataset, std::uint64_t(frame));
  const std::size_t points = std::size_t(un * un * un);
  std::vector<Real> planar(3 * points);
  for (std::size_t i = 0; i < points; ++i)
    for (int k = 0; k < 3; ++k) planar[k * points + i] = Real(f.values[3 * i + k]);
  return planar;
}

spectral::Velocity3DConfig velocity3d_config(const io::Section& s) {
  spectral::Velocity3DConfig c;
  c.nx = c.ny = c.nz = int(s.get_int("n"));
  c.lx = c.ly = c.lz = s.get_float("l");
  c.nu = s.get_float("nu");
  c.dt = s.get_float("dt");
  c.linear_forcing = s.get_float("linear_forcing");
  return c;
}

std::int64_t diagnostics_records(const io::Section& s) {
  return whole_multiple(s.get_float("t_end"), s.get_float("diagnostics_interval"),
                        "spectral3d.t_end / diagnostics_interval");
}

// Where the 3D run stands and every figure summary.json is computed from: what a checkpoint
// holds besides the solver's state.
struct RecordState {
  std::int64_t recorded = 0;  // diagnostics records written
  std::int64_t step = 0;
  double target = 0;  // adaptive steps: the time of the next record
  double peak = 0, t_peak = 0, worst_divergence = 0, solver_s = 0, dt_min = 0, dt_max = 0;
  double e0 = 0;
  std::vector<double> eps_history, t_history;  // dissipation at each record, and its time

  void save(io::StateWriter& w) const {
    save_scalars(*this, w);
    w.put("run/eps_history", eps_history);
    w.put("run/t_history", t_history);
  }
  void load(const io::StateReader& r) {
    load_scalars(*this, r);
    eps_history = r.get<double>("run/eps_history");
    t_history = r.get<double>("run/t_history");
  }

  template <class Self, class F>
  static void each(Self& s, F f) {
    f("recorded", s.recorded);
    f("step", s.step);
    f("target", s.target);
    f("peak", s.peak);
    f("t_peak", s.t_peak);
    f("worst_divergence", s.worst_divergence);
    f("solver_s", s.solver_s);
    f("dt_min", s.dt_min);
    f("dt_max", s.dt_max);
    f("e0", s.e0);
  }
};

// The 3D run: one sample, diagnostics (E, Z, dissipation 2 nu Z, divergence) every interval,
// the velocity field at snapshots. Every step is a checkpoint boundary; a restart reopens the
// series (cut back to their frames at the checkpoint) and the XDMF sidecar and continues.
template <class Real>
RunResult run_velocity3d(const RunContext& ctx, const io::Section& s) {
  constexpr io::DType k_type = std::is_same_v<Real, float> ? io::DType::f32 : io::DType::f64;
  const spectral::Velocity3DConfig c = velocity3d_config(s);
  const double cfl = s.get_float("cfl"), interval = s.get_float("diagnostics_interval");
  // Adaptive steps land on every record by themselves: dt need not divide the interval.
  const std::int64_t steps_per_record =
      cfl > 0 ? 0 : whole_multiple(interval, c.dt, "spectral3d.diagnostics_interval / dt");
  const std::int64_t records = diagnostics_records(s);
  const std::int64_t snapshot_every = s.get_int("snapshot_every");
  auto solver = spectral::make_velocity3d<Real>(ctx.backend, c);
  const std::string initial = s.get_string("initial");
  if (ctx.restart)
    solver->set_state(spectral::load_state<Real>(ctx.restart->state(), "solver"));
  else if (initial == "file")
    solver->set_velocity(initial_velocity_from_file<Real>(s, c.nx));
  else
    solver->set_initial(initial == "abc" ? spectral::Initial3D::abc
                                         : spectral::Initial3D::taylor_green,
                        s.get_float("v0"));

  io::H5File file = open_output(ctx, "case units: lengths in the unit of l, time in the unit of dt");
  const std::uint64_t n = std::uint64_t(c.nx);
  io::FieldSeries velocity(file, "velocity", {n, n, n}, 3, k_type, "length/time", "time");
  io::TimeSeries energy(file, "/kinetic_energy", {{1}, io::DType::f64, "length^2/time^2", "time"});
  io::TimeSeries enstrophy(file, "/enstrophy", {{1}, io::DType::f64, "1/time^2", "time"});
  io::TimeSeries dissipation(file, "/dissipation", {{1}, io::DType::f64, "length^2/time^3",
                                                    "time"});
  // E(k) at every record: [record][shell], shell s at |k| = s dk (energy per shell).
  const std::uint64_t shells = std::uint64_t(solver->spectrum_shells());
  const double dk = solver->spectrum_shell_width();
  io::TimeSeries spectrum(file, "/energy_spectrum", {{shells}, io::DType::f64, "length^2/time^2",
                                                     "time"});
  io::TimeSeries time_step(file, "/time_step", {{1}, io::DType::f64, "time", "time"});
  if (!ctx.restart) {
    describe_energy_spectrum(file, shells, dk, "");
    file.set_attribute("/time_step", "definition",
                       std::string("the last step before each record (fixed runs: dt)"));
  }
  const std::filesystem::path xmf = ctx.run.file(ctx.name + ".xmf");
  io::XdmfWriter xdmf = ctx.restart ? io::XdmfWriter(xmf, file.path(), velocity.frames())
                                    : io::XdmfWriter(xmf, file.path());
  const double h = c.lx / double(n);
  const io::CoRectMesh mesh{{n, n, n}, {0, 0, 0}, {h, h, h}};

  RecordState g;
  g.dt_min = c.dt;
  g.e0 = solver->kinetic_energy()[0];
  if (ctx.restart) g.load(ctx.restart->state());
  core::Progress progress("spectral3d", records, "records");
  const auto record = [&] {
    const std::int64_t r = g.recorded;
    const double t = solver->time();
    const double e = solver->kinetic_energy()[0], z = solver->enstrophy()[0], eps = 2 * c.nu * z;
    energy.append(&e, g.step, t);
    enstrophy.append(&z, g.step, t);
    dissipation.append(&eps, g.step, t);
    const double dt_now = solver->last_dt();
    time_step.append(&dt_now, g.step, t);
    spectrum.append(solver->energy_spectrum().data(), g.step, t);
    g.worst_divergence = std::max(g.worst_divergence, solver->relative_divergence()[0]);
    if (eps > g.peak) g.peak = eps, g.t_peak = t;
    g.eps_history.push_back(eps);
    g.t_history.push_back(t);
    if (r > 0 && cfl > 0) {
      g.dt_min = std::min(g.dt_min, dt_now);
      g.dt_max = std::max(g.dt_max, dt_now);
    }
    if (r == 0 || r == records || (snapshot_every > 0 && r % snapshot_every == 0)) {
      const std::vector<Real> planar = solver->velocity();  // [c][z][y][x]
      const std::size_t points = std::size_t(n * n * n);
      std::vector<Real> interleaved(3 * points);  // [z][y][x][c], what viewers read as a vector
      for (std::size_t i = 0; i < points; ++i)
        for (int k = 0; k < 3; ++k) interleaved[3 * i + k] = planar[k * points + i];
      xdmf.add_step(t, mesh, {{"velocity", velocity.append(interleaved.data(), g.step, t)}});
    }
    progress.update(r);
    ++g.recorded;
    g.target = t + interval;
  };
  const auto save = [&](io::StateWriter& w) {
    spectral::save_state(solver->state(), w, "solver");
    g.save(w);
  };

  if (!ctx.restart) record();
  while (g.recorded <= records) {
    const auto t0 = std::chrono::steady_clock::now();
    if (cfl > 0)
      solver->advance_cfl_to(g.target, cfl, 1);
    else
      solver->advance(1);
    g.solver_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++g.step;
    if (cfl > 0 ? solver->time() == g.target : g.step == g.recorded * steps_per_record) record();
    if (ctx.checkpoints.at_boundary(g.step, solver->time(), save, &file)) {
      RunResult result;
      result.interrupted = true;
      return result;
    }
  }
  progress.finish();

  RunResult result;
  result.summary.set("grid.n", c.nx);
  result.summary.set("kinetic_energy.initial", g.e0);
  result.summary.set("kinetic_energy.final", solver->kinetic_energy()[0]);
  result.summary.set("dissipation.peak", g.peak);
  result.summary.set("dissipation.t_peak", g.t_peak);
  // The peak between records: the parabola through the largest record and its neighbours
  // (equally spaced in time); the record itself when the largest is the first or the last.
  {
    const std::vector<double>& eps_history = g.eps_history;
    const auto top = std::max_element(eps_history.begin(), eps_history.end());
    const std::size_t i = std::size_t(top - eps_history.begin());
    double peak_fit = g.peak, t_fit = g.t_peak;
    if (i > 0 && i + 1 < eps_history.size()) {
      const double a = eps_history[i - 1], b = eps_history[i], d = eps_history[i + 1];
      const double curvature = a - 2 * b + d;  // < 0 at an interior maximum
      if (curvature < 0) {
        const double x = 0.5 * (a - d) / curvature;  // offset in records, |x| <= 1/2
        t_fit = g.t_history[i] + x * (g.t_history[i + 1] - g.t_history[i]);
        peak_fit = b - 0.25 * (a - d) * x;
      }
    }
    result.summary.set("dissipation.peak_interpolated", peak_fit);
    result.summary.set("dissipation.t_peak_interpolated", t_fit);
  }
  result.summary.set("divergence.max_relative", g.worst_divergence);
  result.summary.set("steps.total", g.step);
  if (cfl > 0) {
    result.summary.set("time_step.cfl", cfl);
    result.summary.set("time_step.min", g.dt_min);  // over the last step before each record
    result.summary.set("time_step.max", g.dt_max);
  }
  result.summary.set("timing.solver_s", g.solver_s);
  result.summary.set("timing.step_s", g.solver_s / double(g.step));
  spdlog::info("peak dissipation {:.6f} at t = {:.3g}; max relative divergence {:.2e}; "
               "{:.3g} ms per step", g.peak, g.t_peak, g.worst_divergence,
               1e3 * g.solver_s / double(g.step));
  return result;
}

}  // namespace

void check_spectral(const io::Case& c) {
  const Settings s = read_settings(c.section("spectral"));
  if (s.from_file) checked_initial_frame(s, io::H5File::open(s.initial_file));
}

void check_spectral3d(const io::Case& c) {
  const io::Section s = c.section("spectral3d");
  if (s.get_string("initial") == "file")
    checked_initial_velocity_frame(s, open_initial_velocity_file(s), int(s.get_int("n")));
}

namespace {

// Groups, attributes, the per-frame views the .xmf points at; of a checkpoint, its names.
constexpr std::uint64_t k_metadata_bytes = 128u << 10, k_checkpoint_metadata_bytes = 32u << 10;

}  // namespace

OutputPlan plan_spectral(const io::Case& c) {
  const Settings s = read_settings(c.section("spectral"));
  const spectral::Vorticity2DConfig& v = s.solver;
  const std::uint64_t real = c.get_string("spectral.precision") == "float32" ? 4 : 8;
  const std::uint64_t frames = std::uint64_t(s.snapshots) + 1, batch = std::uint64_t(v.batch);
  const std::uint64_t samples = std::uint64_t(s.samples);
  const std::uint64_t plane = std::uint64_t(s.stored_nx) * std::uint64_t(s.stored_ny);
  const spectral::Grid2D grid{v.nx, v.ny, v.nx / 2 + 1, 2 * M_PI / v.lx, 2 * M_PI / v.ly};
  const std::uint64_t shells = std::uint64_t(spectral::spectrum_shells_2d(grid));
  const std::uint64_t modes = std::uint64_t(v.ny) * std::uint64_t(grid.nkx);
  OutputPlan plan;
  // A row per sample: the trajectory, E, Z, step counts and E(k) at every snapshot; the first
  // sample's frames once more for ParaView.
  plan.output_bytes = io::series_bytes(samples, frames * plane * real) +
                      3 * io::series_bytes(samples, frames * 8) +
                      io::series_bytes(samples, frames * shells * 8) +
                      io::series_bytes(frames, plane * real) + k_metadata_bytes;
  // The solver's modes and what the batch has recorded (at most all of its frames).
  plan.checkpoint_bytes = batch * (modes * 2 * real + frames * (plane * real + (3 + shells) * 8)) +
                          k_checkpoint_metadata_bytes;
  return plan;
}

OutputPlan plan_spectral3d(const io::Case& c) {
  const io::Section s = c.section("spectral3d");
  const std::uint64_t real = s.get_string("precision") == "float32" ? 4 : 8;
  const int n = int(s.get_int("n"));
  const double k0 = 2 * M_PI / s.get_float("l");
  const spectral::Grid3D grid{n, n, n, n / 2 + 1, k0, k0, k0};
  const std::uint64_t shells = std::uint64_t(spectral::spectrum_shells_3d(grid));
  const std::uint64_t points = std::uint64_t(n) * n * n, modes = std::uint64_t(n) * n * (n / 2 + 1);
  const std::uint64_t last = std::uint64_t(diagnostics_records(s)), records = last + 1;
  const std::uint64_t every = std::uint64_t(s.get_int("snapshot_every"));
  // Velocity frames at record 0, every `every` records and the last.
  const std::uint64_t snapshots = every > 0 ? last / every + 1 + (last % every ? 1 : 0) : 2;
  OutputPlan plan;
  // The velocity frames; E, Z, dissipation, the time step and E(k) at every record.
  plan.output_bytes = io::series_bytes(snapshots, 3 * points * real) + 4 * io::series_bytes(records, 8) +
                      io::series_bytes(records, shells * 8) + k_metadata_bytes;
  // The velocity modes and the dissipation history with its times.
  plan.checkpoint_bytes = 3 * modes * 2 * real + records * 2 * 8 + k_checkpoint_metadata_bytes;
  return plan;
}

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
