#pragma once
#include <memory>
#include <vector>

#include "twinsim/core/Backend.hpp"
#include "twinsim/spectral/kernels/taylor_green_kernel.hpp"

namespace twinsim::spectral {

// One output frame of the Taylor-Green check, copied to the host. Arrays are [y][x] row-major
// on an n x n grid; velocity has 3 components per point (w = 0) so viewers see a vector.
struct TaylorGreenFrame {
  std::vector<double> velocity;          // [y][x][3]
  std::vector<double> vorticity;         // spectral curl of the velocity
  std::vector<double> vorticity_exact;   // analytic vorticity
  double kinetic_energy = 0;             // mean of (u^2 + v^2) / 2 over the grid
  double max_vorticity_error = 0;        // max |spectral - exact|
};

// The exact 2D Taylor-Green vortex sampled on an n x n periodic grid, with its vorticity
// computed by FFT-based differentiation on the chosen backend. Spectral differentiation is
// exact for this band-limited field, so the error measures round-off of the FFT path; the
// kinetic energy follows the exact decay (U0^2 / 4) F(t)^2. The seed of the pseudo-spectral
// solver: grid, wavenumbers and spectral curl are the pieces it reuses.
class TaylorGreenCheck {
 public:
  virtual ~TaylorGreenCheck() = default;
  virtual TaylorGreenFrame evaluate(double t) = 0;
  virtual int n() const = 0;
};

// n >= 4 and even. Throws core::Error otherwise.
std::unique_ptr<TaylorGreenCheck> make_taylor_green_check(core::Backend backend, int n,
                                                          const TaylorGreenParams& params);

}  // namespace twinsim::spectral
