#pragma once
// The one run loop (AMReX's Amr::evolve, HOOMD-blue's Simulation.run): advances a Stepper in
// chunks that end where an operation's trigger or a checkpoint falls, fires the operations due,
// writes checkpoints, answers stop signals, shows progress and times every phase.
#include <cstdint>
#include <string>
#include <vector>

#include "twinsim/core/Timers.hpp"
#include "twinsim/loop/History.hpp"
#include "twinsim/loop/Operation.hpp"
#include "twinsim/loop/Stepper.hpp"

namespace twinsim::io {
class Checkpoints;
class H5File;
class Restart;
}  // namespace twinsim::io

namespace twinsim::loop {

struct Outcome {
  End end = End::finished;
  std::string failure;    // why, when failed
  bool diverged = false;  // failed because the state held a non-finite value
  std::int64_t diverged_step = -1;
};

class Loop {
 public:
  // label: the progress line's ("md", "lbm", "train").
  Loop(Stepper& stepper, std::string label);

  // Operations fire in the order they were added (a thermo row before the frame of the same
  // step). The loop keeps a reference: the operation must outlive it.
  void add(Operation& operation, Trigger trigger);
  // Checkpoints written at the boundaries the loop reaches; output: the run's HDF5 file, whose
  // series' frame counts each checkpoint records (null: none).
  void checkpoint_with(io::Checkpoints& checkpoints, const io::H5File* output);
  // The run's scalar history: each operation added declares its columns (use_history); a row
  // after the firings of each boundary where an operation set a value; its row count goes into
  // checkpoints. Call after the operations were added; the history must outlive the loop.
  void record(History& history);
  // Seconds between two plain progress lines when the output is not a terminal (a log).
  void progress_interval(double seconds) { m_progress_interval_s = seconds; }

  // A restarted run: loads the stepper's, the operations' and the loop's state (timers, the
  // time triggers' next times, the step each operation last fired at) from the checkpoint.
  // Call before run().
  void restore(const io::Restart& restart);

  // Runs until the stepper is finished, an operation stops it, a stop signal interrupts it or
  // something throws core::Error (returned as failed; other exceptions propagate); then calls
  // every operation's finish(). Before the operations fire and before each checkpoint the
  // stepper's state is checked for non-finite values (Stepper::save into a checking writer):
  // a state that holds one fails the run as diverged, naming the step, the array and the
  // stepper's likely cause, and is never written as a checkpoint.
  Outcome run();

  // Seconds per phase: "advance" (the stepper, synchronised) and one per operation name;
  // carried over restarts.
  const core::Timers& timers() const { return m_timers; }

  // Wall-clock seconds a chunk of steps aims at between two looks at signals and the clock.
  static constexpr double k_chunk_seconds = 0.2;

 private:
  struct Scheduled {
    Operation* operation;
    Trigger trigger;
    double next_time;        // every_time: the time of its next firing
    double last_fired_s;     // every_minutes: steady-clock seconds of its last firing
    std::int64_t fired_at;   // the step of its last firing (-1: none yet)
  };

  Outcome run_steps();
  std::int64_t steps_to_next_boundary() const;
  double time_of_next_boundary() const;
  bool due(const Scheduled& s) const;
  // Fires s; returns its verdict (timed under its name).
  Verdict fire(Scheduled& s);
  void fire_final(bool failed);
  void check_finite() const;
  void save(io::StateWriter& out) const;
  void commit_history();

  Stepper& m_stepper;
  std::string m_label;
  std::vector<Scheduled> m_operations;
  io::Checkpoints* m_checkpoints = nullptr;
  const io::H5File* m_output = nullptr;
  core::Timers m_timers;
  bool m_restarted = false;
  History* m_history = nullptr;
  double m_progress_interval_s = 30.0;
};

}  // namespace twinsim::loop
