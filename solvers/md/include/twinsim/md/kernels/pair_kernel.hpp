#pragma once
// Pair potentials as evaluators, written once for both backends (reduced units). Each takes the
// squared distance and the coefficients of the type pair and returns the pair energy and the
// force factor f/r (force on i from j = (f/r) (r_i - r_j)); zero beyond the pair's cutoff.
// Branch-free where it pays: a third of a Verlet list lies beyond the cutoff in random order.
#include "twinsim/core/HostDevice.hpp"
#include "twinsim/md/kernels/lj_kernel.hpp"

namespace twinsim::md {

// Coefficients of one type pair (host-built by pair_coefficients(), copied to Space memory).
struct PairCoeff {
  double a;        // LJ/WCA: 4 eps sigma^12; Morse: D0 (well depth, epsilon)
  double b;        // LJ/WCA: 4 eps sigma^6;  Morse: alpha (1/sigma)
  double c;        // Morse: r0 (sigma); unused by LJ/WCA
  double cutoff2;  // squared cutoff of this pair, sigma^2
  double shift;    // energy at the cutoff, subtracted when shifted (WCA: always), epsilon
};

// 12-6 Lennard-Jones u = a r^-12 - b r^-6 (a = 4 eps sigma^12, b = 4 eps sigma^6). WCA is this
// evaluator with cutoff 2^(1/6) sigma and shift -eps (u + eps, zero at and beyond the minimum).
struct LjEvaluator {
  TWINSIM_HD static LjPair eval(double r2, const PairCoeff& p) {
    const double inside = r2 < p.cutoff2 ? 1.0 : 0.0;
    const double inv_r2 = 1.0 / r2;
    const double inv_r6 = inv_r2 * inv_r2 * inv_r2;
    return {inside * (inv_r6 * (p.a * inv_r6 - p.b) - p.shift),
            inside * inv_r6 * (12.0 * p.a * inv_r6 - 6.0 * p.b) * inv_r2};
  }
};

// Morse u = D0 [exp(-2 alpha (r - r0)) - 2 exp(-alpha (r - r0))] (minimum -D0 at r0).
struct MorseEvaluator {
  TWINSIM_HD static LjPair eval(double r2, const PairCoeff& p) {
    const double inside = r2 < p.cutoff2 ? 1.0 : 0.0;
    const double r = sqrt(r2);
    const double e1 = exp(-p.b * (r - p.c));
    return {inside * (p.a * e1 * (e1 - 2.0) - p.shift),
            inside * 2.0 * p.a * p.b * e1 * (e1 - 1.0) / r};
  }
};

// Coefficient table lookup: a single type reads entry 0 without touching the type array.
TWINSIM_HD inline const PairCoeff& pair_coeff(const PairCoeff* table, int types, int ti, int tj) {
  return table[ti * types + tj];
}

}  // namespace twinsim::md
