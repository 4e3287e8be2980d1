#pragma once
// Layers applied one after the other; what the models build.
#include "twinsim/surrogates/nn/layer.hpp"

namespace twinsim::TWINSIM_BACKEND_NS::nnk {

template <class Real>
class Sequential final : public Layer<Real> {
 public:
  void add(std::unique_ptr<Layer<Real>> layer) { m_layers.push_back(std::move(layer)); }
  const T<Real>& forward(const T<Real>& x) override {
    const T<Real>* h = &x;
    for (auto& l : m_layers) h = &l->forward(*h);
    return *h;
  }
  const T<Real>& backward(const T<Real>& dy) override {
    const T<Real>* g = &dy;
    for (auto it = m_layers.rbegin(); it != m_layers.rend(); ++it) g = &(*it)->backward(*g);
    return *g;
  }
  // Layers before the first with parameters (AppendGrid) need no gradient at all, and that
  // one none for its input.
  void backward_params(const T<Real>& dy) override {
    auto first = m_layers.begin();
    while (first != m_layers.end() && (*first)->params().empty()) ++first;
    if (first == m_layers.end()) return;
    const T<Real>* g = &dy;
    for (auto it = m_layers.end() - 1; it != first; --it) g = &(*it)->backward(*g);
    (*first)->backward_params(*g);
  }
  std::vector<Param<Real>*> params() override {
    std::vector<Param<Real>*> all;
    for (auto& l : m_layers)
      for (Param<Real>* p : l->params()) all.push_back(p);
    return all;
  }

 private:
  std::vector<std::unique_ptr<Layer<Real>>> m_layers;
};

}  // namespace twinsim::TWINSIM_BACKEND_NS::nnk
