#pragma once
// Collision of one cell: TRT (two relaxation times) with Guo's body force; BGK is the special case
// omega_minus = omega_plus; optionally with a Smagorinsky subgrid model (local relaxation time).
// Populations are stored shifted, g_q = f_q - w_q (the rest
// equilibrium at rho = 1 subtracted): the stored numbers are small deviations, which keeps FP32
// storage accurate (the leading 1 of rho would otherwise eat 7 of FP32's 24 bits). Lattice units
// throughout: dx = dt = 1, c_s^2 = 1/3.
#include <cmath>

#include "twinsim/core/HostDevice.hpp"
#include "twinsim/lbm/kernels/lattice_kernel.hpp"

namespace twinsim::lbm {

// Subgrid model, a template switch of collide(): without one the collision is the plain TRT/BGK
// with no extra arithmetic (and the bits it always had).
enum class Subgrid { none, smagorinsky };

template <class Real>
struct Relaxation {
  Real omega_plus;   // 1 / tau, the symmetric (viscous) rate: nu = (tau - 1/2) / 3
  Real omega_minus;  // antisymmetric rate: BGK omega_plus; TRT from the magic parameter
  Real force[3];     // body force per unit volume (lattice units), Guo's scheme
  // Subgrid::smagorinsky only: tau0 = 1 / omega_plus, 18 sqrt(2) C_s^2 (C_s the Smagorinsky
  // constant), and the TRT magic parameter Lambda kept by the local rates (0: BGK).
  Real tau;
  Real smagorinsky;
  Real magic;
};

// TRT rates from tau and the magic parameter Lambda = (1/w+ - 1/2)(1/w- - 1/2). Lambda = 3/16
// puts half-way bounce-back walls exactly mid-way for Poiseuille flow, whatever tau.
inline double trt_omega_minus(double tau, double magic) {
  return 1.0 / (magic / (tau - 0.5) + 0.5);
}

// Body force, a template switch of moments() and collide(): Force::none leaves out every force
// term. Without a force the terms it leaves out are additions of +0 to values that are never -0
// (sums started at +0, and x - x is +0), so both switches give the same bits at force 0; the
// solver picks none when the force is 0.
enum class Force { none, guo };

// Density and velocity of shifted populations g (pre-collision). The velocity includes half the
// force (Guo), which makes the scheme second order with a body force.
template <class L, Force k_force = Force::guo, class Real>
TWINSIM_HD inline void moments(const Real* g, const Real* force, Real& rho, Real* u) {
  Real drho = 0, j[3] = {0, 0, 0};
  TWINSIM_LBM_UNROLL
  for (int q = 0; q < L::k_q; ++q) {
    drho += g[q];
    for (int a = 0; a < L::k_dims; ++a) j[a] += Real(L::c(q, a)) * g[q];  // sum of w c = 0
  }
  rho = Real(1) + drho;
  for (int a = 0; a < 3; ++a) {
    Real ja = j[a];
    if constexpr (k_force == Force::guo) ja += Real(0.5) * force[a];
    u[a] = a < L::k_dims ? ja / rho : Real(0);
  }
}

// Smagorinsky's eddy viscosity nu_t = (C_s Delta)^2 |S|, |S| = sqrt(2 S_ab S_ab), with the filter
// width Delta = 1 (one lattice spacing), as a local relaxation time (Hou, Sterling, Chen & Doolen
// 1996; Malaspinas & Sagaut 2012): the strain rate follows from the non-equilibrium momentum
// flux, Pi_neq = -2 rho c_s^2 tau S, so tau = tau0 + 3 nu_t is the root of a quadratic,
//   tau = (tau0 + sqrt(tau0^2 + 18 sqrt(2) C_s^2 |Pi_neq| / rho)) / 2,  |Pi_neq| = sqrt(Pi:Pi),
// local, with no finite differences. With Guo's force, sum c c (f - f_eq) = Pi_neq - (u F + F u)
// / 2 (Chapman-Enskog), so the force term is added back. In the shifted populations (sum of
// w c c = delta / 3, even part of the equilibrium rho u u + drho / 3 delta):
//   Pi_ab = sum_q c_qa c_qb g_q - drho / 3 delta_ab - rho u_a u_b + (u_a F_b + u_b F_a) / 2.
// Returns the local tau.
template <class L, class Real>
TWINSIM_HD inline Real smagorinsky_tau(const Real* g, Real rho, const Real* u,
                                       const Relaxation<Real>& r) {
  Real pi[3][3] = {};
  TWINSIM_LBM_UNROLL
  for (int q = 0; q < L::k_q; ++q)
    for (int a = 0; a < L::k_dims; ++a)
      for (int b = a; b < L::k_dims; ++b) pi[a][b] += Real(L::c(q, a) * L::c(q, b)) * g[q];
  Real pi_sq = 0;
  for (int a = 0; a < L::k_dims; ++a)
    for (int b = a; b < L::k_dims; ++b) {
      const Real p = pi[a][b] - (a == b ? (rho - Real(1)) / Real(3) : Real(0)) -
                     rho * u[a] * u[b] + Real(0.5) * (u[a] * r.force[b] + u[b] * r.force[a]);
      pi_sq += (a == b ? Real(1) : Real(2)) * p * p;
    }
  using std::sqrt;
  return Real(0.5) * (r.tau + sqrt(r.tau * r.tau + r.smagorinsky * sqrt(pi_sq) / rho));
}

// Relaxes the shifted populations g of one cell in place. With Subgrid::smagorinsky the
// symmetric (viscous) rate is the local 1 / tau of smagorinsky_tau(); TRT keeps its magic
// parameter, so the antisymmetric rate follows the local tau (and walls stay where they were).
// Force::none: without the body force terms (the force must be 0).
template <class L, Subgrid k_subgrid = Subgrid::none, Force k_force = Force::guo, class Real>
TWINSIM_HD inline void collide(Real* g, const Relaxation<Real>& r) {
  constexpr bool forced = k_force == Force::guo;
  Real rho, u[3];
  moments<L, k_force>(g, r.force, rho, u);
  const Real drho = rho - Real(1);
  Real usq = 0, uf = 0;
  for (int a = 0; a < L::k_dims; ++a) {
    usq += u[a] * u[a];
    if constexpr (forced) uf += u[a] * r.force[a];
  }
  Real omega_plus = r.omega_plus, omega_minus = r.omega_minus;
  if constexpr (k_subgrid == Subgrid::smagorinsky) {
    const Real tau = smagorinsky_tau<L>(g, rho, u, r);
    omega_plus = Real(1) / tau;
    omega_minus = r.magic > Real(0) ? Real(1) / (r.magic / (tau - Real(0.5)) + Real(0.5))
                                    : omega_plus;
  }
  [[maybe_unused]] const Real keep_plus = Real(1) - Real(0.5) * omega_plus;
  [[maybe_unused]] const Real keep_minus = Real(1) - Real(0.5) * omega_minus;
  Real out[L::k_q];
  TWINSIM_LBM_UNROLL
  for (int q = 0; q < L::k_q; ++q) {
    const int o = L::opposite(q);
    Real cu = 0, cf = 0;
    for (int a = 0; a < L::k_dims; ++a) {
      cu += Real(L::c(q, a)) * u[a];
      if constexpr (forced) cf += Real(L::c(q, a)) * r.force[a];
    }
    const Real w = Real(L::weight(q));
    // Even and odd parts of the second-order equilibrium, less the rest state w.
    const Real eq_plus = w * (drho + rho * (Real(4.5) * cu * cu - Real(1.5) * usq));
    const Real eq_minus = w * rho * Real(3) * cu;
    const Real g_plus = Real(0.5) * (g[q] + g[o]);
    const Real g_minus = Real(0.5) * (g[q] - g[o]);
    out[q] = g[q] - omega_plus * (g_plus - eq_plus) - omega_minus * (g_minus - eq_minus);
    if constexpr (forced) {
      // Guo's source w [3 (c - u).F + 9 (c.u)(c.F)], split the same way.
      const Real src_plus = w * (Real(9) * cu * cf - Real(3) * uf);
      const Real src_minus = w * Real(3) * cf;
      out[q] = out[q] + keep_plus * src_plus + keep_minus * src_minus;
    }
  }
  TWINSIM_LBM_UNROLL
  for (int q = 0; q < L::k_q; ++q) g[q] = out[q];
}

}  // namespace twinsim::lbm
