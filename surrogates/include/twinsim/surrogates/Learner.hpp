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
#include <string>
#include <vector>

#include "twinsim/core/Backend.hpp"
#include "twinsim/surrogates/Spec.hpp"
#include "twinsim/surrogates/Tensor.hpp"

namespace twinsim::core {
class Comm;
}  // namespace twinsim::core

namespace twinsim::io {
class StateWriter;
class StateReader;
}  // namespace twinsim::io

namespace twinsim::nn {

enum class Split { train, test };

struct Trajectories {
  std::int64_t samples = 0, frames = 0, ny = 0, nx = 0;
  std::int64_t windows_per_sample(int in, int out) const { return frames - in - out + 1; }
};

// Optimizer steps in one pass over `windows` windows: batches of `batch`, the last one shorter.
inline std::int64_t batch_count(std::int64_t windows, int batch) {
  return (windows + batch - 1) / batch;
}

template <class Real>
class Learner {
 public:
  virtual ~Learner() = default;

  virtual void set_trajectories(Split split, const Trajectories& shape,
                                const std::vector<Real>& h_values) = 0;
  // Rollout training (before the training trajectories are set): a training window holds
  // in + steps * out frames and its loss is the mean over `steps` surrogate steps, each
  // prediction fed back, with the backward pass through the rollout. 1 (the default): one-step
  // windows. Test windows and evaluate() stay one-step.
  virtual void set_rollout_steps(int steps) = 0;
  // The in-situ sample buffer (nn::with_training): `slots` trajectories of frames x ny x nx
  // (shape.samples = slots) reserved once: as the Learner's data (normalised, Real) in the
  // backend's memory, which hold the slots filled so far (windows() counts those), and, until
  // the normalisation is fixed, as the values a source hands over (double) in host memory.
  // Replaces what set_trajectories set for the split.
  virtual void reserve_slots(Split split, const Trajectories& shape) = 0;
  // Slot `slot` (at most one past the last filled) from `values`, float or double, in the memory
  // of backend `memory`. Once normalise_slots has fixed the normalisation, the slot is normalised
  // as it is filled: the backend's own memory is read where it lies (kernels only: no copy, no
  // allocation), the other copied once through staging memory reused from call to call. Before,
  // the values are kept as handed over, in host memory (one copy from a device).
  virtual void fill_slot(Split split, std::int64_t slot, const void* values, bool single,
                         core::Backend memory) = 0;
  // The normalisation of every slot, filled or to come: z = Real((w - mean[f]) / std[f]) of a
  // value w of frame f (one mean and deviation for all frames: vectors of one), as
  // nn::normalised and nn::normalised_columns compute it on the host. The values as handed over
  // are normalised and then let go.
  virtual void normalise_slots(const std::vector<double>& mean,
                               const std::vector<double>& std) = 0;
  // Before normalise_slots: the filled slots' values as handed over (checkpoints, the
  // normalisation's sums), and back (after it, slots_from_host normalises them as it fills).
  virtual std::vector<double> slots_to_host(Split split) const = 0;
  virtual void slots_from_host(Split split, std::int64_t filled,
                               const std::vector<double>& h_values) = 0;
  // After normalise_slots: the filled slots as the Learner holds them, normalised (checkpoints),
  // and back, bit for bit.
  virtual std::vector<Real> normalised_slots_to_host(Split split) const = 0;
  virtual void normalised_slots_from_host(Split split, std::int64_t filled,
                                          const std::vector<Real>& h_values) = 0;
  virtual std::int64_t windows(Split split) const = 0;
  // One optimizer step for each of the batches [first_batch, first_batch + count) of an epoch
  // whose window order is `order` (train window ids in [0, windows(train))); batch k holds
  // order[k * batch, min((k + 1) * batch, order.size())). Returns loss_sum plus, added batch by
  // batch in order, each batch's mean loss times its window count: an epoch trained in any
  // split of ranges, with the sum carried over, gives the same bits as in one range.
  virtual double train_batches(const std::vector<std::int64_t>& order, std::int64_t first_batch,
                               std::int64_t count, int batch, double lr, double loss_sum) = 0;
  // Data-parallel training over the ranks of `comm` (call it only with more than one):
  // train_batches then trains this rank's share of every batch (a batch of b windows is cut into
  // comm.size() contiguous parts in rank order, the first b % size parts one window longer; a
  // short last batch may leave a rank none), and one all-reduce per optimizer step, over one
  // flat buffer, sums the gradients weighted by each part's share of the batch, with the loss
  // in its last element: every rank then takes the same step, the global batch's, and
  // train_batches returns the global loss sum. Every rank must hold the same trajectories and
  // parameters and train the same order; evaluate() stays whole on each rank.
  virtual void train_across(core::Comm& comm) = 0;
  // All batches of `order`; returns the mean loss per window.
  double train_epoch(const std::vector<std::int64_t>& order, int batch, double lr) {
    const std::int64_t n = std::int64_t(order.size());
    return train_batches(order, 0, batch_count(n, batch), batch, lr, 0.0) / double(n);
  }
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
  // Whether a parameter or an optimizer moment holds a NaN or an infinity: counted on the
  // backend (one reduction per array into reused backend memory), one read of the counts; the
  // trainer's divergence check at each output without copying the state to the host.
  virtual bool non_finite() = 0;

  // The complete training state, parameters, Adam's moments and step count, as checkpoint
  // arrays "<prefix><name>" (exact bits). load() restores it into a Learner made from the same
  // spec and precision, on any backend; training then continues bit for bit on the backend
  // that wrote it. Throws core::Error when an array is missing or of another size.
  void save(io::StateWriter& out, const std::string& prefix);
  void load(const io::StateReader& in, const std::string& prefix);
};

// Throws core::Error for a model the backend cannot build (unknown kind, bad sizes) or Gpu
// where this binary has no CUDA backend.
template <class Real>
std::unique_ptr<Learner<Real>> make_learner(core::Backend backend, const ModelSpec& model,
                                            const OptimizerSpec& optimizer, LossKind loss,
                                            std::uint64_t seed);

}  // namespace twinsim::nn
