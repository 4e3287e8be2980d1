#pragma once
// Elementwise mathematics of the network layers and the optimizer, written once for both
// backends (TWINSIM_HD functions of plain values; no backend code here).
#include <cmath>

#include "twinsim/core/HostDevice.hpp"

namespace twinsim::nn {

enum class Activation { identity, relu, gelu, tanh, silu };

// The single-precision functions for float (the C library's double erf was 9% of a CPU
// training profile); erff, expf, tanhf exist on the host and in CUDA device code alike.
TWINSIM_HD inline float nn_erf(float x) { return erff(x); }
TWINSIM_HD inline double nn_erf(double x) { return erf(x); }
TWINSIM_HD inline float nn_exp(float x) { return expf(x); }
TWINSIM_HD inline double nn_exp(double x) { return exp(x); }
TWINSIM_HD inline float nn_tanh(float x) { return tanhf(x); }
TWINSIM_HD inline double nn_tanh(double x) { return tanh(x); }

// f(x) and f'(x). GELU is the exact (erf) form, as PyTorch's default.
template <class Real>
TWINSIM_HD inline Real activate(Activation a, Real x) {
  switch (a) {
    case Activation::relu:
      return x > Real(0) ? x : Real(0);
    case Activation::gelu:
      return Real(0.5) * x * (Real(1) + nn_erf(x * Real(0.70710678118654752440)));
    case Activation::tanh:
      return nn_tanh(x);
    case Activation::silu:
      return x / (Real(1) + nn_exp(-x));
    case Activation::identity:
      break;
  }
  return x;
}

template <class Real>
TWINSIM_HD inline Real activate_derivative(Activation a, Real x) {
  switch (a) {
    case Activation::relu:
      return x > Real(0) ? Real(1) : Real(0);
    case Activation::gelu: {
      const Real cdf = Real(0.5) * (Real(1) + nn_erf(x * Real(0.70710678118654752440)));
      const Real pdf = Real(0.39894228040143267794) * nn_exp(Real(-0.5) * x * x);
      return cdf + x * pdf;
    }
    case Activation::tanh: {
      const Real t = nn_tanh(x);
      return Real(1) - t * t;
    }
    case Activation::silu: {
      const Real s = Real(1) / (Real(1) + nn_exp(-x));
      return s * (Real(1) + x * (Real(1) - s));
    }
    case Activation::identity:
      break;
  }
  return Real(1);
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
