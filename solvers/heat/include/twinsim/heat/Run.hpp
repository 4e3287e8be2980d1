#pragma once
// The 1D heat equation as a run of the loop library: the solver as a Stepper (public, so tests
// and other programs can drive it in a loop::Loop of their own); temperature frames and the
// heat-content and sine-error diagnostics as operations. `twinsim run` with
// run.solver = "heat1d" is loop::run(heat::kind(), case, request).
#include <cstdint>
#include <memory>

#include "twinsim/heat/HeatSolver.hpp"
#include "twinsim/loop/Run.hpp"
#include "twinsim/loop/Stepper.hpp"

namespace twinsim::heat {

// A HeatSolver stepped to `steps` steps. Its checkpoint state: heat/step, heat/temperature.
class HeatStepper : public loop::Stepper {
 public:
  HeatStepper(std::unique_ptr<HeatSolver> solver, std::int64_t steps);

  HeatSolver& solver() { return *m_solver; }
  const HeatSolver& solver() const { return *m_solver; }

  std::int64_t step() const override { return m_solver->step(); }
  // s; step * dt, as loop::steps_until counts it.
  double time() const override;
  bool finished() const override { return step() >= m_steps; }
  void advance(std::int64_t steps, double until) override;
  void synchronize() override { m_solver->synchronize(); }
  loop::Position position() const override { return {step(), m_steps, "steps"}; }
  void save(io::StateWriter& out) const override;
  void load(const io::StateReader& in) override;
  // cells, dx, dt, r, steps, simulated time, timing and cell-steps per second.
  void summarize(io::Summary& summary, const core::Timers& timers) const override;

 private:
  std::unique_ptr<HeatSolver> m_solver;
  std::int64_t m_steps;
};

// Builds the run of a checked case: output file, solver, operations.
loop::Run make_run(const loop::Setup& setup);

// run.solver = "heat1d".
const loop::Kind& kind();

}  // namespace twinsim::heat
