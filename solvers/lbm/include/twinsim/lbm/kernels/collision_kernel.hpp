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
  // Guo's force terms that do not change from cell to cell, per population q with the lattice
  // folded in (guo_terms() fills them): c_q.F, w_q 3 c_q.F (the source's odd part) and that
  // times 1 - omega_minus / 2 (its share after the plain antisymmetric relaxation).
  Real force_along[k_max_q];
  Real force_odd[k_max_q];
  Real source_odd[k_max_q];
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

// Fills r's per-population force terms from r.force and r.omega_minus, with the arithmetic (and
// so the bits) the collision had when it computed them per cell: each is the same for every
// cell, so the kernels read them instead of recomputing them (on the GPU 18 products and sums
// per thread of D3Q19 FP32).
template <class L, class Real>
inline void guo_terms(Relaxation<Real>& r) {
  const Real keep_minus = Real(1) - Real(0.5) * r.omega_minus;
  for (int q = 0; q < k_max_q; ++q) {
    Real cf = 0;
    for (int a = 0; a < L::k_dims && q < L::k_q; ++a) cf += Real(L::c(q, a)) * r.force[a];
    const Real w = q < L::k_q ? Real(L::weight(q)) : Real(0);
    r.force_along[q] = cf;
    r.force_odd[q] = w * Real(3) * cf;
    r.source_odd[q] = keep_minus * r.force_odd[q];
  }
}

// Density and velocity of shifted populations g (pre-collision). The velocity includes half the
// force (Guo), which makes the scheme second order with a body force.
template <class L, Force k_force = Force::guo, class Real>
TWINSIM_HD inline void moments(const Real* g, const Real* force, Real& rho, Real* u) {
  Real drho = 0, j[3] = {0, 0, 0};
  TWINSIM_LBM_UNROLL
  for (int q = 0; q < L::k_q; ++q) {
    drho += g[q];
    for (int a = 0; a < L::k_dims; ++a)  // sum of w c = 0
      if (L::c(q, a) != 0) j[a] += Real(L::c(q, a)) * g[q];
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
// Force::none: without the body force terms (the force must be 0); Force::guo reads the force
// terms of guo_terms().
//
// Each population is relaxed with its opposite p = opposite(q): c_p = -c_q, so c_p.u, the even
// parts (equilibrium, g+, Guo's source) and, negated, the odd parts are q's. IEEE arithmetic
// rounds x and -x alike, so the pair shares them with the bits each would get on its own (at
// most the sign of a zero differs, which no sum started at +0 passes on). Terms with a lattice
// coefficient 0 are left out for the same reason: 0 * x adds a zero. Both halve the arithmetic.
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
  // The rest population (c = 0): no odd part (it is +0, and x - +0 = x).
  {
    const Real w = Real(L::weight(0));
    const Real eq_plus = w * (drho + rho * (Real(0) - Real(1.5) * usq));
    g[0] = g[0] - omega_plus * (g[0] - eq_plus);
    if constexpr (forced) g[0] = g[0] + keep_plus * (w * (Real(0) - Real(3) * uf));
  }
  TWINSIM_LBM_UNROLL
  for (int q = 1; q < L::k_q; ++q) {
    const int p = L::opposite(q);
    if (p < q) continue;  // relaxed with its opposite
    Real cu = 0;
    for (int a = 0; a < L::k_dims; ++a)
      if (L::c(q, a) != 0) cu += Real(L::c(q, a)) * u[a];
    const Real w = Real(L::weight(q));
    // Even and odd parts of the second-order equilibrium, less the rest state w.
    const Real eq_plus = w * (drho + rho * (Real(4.5) * cu * cu - Real(1.5) * usq));
    const Real eq_minus = w * rho * Real(3) * cu;
    const Real g_plus = Real(0.5) * (g[q] + g[p]);
    const Real g_minus = Real(0.5) * (g[q] - g[p]);
    const Real relax_plus = omega_plus * (g_plus - eq_plus);
    const Real relax_minus = omega_minus * (g_minus - eq_minus);
    Real out_q = g[q] - relax_plus - relax_minus;
    Real out_p = g[p] - relax_plus + relax_minus;
    if constexpr (forced) {
      // Guo's source w [3 (c - u).F + 9 (c.u)(c.F)], split the same way.
      const Real src_plus = keep_plus * (w * (Real(9) * cu * r.force_along[q] - Real(3) * uf));
      const Real src_minus = k_subgrid == Subgrid::none ? r.source_odd[q]
                                                        : keep_minus * r.force_odd[q];
      out_q = out_q + src_plus + src_minus;
      out_p = out_p + src_plus - src_minus;
    }
    g[q] = out_q;
    g[p] = out_p;
  }
}

}  // namespace twinsim::lbm
