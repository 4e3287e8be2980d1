#include "twinsim/md/JzgEos.hpp"

#include <array>
#include <cmath>

namespace twinsim::md {

namespace {

// Table 10 of Johnson, Zollweg & Gubbins (1993); x[0] unused so that x[i] is the paper's x_i.
// The same digits appear in independent public implementations: NIST's teqp
// (usnistgov/teqp, include/teqp/models/mie/lennardjones/johnson.hpp, LJ126Johnson1993), a C
// Monte Carlo code's lj_eos3d and a Python MBWR class quoting table 10; tested against NIST's
// Monte Carlo data in tests/physics/md/test_jzg_eos.cpp.
constexpr std::array<double, 33> x = {0.0,
                                      0.8623085097507421,
                                      2.976218765822098,
                                      -8.402230115796038,
                                      0.1054136629203555,
                                      -0.8564583828174598,
                                      1.582759470107601,
                                      0.7639421948305453,
                                      1.753173414312048,
                                      2.798291772190376e3,
                                      -4.8394220260857657e-2,
                                      0.9963265197721935,
                                      -3.698000291272493e1,
                                      2.084012299434647e1,
                                      8.305402124717285e1,
                                      -9.574799715203068e2,
                                      -1.477746229234994e2,
                                      6.398607852471505e1,
                                      1.603993673294834e1,
                                      6.805916615864377e1,
                                      -2.791293578795945e3,
                                      -6.245128304568454,
                                      -8.116836104958410e3,
                                      1.488735559561229e1,
                                      -1.059346754655084e4,
                                      -1.131607632802822e2,
                                      -8.867771540418822e3,
                                      -3.986982844450543e1,
                                      -4.689270299917261e3,
                                      2.593535277438717e2,
                                      -2.694523589434903e3,
                                      -7.218487631550215e2,
                                      1.721802063863269e2};
constexpr double k_gamma = 3.0;

// Table 5: a_1..a_8 (stored 0..7).
std::array<double, 8> a_of(double T) {
  const double T2 = T * T;
  return {x[1] * T + x[2] * std::sqrt(T) + x[3] + x[4] / T + x[5] / T2,
          x[6] * T + x[7] + x[8] / T + x[9] / T2,
          x[10] * T + x[11] + x[12] / T,
          x[13],
          x[14] / T + x[15] / T2,
          x[16] / T,
          x[17] / T + x[18] / T2,
          x[19] / T2};
}

// Table 6: b_1..b_6.
std::array<double, 6> b_of(double T) {
  const double T2 = T * T, T3 = T2 * T, T4 = T2 * T2;
  return {x[20] / T2 + x[21] / T3, x[22] / T2 + x[23] / T4, x[24] / T2 + x[25] / T3,
          x[26] / T2 + x[27] / T4, x[28] / T2 + x[29] / T3, x[30] / T2 + x[31] / T3 + x[32] / T4};
}

// Table 8: c_i = a_i - T da_i/dT and d_i = b_i - T db_i/dT (U = A - T dA/dT term by term).
std::array<double, 8> c_of(double T) {
  const double T2 = T * T;
  return {x[2] * std::sqrt(T) / 2 + x[3] + 2 * x[4] / T + 3 * x[5] / T2,
          x[7] + 2 * x[8] / T + 3 * x[9] / T2,
          x[11] + 2 * x[12] / T,
          x[13],
          2 * x[14] / T + 3 * x[15] / T2,
          2 * x[16] / T,
          2 * x[17] / T + 3 * x[18] / T2,
          3 * x[19] / T2};
}
std::array<double, 6> d_of(double T) {
  const double T2 = T * T, T3 = T2 * T, T4 = T2 * T2;
  return {3 * x[20] / T2 + 4 * x[21] / T3, 3 * x[22] / T2 + 5 * x[23] / T4,
          3 * x[24] / T2 + 4 * x[25] / T3, 3 * x[26] / T2 + 5 * x[27] / T4,
          3 * x[28] / T2 + 4 * x[29] / T3, 3 * x[30] / T2 + 4 * x[31] / T3 + 5 * x[32] / T4};
}

// Table 7: G_1 = (1 - F) / (2 gamma), G_k = -(F rho^(2(k-1)) - 2 (k-1) G_(k-1)) / (2 gamma),
// F = exp(-gamma rho^2).
std::array<double, 6> g_of(double rho) {
  const double F = std::exp(-k_gamma * rho * rho);
  std::array<double, 6> G{};
  G[0] = (1 - F) / (2 * k_gamma);
  double rho_pow = 1;  // rho^(2(k-1))
  for (int k = 2; k <= 6; ++k) {
    rho_pow *= rho * rho;
    G[k - 1] = -(F * rho_pow - 2 * (k - 1) * G[k - 2]) / (2 * k_gamma);
  }
  return G;
}

// sum_i coef_i rho^(i+1) / (i+1) + sum_i coef2_i G_i: the form of eqs. 5 and 9.
template <class A, class B>
double mbwr_sum(double rho, const A& power_terms, const B& gaussian_terms) {
  const std::array<double, 6> G = g_of(rho);
  double sum = 0, rho_pow = 1;
  for (std::size_t i = 0; i < power_terms.size(); ++i) {
    rho_pow *= rho;
    sum += power_terms[i] * rho_pow / double(i + 1);
  }
  for (std::size_t i = 0; i < gaussian_terms.size(); ++i) sum += gaussian_terms[i] * G[i];
  return sum;
}

}  // namespace

double jzg_helmholtz_residual(double rho, double T) { return mbwr_sum(rho, a_of(T), b_of(T)); }

double jzg_energy_per_particle(double rho, double T) { return mbwr_sum(rho, c_of(T), d_of(T)); }

// Eq. 7: P = rho T + sum a_i rho^(i+1) + F sum b_i rho^(2i+1) (i from 1).
double jzg_pressure(double rho, double T) {
  const std::array<double, 8> a = a_of(T);
  const std::array<double, 6> b = b_of(T);
  const double F = std::exp(-k_gamma * rho * rho);
  double p = rho * T, rho_pow = rho;
  for (double ai : a) {
    rho_pow *= rho;
    p += ai * rho_pow;
  }
  rho_pow = rho;
  for (double bi : b) {
    rho_pow *= rho * rho;
    p += F * bi * rho_pow;
  }
  return p;
}

}  // namespace twinsim::md
