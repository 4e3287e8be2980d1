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
    const T<Real>& a = m_spectral.forward(x);
    const T<Real>& b = m_pointwise.forward(x);
    return m_act.forward_sum(a, &b);
  }
  const T<Real>& backward(const T<Real>& dy) override {
    const T<Real>& ds = m_act.backward(dy);
    const T<Real>& da = m_spectral.backward(ds);
    const T<Real>& db = m_pointwise.backward(ds);
    m_dx.resize(da.shape);
    add_into(m_dx.ptr(), da.ptr(), db.ptr(), da.size());
    return m_dx;
  }
  std::vector<Param<Real>*> params() override {
    return {m_spectral.params()[0], m_pointwise.params()[0], m_pointwise.params()[1]};
  }

 private:
  SpectralConv2d<Real> m_spectral;
  Linear<Real> m_pointwise;
  ActivationLayer<Real> m_act;
  T<Real> m_dx;
};

}  // namespace twinsim::TWINSIM_BACKEND_NS::nnk
