#pragma once
// A residual connection around any shape-keeping layer.
#include "twinsim/surrogates/nn/layer.hpp"

namespace twinsim::TWINSIM_BACKEND_NS::nnk {

// y = x + inner(x): a residual connection around any layer that keeps the shape.
template <class Real>
class Residual final : public Layer<Real> {
 public:
  explicit Residual(std::unique_ptr<Layer<Real>> inner) : m_inner(std::move(inner)) {}
  const T<Real>& forward(const T<Real>& x) override {
    const T<Real>& f = m_inner->forward(x);
    TWINSIM_REQUIRE(f.shape == x.shape, "Residual: the inner layer changes the shape");
    m_y.resize(x.shape);
    add_into(m_y.ptr(), x.ptr(), f.ptr(), x.size());
    return m_y;
  }
  const T<Real>& backward(const T<Real>& dy) override {
    const T<Real>& g = m_inner->backward(dy);
    m_dx.resize(dy.shape);
    add_into(m_dx.ptr(), dy.ptr(), g.ptr(), dy.size());
    return m_dx;
  }
  std::vector<Param<Real>*> params() override { return m_inner->params(); }

 private:
  std::unique_ptr<Layer<Real>> m_inner;
  T<Real> m_y, m_dx;
};

}  // namespace twinsim::TWINSIM_BACKEND_NS::nnk
