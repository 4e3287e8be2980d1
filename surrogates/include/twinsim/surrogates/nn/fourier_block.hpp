#pragma once
// One Fourier layer of the FNO: spectral convolution + pointwise linear map, then activation.
#include "twinsim/surrogates/nn/activation.hpp"
#include "twinsim/surrogates/nn/linear.hpp"
#include "twinsim/surrogates/nn/spectral_conv2d.hpp"

namespace twinsim::TWINSIM_BACKEND_NS::nnk {

// One Fourier layer: y = act(SpectralConv2d(x) + Linear(x)) (act may be identity).
template <class Real>
class FourierBlock final : public Layer<Real> {
 public:
  FourierBlock(Context<Real>& ctx, const std::string& name, int width, int modes, nn::Activation a)
      : m_spectral(ctx, name + ".spectral", width, width, modes),
        m_pointwise(ctx, name + ".pointwise", width, width),
        m_act(a) {}

  const T<Real>& forward(const T<Real>& x) override {
    m_shape = x.shape;
    const T<Real>& a = m_spectral.forward(x);
    const T<Real>& b = m_pointwise.forward(x);
    return m_act.forward_sum(a, &b);
  }
  const T<Real>& backward(const T<Real>& dy) override {
    // The spectral branch writes dL/dx, the pointwise one adds its part in its GEMM (beta = 1).
    const T<Real>& ds = m_act.backward(dy);
    m_dx.resize(m_shape);
    m_spectral.backward_into(ds, m_dx);
    m_pointwise.backward_add(ds, m_dx);
    return m_dx;
  }
  std::vector<Param<Real>*> params() override {
    return {m_spectral.params()[0], m_pointwise.params()[0], m_pointwise.params()[1]};
  }

 private:
  SpectralConv2d<Real> m_spectral;
  Linear<Real> m_pointwise;
  ActivationLayer<Real> m_act;
  Shape m_shape;  // of the input
  T<Real> m_dx;
};

}  // namespace twinsim::TWINSIM_BACKEND_NS::nnk
