#pragma once
// A network, its loss and its optimizer on one backend, with training trajectories resident
// in that backend's memory: what `twinsim train` and `twinsim predict` drive. Backend-neutral:
// make_learner picks the OpenMP or CUDA build at run time. Values cross this interface in host
// memory; batches are gathered on the backend.
//
// Trajectory data are [sample][frame][y][x] (normalised). A window (sample, t) is one
// training example: frames t .. t + in_channels - 1 in, frames t + in_channels ..
// t + in_channels + out_channels - 1 out (Li et al.'s autoregressive FNO-2D set-up).
#include <cstdint>
#include <memory>
#include <vector>

#include "twinsim/core/Backend.hpp"
#include "twinsim/surrogates/Spec.hpp"
#include "twinsim/surrogates/Tensor.hpp"

namespace twinsim::nn {

enum class Split { train, test };

struct Trajectories {
  std::int64_t samples = 0, frames = 0, ny = 0, nx = 0;
  std::int64_t windows_per_sample(int in, int out) const { return frames - in - out + 1; }
};

template <class Real>
class Learner {
 public:
  virtual ~Learner() = default;

  virtual void set_trajectories(Split split, const Trajectories& shape,
                                const std::vector<Real>& h_values) = 0;
  virtual std::int64_t windows(Split split) const = 0;
  // One optimizer step per batch over the train windows in `order` (window ids in
  // [0, windows(train))); returns the mean loss per window.
  virtual double train_epoch(const std::vector<std::int64_t>& order, int batch, double lr) = 0;
  // Mean loss per window over all test windows, no update.
  virtual double evaluate(int batch) = 0;
  // From h_initial [samples][in_channels][y][x] predicts [samples][steps * out_channels][y][x],
  // feeding predictions back as inputs.
  virtual std::vector<Real> rollout(const std::vector<Real>& h_initial, std::int64_t samples,
                                    std::int64_t ny, std::int64_t nx, int steps, int batch) = 0;

  virtual std::int64_t parameter_count() = 0;
  // Parameters (and, with optimizer, Adam's moments "<name>.adam_m/v" and steps) by name.
  virtual std::vector<NamedArray<Real>> state(bool optimizer) = 0;
  // Sets what `state` returned; every parameter must be present with its shape.
  virtual void set_state(const std::vector<NamedArray<Real>>& state) = 0;
  virtual std::int64_t optimizer_steps() const = 0;
  virtual void set_optimizer_steps(std::int64_t steps) = 0;
};

// Throws core::Error for a model the backend cannot build (unknown kind, bad sizes) or Gpu
// where this binary has no CUDA backend.
template <class Real>
std::unique_ptr<Learner<Real>> make_learner(core::Backend backend, const ModelSpec& model,
                                            const OptimizerSpec& optimizer, LossKind loss,
                                            std::uint64_t seed);

}  // namespace twinsim::nn
