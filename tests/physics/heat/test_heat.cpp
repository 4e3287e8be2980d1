// The 1D heat equation by FTCS on every backend built: a sine mode decays by exactly the discrete
// amplification factor (1 - 4 r sin^2(k dx / 2)) per step, to round-off, and converges to the
// continuous exp(-alpha k^2 t) at second order in dx; the heat content is conserved; a run
// restored from a loop checkpoint continues bit for bit; `check` refuses an unstable step.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "backends.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/heat/Case.hpp"
#include "twinsim/heat/HeatSolver.hpp"
#include "twinsim/heat/Run.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/io/RunDirectory.hpp"
#include "twinsim/loop/Loop.hpp"
#include "twinsim/loop/Run.hpp"

namespace twinsim::test {
namespace {

namespace fs = std::filesystem;

template <class Tag>
class HeatFtcs : public ::testing::Test {};
TYPED_TEST_SUITE(HeatFtcs, AllBackends, BackendName);

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

// cells on [0, length) with the step at r = alpha dt / dx^2.
heat::HeatSettings settings_at(std::int64_t cells, double r, double length = 1.0,
                               double alpha = 1.0) {
  const double dx = length / double(cells);
  return {cells, length, alpha, r * dx * dx / alpha};
}

heat::Profile sine(std::int64_t mode, double background = 0.0) {
  heat::Profile p;
  p.mode = mode;
  p.background = background;
  return p;
}

fs::path scratch(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("twinsim-test-heat-" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

TYPED_TEST(HeatFtcs, ASineModeDecaysByTheDiscreteFactorToRoundOff) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  // r = 0.4 and r = 0.5 (the limit); a long mode and one of 8 cells per wavelength, on a
  // background of 3 K, so that round-off of the background enters too. The rms difference from
  // background + (1 - 4 r sin^2(k dx / 2))^steps sin(k x) stays at round-off of the mode (which
  // mode 8 takes below 1e-50 in 400 steps) and of the background.
  for (double r : {0.4, 0.5}) {
    for (std::int64_t mode : {1, 8}) {
      SCOPED_TRACE("r " + std::to_string(r) + ", mode " + std::to_string(mode));
      const heat::HeatSettings s = settings_at(64, r);
      const heat::Profile p = sine(mode, 3.0);
      auto solver = heat::make_heat_solver(TypeParam::k_backend, s, heat::sample(s, p));
      for (std::int64_t steps : {1, 99, 400}) {
        solver->run(steps);
        const std::vector<double> u = solver->temperature();
        const std::vector<double> exact = heat::sine_solution(s, p, solver->step(), true);
        double error = 0, amplitude = 0;
        for (std::size_t i = 0; i < u.size(); ++i) {
          error += (u[i] - exact[i]) * (u[i] - exact[i]) / double(u.size());
          amplitude += (exact[i] - 3.0) * (exact[i] - 3.0) / double(u.size());
        }
        EXPECT_LT(std::sqrt(error), 1e-13 * std::sqrt(amplitude) + 1e-14 * 3.0)
            << "step " << solver->step();
      }
    }
  }
}

TYPED_TEST(HeatFtcs, TheSineConvergesAtSecondOrderInDx) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  // At fixed r = 1/4, dt ~ dx^2: the error of FTCS's factor against exp(-alpha k^2 dt) per step
  // is k^4 dx^4 r (1/12 - r/2), so at a fixed time alpha k^4 t dx^2 (1/12 - r/2): second order
  // (and fourth at r = 1/6, where the leading terms cancel). t = 1/256 s: n^2 / 64 steps.
  const double r = 0.25;
  std::vector<double> errors;
  for (std::int64_t n : {16, 32, 64, 128, 256}) {
    const heat::HeatSettings s = settings_at(n, r);
    const heat::Profile p = sine(1);
    auto solver = heat::make_heat_solver(TypeParam::k_backend, s, heat::sample(s, p));
    solver->run(n * n / 64);
    EXPECT_NEAR(double(solver->step()) * s.dt, 1.0 / 256, 1e-15);
    errors.push_back(heat::relative_l2_error(solver->temperature(),
                                             heat::sine_solution(s, p, solver->step(), false),
                                             0.0));
    // The leading term: |1/12 - 1/8| alpha k^4 t dx^2 = (2 pi)^4 / (24 * 256) dx^2.
    const double predicted = std::pow(2.0 * M_PI, 4) / (24.0 * 256.0) * s.dx() * s.dx();
    EXPECT_NEAR(errors.back(), predicted, 0.01 * predicted) << "n " << n;
  }
  for (std::size_t i = 1; i < errors.size(); ++i) {
    const double order = std::log2(errors[i - 1] / errors[i]);
    std::printf("heat1d FTCS, r = 1/4: n %4d relative L2 error %.4e, order %.4f\n",
                16 << i, errors[i], order);
    EXPECT_NEAR(order, 2.0, 0.02);
  }
}

TYPED_TEST(HeatFtcs, HeatContentIsConserved) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  // A gaussian on a background, at the stability limit, for 2000 steps (its width grows from
  // 0.05 to 0.1 m and its tails meet across the periodic boundary).
  const heat::HeatSettings s = settings_at(100, 0.5);
  heat::Profile p;
  p.shape = heat::Profile::Shape::gaussian;
  p.width = 0.05;
  p.amplitude = 5.0;
  p.background = 1.0;
  const std::vector<double> u0 = heat::sample(s, p);
  double start = 0;
  for (double u : u0) start += u * s.dx();
  auto solver = heat::make_heat_solver(TypeParam::k_backend, s, u0);
  EXPECT_NEAR(solver->heat_content(), start, 1e-15 * start);
  solver->run(2000);
  EXPECT_NEAR(solver->heat_content(), start, 1e-13 * start);
  const std::vector<double> u = solver->temperature();
  EXPECT_LT(*std::max_element(u.begin(), u.end()), 0.5 * (5.0 + 1.0));  // it did spread
}

TYPED_TEST(HeatFtcs, ARestartThroughLoopCheckpointsContinuesBitForBit) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  constexpr std::int64_t k_half = 150;
  const heat::HeatSettings s = settings_at(96, 0.45);
  heat::Profile p;
  p.shape = heat::Profile::Shape::gaussian;
  p.width = 0.08;
  const std::vector<double> u0 = heat::sample(s, p);

