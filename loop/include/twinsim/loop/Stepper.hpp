#pragma once
// What the run loop drives: a solver's time stepping, or a trainer's optimizer steps. The loop
// owns when things happen (chunks, triggers, checkpoints, signals, progress, timers); the
// stepper owns what its state is and how it advances.
#include <cstdint>
#include <limits>
#include <string>

#include "twinsim/core/Error.hpp"

namespace twinsim::io {
class StateWriter;
class StateReader;
class Summary;
}  // namespace twinsim::io

namespace twinsim::core {
class Timers;
}

namespace twinsim::loop {

inline constexpr double k_no_time_limit = std::numeric_limits<double>::infinity();

// How far a run is, for the progress line: `done` of `total` `unit` (steps, records,
// sample-snapshots, optimizer steps).
struct Position {
  std::int64_t done = 0;
  std::int64_t total = 0;
  std::string unit = "steps";
};

// A run whose numerics blew up: the state holds a non-finite value (the loop's check at each
// output), or a stepper's own check inside advance() found it (MD: a particle with a non-finite
// position or one that moved more than a sigma in a step). The run fails with status
// "diverged" and `diverged_at_step`; the message names the step and the likely cause.
class Diverged : public core::Error {
 public:
  Diverged(const std::string& what, std::int64_t step) : core::Error(what), step(step) {}
  std::int64_t step;
};

// Steps a stepper with a fixed step dt takes from `now` to reach `until` (at least 1;
// k_no_time_limit: any number). For Stepper::advance.
std::int64_t steps_until(double now, double until, double dt);

class Stepper {
 public:
  virtual ~Stepper() = default;

  // Steps taken since the run's start (a restarted run continues the count) and the simulated
  // time, in the stepper's units (trainers: optimizer steps and epochs).
  virtual std::int64_t step() const = 0;
  virtual double time() const = 0;
  // True once the run has reached its end (its step count or its end time).
  virtual bool finished() const = 0;
  // Advances at most `steps` steps (>= 1), stopping early at its end and never past the
  // simulated time `until`: a stepper with adaptive steps lands on `until` exactly, one with
  // a fixed step stops at the first step at or after it. Work may stay queued on the device.
  virtual void advance(std::int64_t steps, double until) = 0;
  // Waits for queued device work, so that timers see it.
  virtual void synchronize() {}

  // The progress line's figures.
  virtual Position position() const { return {step(), step()}; }

  // Everything a restart needs to continue bit for bit (names are the stepper's own), and the
  // inverse on a freshly made stepper of the same case.
  virtual void save(io::StateWriter& out) const = 0;
  virtual void load(const io::StateReader& in) = 0;

  // Whether the state holds a NaN or an infinity: the loop's divergence check at each output
  // and before each checkpoint. The default saves the state into a checking io::StateWriter,
  // a copy of the whole state to the host; a stepper whose state lives on a device overrides it
  // with a reduction there (one number read back). Only when it answers true does the loop
  // scan the saved state, to name the array and index.
  virtual bool non_finite() const;

  // The likely cause of a non-finite state, for the message of a diverged run.
  virtual std::string divergence_cause() const {
    return "a time step too large for the setup, or an unstable setup (initial state, forces, "
           "viscosity)";
  }

  // Figures for summary.json when the run ends (finished, stopped, failed or interrupted).
  // timers: seconds per phase of the loop ("advance", and one per operation), restarts
  // included.
  virtual void summarize(io::Summary& summary, const core::Timers& timers) const = 0;
};

}  // namespace twinsim::loop
