// The run loop: operations fire exactly where their triggers fall (steps, simulated time, start,
// end, failure), chunks never step over a boundary, an operation can end the run, a failure is
// reported with the final frame written, and a run restored from a checkpoint ends bit for bit
// where an uninterrupted one does.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include "twinsim/core/Error.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/io/RunDirectory.hpp"
#include "twinsim/loop/History.hpp"
#include "twinsim/loop/Loop.hpp"
#include "twinsim/loop/Run.hpp"

namespace twinsim::test {
namespace {

namespace fs = std::filesystem;

// x' = -x + sin(t) by explicit Euler with a fixed dt, or with dt growing by 10 % a step when
// adaptive (landing on `until` exactly, as an adaptive solver must).
class Decay : public loop::Stepper {
 public:
  Decay(std::int64_t end, double dt, bool adaptive) : m_end(end), m_dt(dt), m_adaptive(adaptive) {}

  std::int64_t step() const override { return m_step; }
  double time() const override { return m_time; }
  bool finished() const override { return m_step >= m_end; }
  void advance(std::int64_t steps, double until) override {
    for (std::int64_t k = 0; k < steps && m_step < m_end && m_time < until; ++k) {
      double dt = m_adaptive ? m_dt * std::pow(1.1, double(m_step % 7)) : m_dt;
      if (m_adaptive && m_time + dt > until) dt = until - m_time;
      m_x += dt * (-m_x + std::sin(m_time));
      ++m_step;
      m_time = !m_adaptive ? double(m_step) * m_dt : dt == until - m_time ? until : m_time + dt;
    }
    reached.push_back(m_step);
  }
  void save(io::StateWriter& out) const override {
    out.put("decay/x", m_x);
    out.put("decay/time", m_time);
    out.put("decay/step", m_step);
  }
  void load(const io::StateReader& in) override {
    m_x = in.get_double("decay/x");
    m_time = in.get_double("decay/time");
    m_step = in.get_int("decay/step");
  }
  void summarize(io::Summary& s, const core::Timers&) const override { s.set("x", m_x); }

  double x() const { return m_x; }
  std::vector<std::int64_t> reached;  // the step after each advance

 private:
  std::int64_t m_end;
  double m_dt;
  bool m_adaptive;
  std::int64_t m_step = 0;
  double m_time = 0, m_x = 1;
};

// Records the steps and times it fired at (its state in checkpoints); optionally stops or
// throws at a step.
class Recorder : public loop::Operation {
 public:
  Recorder(const loop::Stepper& s, std::string name, std::int64_t stop_at = -1,
           std::int64_t throw_at = -1)
      : m_stepper(s), m_name(std::move(name)), m_stop_at(stop_at), m_throw_at(throw_at) {}
  std::string name() const override { return m_name; }
  loop::Verdict fire() override {
    if (m_stepper.step() == m_throw_at) throw core::Error("blew up at step " +
                                                           std::to_string(m_throw_at));
    steps.push_back(m_stepper.step());
    times.push_back(m_stepper.time());
    return m_stepper.step() == m_stop_at ? loop::Verdict::stop : loop::Verdict::go_on;
  }
  void save(io::StateWriter& w, const std::string& prefix) const override {
    w.put(prefix + "steps", steps);
  }
  void load(const io::StateReader& r, const std::string& prefix) override {
    steps = r.get<std::int64_t>(prefix + "steps");
  }
  void finish(loop::End end) override { ended = end; }

  std::vector<std::int64_t> steps;
  std::vector<double> times;
  loop::End ended = loop::End::interrupted;

