#pragma once
// Training samples a solver run produces as it goes, for in-situ training: whole trajectories
// [frame][y][x], or rows of a table of named columns, handed over the moment the solver
// completes them, with no file in between.
// The loop library knows neither solvers nor surrogates: a solver's stepper implements
// SampleSource, its Kind says what it will produce (Kind::samples), and the surrogates library
// (nn::with_training) is the SampleSink. Neither includes the other.
#include <cstdint>
#include <string>
#include <vector>

#include "twinsim/core/Backend.hpp"

namespace twinsim::loop {

// The trajectories a run produces: `count` of `frames` frames of ny x nx values, a frame every
// `interval` time units; `field` names them ("vorticity"). A table (columns not empty): `count`
// rows of frames = columns.size() values (ny = nx = 1), the first `inputs` columns a model's
// inputs, the others its outputs (an md_ensemble: md.density, md.temperature -> pressure.mean,
// potential_energy_per_atom.mean).
struct SampleShape {
  std::int64_t count = 0, frames = 0, ny = 0, nx = 0;
  double interval = 0;
  std::string field;
  std::vector<std::string> columns;
  std::int64_t inputs = 0;
  bool table() const { return !columns.empty(); }
};

// One trajectory (or table row) where the source holds it: frames x ny x nx values, float or
// double, in the memory of `memory` (Cpu: host memory, Gpu: the device's), so that a solver
// recording on the GPU hands over device memory and the sink reads it there, with no host copy.
struct SampleSpan {
  const void* values = nullptr;
  bool single = false;  // float (else double)
  core::Backend memory = core::Backend::Cpu;

  SampleSpan(const double* v, core::Backend m) : values(v), single(false), memory(m) {}
  SampleSpan(const float* v, core::Backend m) : values(v), single(true), memory(m) {}
};

class SampleSink {
 public:
  virtual ~SampleSink() = default;
  // Trajectory (or table row) `index` of the run (0-based, the run's own numbering) is
  // complete; its values are valid during the call only.
  virtual void add(std::int64_t index, const SampleSpan& values) = 0;
};

// Implemented by a stepper whose run produces trajectories.
class SampleSource {
 public:
  virtual ~SampleSource() = default;
  // From now on every completed trajectory also goes to `sink` (null: none). A restarted run
  // hands over only those completed after its checkpoint. Across MPI ranks, every rank's sink
  // gets every trajectory of the run, in the same order (data-parallel training). write = false: the trajectories go
  // to the sink only, not into the run's own output file.
  virtual void set_sink(SampleSink* sink, bool write) = 0;
};

}  // namespace twinsim::loop
