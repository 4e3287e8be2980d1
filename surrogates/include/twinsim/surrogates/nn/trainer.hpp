#pragma once
// The Trainer combines a network, a loss and an optimizer (tiny-cuda-nn's split): one training
// step on a batch, or the loss of a batch without an update. It owns none of them, so in-situ
// training and rollout losses can pair the same network with other losses and optimizers.
#include <functional>
#include <vector>

#include "twinsim/surrogates/nn/loss.hpp"
#include "twinsim/surrogates/nn/optimizer.hpp"

namespace twinsim::TWINSIM_BACKEND_NS::nnk {

// ---- Rollout kernels: windows [b][frames][plane] ----

// Frames [first, first + count) of each of the b windows of d_src (src_frames frames each) into
// d_dst [b][count][plane].
template <class Real>
void copy_frames(const Real* d_src, Index src_frames, Index first, Real* d_dst, Index count,
                 Index b, Index plane) {
  for_each_index(b * count * plane, [=] TWINSIM_HD(Index i) {
    const Index p = i % plane, c = (i / plane) % count, k = i / (plane * count);
    d_dst[i] = d_src[(k * src_frames + first + c) * plane + p];
  });
}

// The next input of a rollout: the last `in` frames of [x (in frames), y (out frames)].
template <class Real>
void next_window(const Real* d_x, const Real* d_y, Real* d_next, Index b, Index in, Index out,
                 Index plane) {
  for_each_index(b * in * plane, [=] TWINSIM_HD(Index i) {
    const Index p = i % plane, c = (i / plane) % in, k = i / (plane * in);
    const Index src = c + out;
    d_next[i] = src < in ? d_x[(k * in + src) * plane + p] : d_y[(k * out + src - in) * plane + p];
  });
}

// The adjoint of next_window for y: d_dy <- scale d_dy + the part of d_g (dL/dnext, null:
// none) that came from y.
template <class Real>
void next_window_adjoint_y(Real* d_dy, Real scale, const Real* d_g, Index b, Index in, Index out,
                           Index plane) {
  for_each_index(b * out * plane, [=] TWINSIM_HD(Index i) {
    const Index p = i % plane, j = (i / plane) % out, k = i / (plane * out);
    const Index c = j + in - out;  // the frame of next that y's frame j became
    Real v = scale * d_dy[i];
    if (d_g && c >= 0) v += d_g[(k * in + c) * plane + p];
    d_dy[i] = v;
  });
}

// The adjoint of next_window for x: d_gx += the part of d_g that came from x (frame c of next
// is frame c + out of x).
template <class Real>
void next_window_adjoint_x(Real* d_gx, const Real* d_g, Index b, Index in, Index out,
                           Index plane) {
  for_each_index(b * in * plane, [=] TWINSIM_HD(Index i) {
    const Index p = i % plane, c = (i / plane) % in, k = i / (plane * in);
    if (c >= out) d_gx[i] += d_g[(k * in + c - out) * plane + p];
  });
}

template <class Real>
class Trainer {
 public:
  Trainer(Layer<Real>& network, const Loss<Real>& loss, Optimizer<Real>& optimizer)
      : m_network(network), m_loss(loss), m_optimizer(optimizer) {}

  // Data-parallel training: called after the backward pass, before the update, with this
  // rank's loss; it averages the gradients over the ranks and returns the global batch's loss,
  // which the step then returns. None (one rank): the step is untouched.
  using Reduction = std::function<double(double loss)>;
  void reduce_gradients_with(Reduction reduce) { m_reduce = std::move(reduce); }

  // zero_grad, forward, loss, backward, optimizer step at learning rate lr; returns the loss.
  double training_step(const T<Real>& x, const T<Real>& target, double lr) {
    m_optimizer.zero_grad();
    const T<Real>& y = m_network.forward(x);
    const double l = m_loss.value(y, target, m_dy);
    m_network.backward_params(m_dy);  // dL/dx of the data is not needed
    const double global = m_reduce ? m_reduce(l) : l;
    m_optimizer.step(lr);
    return global;
  }

  // Rollout training: from x [b][in] the network is applied `steps` times, each prediction fed
  // back (the window shifts by out frames), against targets [b][steps * out]; the loss is the
  // mean of the steps' losses and the backward pass runs through the whole rollout. The
  // activations of each step are recomputed from its stored input in the backward sweep
  // (gradient checkpointing: steps inputs kept, 2 steps - 1 forwards). Returns the loss.
  double rollout_step(const T<Real>& x, const T<Real>& targets, int steps, double lr) {
    const Index b = x.shape[0], in = x.shape[1], plane = x.shape[2] * x.shape[3];
    const Index out = targets.shape[1] / steps;
    const Shape target_shape = {b, out, x.shape[2], x.shape[3]};
    m_inputs.resize(std::size_t(steps));
    m_dys.resize(std::size_t(steps));
    m_optimizer.zero_grad();
    const auto input = [&](int k) -> const T<Real>& { return k == 0 ? x : m_inputs[k]; };
    double loss = 0;
    for (int k = 0; k < steps; ++k) {
      const T<Real>& y = m_network.forward(input(k));
      m_target.resize(target_shape);
      copy_frames(targets.ptr(), Index(steps) * out, Index(k) * out, m_target.ptr(), out, b, plane);
      loss += m_loss.value(y, m_target, m_dys[k]);
      if (k + 1 < steps) {
        m_inputs[k + 1].resize(x.shape);
        next_window(input(k).ptr(), y.ptr(), m_inputs[k + 1].ptr(), b, in, out, plane);
      }
    }
    // Last step first; g: dL/d(input of step k + 1), all later steps included.
    const Real scale = Real(1) / Real(steps);
    for (int k = steps - 1; k >= 0; --k) {
      const bool last = k == steps - 1;
      if (!last) m_network.forward(input(k));
      next_window_adjoint_y(m_dys[k].ptr(), scale, last ? nullptr : m_g.ptr(), b, in, out, plane);
      if (k == 0) {  // the data's window: no dL/dx
        m_network.backward_params(m_dys[k]);
        break;
      }
      const T<Real>& dx = m_network.backward(m_dys[k]);
      m_gx.resize(x.shape);
      copy_frames(dx.ptr(), in, 0, m_gx.ptr(), in, b, plane);
      if (!last) next_window_adjoint_x(m_gx.ptr(), m_g.ptr(), b, in, out, plane);
      std::swap(m_g, m_gx);
    }
    const double mean = loss / double(steps);
    const double global = m_reduce ? m_reduce(mean) : mean;
    m_optimizer.step(lr);
    return global;
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
  Reduction m_reduce;  // data-parallel gradient averaging; empty on one rank
  T<Real> m_dy;  // dL/dprediction, reused between steps
  // Rollout training: each step's input and dL/dprediction, a step's target, dL/dinput.
  std::vector<T<Real>> m_inputs, m_dys;
  T<Real> m_target, m_g, m_gx;
};

}  // namespace twinsim::TWINSIM_BACKEND_NS::nnk
