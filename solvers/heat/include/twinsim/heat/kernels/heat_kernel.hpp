#pragma once
// The 1D heat equation u_t = alpha u_xx by forward Euler in time and central differences in
// space (FTCS) on a periodic row of cells, written once for both backends, and what it does to
// a sine mode (von Neumann): the oracle of the tests and of the run's summary.
#include <cmath>

#include "twinsim/core/HostDevice.hpp"

namespace twinsim::heat {

// Cell i's temperature one step later, from the row u of n cells (periodic: cell n-1 neighbours
// cell 0). r = alpha dt / dx^2, dimensionless; FTCS is stable for r <= 1/2. u is in the
// memory space of the caller's backend, in any temperature unit (the update is linear).
TWINSIM_HD inline double ftcs_update(const double* u, core::Index i, core::Index n, double r) {
  const core::Index left = i == 0 ? n - 1 : i - 1;
  const core::Index right = i + 1 == n ? 0 : i + 1;
  return u[i] + r * (u[left] - 2.0 * u[i] + u[right]);
}

// The factor one FTCS step multiplies a periodic mode sin(k x + phase) by: 1 - 4 r
// sin^2(k dx / 2). It approaches exp(-alpha k^2 dt) as dx -> 0 at fixed r; its magnitude
// exceeds 1, and the mode grows, once r > 1/2 and k dx is near pi.
TWINSIM_HD inline double ftcs_amplification(double r, double k_dx) {
  const double s = sin(0.5 * k_dx);
  return 1.0 - 4.0 * r * s * s;
}

}  // namespace twinsim::heat
