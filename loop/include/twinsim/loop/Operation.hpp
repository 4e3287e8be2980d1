#pragma once
// Writers and analyzers that the run loop fires at step boundaries chosen by a Trigger
// (HOOMD-blue's operations and triggers): a field writer every 100 steps, a thermo table every
// 50, a convergence check every 1000 that may end the run, a final report at the end.
#include <cstdint>
#include <limits>
#include <string>

namespace twinsim::io {
class StateWriter;
class StateReader;
class Summary;
}  // namespace twinsim::io

namespace twinsim::loop {

class History;

inline constexpr std::int64_t k_never = std::numeric_limits<std::int64_t>::max();

// When an operation fires. Several conditions may be set; it fires once at a boundary where
// any holds.
struct Trigger {
  std::int64_t every_steps = 0;  // at every step that is a multiple (0: not by steps)
  // Simulated time: at the first boundary at or after the last firing's time + every_time (the
  // first at the start time + every_time); adaptive steppers land on it exactly (0: not by
  // time).
  double every_time = 0;
  double every_minutes = 0;      // wall clock since its last firing (0: not by clock)
  bool at_start = false;         // at the start of a fresh run (a restart has it already)
  // When the run ends (the stepper finished, or an operation stopped it), unless it fired at
  // that step already; not when a stop signal interrupts it (the restart continues).
  bool at_end = false;
  // When the run fails (a blow-up), unless it fired at that step already: a last frame of the
  // state that failed.
  bool at_failure = false;

  // Builders for the common cases: Trigger::every(50).from_start().at_run_end().
  static Trigger every(std::int64_t steps) { Trigger t; t.every_steps = steps; return t; }
  static Trigger every_time_interval(double time) { Trigger t; t.every_time = time; return t; }
  static Trigger end() { Trigger t; t.at_end = true; return t; }
  Trigger& from_start() { at_start = true; return *this; }
  Trigger& at_run_end() { at_end = true; return *this; }
  Trigger& on_failure() { at_failure = true; return *this; }
};

// How a run ended.
enum class End {
  finished,     // the stepper reached its end
  stopped,      // an operation ended the run (Verdict::stop)
  interrupted,  // a stop signal: a checkpoint was written, --restart continues
  failed,       // the stepper or an operation threw core::Error
};

// What an operation tells the loop after firing.
enum class Verdict {
  go_on,
  stop,  // the run has reached its goal (steady state, convergence): end it now
};

class Operation {
 public:
  virtual ~Operation() = default;
  // Names its state in checkpoints ("<name>/...") and its timer phase.
  virtual std::string name() const = 0;
  // Its work at a boundary where its trigger fires. Throw core::Error to fail the run (a
  // blow-up): the loop then fires the at_end operations and reports the failure.
  virtual Verdict fire() = 0;
  // State beyond the output file (histories a summary is computed from); `prefix` ends in '/'.
  virtual void save(io::StateWriter& /*out*/, const std::string& /*prefix*/) const {}
  virtual void load(const io::StateReader& /*in*/, const std::string& /*prefix*/) {}
  // Called once when the loop returns, however it ended (after the final firings): results
  // kept until the end (an RDF), files that say how the run ended.
  virtual void finish(End /*end*/) {}
  // The run's scalar history (history.csv, /history): an operation with scalars to tabulate
  // declares its columns here and keeps the reference to set their values when it fires. Called
  // once before the run, when the loop records a history (a bare Loop does not).
  virtual void use_history(History& /*history*/) {}
  // Figures for summary.json when the run ends.
  virtual void summarize(io::Summary& /*summary*/) const {}
};

}  // namespace twinsim::loop
