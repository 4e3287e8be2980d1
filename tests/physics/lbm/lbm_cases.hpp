#pragma once
// Lattice configurations shared by the lbm tests (lattice units).
#include <cmath>
#include <type_traits>

#include "twinsim/lbm/Solver.hpp"

namespace twinsim::test {

template <class Real>
constexpr lbm::Precision precision_of() {
  return std::is_same_v<Real, float> ? lbm::Precision::fp32 : lbm::Precision::fp64;
}

// A channel periodic in x with walls at y_min and y_max, driven by a body force along x that
// gives the centreline speed u_max: a = 8 nu u_max / H^2.
inline lbm::LatticeConfig channel(int ny, double tau, lbm::Collision collision,
                                  lbm::Precision precision, double u_max = 0.05) {
  lbm::LatticeConfig c;
  c.collision = collision;
  c.precision = precision;
  c.cells = {1, ny, 1};  // the flow is the same in every column: one suffices
  c.tau = tau;
  const double nu = (tau - 0.5) / 3.0;
  c.force = {8.0 * nu * u_max / (double(ny) * ny), 0.0, 0.0};
  c.sides[2].periodic = c.sides[3].periodic = false;
  return c;
}

// Steps for a channel started at rest to reach steady state within exp(-30) ~ 1e-13: the
// slowest mode decays with the viscous time H^2 / (pi^2 nu).
inline long steady_steps(int ny, double tau) {
  const double nu = (tau - 0.5) / 3.0;
  return long(std::ceil(30.0 * ny * ny / (M_PI * M_PI * nu)));
}

// A square cavity of n x n cells with walls all round and the lid (y_max) moving along +x.
inline lbm::LatticeConfig cavity(int n, double tau, double lid, lbm::Collision collision,
                                 lbm::Precision precision) {
  lbm::LatticeConfig c;
  c.collision = collision;
  c.precision = precision;
  c.cells = {n, n, 1};
  c.tau = tau;
  for (int s = 0; s < 4; ++s) c.sides[s].periodic = false;
  c.sides[3].velocity = {lid, 0.0, 0.0};
  return c;
}

}  // namespace twinsim::test