 private:
  const loop::Stepper& m_stepper;
  std::string m_name;
  std::int64_t m_stop_at, m_throw_at;
};

using Steps = std::vector<std::int64_t>;

TEST(Loop, OperationsFireWhereTheirTriggersFall) {
  Decay decay(17, 0.01, false);
  Recorder every3(decay, "every3"), every5(decay, "every5"), end(decay, "end");
  loop::Loop loop(decay, "test");
  loop.add(every3, loop::Trigger::every(3).from_start().at_run_end());
  loop.add(every5, loop::Trigger::every(5));
  loop.add(end, loop::Trigger::end());
  const loop::Outcome o = loop.run();
  EXPECT_EQ(o.end, loop::End::finished);
  EXPECT_EQ(every3.steps, (Steps{0, 3, 6, 9, 12, 15, 17}));
  EXPECT_EQ(every5.steps, (Steps{5, 10, 15}));
  EXPECT_EQ(end.steps, (Steps{17}));
  EXPECT_EQ(every3.ended, loop::End::finished);
  // No chunk stepped over a boundary: every boundary is where some advance ended.
  const Steps& reached = decay.reached;
  for (std::int64_t b : {3, 5, 6, 9, 10, 12, 15, 17})
    EXPECT_NE(std::find(reached.begin(), reached.end(), b), reached.end()) << b;
}

TEST(Loop, ChunksDoNotChangeTheResult) {
  // One step at a time against the loop's chunks: the same bits.
  Decay alone(1000, 0.003, false);
  while (!alone.finished()) alone.advance(1, loop::k_no_time_limit);
  Decay looped(1000, 0.003, false);
  Recorder every(looped, "every");
  loop::Loop loop(looped, "test");
  loop.add(every, loop::Trigger::every(250));
  loop.run();
  EXPECT_EQ(looped.x(), alone.x());
  EXPECT_EQ(every.steps, (Steps{250, 500, 750, 1000}));
}

TEST(Loop, TimeTriggersLandOnTheirTimes) {
  // Adaptive steps land on every firing time; the next is the last firing's time + 0.25.
  Decay decay(400, 0.01, true);
  Recorder quarter(decay, "quarter");
  loop::Loop loop(decay, "test");
  loop.add(quarter, loop::Trigger::every_time_interval(0.25));
  loop.run();
  ASSERT_GE(quarter.times.size(), 8u);
  double expected = 0;
  for (double t : quarter.times) EXPECT_EQ(t, expected += 0.25);
  // A fixed step fires at the first step at or after each time: 0.25 / 0.01 = 25 steps,
  // although 0.25 / 0.01 is 25.000000000000004 in floating point.
  Decay fixed(100, 0.01, false);
  Recorder every(fixed, "every");
  loop::Loop fixed_loop(fixed, "test");
  fixed_loop.add(every, loop::Trigger::every_time_interval(0.25));
  fixed_loop.run();
  EXPECT_EQ(every.steps, (Steps{25, 50, 75, 100}));
}

TEST(Loop, AnOperationEndsTheRun) {
  Decay decay(100, 0.01, false);
  Recorder check(decay, "check", 30), frames(decay, "frames");
  loop::Loop loop(decay, "test");
  loop.add(check, loop::Trigger::every(10));
  loop.add(frames, loop::Trigger::every(25).at_run_end());
  EXPECT_EQ(loop.run().end, loop::End::stopped);
  EXPECT_EQ(decay.step(), 30);
  EXPECT_EQ(check.steps, (Steps{10, 20, 30}));
  EXPECT_EQ(frames.steps, (Steps{25, 30}));  // the state where it stopped, once
}

TEST(Loop, AFailureWritesTheLastFrameAndSaysWhy) {
  Decay decay(100, 0.01, false);
  Recorder thermo(decay, "thermo", -1, 40), frames(decay, "frames"), table(decay, "table");
  loop::Loop loop(decay, "test");
  loop.add(thermo, loop::Trigger::every(20).at_run_end());
  loop.add(frames, loop::Trigger::every(30).on_failure());
  loop.add(table, loop::Trigger::every(10).at_run_end());
  const loop::Outcome o = loop.run();
  EXPECT_EQ(o.end, loop::End::failed);
  EXPECT_EQ(o.failure, "blew up at step 40");
  EXPECT_EQ(frames.steps, (Steps{30, 40}));  // on_failure: the state that failed
  EXPECT_EQ(table.steps, (Steps{10, 20, 30}));  // at_run_end is not at a failure
  EXPECT_EQ(frames.ended, loop::End::failed);
}

fs::path scratch(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("twinsim-test-loop-" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

TEST(Loop, ARestoredRunEndsWhereAnUninterruptedOneDoes) {
  Decay straight(90, 0.01, true);
  Recorder straight_rec(straight, "rec");
  loop::Loop straight_loop(straight, "test");
  straight_loop.add(straight_rec, loop::Trigger::every_time_interval(0.07).from_start());
  straight_loop.run();

  // The first run ends at step 45 with a checkpoint there (every 15 steps).
  const fs::path dir = scratch("restart");
  {
    Decay first(45, 0.01, true);
    Recorder rec(first, "rec");
    io::Checkpoints checkpoints(dir, {15, 0, 2}, {"decay", 0, 0, "cpu", "case"});
    loop::Loop loop(first, "test");
    loop.add(rec, loop::Trigger::every_time_interval(0.07).from_start());
    loop.checkpoint_with(checkpoints, nullptr);
    loop.run();
  }
  Decay second(90, 0.01, true);
  Recorder rec(second, "rec");
  loop::Loop loop(second, "test");
  loop.add(rec, loop::Trigger::every_time_interval(0.07).from_start());
  const io::Restart restart(dir, "latest");
  EXPECT_EQ(restart.step(), 45);
  loop.restore(restart);
  EXPECT_EQ(second.step(), 45);
  loop.run();
  EXPECT_EQ(second.x(), straight.x());
  EXPECT_EQ(second.time(), straight.time());
  EXPECT_EQ(rec.steps, straight_rec.steps);  // the firings before the checkpoint came with it
  EXPECT_GT(loop.timers().seconds("advance"), 0.0);
}

TEST(Loop, ARestartFromTheLastCheckpointRepeatsNothing) {
  // The last step's checkpoint is written after the final firings: restarting from it (as a
  // batch script does with a finished run) fires nothing again.
  const fs::path dir = scratch("finished");
  Steps rows, tail;
  {
    Decay decay(30, 0.01, false);
    Recorder every(decay, "rows"), end(decay, "tail");
    io::Checkpoints checkpoints(dir, {15, 0, 2}, {"decay", 0, 0, "cpu", "case"});
    loop::Loop loop(decay, "test");
    loop.add(every, loop::Trigger::every(10).at_run_end());
    loop.add(end, loop::Trigger::end());
    loop.checkpoint_with(checkpoints, nullptr);
    EXPECT_EQ(loop.run().end, loop::End::finished);
    rows = every.steps;
    tail = end.steps;
  }
  EXPECT_EQ(rows, (Steps{10, 20, 30}));
  EXPECT_EQ(tail, (Steps{30}));
  Decay decay(30, 0.01, false);
  Recorder every(decay, "rows"), end(decay, "tail");
  loop::Loop loop(decay, "test");
  loop.add(every, loop::Trigger::every(10).at_run_end());
  loop.add(end, loop::Trigger::end());
  loop.restore(io::Restart(dir, "latest"));
  EXPECT_EQ(loop.run().end, loop::End::finished);
  EXPECT_EQ(every.steps, rows);  // loaded, nothing added
  EXPECT_TRUE(end.times.empty());  // did not fire again
}

// Hands the stepper's x to the run's history table as column `name` (unit m).
class Tabulate : public loop::Operation {
 public:
  Tabulate(const Decay& decay, std::string column) : m_decay(decay), m_column(std::move(column)) {}
  std::string name() const override { return m_column; }
  void use_history(loop::History& history) override {
    m_history = &history;
    m_index = history.column(m_column, "m");
  }
  loop::Verdict fire() override {
    if (m_history) m_history->set(m_index, m_decay.x());
    return loop::Verdict::go_on;
  }

 private:
  const Decay& m_decay;
  std::string m_column;
  loop::History* m_history = nullptr;
  std::size_t m_index = 0;
};

std::string text_of(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs a Decay to step `end` with columns x (every 10 steps, from the start) and y (every 15)
// into the history at csv, checkpointing every 15 steps into dir when given, restarting from
// its newest checkpoint when restart is set.
void run_tabulated(std::int64_t end, const fs::path& csv, const fs::path& dir, bool restart) {
  Decay decay(end, 0.01, false);
  Tabulate x(decay, "x"), y(decay, "y");
  loop::Loop loop(decay, "test");
  loop.add(x, loop::Trigger::every(10).from_start());
  loop.add(y, loop::Trigger::every(15));
  std::optional<io::Checkpoints> checkpoints;
  if (!dir.empty()) {
    checkpoints.emplace(dir, io::CheckpointPolicy{15, 0, 3},
                        io::CheckpointInfo{"decay", 0, 0, "cpu", "case"});
    loop.checkpoint_with(*checkpoints, nullptr);
  }
  loop::History history(csv);
  history.time_unit("s");
  loop.record(history);
  if (restart) loop.restore(io::Restart(dir, "latest"));
  EXPECT_EQ(loop.run().end, loop::End::finished);
}

TEST(History, OneRowPerBoundaryWithUnitsAndARestartContinuesWithoutDuplicates) {
  const fs::path dir = scratch("history");
  run_tabulated(90, dir / "straight.csv", {}, false);
  const std::string straight = text_of(dir / "straight.csv");
  // Header with units; a row wherever either column fired, nan where one did not.
  EXPECT_EQ(straight.substr(0, straight.find('\n')), "step,time [s],x [m],y [m]");
  EXPECT_NE(straight.find("\n10,0.1,"), std::string::npos);
  EXPECT_NE(straight.find(",nan\n"), std::string::npos);
  EXPECT_NE(straight.find("\n15,0.15,nan,"), std::string::npos);
  EXPECT_NE(straight.find("\n30,0.3,"), std::string::npos);
  EXPECT_EQ(straight.find("\n30,0.3,nan"), std::string::npos);  // both fired at 30
  // Rows: 0, 10, 15, 20, 30, 40, 45, 50, 60, 70, 75, 80, 90 and the header.
  EXPECT_EQ(std::count(straight.begin(), straight.end(), '\n'), 14);

  // Stopped at 50 (the rows of 50 written after its last checkpoint, at 45), then restarted:
  // the row of 50 is written once, the table ends as the uninterrupted one.
  const fs::path checkpoints = dir / "checkpoints";
  fs::create_directories(checkpoints);
  run_tabulated(50, dir / "resumed.csv", checkpoints, false);
  EXPECT_NE(text_of(dir / "resumed.csv").find("\n50,"), std::string::npos);
  run_tabulated(90, dir / "resumed.csv", checkpoints, true);
  EXPECT_EQ(text_of(dir / "resumed.csv"), straight);
}

// x grows a hundred orders of magnitude a step: infinite at step 4. Its state is an array.
class Blowup : public Decay {
 public:
  Blowup() : Decay(100, 0.01, false) {}
  void advance(std::int64_t steps, double until) override {
    const std::int64_t before = step();
    Decay::advance(steps, until);
    for (std::int64_t k = before; k < step(); ++k) m_grown *= 1e100;
  }
  void save(io::StateWriter& out) const override {
    Decay::save(out);
    out.put("blowup/values", std::vector<double>{1.0, m_grown});
  }
  std::string divergence_cause() const override { return "growth"; }
  double grown() const { return m_grown; }

 private:
  double m_grown = 1;
};

TEST(Loop, ANonFiniteStateFailsAsDivergedAtTheNextOutput) {
  Blowup blowup;
  Recorder frames(blowup, "frames");
  loop::Loop loop(blowup, "test");
  loop.add(frames, loop::Trigger::every(2).on_failure());
  const loop::Outcome o = loop.run();
  EXPECT_EQ(o.end, loop::End::failed);
  EXPECT_TRUE(o.diverged);
  EXPECT_EQ(o.diverged_step, 4);
  EXPECT_EQ(o.failure, "diverged at step 4 (time 0.04): blowup/values[1] = inf; likely cause: "
                       "growth");
  EXPECT_EQ(frames.steps, (Steps{2, 4}));  // the due firing did not happen; on_failure did
}

// Blowup answering the divergence check itself, as a device stepper does with a reduction:
// counts its answers and the saves (the host copies the default check would make).
class ReducingBlowup : public Blowup {
 public:
  bool non_finite() const override {
    ++answers;
    return !std::isfinite(grown());
  }
  void save(io::StateWriter& out) const override {
    ++saves;
    Blowup::save(out);
  }
  mutable int answers = 0, saves = 0;
};

TEST(Loop, AStepperThatAnswersTheDivergenceCheckIsScannedOnlyWhenItDiverged) {
  ReducingBlowup blowup;
  Recorder frames(blowup, "frames");
  loop::Loop loop(blowup, "test");
  loop.add(frames, loop::Trigger::every(2).on_failure());
  const loop::Outcome o = loop.run();
  EXPECT_TRUE(o.diverged);
  EXPECT_EQ(o.diverged_step, 4);
  // The same message: after the stepper said so, the state was scanned to name the value.
  EXPECT_EQ(o.failure, "diverged at step 4 (time 0.04): blowup/values[1] = inf; likely cause: "
                       "growth");
  EXPECT_EQ(blowup.answers, 2);  // at the outputs of steps 2 and 4
  EXPECT_EQ(blowup.saves, 1);    // the scan after the second answer, none at step 2
}

TEST(Loop, ANonFiniteStateIsNeverCheckpointed) {
  const fs::path dir = scratch("diverged");
  Blowup blowup;
  io::Checkpoints checkpoints(dir, {1, 0, 10}, {"blowup", 0, 0, "cpu", "case"});
  loop::Loop loop(blowup, "test");
  loop.checkpoint_with(checkpoints, nullptr);
  const loop::Outcome o = loop.run();
  EXPECT_TRUE(o.diverged);
  EXPECT_EQ(o.diverged_step, 4);
  const std::vector<fs::path> written = io::list_checkpoints(dir);
  ASSERT_FALSE(written.empty());
  EXPECT_EQ(written.back().filename(), "step_0000000003.h5");
  for (const auto& entry : fs::directory_iterator(dir))
    EXPECT_NE(entry.path().extension(), ".tmp") << entry.path();
}

// The preflight's memory check against a small fake capacity: on the CPU backend the backend
// arrays are host memory and the device is not looked at; on the GPU backend they are compared
// with the device's free memory, the host copies with the host's.
TEST(Preflight, MemoryIsComparedWithTheBackendsCapacity) {
  constexpr std::uint64_t MiB = 1 << 20;
  loop::Plan plan;
  plan.checkpoint_bytes = 10 * MiB;
  plan.memory_bytes = 30 * MiB;   // host copies
  plan.device_bytes = 200 * MiB;  // backend arrays
  plan.size_keys = "md.cells";
  const auto refusal_of = [](const loop::Plan& p, core::Backend backend, std::uint64_t host,
                             std::uint64_t device) {
    try {
      loop::check_memory(p, backend, host, device);
      return std::string();
    } catch (const core::Error& e) {
      return std::string(e.what());
    }
  };
  const auto refusal = [&](core::Backend backend, std::uint64_t host, std::uint64_t device) {
    return refusal_of(plan, backend, host, device);
  };
  // CPU: 230 MiB of host memory, whatever the device (none: 0).
  EXPECT_EQ(refusal(core::Backend::Cpu, 230 * MiB, 0), "");
  EXPECT_EQ(refusal(core::Backend::Cpu, 229 * MiB, 0),
            "the run needs about 230.0 MiB of memory and 229.0 MiB is available: choose "
            "smaller md.cells (or run where more memory is free)");
  // GPU: 30 MiB on the host, 200 MiB on the device.
  EXPECT_EQ(refusal(core::Backend::Gpu, 30 * MiB, 200 * MiB), "");
  EXPECT_EQ(refusal(core::Backend::Gpu, 100 * MiB, 199 * MiB),
            "the run needs about 200.0 MiB of GPU memory and 199.0 MiB is free on the device: "
            "choose smaller md.cells (or --device cpu, or a GPU with more free memory)");
  EXPECT_NE(refusal(core::Backend::Gpu, 29 * MiB, 1000 * MiB).find("of memory and 29.0 MiB"),
            std::string::npos);
  EXPECT_EQ(loop::check_memory(plan, core::Backend::Gpu, 100 * MiB, 300 * MiB),
            "memory about 30.0 MiB of 100.0 MiB available, GPU memory about 200.0 MiB of 300.0 "
            "MiB free");
  // Without estimates: twice the checkpoint on the host, the checkpoint (the state) on the
  // device; a plan near 2^64 saturates instead of wrapping around to a small number.
  loop::Plan bare;
  bare.checkpoint_bytes = 10 * MiB;
  EXPECT_EQ(refusal_of(bare, core::Backend::Cpu, 30 * MiB, 0), "");
  EXPECT_NE(refusal_of(bare, core::Backend::Cpu, 29 * MiB, 0), "");
  EXPECT_NE(refusal_of(bare, core::Backend::Gpu, 30 * MiB, 9 * MiB).find("GPU memory"),
            std::string::npos);
  plan.device_bytes = UINT64_MAX - 1;
  EXPECT_NE(refusal(core::Backend::Cpu, 1000 * MiB, 0), "");
}

TEST(Loop, StepsUntilATime) {
  EXPECT_EQ(loop::steps_until(0.0, 0.25, 0.01), 25);
  EXPECT_EQ(loop::steps_until(0.0, 0.251, 0.01), 26);
  EXPECT_EQ(loop::steps_until(0.3, 0.25, 0.01), 1);
  EXPECT_EQ(loop::steps_until(0.0, loop::k_no_time_limit, 0.01), loop::k_never);
}

}  // namespace
}  // namespace twinsim::test
