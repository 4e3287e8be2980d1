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

// Per-sample squared norms of (p - t) and of t, summed over `count` values from `first`.
template <class Real>
double squared_distance(const Real* d_p, const Real* d_t, Index first, Index count) {
  return transform_reduce(
      count, 0.0,
      [=] TWINSIM_HD(Index i) {
        const double d = double(d_p[first + i]) - double(d_t[first + i]);
        return d * d;
      },
      core::Plus());
}
template <class Real>
double squared_norm(const Real* d_t, Index first, Index count) {
  return transform_reduce(
      count, 0.0,
      [=] TWINSIM_HD(Index i) {
        const double v = double(d_t[first + i]);
        return v * v;
      },
      core::Plus());
}

// d_dp[first + i] = scale * (p - t) over one sample.
template <class Real>
void scaled_difference(const Real* d_p, const Real* d_t, Real* d_dp, Index first, Index count,
                       Real scale) {
  for_each_index(count, [=] TWINSIM_HD(Index i) {
    d_dp[first + i] = scale * (d_p[first + i] - d_t[first + i]);
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
  const double loss = squared_distance(p.ptr(), t.ptr(), 0, n) / double(n);
  difference(p.ptr(), t.ptr(), dp.ptr(), n, Real(2.0 / double(n)));
  return loss;
}

// mean over samples (axis 0) of ||p_b - t_b|| / ||t_b|| (Li et al.'s relative L2).
template <class Real>
double relative_l2_loss(const T<Real>& p, const T<Real>& t, T<Real>& dp) {
  TWINSIM_REQUIRE(p.shape == t.shape, "relative_l2: prediction " + nn::to_string(p.shape) +
                                          " and target " + nn::to_string(t.shape) + " differ");
  dp.resize(p.shape);
  const Index batch = p.shape[0], per = p.size() / batch;
  double total = 0;
  for (Index b = 0; b < batch; ++b) {
    const double dist = std::sqrt(squared_distance(p.ptr(), t.ptr(), b * per, per));
    const double norm = std::sqrt(squared_norm(t.ptr(), b * per, per));
    TWINSIM_REQUIRE(norm > 0, "relative_l2: a target sample is zero everywhere; use loss = mse");
    total += dist / norm;
    const double scale = dist > 0 ? 1.0 / (dist * norm * double(batch)) : 0.0;
    scaled_difference(p.ptr(), t.ptr(), dp.ptr(), b * per, per, Real(scale));
  }
  return total / double(batch);
}

template <class Real>
double loss(nn::LossKind kind, const T<Real>& p, const T<Real>& t, T<Real>& dp) {
  return kind == nn::LossKind::mse ? mse_loss(p, t, dp) : relative_l2_loss(p, t, dp);
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
    return relative_l2_loss(p, t, dp);
  }
};

template <class Real>
std::unique_ptr<Loss<Real>> make_loss(nn::LossKind kind) {
  if (kind == nn::LossKind::mse) return std::make_unique<MseLoss<Real>>();
  return std::make_unique<RelativeL2Loss<Real>>();
}

}  // namespace twinsim::TWINSIM_BACKEND_NS::nnk
