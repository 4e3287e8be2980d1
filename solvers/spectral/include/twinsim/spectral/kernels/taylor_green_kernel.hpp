#pragma once
// The exact 2D Taylor-Green vortex (periodic box [0, 2 pi / k)^2, viscosity nu):
//   u = U0 sin(kx) cos(ky) F,  v = -U0 cos(kx) sin(ky) F,  w = dv/dx - du/dy = 2 U0 k sin(kx) sin(ky) F
// with F(t) = exp(-2 nu k^2 t). Mean kinetic energy (U0^2 / 4) F^2. Units are those of the case
// (length, velocity, time consistent). Written once for both backends.
#include <cmath>

#include "twinsim/core/HostDevice.hpp"

namespace twinsim::spectral {

struct TaylorGreenParams {
  double u0;  // velocity amplitude
  double k;   // wavenumber; the box edge is 2 pi / k
  double nu;  // kinematic viscosity
};

TWINSIM_HD inline double taylor_green_decay(const TaylorGreenParams& p, double t) {
  return exp(-2.0 * p.nu * p.k * p.k * t);
}

TWINSIM_HD inline void taylor_green_velocity(const TaylorGreenParams& p, double x, double y,
                                             double t, double& u, double& v) {
  const double f = p.u0 * taylor_green_decay(p, t);
  u = f * sin(p.k * x) * cos(p.k * y);
  v = -f * cos(p.k * x) * sin(p.k * y);
}

// Vorticity w = dv/dx - du/dy of the field above.
TWINSIM_HD inline double taylor_green_vorticity(const TaylorGreenParams& p, double x, double y,
                                                double t) {
  return 2.0 * p.u0 * p.k * sin(p.k * x) * sin(p.k * y) * taylor_green_decay(p, t);
}

}  // namespace twinsim::spectral
