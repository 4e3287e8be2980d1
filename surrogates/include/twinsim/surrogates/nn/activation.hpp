#pragma once
// Elementwise nonlinearities (nn/kernels.hpp) as a layer.
#include "twinsim/surrogates/nn/layer.hpp"

namespace twinsim::TWINSIM_BACKEND_NS::nnk {

template <class Real>
void activation_forward(nn::Activation a, const Real* d_x, Real* d_y, Index n) {
  for_each_index(n, [=] TWINSIM_HD(Index i) { d_y[i] = nn::activate(a, d_x[i]); });
}

template <class Real>
void activation_backward(nn::Activation a, const Real* d_x, const Real* d_dy, Real* d_dx, Index n) {
  for_each_index(
      n, [=] TWINSIM_HD(Index i) { d_dx[i] = nn::activate_derivative(a, d_x[i]) * d_dy[i]; });
}

template <class Real>
class ActivationLayer final : public Layer<Real> {
 public:
  explicit ActivationLayer(nn::Activation a) : m_a(a) {}
  const T<Real>& forward(const T<Real>& x) override {
    m_x = &x;
    m_y.resize(x.shape);
    activation_forward(m_a, x.ptr(), m_y.ptr(), x.size());
    return m_y;
  }
  const T<Real>& backward(const T<Real>& dy) override {
    m_dx.resize(dy.shape);
    activation_backward(m_a, m_x->ptr(), dy.ptr(), m_dx.ptr(), dy.size());
    return m_dx;
  }

 private:
  nn::Activation m_a;
  const T<Real>* m_x = nullptr;
  T<Real> m_y, m_dx;
};

}  // namespace twinsim::TWINSIM_BACKEND_NS::nnk
