#pragma once
// The Trainer combines a network, a loss and an optimizer (tiny-cuda-nn's split): one training
// step on a batch, or the loss of a batch without an update. It owns none of them, so in-situ
// training and rollout losses can pair the same network with other losses and optimizers.
#include "twinsim/surrogates/nn/loss.hpp"
#include "twinsim/surrogates/nn/optimizer.hpp"

namespace twinsim::TWINSIM_BACKEND_NS::nnk {

template <class Real>
class Trainer {
 public:
  Trainer(Layer<Real>& network, const Loss<Real>& loss, Optimizer<Real>& optimizer)
      : m_network(network), m_loss(loss), m_optimizer(optimizer) {}

  // zero_grad, forward, loss, backward, optimizer step at learning rate lr; returns the loss.
  double training_step(const T<Real>& x, const T<Real>& target, double lr) {
    m_optimizer.zero_grad();
    const T<Real>& y = m_network.forward(x);
    const double l = m_loss.value(y, target, m_dy);
    m_network.backward(m_dy);
    m_optimizer.step(lr);
    return l;
  }

  // The loss of one batch; parameters and gradients unchanged.
  double loss_of(const T<Real>& x, const T<Real>& target) {
    return m_loss.value(m_network.forward(x), target, m_dy);
  }

  Layer<Real>& network() { return m_network; }
  Optimizer<Real>& optimizer() { return m_optimizer; }

 private:
  Layer<Real>& m_network;
  const Loss<Real>& m_loss;
  Optimizer<Real>& m_optimizer;
  T<Real> m_dy;  // dL/dprediction, reused between steps
};

}  // namespace twinsim::TWINSIM_BACKEND_NS::nnk
