#pragma once
// The 1D heat equation u_t = alpha u_xx on a periodic domain [0, L) by explicit FTCS steps, on
// the backend chosen at run time (one source, src/heat_solver.inl, compiled for both), and the
// initial profiles and exact sine solutions its runs and tests compare with.
#include <cstdint>
#include <memory>
#include <vector>

#include "twinsim/core/Backend.hpp"

namespace twinsim::heat {

// The grid and the step. Temperatures sit at the cell centres x_i = (i + 1/2) dx, i < cells.
struct HeatSettings {
  std::int64_t cells = 64;
  double length = 1.0;  // L, m
  double alpha = 1e-2;  // thermal diffusivity, m^2/s
  double dt = 1e-2;     // s

  double dx() const { return length / double(cells); }
  // alpha dt / dx^2: FTCS is stable for r <= 1/2.
  double r() const { return alpha * dt / (dx() * dx()); }
};

// The largest stable step, dx^2 / (2 alpha), s.
double largest_stable_dt(const HeatSettings& settings);

// The state is the step count and the temperature row; nothing else, so save and load are
// step() and temperature() and set_state().
class HeatSolver {
 public:
  virtual ~HeatSolver() = default;

  const HeatSettings& settings() const { return m_settings; }
  // Steps taken (restarts included).
  virtual std::int64_t step() const = 0;
  // Advances `steps` FTCS steps; work may stay queued on the device.
  virtual void run(std::int64_t steps) = 0;
  // Waits for queued work (for timers).
  virtual void synchronize() = 0;

  // The temperature per cell, K, copied to the host (waits for queued work).
  virtual std::vector<double> temperature() const = 0;
  // The integral of the temperature over [0, L), sum u_i dx, K m: FTCS conserves it (the
  // differences telescope around the periodic row), to round-off.
  virtual double heat_content() const = 0;
  // A restart: the state at `step`, host values, one per cell.
  virtual void set_state(std::int64_t step, const std::vector<double>& temperature) = 0;

 protected:
  explicit HeatSolver(const HeatSettings& settings) : m_settings(settings) {}

 private:
  HeatSettings m_settings;
};

// Throws core::Error for fewer than 3 cells, non-positive length, alpha or dt, a step above
// largest_stable_dt, an initial row of another length, or the GPU where CUDA was not built.
std::unique_ptr<HeatSolver> make_heat_solver(core::Backend backend, const HeatSettings& settings,
                                             const std::vector<double>& initial);

// An initial profile on the row, K.
struct Profile {
  enum class Shape { sine, gaussian };
  Shape shape = Shape::sine;
  std::int64_t mode = 1;    // sine: sin(k x), k = 2 pi mode / L (periodic on [0, L))
  double width = 0.05;      // gaussian: standard deviation, m, centred at L/2
  double amplitude = 1.0;   // K
  double background = 0.0;  // K, added everywhere (the sine's heat content is L background)

  // k = 2 pi mode / L, 1/m.
  double wavenumber(const HeatSettings& settings) const;
};

// The profile at the cell centres.
std::vector<double> sample(const HeatSettings& settings, const Profile& profile);

// A sine start after `steps` steps at the cell centres: background + amplitude g sin(k x_i) with
// g = (1 - 4 r sin^2(k dx / 2))^steps (exact for FTCS, to round-off) when `discrete`, else
// g = exp(-alpha k^2 t), t = steps dt (the heat equation's exact solution).
std::vector<double> sine_solution(const HeatSettings& settings, const Profile& profile,
                                  std::int64_t steps, bool discrete);

// |u - exact| / |exact - background| in the discrete L2 norm: the error relative to the decayed
// mode, not to the background it sits on.
double relative_l2_error(const std::vector<double>& u, const std::vector<double>& exact,
                         double background);

}  // namespace twinsim::heat
