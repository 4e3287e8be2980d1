#include "twinsim/loop/Loop.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "twinsim/core/Comm.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/Progress.hpp"
#include "twinsim/core/Signals.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/io/Hdf5.hpp"

namespace twinsim::loop {

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr const char* k_advance = "advance";

// What every rank leaves a boundary with (core::Comm; on one rank its own values).
struct Agreement {
  std::int64_t chunk;  // steps of the next chunk: the smallest any rank asked for
  bool stop;           // an operation's verdict on any rank
  bool checkpoint;     // a checkpoint is due on any rank (by steps, by its clock, by a signal)
  bool interrupt;      // a stop signal had reached some rank (a later one counts next time)
};

// A stop signal that reached any rank becomes every rank's (core::request_stop), so all of
// them checkpoint at the same step and their chunks stay the same length: collective calls
// inside steppers (all-to-all, gathers) meet. One small all-reduce per chunk.
Agreement agree(core::Comm& comm, std::int64_t chunk, bool stop, bool checkpoint) {
  std::int64_t v[4] = {-chunk, stop, core::stop_signal(), checkpoint};
  comm.allreduce(v, 4, core::Reduce::max);
  if (v[2] != 0) core::request_stop(int(v[2]));
  return {-v[0], v[1] != 0, v[3] != 0, v[2] != 0};
}

}  // namespace

std::int64_t steps_until(double now, double until, double dt) {
  if (!(until < k_no_time_limit)) return k_never;
  // Round-off in (until - now) / dt must not cost a step: 20.000000000000004 steps is 20.
  return std::max<std::int64_t>(1, std::int64_t(std::ceil((until - now) / dt - 1e-9)));
}

Loop::Loop(Stepper& stepper, std::string label) : m_stepper(stepper), m_label(std::move(label)) {}

void Loop::add(Operation& operation, Trigger trigger) {
  m_operations.push_back({&operation, trigger,
                          m_stepper.time() + trigger.every_time, now_s(), -1});
}

void Loop::checkpoint_with(io::Checkpoints& checkpoints, const io::H5File* output) {
  m_checkpoints = &checkpoints;
  m_output = output;
}

void Loop::save(io::StateWriter& out) const {
  m_stepper.save(out);
  for (const Scheduled& s : m_operations) {
    const std::string name = s.operation->name();
    s.operation->save(out, name + "/");
    out.put("loop/fired_at/" + name, s.fired_at);
    if (s.trigger.every_time > 0) out.put("loop/next_time/" + name, s.next_time);
  }
  for (const auto& [phase, seconds] : m_timers.all()) out.put("loop/seconds/" + phase, seconds);
  if (m_history) {
    m_history->write_pending();  // before the checkpoint records /history's row count
    m_history->save(out, "loop/history/");
  }
}

void Loop::record(History& history) {
  m_history = &history;
  for (Scheduled& s : m_operations) s.operation->use_history(history);
}

void Loop::commit_history() {
  if (m_history) m_history->commit(m_stepper.step(), m_stepper.time());
}

void Loop::restore(const io::Restart& restart) {
  const io::StateReader& in = restart.state();
  m_stepper.load(in);
  for (Scheduled& s : m_operations) {
    const std::string name = s.operation->name();
    s.operation->load(in, name + "/");
    // A checkpoint at the last step follows the firings of that step: a restart from it must
    // not fire the final operations again.
    s.fired_at = in.get_int("loop/fired_at/" + name);
    if (s.trigger.every_time > 0) s.next_time = in.get_double("loop/next_time/" + name);
  }
  if (m_history) m_history->load(in, "loop/history/");
  m_timers = core::Timers();
  for (const char* phase : {k_advance})
    if (in.has(std::string("loop/seconds/") + phase))
      m_timers.add(phase, in.get_double(std::string("loop/seconds/") + phase));
  for (const Scheduled& s : m_operations) {
    const std::string key = "loop/seconds/" + s.operation->name();
    if (in.has(key)) m_timers.add(s.operation->name(), in.get_double(key));
  }
  m_restarted = true;
}

