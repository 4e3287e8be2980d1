#pragma once
// Optimizers over a network's parameters. An Optimizer owns its state per parameter (Adam's
// moments), so a network can be trained by another optimizer, or evaluated with none.
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "twinsim/surrogates/nn/layer.hpp"

namespace twinsim::TWINSIM_BACKEND_NS::nnk {

template <class Real>
void adam_kernel(nn::AdamStep step, Real* d_p, const Real* d_g, Real* d_m, Real* d_v, Index n) {
  for_each_index(
      n, [=] TWINSIM_HD(Index i) { nn::adam_update(step, d_p[i], d_g[i], d_m[i], d_v[i]); });
}

// One tensor of an optimizer's state for one parameter, saved as "<parameter name><suffix>".
template <class Real>
struct OptimizerSlot {
  std::string suffix;
  T<Real>* tensor;
};

template <class Real>
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // Zeroes the gradients of the parameters (backward passes add into them).
  virtual void zero_grad() = 0;
  virtual void step(double lr) = 0;
  // The state of parameter k (in the order the optimizer was given them), for checkpoints.
  virtual std::vector<OptimizerSlot<Real>> state(std::size_t k) = 0;
  virtual std::int64_t steps() const = 0;
  virtual void set_steps(std::int64_t t) = 0;
};

// Adam / AdamW (nn::OptimizerSpec::decoupled); moments m, v per parameter, zero at the start.
template <class Real>
class Adam final : public Optimizer<Real> {
 public:
  Adam(std::vector<Param<Real>*> params, const nn::OptimizerSpec& spec)
      : m_params(std::move(params)), m_spec(spec) {
    for (Param<Real>* p : m_params) {
      m_m.emplace_back(p->value.shape);
      m_v.emplace_back(p->value.shape);
      fill(m_m.back().ptr(), m_m.back().size(), Real(0));
      fill(m_v.back().ptr(), m_v.back().size(), Real(0));
    }
  }
  void zero_grad() override {
    for (Param<Real>* p : m_params) fill(p->grad.ptr(), p->grad.size(), Real(0));
  }
  void step(double lr) override {
    ++m_t;
    const nn::AdamStep s{lr,
                         m_spec.beta1,
                         m_spec.beta2,
                         m_spec.eps,
                         m_spec.weight_decay,
                         1 - std::pow(m_spec.beta1, double(m_t)),
                         1 - std::pow(m_spec.beta2, double(m_t)),
                         m_spec.decoupled};
    for (std::size_t k = 0; k < m_params.size(); ++k) {
      Param<Real>& p = *m_params[k];
      adam_kernel(s, p.value.ptr(), p.grad.ptr(), m_m[k].ptr(), m_v[k].ptr(), p.value.size());
    }
  }
  std::vector<OptimizerSlot<Real>> state(std::size_t k) override {
    return {{".adam_m", &m_m.at(k)}, {".adam_v", &m_v.at(k)}};
  }
  std::int64_t steps() const override { return m_t; }
  void set_steps(std::int64_t t) override { m_t = t; }

 private:
  std::vector<Param<Real>*> m_params;
  nn::OptimizerSpec m_spec;
  std::vector<T<Real>> m_m, m_v;  // backend memory, one per parameter
  std::int64_t m_t = 0;
};

template <class Real>
std::unique_ptr<Optimizer<Real>> make_optimizer(std::vector<Param<Real>*> params,
                                                const nn::OptimizerSpec& spec) {
  return std::make_unique<Adam<Real>>(std::move(params), spec);
}

}  // namespace twinsim::TWINSIM_BACKEND_NS::nnk
