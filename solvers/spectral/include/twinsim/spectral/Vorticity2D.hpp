#pragma once
// Batched 2D incompressible Navier-Stokes in vorticity-stream function form on a periodic box,
// pseudo-spectral: B independent samples advanced together through batched FFTs (one plan
// for the whole batch), nonlinear term on the grid with 2/3 dealiasing. State: the Fourier
// modes of the vorticity, in the backend's memory. FP32 or FP64 (Real); wavenumber and
// coefficient arithmetic that sets accuracy (exp, pow, 1/|k|^2) is done in double.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "twinsim/core/Backend.hpp"
#include "twinsim/spectral/SpectralState.hpp"
#include "twinsim/spectral/kernels/vorticity2d_kernel.hpp"

namespace twinsim::spectral {

// rk4_if: RK4 with an integrating factor for viscosity (4th order, viscosity exact).
// cn_euler: Crank-Nicolson viscosity + forward Euler advection and forcing: the FNO benchmark
//   generator's step, reproduced term by term (1st order: the explicit part is Euler).
// cn_heun: the same with a Heun predictor-corrector for the explicit part (2nd order).
enum class Scheme { rk4_if, cn_euler, cn_heun };
Scheme scheme_from_string(std::string_view name);  // throws core::Error for an unknown name
std::string_view to_string(Scheme scheme);
ForcingKind forcing_from_string(std::string_view name);  // none, fno, kolmogorov
std::string_view to_string(ForcingKind kind);

struct Vorticity2DConfig {
  int nx = 64, ny = 64;       // grid points (even, >= 4)
  double lx = 1.0, ly = 1.0;  // box edges [length]
  double nu = 1e-3;           // kinematic viscosity [length^2/time]
  double dt = 1e-3;           // time step [time]
  int batch = 1;              // samples advanced together
  Scheme scheme = Scheme::rk4_if;
  ForcingParams forcing;
};

// One batch of B samples. Host vectors are [b][y][x] (grid values) row-major.
template <class Real>
class Vorticity2D {
 public:
  virtual ~Vorticity2D() = default;
  virtual const Vorticity2DConfig& config() const = 0;

  // Initial fields; each resets the time to 0.
  // Taylor-Green in every sample: w = u0 (a^2 + b^2)/b sin(a x) sin(b y), a = 2 pi mode / lx.
  virtual void set_taylor_green(double u0, int mode) = 0;
  // A Gaussian random field per sample, seeds[b] for sample b (batch values).
  virtual void set_random_field(const RandomFieldParams& params,
                                const std::vector<std::uint64_t>& seeds) = 0;
  // Grid values [b][y][x], host memory.
  virtual void set_vorticity(const std::vector<Real>& h_vorticity) = 0;

  virtual void advance(std::int64_t steps) = 0;
  // Advances by `duration` [time] with an adaptive step from a CFL bound:
  //   dt = min(config().dt, cfl * min_i (h_i / max |u_i|)),  h_i = box edge / points,
  // the maximum taken over the grid and the whole batch (the samples share one dt, so a sample's
  // trajectory then depends on its batch-mates at the level of the time error), evaluated at the
  // start of every step; the remaining steps of the interval are shortened equally so that the
  // last one lands on it exactly. Returns the number of steps taken. cfl > 0.
  std::int64_t advance_cfl(double duration, double cfl) {
    return advance_cfl_to(time() + duration, cfl, INT64_MAX);
  }
  // The same toward the time `target`, at most max_steps steps: a loop that checkpoints
  // between steps calls it with the same target until time() == target. Returns the steps taken.
  virtual std::int64_t advance_cfl_to(double target, double cfl, std::int64_t max_steps) = 0;
  virtual double last_dt() const = 0;  // the most recent step [time] (config().dt before any)
  virtual double time() const = 0;

  // Vorticity on an ny_out x nx_out grid (even, at most the solver's) by spectral truncation,
  // copied to the host [b][y][x]; ny_out = ny, nx_out = nx gives the solver's grid values.
  virtual std::vector<Real> vorticity(int ny_out, int nx_out) = 0;
  // The same left in the backend's memory: sample b's plane to d_to + b * stride, d_to in the
  // backend's memory (an in-situ trainer's frames: no copy to the host, no allocation after the
  // first call for a grid).
  virtual void vorticity_into(int ny_out, int nx_out, Real* d_to, std::int64_t stride) = 0;
  // Per sample: mean kinetic energy 1/2 <u^2 + v^2> [length^2/time^2] and enstrophy
  // 1/2 <w^2> [1/time^2], from the modes (exact Parseval sums).
  virtual std::vector<double> kinetic_energy() const = 0;
  virtual std::vector<double> enstrophy() const = 0;
  // Whether a mode of any sample is NaN or infinite: one reduction over the whole batch and one
  // number read back (a run's divergence check).
  virtual bool non_finite() const = 0;
  // Shell-summed kinetic-energy spectrum per sample on the solver's grid, host [b][shell]:
  // E_s = sum of 1/2 |u_k|^2 over modes with round(|k| / dk) = s [length^2/time^2], shell s at
  // |k| = s dk, dk = 2 pi / max(lx, ly) (energy_spectrum_kernel.hpp). sum_s E_s equals
  // kinetic_energy() to round-off.
  virtual std::vector<double> energy_spectrum() = 0;
  virtual int spectrum_shells() const = 0;
  virtual double spectrum_shell_width() const = 0;  // dk [1/length]

  // Checkpoints: the complete state the next step depends on (the vorticity modes [b][y][x/2+1]
  // and the clock), and a solver of the same config continuing from it bit for bit.
  // set_state throws core::Error for a state of another size.
  virtual SpectralState<Real> state() const = 0;
  virtual void set_state(const SpectralState<Real>& state) = 0;
};

// Throws core::Error for an odd or too small grid, batch < 1, dt <= 0, nu < 0, or the GPU
// backend where this build has none.
template <class Real>
std::unique_ptr<Vorticity2D<Real>> make_vorticity2d(core::Backend backend,
                                                    const Vorticity2DConfig& config);

}  // namespace twinsim::spectral