std::int64_t Loop::steps_to_next_boundary() const {
  const std::int64_t step = m_stepper.step();
  std::int64_t next = k_never;
  for (const Scheduled& s : m_operations)
    if (s.trigger.every_steps > 0)
      next = std::min(next, (step / s.trigger.every_steps + 1) * s.trigger.every_steps);
  if (m_checkpoints) next = std::min(next, m_checkpoints->next_step(step));
  return next == k_never ? k_never : next - step;
}

double Loop::time_of_next_boundary() const {
  double until = k_no_time_limit;
  for (const Scheduled& s : m_operations)
    if (s.trigger.every_time > 0) until = std::min(until, s.next_time);
  return until;
}

bool Loop::due(const Scheduled& s) const {
  const Trigger& t = s.trigger;
  return (t.every_steps > 0 && m_stepper.step() % t.every_steps == 0) ||
         (t.every_time > 0 && m_stepper.time() >= s.next_time) ||
         (t.every_minutes > 0 && now_s() - s.last_fired_s >= 60.0 * t.every_minutes);
}

Verdict Loop::fire(Scheduled& s) {
  core::ScopedTimer timer(m_timers, s.operation->name());
  s.fired_at = m_stepper.step();
  s.last_fired_s = now_s();
  if (s.trigger.every_time > 0) s.next_time = m_stepper.time() + s.trigger.every_time;
  return s.operation->fire();
}

namespace {
// An operation that failed after the run had failed: logged, unless it only found that another
// rank had failed (its collective call gave up, as they all do then).
void warn_after_failure(const std::string& name, const std::exception& e) {
  if (!dynamic_cast<const core::RankFailed*>(&e)) spdlog::warn("{} at the failure: {}", name, e.what());
}

// A failure on this rank: the others are told before this rank makes another collective call,
// so that none waits for it (core::Comm::fail). Non-root ranks say it themselves (rank 0 logs
// every failure at the end of the run).
void tell_other_ranks(const std::exception& e) {
  core::Comm& comm = core::world();
  if (comm.size() == 1 || comm.failed()) return;
  if (!comm.root()) spdlog::error("rank {} failed: {}; ending every rank", comm.rank(), e.what());
  comm.fail(e.what());
}
}  // namespace

void Loop::fire_final(bool failed) {
  for (Scheduled& s : m_operations) {
    const bool wanted = failed ? s.trigger.at_failure : s.trigger.at_end;
    if (!wanted || s.fired_at == m_stepper.step()) continue;
    if (!failed) {
      fire(s);
      continue;
    }
    // After a failure each final operation gets its chance; a second failure is only logged.
    try {
      fire(s);
    } catch (const std::exception& e) {
      warn_after_failure(s.operation->name(), e);
    }
  }
}

Outcome Loop::run() {
  Outcome outcome = run_steps();
  for (Scheduled& s : m_operations) {
    try {
      s.operation->finish(outcome.end);
    } catch (const std::exception& e) {
      if (outcome.end == End::failed) {
        warn_after_failure(s.operation->name(), e);
      } else {
        tell_other_ranks(e);
        outcome = {End::failed, e.what()};
      }
    }
  }
  return outcome;
}

bool Stepper::non_finite() const {
  io::StateWriter scan;
  save(scan);
  return scan.non_finite().has_value();
}

void Loop::check_finite() const {
  // Every rank checks at the same boundaries and fails alike: a rank whose own state is finite
  // would otherwise wait for the failed ones in the failure's collective calls (the last frame).
  const bool here = m_stepper.non_finite();
  if (!core::world().any(here)) return;
  if (!here)
    throw Diverged(fmt::format("diverged at step {} (time {:.6g}) on another MPI rank",
                               m_stepper.step(), m_stepper.time()),
                   m_stepper.step());
  // Diverged: the state is scanned once more, on the host, to say where.
  io::StateWriter scan;
  m_stepper.save(scan);
  const std::string where =
      scan.non_finite() ? fmt::format("{}[{}] = {}", scan.non_finite()->name,
                                      scan.non_finite()->index, scan.non_finite()->value)
                        : std::string("a non-finite value in the state");
  throw Diverged(fmt::format("diverged at step {} (time {:.6g}): {}; likely cause: {}",
                             m_stepper.step(), m_stepper.time(), where,
                             m_stepper.divergence_cause()),
                 m_stepper.step());
}

