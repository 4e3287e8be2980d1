#pragma once
// Elementwise mathematics of the network layers and the optimizer, written once for both
// backends (TWINSIM_HD functions of plain values; no backend code here).
#include <cmath>
#include <cstring>

#include "twinsim/core/HostDevice.hpp"

namespace twinsim::nn {

enum class Activation { identity, relu, gelu, tanh, silu };

TWINSIM_HD inline float nn_tanh(float x) { return tanhf(x); }
TWINSIM_HD inline double nn_tanh(double x) { return tanh(x); }
TWINSIM_HD inline float nn_exp(float x) { return expf(x); }
TWINSIM_HD inline double nn_exp(double x) { return exp(x); }

// exp(y) for -87 <= y <= 0 in float arithmetic only, so that a loop over it vectorises on the
// CPU (a call to expf does not): y = n ln2 + r with |r| <= ln2 / 2 (ln2 in two parts, Cody and
// Waite), exp(r) by its Taylor polynomial to r^7 (truncation below 1e-8 relative), 2^n put
// into the exponent bits.
inline float exp_nonpositive(float y) {
  const float shifter = 12582912.0f;  // 1.5 x 2^23: adding it rounds to an integer
  const float n = (y * 1.44269504f + shifter) - shifter;
  const float r = (y - n * 0.693145752f) - n * 1.42860677e-6f;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const unsigned bits = unsigned(int(n) + 127) << 23;  // 2^n
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// The standard normal distribution and density at x, Phi(x) and phi(x), for GELU. double: the C
// library's erf and exp. float: the CUDA library on the device; on the host Abramowitz and
// Stegun's 7.1.26 for erfc (absolute error below 1.5e-7, about float's resolution of 1) in
// float arithmetic, which vectorises: a call to erff per element was 25 % of a CPU training
// profile (PyTorch's CPU GELU is a vectorised polynomial too).
TWINSIM_HD inline void normal_cdf_pdf(double x, double& cdf, double& pdf) {
  cdf = 0.5 * (1.0 + erf(x * 0.70710678118654752440));
  pdf = 0.39894228040143267794 * exp(-0.5 * x * x);
}
TWINSIM_HD inline void normal_cdf_pdf(float x, float& cdf, float& pdf) {
#ifdef __CUDA_ARCH__
  cdf = 0.5f * (1.0f + erff(x * 0.70710678118654752440f));
  pdf = 0.39894228040143267794f * expf(-0.5f * x * x);
#else
  // |x| capped at 13 (exp(-x^2 / 2) < 1e-36 there) by comparing bit patterns, which are in the
  // values' order for non-negative floats: an integer select vectorises, a float one does not
  // (GCC branches around float operations that may trap).
  float a = fabsf(x);
  unsigned a_bits;
  std::memcpy(&a_bits, &a, sizeof a);
  a_bits = a_bits < 0x41500000u ? a_bits : 0x41500000u;  // 13.0f
  std::memcpy(&a, &a_bits, sizeof a);
  const float e = exp_nonpositive(-0.5f * a * a);  // exp(-z^2), z = |x| / sqrt 2
  const float t = 1.0f / (1.0f + 0.3275911f * 0.70710678118654752440f * a);
  const float poly =
      t * (0.254829592f +
           t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
  const float lower = 0.5f * poly * e;  // Phi(-|x|)
  // Phi(x) = lower for x < 0, 1 - lower otherwise, as arithmetic: GCC turns a select of two
  // computed values into a branch (a float operation may trap), which stops vectorisation.
  const float positive = std::isless(x, 0.0f) ? 0.0f : 1.0f;
  cdf = lower + positive * (1.0f - 2.0f * lower);
  pdf = 0.39894228040143267794f * e;
#endif
}

// f(x) and f'(x) together, the activation a compile-time argument so that loops over them
// vectorise. GELU is the exact (normal distribution) form, as PyTorch's default.
template <Activation A, class Real>
TWINSIM_HD inline void activate_with_derivative(Real x, Real& f, Real& df) {
  if constexpr (A == Activation::relu) {
    f = x > Real(0) ? x : Real(0);
    df = x > Real(0) ? Real(1) : Real(0);
  } else if constexpr (A == Activation::gelu) {
    Real cdf, pdf;
    normal_cdf_pdf(x, cdf, pdf);
    f = x * cdf;
    df = cdf + x * pdf;
  } else if constexpr (A == Activation::tanh) {
    f = nn_tanh(x);
    df = Real(1) - f * f;
  } else if constexpr (A == Activation::silu) {
    const Real one_plus_e = Real(1) + nn_exp(-x);
    const Real s = Real(1) / one_plus_e;
    f = x / one_plus_e;
    df = s * (Real(1) + x * (Real(1) - s));
  } else {
    f = x;
    df = Real(1);
  }
}

// One Adam step for one parameter. L2 weight decay (Adam, PyTorch's `weight_decay`) adds
// wd * p to the gradient; decoupled decay (AdamW) shrinks p by lr * wd. bias1 = 1 - beta1^t,
// bias2 = 1 - beta2^t.
struct AdamStep {
  double lr, beta1, beta2, eps, weight_decay, bias1, bias2;
  bool decoupled;
};

template <class Real>
TWINSIM_HD inline void adam_update(const AdamStep& s, Real& p, Real g, Real& m, Real& v) {
  if (!s.decoupled) g += Real(s.weight_decay) * p;
  m = Real(s.beta1) * m + Real(1 - s.beta1) * g;
  v = Real(s.beta2) * v + Real(1 - s.beta2) * g * g;
  const Real m_hat = m / Real(s.bias1), v_hat = v / Real(s.bias2);
  if (s.decoupled) p -= Real(s.lr * s.weight_decay) * p;
  p -= Real(s.lr) * m_hat / (sqrt(v_hat) + Real(s.eps));
}

}  // namespace twinsim::nn
