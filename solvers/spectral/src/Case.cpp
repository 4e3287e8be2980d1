// The spectral sections of a case file: their schemas, the refusals the schema cannot make,
// the settings they describe and the disk a run will take.
#include "twinsim/spectral/Case.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "twinsim/core/Comm.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/spectral/kernels/energy_spectrum_kernel.hpp"

namespace twinsim::spectral {

void add_schema_2d(io::Schema& schema) {
  schema.section("spectral",
                 "Batched 2D incompressible Navier-Stokes, vorticity form, pseudo-spectral on a "
                 "periodic box; writes vorticity trajectories [sample, time, y, x]")
      .key_int("nx", "Grid points along x (even)").default_value(64).at_least(4).at_most(65536)
      .even()
      .key_int("ny", "Grid points along y (even)").default_value(64).at_least(4).at_most(65536)
      .even()
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
      .at_most(1 << 20)
      .key_string("forcing", "Vorticity forcing: none; fno: A (sin(2 pi (x/lx + y/ly)) + "
                             "cos(...)); kolmogorov: curl of A sin(kf y) e_x")
      .default_value("none").one_of({"none", "fno", "kolmogorov"})
      .key_float("forcing_amplitude", "A: fno [1/time^2], kolmogorov [length/time^2]")
      .default_value(0.1)
      .key_int("forcing_wavenumber", "Kolmogorov: forcing waves per box edge ly").default_value(4)
      .at_least(1).at_most(65536)
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
      .at_most(65536)
      .key_int("seed", "Seed of sample 0; sample s draws with seed + s").default_value(0)
      .at_least(0).at_most(1e18)
      .key_int("first_sample", "Index of this run's first sample in the whole dataset")
      .default_value(0).at_least(0).at_most(1e15)
      .key_int("samples", "Samples in this run").default_value(1).at_least(1).at_most(1e9)
      .key_float("snapshot_interval", "Time between stored snapshots (a whole number of dt)")
      .default_value(1.0).unit("time").greater_than(0.0)
      .key_int("stored_nx", "Stored grid along x (spectral truncation); 0: the solver's")
      .default_value(0).at_least(0).at_most(65536)
      .key_int("stored_ny", "Stored grid along y (spectral truncation); 0: the solver's")
      .default_value(0).at_least(0).at_most(65536);
}

void add_schema_3d(io::Schema& schema) {
  schema.section("spectral3d",
                 "3D incompressible Navier-Stokes, velocity (rotational) form, pseudo-spectral "
                 "on a periodic cube, RK4 with integrating factor")
      .key_int("n", "Grid points per direction (even)").default_value(64).at_least(4)
      .at_most(16384).even()
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

void add_schema_taylor_green(io::Schema& schema) {
  schema.section("taylor_green", "Exact 2D Taylor-Green vortex on a periodic square grid")
      .key_int("n", "Grid points per direction (even)").default_value(128).at_least(4)
      .at_most(16384).even()
      .key_float("k", "Wavenumber; the box edge is 2 pi / k").default_value(1.0)
      .unit("1/length").greater_than(0.0)
      .key_float("u0", "Velocity amplitude").default_value(1.0).unit("length/time")
      .greater_than(0.0)
      .key_float("nu", "Kinematic viscosity").default_value(0.01).unit("length^2/time")
      .at_least(0.0)
      .key_float("t_end", "Last output time").default_value(10.0).unit("time").at_least(0.0)
      .key_int("frames", "Output frames, evenly spaced over [0, t_end]").default_value(11)
      .at_least(1);
}

namespace {

// total / unit as a whole number (what the settings use), rounded.
std::int64_t ratio(double total, double unit) { return std::llround(total / unit); }

// Throws core::Error naming `what` unless total / unit is a whole number from 1 to 1e9 (steps
// per snapshot, snapshots per run: their product, the run's steps, then fits an int64, and the
// ratio converts to an integer without overflow).
void require_whole_multiple(double total, double unit, const char* what) {
  const double r = total / unit;
  if (!(r <= 1e9))
    throw core::Error(fmt::format("{} = {} / {} = {}: at most 1e9", what, total, unit, r));
  const std::int64_t n = std::llround(r);
  if (n < 1 || std::abs(r - double(n)) > 1e-9 * r)
    throw core::Error(
        fmt::format("{} is not a whole multiple ({} / {} = {})", what, total, unit, r));
}

// Groups, attributes, the per-frame views the .xmf points at; of a checkpoint, its names.
constexpr std::uint64_t k_metadata_bytes = 128u << 10, k_checkpoint_metadata_bytes = 32u << 10;

// The time index a run starts from: initial_frame, or the last of `frames` for -1.
std::int64_t resolved_frame(std::int64_t initial_frame, std::uint64_t frames) {
  return initial_frame < 0 ? std::int64_t(frames) - 1 : initial_frame;
}

constexpr double k_courant_rk4_if = 2.8, k_courant_cn_heun = 2.0, k_courant_cn_euler = 1.0;

// The advective Courant number C = dt (max|u|/hx + max|v|/hy [+ max|w|/hz]) beyond which each
// time integrator went wrong on the Taylor-Green vortex (the 2D vortex with u0 = 1 on
// [0, 2 pi)^2 to t = 10, nx = 32 and 64, nu = 0 and 0.01, against its exact decay). rk4_if
// kept round-off errors (1e-15) to C = 3.0 in all four and went wrong from 3.5 (nx = 64, nu = 0:
// 2e-12, then 2e13 at 4.0): 2.8, RK4's imaginary-axis limit 2 sqrt 2. cn_heun (nu = 0.01, nx =
// 64) kept 6e-8 to C = 2.0 and grew from 2.5; cn_euler kept 2e-8 to C = 1.0, 2e-4 at 1.5.
// Without viscosity the explicit Euler and Heun parts amplify round-off at any step (Euler:
// 1e-3 at C = 0.5), which a step limit cannot cure. The viscous term needs no limit: the
// integrating factor takes it exactly, Crank-Nicolson is unconditionally stable.
double courant_limit(Scheme scheme) {
  switch (scheme) {
    case Scheme::rk4_if: return k_courant_rk4_if;
    case Scheme::cn_heun: return k_courant_cn_heun;
    default: return k_courant_cn_euler;
  }
}

// Refuses a fixed time step above the scheme's Courant limit for a start whose velocity scale
// the case gives (Taylor-Green, ABC); velocity_over_h = sum_i max|u_i| / h_i.
void require_stable_dt(const std::string& section, double dt, Scheme scheme,
                       double velocity_over_h, const std::string& start) {
  const double limit = courant_limit(scheme), courant = dt * velocity_over_h;
  if (courant <= limit) return;
  throw core::Error(fmt::format(
      "{0}.dt = {1} time: the Courant number dt sum_i max|u_i|/h_i = {2:.3g} for the {3} start "
      "exceeds {4}, where {5} goes unstable (measured on the Taylor-Green vortex); use {0}.dt "
      "<= {6:.4g} time, or {0}.cfl > 0 for adaptive steps",
      section, dt, courant, start, limit, to_string(scheme), limit / velocity_over_h));
}

// initial = file (2D): a dataset [sample, time, y, x] on the solver's grid with the frame and a
// row for every sample of the run.
// The initial file, its problems ("no file ...", "not an HDF5 file", a missing dataset) named
// by the key that gave it.
io::H5File open_initial_file(const char* key, const std::string& path) {
  try {
    return io::H5File::open(path);
  } catch (const core::Error& e) {
    throw core::Error(fmt::format("{}: {}", key, e.what()));
  }
}

io::Shape initial_shape(const char* key, const io::H5File& file, const std::string& dataset) {
  try {
    return file.shape(dataset);
  } catch (const core::Error& e) {
    throw core::Error(fmt::format("{}: {}", key, e.what()));
  }
}

void check_initial_file_2d(const Settings2D& s) {
  const io::H5File file = open_initial_file("spectral.initial_file", s.initial_file);
  const io::Shape shape = initial_shape("spectral.initial_dataset", file, s.initial_dataset);
  const Vorticity2DConfig& c = s.solver;
  const std::string where = fmt::format("{}:{}", s.initial_file, s.initial_dataset);
  if (shape.size() != 4 || shape[2] != std::uint64_t(c.ny) || shape[3] != std::uint64_t(c.nx))
    throw core::Error(fmt::format(
        "spectral.initial = \"file\": {} has shape [{}], expected [sample, time, {}, {}] (the "
        "solver's ny, nx; a run stored at a coarser grid cannot seed this one, spectral "
        "interpolation is not implemented)", where, fmt::join(shape, ", "), c.ny, c.nx));
  const std::int64_t frames = std::int64_t(shape[1]);
  const std::int64_t frame = resolved_frame(s.initial_frame, shape[1]);
  if (frame >= frames)
    throw core::Error(fmt::format("spectral.initial_frame = {}: {} holds {} frames", frame, where,
                                  frames));
  const std::int64_t last_row = s.initial_sample + s.samples - 1;
  if (last_row >= std::int64_t(shape[0]))
    throw core::Error(fmt::format(
        "spectral.initial = \"file\": the run's {} samples need rows {} to {} of {}, which has "
        "{} rows", s.samples, s.initial_sample, last_row, where, shape[0]));
}

// initial = file (3D): a dataset [time, z, y, x, 3] on the n^3 grid with the frame.
void check_initial_file_3d(const Settings3D& s) {
  const io::H5File file = open_initial_file("spectral3d.initial_file", s.initial_file);
  const io::Shape shape = initial_shape("spectral3d.initial_dataset", file, s.initial_dataset);
  const int n = s.solver.nx;
  const std::uint64_t un = std::uint64_t(n);
  if (shape.size() != 5 || shape[1] != un || shape[2] != un || shape[3] != un || shape[4] != 3)
    throw core::Error(fmt::format("spectral3d.initial = \"file\": {}:{} has shape [{}], "
                                  "expected [time, {}, {}, {}, 3] (the solver's grid)",
                                  s.initial_file, s.initial_dataset, fmt::join(shape, ", "), n,
                                  n, n));
  const std::int64_t frames = std::int64_t(shape[0]);
  const std::int64_t frame = resolved_frame(s.initial_frame, shape[0]);
  if (frame >= frames)
    throw core::Error(fmt::format("spectral3d.initial_frame = {}: {}:{} holds {} frames", frame,
                                  s.initial_file, s.initial_dataset, frames));
}

}  // namespace

// ---- [spectral] -----------------------------------------------------------------------------

Settings2D settings_2d(const io::Case& case_file) {
  const io::Section s = case_file.section("spectral");
  Settings2D r;
  Vorticity2DConfig& c = r.solver;
  c.nx = int(s.get_int("nx"));
  c.ny = int(s.get_int("ny"));
  c.lx = s.get_float("lx");
  c.ly = s.get_float("ly");
  c.nu = s.get_float("nu");
  c.dt = s.get_float("dt");
  c.scheme = scheme_from_string(s.get_string("scheme"));
  c.forcing = {forcing_from_string(s.get_string("forcing")), s.get_float("forcing_amplitude"),
               int(s.get_int("forcing_wavenumber"))};
  r.precision = s.get_string("precision");
  r.random = s.get_string("initial") == "random";
  r.from_file = s.get_string("initial") == "file";
  if (r.from_file) {
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
  r.interval = s.get_float("snapshot_interval");
  // Adaptive steps land on every snapshot by themselves: dt need not divide the interval.
  r.steps_per_snapshot = r.cfl > 0 ? 0 : ratio(r.interval, c.dt);
  r.snapshots = ratio(s.get_float("t_end"), r.interval);
  r.stored_nx = s.get_int("stored_nx") ? int(s.get_int("stored_nx")) : c.nx;
  r.stored_ny = s.get_int("stored_ny") ? int(s.get_int("stored_ny")) : c.ny;
  return r;
}

void check_2d(const io::Case& case_file) {
  const io::Section s = case_file.section("spectral");
  if (s.get_string("initial") == "file" && !s.has("initial_file"))
    throw core::Error("spectral.initial = \"file\" needs spectral.initial_file (the HDF5 file "
                      "to start from) and, unless it is /vorticity/value, "
                      "spectral.initial_dataset");
  if (s.get_float("cfl") <= 0)
    require_whole_multiple(s.get_float("snapshot_interval"), s.get_float("dt"),
                           "spectral.snapshot_interval / dt");
  require_whole_multiple(s.get_float("t_end"), s.get_float("snapshot_interval"),
                         "spectral.t_end / snapshot_interval");
  const Settings2D r = settings_2d(case_file);
  const Vorticity2DConfig& c = r.solver;
  if (r.stored_nx > c.nx || r.stored_ny > c.ny || r.stored_nx % 2 || r.stored_ny % 2)
    throw core::Error(fmt::format("stored grid {} x {}: expected even sizes no larger than the "
                                  "solver's {} x {}", r.stored_nx, r.stored_ny, c.nx, c.ny));
  if (r.from_file) check_initial_file_2d(r);
  // Taylor-Green: u = u0 sin(ax) cos(by), v = -u0 (a/b) cos(ax) sin(by).
  if (s.get_string("initial") == "taylor_green" && r.cfl <= 0)
    require_stable_dt("spectral", c.dt, c.scheme,
                      r.u0 * (c.nx / c.lx + c.ny / c.lx), "Taylor-Green");
}

template <class Real>
std::vector<Real> initial_vorticity_from_file(const Settings2D& s, std::int64_t first,
                                              int count) {
  const io::H5File file = io::H5File::open(s.initial_file);
  const std::int64_t frame =
      resolved_frame(s.initial_frame, file.shape(s.initial_dataset).at(1));
  const Vorticity2DConfig& c = s.solver;
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
template std::vector<float> initial_vorticity_from_file<float>(const Settings2D&, std::int64_t,
                                                               int);
template std::vector<double> initial_vorticity_from_file<double>(const Settings2D&,
                                                                 std::int64_t, int);

loop::Plan plan_2d(const io::Case& case_file) {
  const Settings2D s = settings_2d(case_file);
  const Vorticity2DConfig& v = s.solver;
  const std::uint64_t real = s.precision == "float32" ? 4 : 8;
  const std::uint64_t frames = std::uint64_t(s.snapshots) + 1, batch = std::uint64_t(v.batch);
  const std::uint64_t samples = std::uint64_t(s.samples);
  const std::uint64_t plane = std::uint64_t(s.stored_nx) * std::uint64_t(s.stored_ny);
  const Grid2D grid{v.nx, v.ny, v.nx / 2 + 1, 2 * M_PI / v.lx, 2 * M_PI / v.ly};
  const std::uint64_t shells = std::uint64_t(spectrum_shells_2d(grid));
  const std::uint64_t modes = std::uint64_t(v.ny) * std::uint64_t(grid.nkx);
  loop::Plan plan;
  // A row per sample: the trajectory, E, Z, step counts and E(k) at every snapshot; the first
  // sample's frames once more for ParaView.
  plan.output_bytes = io::series_bytes(samples, frames * plane * real) +
                      3 * io::series_bytes(samples, frames * 8) +
                      io::series_bytes(samples, frames * shells * 8) +
                      io::series_bytes(frames, plane * real) + k_metadata_bytes;
  // The solver's modes and what the batch has recorded (at most all of its frames).
  plan.checkpoint_bytes = batch * (modes * 2 * real + frames * (plane * real + (3 + shells) * 8)) +
                          k_checkpoint_metadata_bytes;
  // Backend memory: nine mode arrays of the batch (state, stages, forcing, the four gradient
  // transforms), four grids (u, v and the vorticity's gradient), a cuFFT work area about as
  // large, and the output grid (Vorticity2D.cpp's buffers).
  const std::uint64_t points = std::uint64_t(v.nx) * std::uint64_t(v.ny);
  plan.device_bytes = batch * real * (9 * 2 * modes + 8 * points + plane);
  plan.size_keys = "spectral.nx, spectral.ny or spectral.batch";
  return plan;
}

// ---- [spectral3d] ---------------------------------------------------------------------------

Settings3D settings_3d(const io::Case& case_file) {
  const io::Section s = case_file.section("spectral3d");
  Settings3D r;
  Velocity3DConfig& c = r.solver;
  c.nx = c.ny = c.nz = int(s.get_int("n"));
  c.lx = c.ly = c.lz = s.get_float("l");
  c.nu = s.get_float("nu");
  c.dt = s.get_float("dt");
  c.linear_forcing = s.get_float("linear_forcing");
  r.precision = s.get_string("precision");
  r.initial = s.get_string("initial");
  if (r.initial == "file") {
    r.initial_file = s.get_string("initial_file");
    r.initial_dataset = s.get_string("initial_dataset");
    r.initial_frame = s.get_int("initial_frame");
  }
  r.v0 = s.get_float("v0");
  r.cfl = s.get_float("cfl");
  r.interval = s.get_float("diagnostics_interval");
  // Adaptive steps land on every record by themselves: dt need not divide the interval.
  r.steps_per_record = r.cfl > 0 ? 0 : ratio(r.interval, c.dt);
  r.records = ratio(s.get_float("t_end"), r.interval);
  r.snapshot_every = s.get_int("snapshot_every");
  return r;
}

void check_3d(const io::Case& case_file) {
  const io::Section s = case_file.section("spectral3d");
  if (s.get_string("initial") == "file" && !s.has("initial_file"))
    throw core::Error("spectral3d.initial = \"file\" needs spectral3d.initial_file (the HDF5 "
                      "file to start from)");
  if (s.get_float("cfl") <= 0)
    require_whole_multiple(s.get_float("diagnostics_interval"), s.get_float("dt"),
                           "spectral3d.diagnostics_interval / dt");
  require_whole_multiple(s.get_float("t_end"), s.get_float("diagnostics_interval"),
                         "spectral3d.t_end / diagnostics_interval");
  // Across MPI ranks each holds n / ranks planes (Velocity3D.hpp).
  if (const int ranks = core::world().size(); s.get_int("n") % ranks != 0)
    throw core::Error(fmt::format("spectral3d.n = {}: the grid is split into slabs of n / ranks "
                                  "planes and {} ranks do not divide it; choose n or the rank "
                                  "count so that they do",
                                  s.get_int("n"), ranks));
  const Settings3D r = settings_3d(case_file);
  if (r.initial == "file") check_initial_file_3d(r);
  // Taylor-Green: max |u| = |v| = v0, w = 0; ABC: each component up to 2 v0 (cube of n^3).
  const double per_h = r.solver.nx / r.solver.lx;
  if (r.initial != "file" && r.cfl <= 0)
    require_stable_dt("spectral3d", r.solver.dt, Scheme::rk4_if,
                      r.initial == "abc" ? 6 * r.v0 * per_h : 2 * r.v0 * per_h,
                      r.initial == "abc" ? "ABC" : "Taylor-Green");
}

template <class Real>
std::vector<Real> initial_velocity_from_file(const Settings3D& s) {
  const io::H5File file = io::H5File::open(s.initial_file);
  const std::int64_t frame =
      resolved_frame(s.initial_frame, file.shape(s.initial_dataset).at(0));
  const std::uint64_t un = std::uint64_t(s.solver.nx);
  const io::Array<double> f = file.read_frame<double>(s.initial_dataset, std::uint64_t(frame));
  const std::size_t points = std::size_t(un * un * un);
  std::vector<Real> planar(3 * points);
  for (std::size_t i = 0; i < points; ++i)
    for (int k = 0; k < 3; ++k) planar[k * points + i] = Real(f.values[3 * i + k]);
  return planar;
}
template std::vector<float> initial_velocity_from_file<float>(const Settings3D&);
template std::vector<double> initial_velocity_from_file<double>(const Settings3D&);

loop::Plan plan_3d(const io::Case& case_file) {
  const Settings3D s = settings_3d(case_file);
  const std::uint64_t real = s.precision == "float32" ? 4 : 8;
  const int n = s.solver.nx;
  const double k0 = 2 * M_PI / s.solver.lx;
  const Grid3D grid{n, n, n, n / 2 + 1, k0, k0, k0};
  const std::uint64_t shells = std::uint64_t(spectrum_shells_3d(grid));
  const std::uint64_t points = std::uint64_t(n) * n * n, modes = std::uint64_t(n) * n * (n / 2 + 1);
  const std::uint64_t last = std::uint64_t(s.records), records = last + 1;
  const std::uint64_t every = std::uint64_t(s.snapshot_every);
  // Velocity frames at record 0, every `every` records and the last.
  const std::uint64_t snapshots = every > 0 ? last / every + 1 + (last % every ? 1 : 0) : 2;
  loop::Plan plan;
  // The velocity frames; E, Z, dissipation, the time step and E(k) at every record.
  plan.output_bytes = io::series_bytes(snapshots, 3 * points * real) +
                      4 * io::series_bytes(records, 8) + io::series_bytes(records, shells * 8) +
                      k_metadata_bytes;
  // The velocity modes and the dissipation history with its times.
  plan.checkpoint_bytes = 3 * modes * 2 * real + records * 2 * 8 + k_checkpoint_metadata_bytes;
  // Backend memory: fifteen mode arrays of three components (state, RK4 stages, the six
  // transforms of u and curl u), six grids and a cuFFT work area about as large (velocity3d.inl).
  plan.device_bytes = real * (15 * 2 * modes + modes + 12 * points);
  // Host copies: a velocity frame with its scratch (six grids) and the state for a checkpoint.
  plan.memory_bytes = real * 6 * points + plan.checkpoint_bytes;
  plan.size_keys = "spectral3d.n";
  return plan;
}

// ---- [taylor_green] -------------------------------------------------------------------------

TaylorGreenSettings taylor_green_settings(const io::Case& case_file) {
  const io::Section s = case_file.section("taylor_green");
  TaylorGreenSettings r;
  r.n = int(s.get_int("n"));
  r.params = {s.get_float("u0"), s.get_float("k"), s.get_float("nu")};
  r.t_end = s.get_float("t_end");
  r.frames = s.get_int("frames");
  return r;
}

}  // namespace twinsim::spectral
