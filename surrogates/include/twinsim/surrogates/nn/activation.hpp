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

template <nn::Activation A, class Real>
void activation_forward(const Real* d_x, Real* d_y, Index n) {
  for_each_index(n, [=] TWINSIM_HD(Index i) { d_y[i] = nn::activate<A>(d_x[i]); });
}

template <nn::Activation A, class Real>
void activation_backward(const Real* d_x, const Real* d_dy, Real* d_dx, Index n) {
  for_each_index(
      n, [=] TWINSIM_HD(Index i) { d_dx[i] = nn::activate_derivative<A>(d_x[i]) * d_dy[i]; });
}

template <class Real>
class ActivationLayer final : public Layer<Real> {
 public:
  explicit ActivationLayer(nn::Activation a) : m_a(a) {}
  const T<Real>& forward(const T<Real>& x) override {
    m_x = &x;
    m_y.resize(x.shape);
    with_activation(m_a, [&](auto a) {
      activation_forward<decltype(a)::value>(x.ptr(), m_y.ptr(), x.size());
    });
    return m_y;
  }
  const T<Real>& backward(const T<Real>& dy) override {
    m_dx.resize(dy.shape);
    with_activation(m_a, [&](auto a) {
      activation_backward<decltype(a)::value>(m_x->ptr(), dy.ptr(), m_dx.ptr(), dy.size());
    });
    return m_dx;
  }

 private:
  nn::Activation m_a;
  const T<Real>* m_x = nullptr;
  T<Real> m_y, m_dx;
};

}  // namespace twinsim::TWINSIM_BACKEND_NS::nnk
