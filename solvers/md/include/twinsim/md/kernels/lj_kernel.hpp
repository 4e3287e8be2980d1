#pragma once
// Lennard-Jones pair physics, written once for both backends (reduced LJ units: epsilon = sigma
// = mass = k_B = 1). No backend code here: the .inl files call these from exec kernels.
#include "twinsim/core/HostDevice.hpp"

namespace twinsim::md {

// The truncated (optionally shifted) 12-6 potential u(r) = 4 (r^-12 - r^-6) - shift for r < rc.
struct LjParams {
  double cutoff2;  // rc^2
  double shift;    // u(rc) when shifted, 0 for plain truncation
};

// Pair energy and the force factor f/r (the force on i from j is (f/r) * (r_i - r_j)) at squared
// distance r2. Outside the cutoff both are zero.
struct LjPair {
  double energy;
  double force_over_r;
};

// Branch-free: about a third of a Verlet list lies beyond the cutoff in random order, and a
// mispredicted branch costs more than evaluating the pair and discarding it.
TWINSIM_HD inline LjPair lj_pair(double r2, const LjParams& p) {
  const double inside = r2 < p.cutoff2 ? 1.0 : 0.0;
  const double inv_r2 = 1.0 / r2;
  const double inv_r6 = inv_r2 * inv_r2 * inv_r2;
  return {inside * (4.0 * inv_r6 * (inv_r6 - 1.0) - p.shift),
          inside * 24.0 * inv_r6 * (2.0 * inv_r6 - 1.0) * inv_r2};
}

// u(rc) of the unshifted potential: the shift that makes the truncated energy continuous.
TWINSIM_HD inline double lj_energy_at(double r) {
  const double inv_r6 = 1.0 / (r * r * r * r * r * r);
  return 4.0 * inv_r6 * (inv_r6 - 1.0);
}

}  // namespace twinsim::md
