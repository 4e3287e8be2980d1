#pragma once
// Elementwise nonlinearities (nn/kernels.hpp) as a layer.
#include <type_traits>

#include "twinsim/surrogates/nn/layer.hpp"

namespace twinsim::TWINSIM_BACKEND_NS::nnk {

// Calls f(std::integral_constant<nn::Activation, A>) for the run-time activation a, so that
// each kernel is compiled per activation (no branch per element; the CPU vectorises).
template <class F>
void with_activation(nn::Activation a, F f) {
  using A = nn::Activation;
  switch (a) {
    case A::relu:
      return f(std::integral_constant<A, A::relu>{});
    case A::gelu:
      return f(std::integral_constant<A, A::gelu>{});
    case A::tanh:
      return f(std::integral_constant<A, A::tanh>{});
    case A::silu:
      return f(std::integral_constant<A, A::silu>{});
    case A::identity:
      return f(std::integral_constant<A, A::identity>{});
  }
}

// y = f(x) and d = f'(x) for x = a (+ b where given: the sum is fused in), the derivative kept for
// the backward pass: f is evaluated once per element and step, and backward is d * dy.
template <nn::Activation A, bool Sum, class Real>
void activation_forward(const Real* d_a, const Real* d_b, Real* d_y, Real* d_d, Index n) {
  for_each_index(n, [=] TWINSIM_HD(Index i) {
    Real x = d_a[i];
    if (Sum) x += d_b[i];  // a constant: no branch is left (nvcc refuses if constexpr here)
    nn::activate_with_derivative<A>(x, d_y[i], d_d[i]);
  });
}

template <class Real>
void multiply(const Real* d_a, const Real* d_b, Real* d_y, Index n) {
  for_each_index(n, [=] TWINSIM_HD(Index i) { d_y[i] = d_a[i] * d_b[i]; });
}

template <class Real>
class ActivationLayer final : public Layer<Real> {
 public:
  explicit ActivationLayer(nn::Activation a) : m_a(a) {}
  const T<Real>& forward(const T<Real>& x) override { return forward_sum(x, nullptr); }
  // f(a + b), b null: f(a); the sum of a layer's two branches (FourierBlock) without a pass of
  // its own.
  const T<Real>& forward_sum(const T<Real>& a, const T<Real>* b) {
    m_y.resize(a.shape);
    m_d.resize(a.shape);
    with_activation(m_a, [&](auto act) {
      constexpr nn::Activation A = decltype(act)::value;
      if (b)
        activation_forward<A, true>(a.ptr(), b->ptr(), m_y.ptr(), m_d.ptr(), a.size());
      else
        activation_forward<A, false>(a.ptr(), a.ptr(), m_y.ptr(), m_d.ptr(), a.size());
    });
    return m_y;
  }
  const T<Real>& backward(const T<Real>& dy) override {
    m_dx.resize(dy.shape);
    multiply(m_d.ptr(), dy.ptr(), m_dx.ptr(), dy.size());
    return m_dx;
  }

 private:
  nn::Activation m_a;
  T<Real> m_y, m_d, m_dx;  // f(x), f'(x), dL/dx
};

}  // namespace twinsim::TWINSIM_BACKEND_NS::nnk
