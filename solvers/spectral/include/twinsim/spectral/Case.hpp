#pragma once
// The spectral sections of a case file: [spectral] (the batched 2D dataset generator),
// [spectral3d] (one 3D flow) and [taylor_green] (the exact 2D vortex check): their keys, the
// refusals the schema cannot make, the settings they describe and the disk a run will take.
// Units are the case's: lengths in the unit of the box edge, time in the unit of dt.
#include <cstdint>
#include <string>
#include <vector>

#include "twinsim/io/Case.hpp"
#include "twinsim/io/Schema.hpp"
#include "twinsim/loop/Run.hpp"
#include "twinsim/spectral/Velocity3D.hpp"
#include "twinsim/spectral/Vorticity2D.hpp"
#include "twinsim/spectral/kernels/taylor_green_kernel.hpp"

namespace twinsim::spectral {

// ---- [spectral]: run.solver = "spectral" -------------------------------------------------

void add_schema_2d(io::Schema& schema);

// Throws core::Error for what the schema cannot judge: a snapshot interval that is not a
// whole number of steps (fixed dt), a t_end that is not a whole number of snapshot intervals,
// a stored grid that is odd or finer than the solver's, initial = "file" without a file or
// with one whose dataset does not fit the run (grid, rows, frame).
void check_2d(const io::Case& case_file);

struct Settings2D {
  Vorticity2DConfig solver;  // batch: min(spectral.batch, samples)
  std::string precision;     // float32 | float64
  bool random = true;        // initial = random
  bool from_file = false;    // initial = file (random is false then)
  std::string initial_file, initial_dataset;
  std::int64_t initial_sample = 0, initial_frame = -1;
  double cfl = 0;       // > 0: adaptive steps that land on every snapshot
  double interval = 1;  // snapshot interval [time]
  RandomFieldParams field;
  double u0 = 1.0;  // Taylor-Green velocity amplitude [length/time]
  int mode = 1;
  std::int64_t seed = 0, first = 0, samples = 1;
  // Fixed dt: steps between snapshots (0 with cfl > 0); frames stored: snapshots + 1 (t = 0).
  std::int64_t steps_per_snapshot = 1, snapshots = 1;
  int stored_nx = 0, stored_ny = 0;

  // The run checks itself against the exact decay (unforced Taylor-Green).
  bool taylor_green() const {
    return !random && !from_file && solver.forcing.kind == ForcingKind::none;
  }
};
// The settings of a checked case (check_2d).
Settings2D settings_2d(const io::Case& case_file);

// initial = file: the initial vorticity of the run's samples [first, first + count) (rows
// initial_sample + first ... of the file's dataset, at initial_frame), host [b][y][x].
template <class Real>
std::vector<Real> initial_vorticity_from_file(const Settings2D& settings, std::int64_t first,
                                              int count);

// Output (a row per sample: trajectory, energy, enstrophy, step counts, E(k); the first sample
// for ParaView) and checkpoint bytes (the solver's modes and a whole batch's record).
loop::Plan plan_2d(const io::Case& case_file);

// ---- [spectral3d]: run.solver = "spectral3d" ---------------------------------------------

void add_schema_3d(io::Schema& schema);

// Throws core::Error for a diagnostics interval that is not a whole number of steps (fixed
// dt), a t_end that is not a whole number of intervals, initial = "file" without a file or
// with one whose dataset is not [time, n, n, n, 3] or lacks the frame.
void check_3d(const io::Case& case_file);

struct Settings3D {
  Velocity3DConfig solver;
  std::string precision;  // float32 | float64
  std::string initial;    // taylor_green | abc | file
  std::string initial_file, initial_dataset;
  std::int64_t initial_frame = -1;
  double v0 = 1.0;        // velocity amplitude [length/time]
  double cfl = 0;         // > 0: adaptive steps that land on every record
  double interval = 0.1;  // between diagnostics records [time]
  // Fixed dt: steps between records (0 with cfl > 0); records after the one at t = 0.
  std::int64_t steps_per_record = 1, records = 1;
  // Velocity frames at records 0, every snapshot_every-th and the last (0: first and last).
  std::int64_t snapshot_every = 0;
};
// The settings of a checked case (check_3d).
Settings3D settings_3d(const io::Case& case_file);

// initial = file: the velocity at initial_frame of the file's dataset, host planar
// [c][z][y][x] as Velocity3D::set_velocity takes it.
template <class Real>
std::vector<Real> initial_velocity_from_file(const Settings3D& settings);

// Output (velocity frames; E, Z, dissipation, time step and E(k) at every record) and
// checkpoint bytes (the velocity modes and the dissipation history).
loop::Plan plan_3d(const io::Case& case_file);

// ---- [taylor_green]: run.solver = "taylor_green_check" -----------------------------------

void add_schema_taylor_green(io::Schema& schema);

struct TaylorGreenSettings {
  int n = 128;  // grid points per direction
  TaylorGreenParams params;
  double t_end = 10;         // the last frame's time [time]
  std::int64_t frames = 11;  // evenly spaced over [0, t_end]
};
TaylorGreenSettings taylor_green_settings(const io::Case& case_file);

}  // namespace twinsim::spectral