  heat::HeatStepper straight(heat::make_heat_solver(TypeParam::k_backend, s, u0), 2 * k_half);
  loop::Loop straight_loop(straight, "heat");
  EXPECT_EQ(straight_loop.run().end, loop::End::finished);

  // The first run ends at k_half with a checkpoint there (every 50 steps).
  const fs::path dir = scratch(std::string("loop-") + std::string(core::to_string(
                                                         TypeParam::k_backend)));
  {
    heat::HeatStepper first(heat::make_heat_solver(TypeParam::k_backend, s, u0), k_half);
    io::Checkpoints checkpoints(dir, {50, 0, 2}, {"heat1d", 0, 0, "test", "case"});
    loop::Loop loop(first, "heat");
    loop.checkpoint_with(checkpoints, nullptr);
    EXPECT_EQ(loop.run().end, loop::End::finished);
  }
  // A fresh stepper from another start (a sine), overwritten by the restore.
  heat::HeatStepper second(
      heat::make_heat_solver(TypeParam::k_backend, s, heat::sample(s, sine(3))), 2 * k_half);
  loop::Loop loop(second, "heat");
  const io::Restart restart(dir, "latest");
  EXPECT_EQ(restart.step(), k_half);
  loop.restore(restart);
  EXPECT_EQ(second.step(), k_half);
  EXPECT_EQ(loop.run().end, loop::End::finished);
  EXPECT_EQ(second.step(), straight.step());
  EXPECT_EQ(second.time(), straight.time());
  EXPECT_TRUE(same_bits(second.solver().temperature(), straight.solver().temperature()));
  fs::remove_all(dir);
}

// A case of the ring in cases/heat/sine.toml, shortened.
io::Case ring_case(const std::vector<std::string>& overrides) {
  static const char* k_text = R"([run]
name = "ring"
solver = "heat1d"

[heat]
cells = 64
length = 0.1
alpha = 1.11e-4
dt = 0.01
steps = 240
amplitude = 10.0
background = 293.15
output_every = 40
)";
  return io::Case::from_string(k_text, "ring.toml", loop::case_schema({heat::kind()}),
                               overrides);
}

