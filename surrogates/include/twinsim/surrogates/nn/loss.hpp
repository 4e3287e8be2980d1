#pragma once
// Losses: a value and dL/dprediction, both averaged over the batch. Free functions (what the
// gradient tests check) and the Loss interface the Trainer holds, made by name (make_loss).
#include <cmath>
#include <memory>

#include "twinsim/surrogates/nn/layer.hpp"

namespace twinsim::TWINSIM_BACKEND_NS::nnk {

template <class Real>
void difference(const Real* d_p, const Real* d_t, Real* d_out, Index n, Real scale) {
  for_each_index(n, [=] TWINSIM_HD(Index i) { d_out[i] = scale * (d_p[i] - d_t[i]); });
}

// Sum of squares of (p - t) over all n values, to the host.
template <class Real>
double squared_distance(const Real* d_p, const Real* d_t, Index n) {
  return transform_reduce(
      n, 0.0,
      [=] TWINSIM_HD(Index i) {
        const double d = double(d_p[i]) - double(d_t[i]);
        return d * d;
      },
      core::Plus());
}

// Reused device memory of the relative-L2 loss: grown to the largest batch seen, never freed
// between steps (no allocation in steady state).
struct LossWork {
  core::Buffer<double, Space> partial;  // [batch][chunks][2]
  core::Buffer<double, Space> sums;     // [batch][2]
};

// One segmented reduction over the samples of a batch, in two launches and without a wait:
// sums[2b] = |p_b - t_b|^2 and sums[2b + 1] = |t_b|^2 over the `per` values of sample b. Chunk
// c of a sample sums its values c, c + chunks, ... (neighbouring threads read neighbouring
// values), then each sample adds its chunks in order: the same sums on every backend.
template <class Real>
void sample_sums(const Real* d_p, const Real* d_t, Index batch, Index per, LossWork& w) {
  constexpr Index k_per_chunk = 256;
  const Index chunks = (per + k_per_chunk - 1) / k_per_chunk;
  if (w.partial.size() < std::size_t(2 * batch * chunks))
    w.partial = core::Buffer<double, Space>(std::size_t(2 * batch * chunks));
  if (w.sums.size() != std::size_t(2 * batch)) w.sums = core::Buffer<double, Space>(2 * batch);
  double* partial = w.partial.data();
  double* sums = w.sums.data();
  for_each_index(batch * chunks, [=] TWINSIM_HD(Index k) {
    const Index b = k / chunks, c = k % chunks;
    const Real* p = d_p + b * per;
    const Real* t = d_t + b * per;
    double dist = 0, norm = 0;
    for (Index i = c; i < per; i += chunks) {
      const double d = double(p[i]) - double(t[i]), v = double(t[i]);
      dist += d * d;
      norm += v * v;
    }
    partial[2 * k] = dist;
    partial[2 * k + 1] = norm;
  });
  for_each_index(batch, [=] TWINSIM_HD(Index b) {
    double dist = 0, norm = 0;
    for (Index c = 0; c < chunks; ++c) {
      dist += partial[2 * (b * chunks + c)];
      norm += partial[2 * (b * chunks + c) + 1];
    }
    sums[2 * b] = dist;
    sums[2 * b + 1] = norm;
  });
}

// ---- The losses ----

// mean over all elements of (p - t)^2.
template <class Real>
double mse_loss(const T<Real>& p, const T<Real>& t, T<Real>& dp) {
  TWINSIM_REQUIRE(p.shape == t.shape, "mse: prediction " + nn::to_string(p.shape) + " and target " +
                                          nn::to_string(t.shape) + " differ");
  dp.resize(p.shape);
  const Index n = p.size();
  const double loss = squared_distance(p.ptr(), t.ptr(), n) / double(n);
  difference(p.ptr(), t.ptr(), dp.ptr(), n, Real(2.0 / double(n)));
  return loss;
}

// mean over samples (axis 0) of ||p_b - t_b|| / ||t_b|| (Li et al.'s relative L2): one
// segmented reduction (sample_sums), one launch for dL/dp reading the sums on the device, and
// one wait for the 2 x batch sums that make the value.
template <class Real>
double relative_l2_loss(const T<Real>& p, const T<Real>& t, T<Real>& dp, LossWork& w) {
  TWINSIM_REQUIRE(p.shape == t.shape, "relative_l2: prediction " + nn::to_string(p.shape) +
                                          " and target " + nn::to_string(t.shape) + " differ");
  dp.resize(p.shape);
  const Index batch = p.shape[0], per = p.size() / batch;
  sample_sums(p.ptr(), t.ptr(), batch, per, w);
  const double* sums = w.sums.data();
  const Real* d_p = p.ptr();
  const Real* d_t = t.ptr();
  Real* d_dp = dp.ptr();
  for_each_index(batch * per, [=] TWINSIM_HD(Index i) {
    const Index b = i / per;
    const double dist = sqrt(sums[2 * b]), norm = sqrt(sums[2 * b + 1]);
    const double scale = dist > 0 && norm > 0 ? 1.0 / (dist * norm * double(batch)) : 0.0;
    d_dp[i] = Real(scale) * (d_p[i] - d_t[i]);
  });
  const std::vector<double> h_sums = core::to_host(w.sums);
  double total = 0;
  for (Index b = 0; b < batch; ++b) {
    const double norm = std::sqrt(h_sums[2 * b + 1]);
    // A NaN passes (the trainer's divergence check reports it); only a zero target fails here.
    TWINSIM_REQUIRE(norm != 0, "relative_l2: a target sample is zero everywhere; use loss = mse");
    total += std::sqrt(h_sums[2 * b]) / norm;
  }
  return total / double(batch);
}

template <class Real>
double loss(nn::LossKind kind, const T<Real>& p, const T<Real>& t, T<Real>& dp) {
  LossWork w;
  return kind == nn::LossKind::mse ? mse_loss(p, t, dp) : relative_l2_loss(p, t, dp, w);
}

// A loss as a piece of its own: value(p, t, dp) returns L and writes dL/dp into dp. In-situ
// training and rollout losses combine a network with any Loss through the Trainer.
template <class Real>
class Loss {
 public:
  virtual ~Loss() = default;
  virtual double value(const T<Real>& p, const T<Real>& t, T<Real>& dp) const = 0;
};

template <class Real>
class MseLoss final : public Loss<Real> {
 public:
  double value(const T<Real>& p, const T<Real>& t, T<Real>& dp) const override {
    return mse_loss(p, t, dp);
  }
};

template <class Real>
class RelativeL2Loss final : public Loss<Real> {
 public:
  double value(const T<Real>& p, const T<Real>& t, T<Real>& dp) const override {
    return relative_l2_loss(p, t, dp, m_work);
  }

 private:
  mutable LossWork m_work;
};

template <class Real>
std::unique_ptr<Loss<Real>> make_loss(nn::LossKind kind) {
  if (kind == nn::LossKind::mse) return std::make_unique<MseLoss<Real>>();
  return std::make_unique<RelativeL2Loss<Real>>();
}

}  // namespace twinsim::TWINSIM_BACKEND_NS::nnk