Outcome Loop::run_steps() {
  const Position start = m_stepper.position();
  core::Comm& comm = core::world();
  // Only rank 0 draws the progress line (the other ranks log warnings and errors only).
  core::Progress progress(m_label, start.total, start.unit, m_progress_interval_s,
                          comm.root() ? stderr : nullptr);
  if (m_restarted) progress.resume_at(start.done);
  const io::Checkpoints::Save save = [this](io::StateWriter& out) {
    check_finite();
    this->save(out);
  };
  Outcome outcome;
  try {
    bool stop = false;
    if (!m_restarted)
      for (Scheduled& s : m_operations)
        if (s.trigger.at_start) stop = fire(s) == Verdict::stop || stop;
    commit_history();
    // Steps per chunk, re-sized after each from the measured rate to about k_chunk_seconds;
    // where chunks end changes nothing a stepper computes.
    std::int64_t chunk = 1;
    while (!stop && !m_stepper.finished()) {
      const std::int64_t n = std::max<std::int64_t>(1, std::min(chunk, steps_to_next_boundary()));
      const std::int64_t before = m_stepper.step();
      const double t0 = now_s();
      m_stepper.advance(n, time_of_next_boundary());
      m_stepper.synchronize();
      const double seconds = now_s() - t0;
      m_timers.add(k_advance, seconds);
      const std::int64_t taken = m_stepper.step() - before;
      chunk = std::int64_t(std::clamp(k_chunk_seconds * double(std::max<std::int64_t>(taken, 1)) /
                                          std::max(seconds, 1e-9),
                                      1.0, 2.0 * double(chunk)));
      if (m_stepper.finished() ||
          std::any_of(m_operations.begin(), m_operations.end(),
                      [this](const Scheduled& s) { return due(s); }))
        check_finite();
      for (Scheduled& s : m_operations)
        if (due(s)) stop = fire(s) == Verdict::stop || stop;
      const Agreement agreed =
          agree(comm, chunk, stop, m_checkpoints && m_checkpoints->due(m_stepper.step()));
      chunk = agreed.chunk;
      stop = agreed.stop;
      // The final firings come before the last step's checkpoint, so that a restart from it
      // finds them done; a stop signal that arrives with the last step ends nothing early.
      const bool last = stop || m_stepper.finished();
      if (last) fire_final(false);
      commit_history();
      progress.update(m_stepper.position().done);
      if (agreed.checkpoint)
        m_checkpoints->write(m_stepper.step(), m_stepper.time(), save, m_output);
      if (m_checkpoints && agreed.interrupt && !last) {
        outcome.end = End::interrupted;
        return outcome;
      }
    }
    // A run that had nothing to step (finished at its start, or restarted from its last
    // checkpoint): what did not fire at this step yet fires now.
    fire_final(false);
    commit_history();
    progress.finish();
    outcome.end = stop ? End::stopped : End::finished;
  } catch (const Diverged& e) {
    outcome = {End::failed, e.what(), true, e.step};
    fire_final(true);
  } catch (const std::exception& e) {
    // Seen by this rank alone (an exception in its step, a file it cannot write), or another
    // rank's failure that ended a collective call here (core::RankFailed).
    tell_other_ranks(e);
    outcome.end = End::failed;
    outcome.failure = e.what();
    fire_final(true);
    try {
      commit_history();  // the values of the step that failed
    } catch (const std::exception& e) {
      spdlog::warn("history at the failure: {}", e.what());
    }
  }
  return outcome;
}

}  // namespace twinsim::loop