// Runs the case as `twinsim run` does, without the run folder's bookkeeping; returns the summary.
// restart: the checkpoint to continue from ("" for a fresh run).
std::string execute(const io::Case& c, core::Backend backend, const fs::path& folder,
                    const std::string& restart) {
  // A restart reopens the folder as it is; a fresh run replaces it (checkpoints included).
  const io::RunDirectory dir = !restart.empty() ? io::RunDirectory::existing(folder)
                                                : io::RunDirectory(folder, true);
  if (restart.empty()) dir.write_text("case.toml", c.resolved_text());
  std::optional<io::Restart> from;
  if (!restart.empty()) from.emplace(dir.checkpoints(), restart);
  io::Checkpoints checkpoints(dir.checkpoints(), io::CheckpointPolicy::from_case(c),
                              {"heat1d", 0, 0, "test", c.resolved_text()});
  const loop::Result r = loop::execute(heat::kind(), {c, backend, dir, "ring",
                                                      from ? &*from : nullptr}, checkpoints);
  EXPECT_EQ(r.outcome.end, loop::End::finished) << r.outcome.failure;
  return r.summary.to_json();
}

TYPED_TEST(HeatFtcs, ARestartedRunWritesWhatAStraightOneDoes) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const std::string backend(core::to_string(TypeParam::k_backend));
  const fs::path a = scratch("straight-" + backend), b = scratch("restarted-" + backend);
  const std::string straight = execute(ring_case({}), TypeParam::k_backend, a, "");
  // 120 steps with checkpoints at 60 and 120, then a restart from the one at 60 (the frames
  // at 80 and 120 written after it are dropped and written again) to 240.
  execute(ring_case({"heat.steps=120", "checkpoint.every_steps=60"}), TypeParam::k_backend, b,
          "");
  const std::string restarted = execute(ring_case({}), TypeParam::k_backend, b,
                                        (b / "checkpoints" / "step_0000000060.h5").string());

  const io::H5File fa = io::H5File::open(a / "ring.h5"), fb = io::H5File::open(b / "ring.h5");
  const io::Array<double> ua = fa.read<double>("/fields/temperature/value");
  const io::Array<double> ub = fb.read<double>("/fields/temperature/value");
  EXPECT_EQ(ua.shape, (io::Shape{7, 1, 1, 64}));  // steps 0, 40, ..., 240
  EXPECT_EQ(ub.shape, ua.shape);
  EXPECT_TRUE(same_bits(ua.values, ub.values));
  EXPECT_EQ(fb.read<std::int64_t>("/fields/temperature/step").values,
            (std::vector<std::int64_t>{0, 40, 80, 120, 160, 200, 240}));
  for (const char* key : {"sine.l2_error", "sine.l2_error_discrete", "heat_content.initial",
                          "heat_content.final", "sine.amplitude_factor.measured"}) {
    ASSERT_TRUE(io::json_number(straight, key).has_value()) << key;
    EXPECT_EQ(*io::json_number(restarted, key), *io::json_number(straight, key)) << key;
  }
  EXPECT_LT(*io::json_number(straight, "sine.l2_error_discrete"), 1e-11);
  EXPECT_LT(std::abs(*io::json_number(straight, "heat_content.relative_change")), 1e-14);
  fs::remove_all(a);
  fs::remove_all(b);
}

TEST(HeatCase, CheckRefusesAnUnstableStepAndNamesTheLargestStableOne) {
  // 64 cells on 0.1 m, alpha 1.11e-4 m^2/s: dx^2 / (2 alpha) = 0.0109973... s.
  const heat::HeatSettings s{64, 0.1, 1.11e-4, 0.01};
  std::ostringstream at_limit;
  at_limit << "heat.dt=" << std::setprecision(17) << heat::largest_stable_dt(s);
  EXPECT_NO_THROW(heat::check(ring_case({at_limit.str()})));
  try {
    heat::check(ring_case({"heat.dt=0.011"}));
    FAIL() << "dt = 0.011 s was accepted";
  } catch (const core::Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("heat.dt = 0.011 s is above the FTCS stability limit"), std::string::npos)
        << what;
    EXPECT_NE(what.find("set heat.dt <= 0.0109973 s"), std::string::npos) << what;
  }
  // The solver refuses it too, for callers without a case file.
  EXPECT_THROW(heat::make_heat_solver(core::Backend::Cpu, {64, 0.1, 1.11e-4, 0.011},
                                      std::vector<double>(64, 0.0)),
               core::Error);
}

TEST(HeatCase, CheckRefusesAModeTheGridCannotResolve) {
  EXPECT_NO_THROW(heat::check(ring_case({"heat.mode=32"})));
  EXPECT_THROW(heat::check(ring_case({"heat.mode=33"})), core::Error);
  EXPECT_NO_THROW(heat::check(ring_case({"heat.mode=33", "heat.initial=\"gaussian\""})));
}

}  // namespace
}  // namespace twinsim::test
