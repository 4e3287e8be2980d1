// Backend translation unit: the Learner on the OpenMP or CUDA backend. It owns a network (from
// the model registry, nn/models.hpp), a loss and an optimizer, separate pieces that an
// nnk::Trainer combines, plus the trajectories resident on the backend and the window gathering.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "twinsim/core/Comm.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/surrogates/Learner.hpp"
#include "twinsim/surrogates/nn/loss.hpp"
#include "twinsim/surrogates/nn/models.hpp"
#include "twinsim/surrogates/nn/optimizer.hpp"
#include "twinsim/surrogates/nn/trainer.hpp"

namespace twinsim::TWINSIM_BACKEND_NS {

namespace learner_detail {

using nnk::T;

// Gathers windows d_ids[0..b) of trajectories d_traj [samples][frames][plane] into
// d_x [b][in][plane] and d_y [b][out][plane]; one work item per run of a plane (nnk::k_run).
template <class Real>
void gather_windows(const Real* d_traj, const Index* d_ids, Index b, Index frames,
                    Index windows_per_sample, Index in, Index out, Index plane, Real* d_x,
                    Real* d_y) {
  const Index runs = nnk::runs_of(plane), per = (in + out) * runs;
  for_each_index(b * per, [=] TWINSIM_HD(Index r) {
    const Index q = r % runs, c = (r / runs) % (in + out), k = r / per;
    const Index p0 = q * nnk::k_run, n = plane - p0 < nnk::k_run ? plane - p0 : nnk::k_run;
    const Index w = d_ids[k];
    const Index s = w / windows_per_sample, t = w % windows_per_sample;
    const Real* v = d_traj + (s * frames + t + c) * plane + p0;
    Real* to = c < in ? d_x + (k * in + c) * plane + p0 : d_y + (k * out + c - in) * plane + p0;
    for (Index j = 0; j < n; ++j) to[j] = v[j];
  });
}

// Rollout: the prediction d_y [b][out][plane] goes to frames [step * out, ...) of d_result
// [b_total][steps * out][plane] (rows first..first+b), and d_x [b][in][plane] shifts by out
// frames with the prediction appended.
template <class Real>
void advance_window(Real* d_x, const Real* d_y, Real* d_result, Index b, Index in, Index out,
                    Index plane, Index total_frames, Index first, Index step) {
  for_each_index(b * plane, [=] TWINSIM_HD(Index i) {
    const Index p = i % plane, k = i / plane;
    for (Index c = 0; c < out; ++c)
      d_result[((first + k) * total_frames + step * out + c) * plane + p] =
          d_y[(k * out + c) * plane + p];
    for (Index c = 0; c < in; ++c) {
      const Index src = c + out;  // frame index in the concatenation [x, y]
      d_x[(k * in + c) * plane + p] =
          src < in ? d_x[(k * in + src) * plane + p] : d_y[(k * out + src - in) * plane + p];
    }
  });
}

// d_to[i] = scale * d_from[i], i < n (data-parallel packing of gradients; scale 1 unpacks).
template <class Real>
void scaled_copy(Real* d_to, const Real* d_from, Index n, Real scale) {
  for_each_index(n, [=] TWINSIM_HD(Index i) { d_to[i] = scale * d_from[i]; });
}

// *d_count = the number of non-finite values of d_x[0..n) (no wait). v - v is 0 for every
// finite v and NaN for NaN and the infinities.
template <class Real>
void count_non_finite(const Real* d_x, Index n, Index* d_count) {
  reduce_into(
      n, Index(0),
      [=] TWINSIM_HD(Index i) {
        const Real v = d_x[i];
        return v - v == Real(0) ? Index(0) : Index(1);
      },
      core::Plus(), d_count);
}

// The in-situ sample buffer: d_from[0..n) (one slot, frames of `plane` values) normalised into
// d_to: z = Real((w - mean) / std) with frame f's mean and deviation (stats = 1: one pair for
// all frames), as nn::normalised computes it on the host.
template <class From, class Real>
void fill_values(const From* d_from, Index n, Index plane, Index stats, const double* d_mean,
                 const double* d_std, Real* d_to) {
  for_each_index(n, [=] TWINSIM_HD(Index i) {
    const double w = double(d_from[i]);
    const Index f = stats == 1 ? 0 : (i / plane) % stats;
    d_to[i] = Real((w - d_mean[f]) / d_std[f]);
  });
}

// *d_to = value (one element of backend memory, no wait).
template <class Real>
void set_element(Real* d_to, Real value) {
  for_each_index(1, [=] TWINSIM_HD(Index) { *d_to = value; });
}

template <class Real>
class LearnerImpl final : public nn::Learner<Real> {
 public:
  LearnerImpl(const nn::ModelSpec& model, const nn::OptimizerSpec& opt, nn::LossKind loss,
              std::uint64_t seed)
      : m_spec(model) {
    // Every model reads windows [b][in][y][x]; the MLP maps the channels of each point, so a
    // table (trajectories of inputs + outputs frames on a 1 x 1 grid) is an MLP's data.
    m_ctx.seed = seed;
    m_net = nnk::build_model(m_ctx, model);
    m_loss = nnk::make_loss<Real>(loss);
    m_optimizer = nnk::make_optimizer(m_net->params(), opt);
    m_trainer = std::make_unique<nnk::Trainer<Real>>(*m_net, *m_loss, *m_optimizer);
  }

  void set_trajectories(nn::Split split, const nn::Trajectories& shape,
                        const std::vector<Real>& h_values) override {
    Data& d = data(split);
    TWINSIM_REQUIRE(
        std::int64_t(h_values.size()) == shape.samples * shape.frames * shape.ny * shape.nx,
        "set_trajectories: values and shape disagree");
    if (shape.windows_per_sample(m_spec.in_channels, target_frames(split)) < 1)
      throw core::Error("trajectories of " + std::to_string(shape.frames) +
                        " frames are too "
                        "short for " +
                        std::to_string(m_spec.in_channels) + " input and " +
                        std::to_string(target_frames(split)) + " output frames");
    d.shape = shape;
    d.values = core::Buffer<Real, Space>::from_host(h_values);
    d.raw = {};
    d.slots = 0;
  }

  void reserve_slots(nn::Split split, const nn::Trajectories& shape) override {
    if (shape.windows_per_sample(m_spec.in_channels, target_frames(split)) < 1)
      throw core::Error("trajectories of " + std::to_string(shape.frames) + " frames are too " +
                        "short for " + std::to_string(m_spec.in_channels) + " input and " +
                        std::to_string(target_frames(split)) + " output frames");
    Data& d = data(split);
    d.shape = shape;
    d.shape.samples = 0;
    d.slots = shape.samples;
    const std::size_t n = std::size_t(shape.samples * d.slot_values());
    d.values = core::Buffer<Real, Space>(n);
    d.raw.assign(m_stats > 0 ? 0 : n, 0.0);
  }

  void fill_slot(nn::Split split, std::int64_t slot, const void* values, bool single,
                 core::Backend memory) override {
    Data& d = data(split);
    TWINSIM_REQUIRE(slot >= 0 && slot < d.slots && slot <= d.shape.samples,
                    "fill_slot: a slot beyond the reserved ones or a gap");
    const Index n = d.slot_values();
    const std::size_t bytes = std::size_t(n) * (single ? sizeof(float) : sizeof(double));
    const core::MemorySpace from =
        memory == core::Backend::Gpu ? core::MemorySpace::Device : core::MemorySpace::Host;
    d.shape.samples = std::max(d.shape.samples, slot + 1);
    if (m_stats == 0) {
      // The normalisation is not fixed yet: the values as handed over, kept in host memory.
      double* raw = d.raw.data() + slot * n;
      if (!single) {
        core::detail::copy_bytes(raw, core::MemorySpace::Host, values, from, bytes);
        return;
      }
      m_host_floats.resize(std::size_t(n));
      core::detail::copy_bytes(m_host_floats.data(), core::MemorySpace::Host, values, from, bytes);
      std::copy(m_host_floats.begin(), m_host_floats.end(), raw);
      return;
    }
    if (memory != k_backend) {
      // The other side of the bus: one copy into staging memory of this backend.
      if (m_stage.size() < std::size_t(n)) m_stage = core::Buffer<double, Space>(std::size_t(n));
      core::detail::copy_bytes(m_stage.data(), Space::k_space, values, from, bytes);
      values = m_stage.data();
    }
    Real* to = d.values.data() + slot * n;
    const Index plane = d.shape.ny * d.shape.nx;
    if (single)
      fill_values(static_cast<const float*>(values), n, plane, m_stats, m_mean.data(),
                  m_std.data(), to);
    else
      fill_values(static_cast<const double*>(values), n, plane, m_stats, m_mean.data(),
                  m_std.data(), to);
  }

  void normalise_slots(const std::vector<double>& mean, const std::vector<double>& std) override {
    TWINSIM_REQUIRE(!mean.empty() && mean.size() == std.size(),
                    "normalise_slots: one mean and deviation per frame, or one for all");
    m_mean = core::Buffer<double, Space>::from_host(mean);
    m_std = core::Buffer<double, Space>::from_host(std);
    m_stats = Index(mean.size());
    for (const nn::Split split : {nn::Split::train, nn::Split::test}) {
      Data& d = data(split);
      const std::vector<double> raw = std::move(d.raw);
      d.raw = {};
      for (std::int64_t k = 0; k < d.shape.samples; ++k)
        fill_slot(split, k, raw.data() + k * d.slot_values(), false, core::Backend::Cpu);
    }
  }

  std::vector<double> slots_to_host(nn::Split split) const override {
    TWINSIM_REQUIRE(m_stats == 0, "slots_to_host: the normalisation is fixed (values let go)");
    const Data& d = split == nn::Split::train ? m_train : m_test;
    return {d.raw.begin(), d.raw.begin() + d.shape.samples * d.slot_values()};
  }

  std::vector<Real> normalised_slots_to_host(nn::Split split) const override {
    TWINSIM_REQUIRE(m_stats > 0, "normalised_slots_to_host: the normalisation is not fixed");
    const Data& d = split == nn::Split::train ? m_train : m_test;
    std::vector<Real> h(std::size_t(d.shape.samples * d.slot_values()));
    core::detail::copy_bytes(h.data(), core::MemorySpace::Host, d.values.data(), Space::k_space,
                             h.size() * sizeof(Real));
    return h;
  }

  void normalised_slots_from_host(nn::Split split, std::int64_t filled,
                                  const std::vector<Real>& h_values) override {
    Data& d = data(split);
    TWINSIM_REQUIRE(m_stats > 0 && filled <= d.slots &&
                        std::int64_t(h_values.size()) == filled * d.slot_values(),
                    "normalised_slots_from_host: the normalisation not fixed, more values than "
                    "reserved slots, or a partial slot");
    d.shape.samples = filled;
    core::detail::copy_bytes(d.values.data(), Space::k_space, h_values.data(),
                             core::MemorySpace::Host, h_values.size() * sizeof(Real));
  }

  void slots_from_host(nn::Split split, std::int64_t filled,
                       const std::vector<double>& h_values) override {
    Data& d = data(split);
    TWINSIM_REQUIRE(filled <= d.slots && std::int64_t(h_values.size()) == filled * d.slot_values(),
                    "slots_from_host: more values than reserved slots, or a partial slot");
    d.shape.samples = 0;
    for (std::int64_t k = 0; k < filled; ++k)
      fill_slot(split, k, h_values.data() + k * d.slot_values(), false, core::Backend::Cpu);
  }

  std::int64_t windows(nn::Split split) const override {
    const Data& d = split == nn::Split::train ? m_train : m_test;
    return d.shape.samples * d.shape.windows_per_sample(m_spec.in_channels, target_frames(split));
  }

  void set_rollout_steps(int steps) override {
    TWINSIM_REQUIRE(steps >= 1 && m_train.shape.samples == 0,
                    "set_rollout_steps: at least 1, before the training trajectories");
    m_rollout = steps;
  }

  double train_batches(const std::vector<std::int64_t>& order, std::int64_t first_batch,
                       std::int64_t count, int batch, double lr, double loss_sum) override {
    const std::int64_t n = std::int64_t(order.size());
    TWINSIM_REQUIRE(first_batch >= 0 && count >= 0 &&
                        first_batch + count <= nn::batch_count(n, batch),
                    "train_batches: batches beyond the end of the epoch");
    // The epoch's window order goes to the device once per call; each batch reads its part.
    upload_ids(order);
    for (std::int64_t k = first_batch; k < first_batch + count; ++k) {
      const std::int64_t first = k * batch, b = std::min<std::int64_t>(n - first, batch);
      const double loss = m_comm ? train_share(first, b, lr) : train_windows(first, b, lr);
      loss_sum += loss * double(b);
    }
    synchronize();
    return loss_sum;
  }

  void train_across(core::Comm& comm) override {
    TWINSIM_REQUIRE(comm.size() > 1, "train_across: one rank trains alone");
    m_comm = &comm;
    m_staging = std::make_unique<core::DeviceStaging>(comm);
    std::size_t values = 1;  // the loss
    for (auto* p : m_net->params()) values += std::size_t(p->grad.size());
    m_flat = core::Buffer<Real, Space>(values);
    m_trainer->reduce_gradients_with([this](double loss) { return average_gradients(loss); });
  }

  double evaluate(int batch) override {
    const std::int64_t n = windows(nn::Split::test);
    if (n == 0) return 0.0;
    double total = 0;
    for (std::int64_t first = 0; first < n; first += batch) {
      std::vector<std::int64_t> ids;
      for (std::int64_t w = first; w < std::min(n, first + batch); ++w) ids.push_back(w);
      upload_ids(ids);
      gather(m_test, m_ids.data(), Index(ids.size()), target_frames(nn::Split::test));
      total += m_trainer->loss_of(m_x, m_y) * double(ids.size());
    }
    return total / double(n);
  }

  std::vector<Real> rollout(const std::vector<Real>& h_initial, std::int64_t samples,
                            std::int64_t ny, std::int64_t nx, int steps, int batch) override {
    const Index in = m_spec.in_channels, out = m_spec.out_channels, plane = ny * nx;
    TWINSIM_REQUIRE(std::int64_t(h_initial.size()) == samples * in * plane,
                    "rollout: initial values and shape disagree");
    const Index total_frames = Index(steps) * out;
    core::Buffer<Real, Space> result(std::size_t(samples * total_frames * plane));
    for (Index first = 0; first < samples; first += batch) {
      const Index b = std::min<Index>(batch, samples - first);
      T<Real> x({b, in, ny, nx});
      std::vector<Real> chunk(h_initial.begin() + first * in * plane,
                              h_initial.begin() + (first + b) * in * plane);
      x.data = core::Buffer<Real, Space>::from_host(chunk);
      for (int s = 0; s < steps; ++s) {
        const T<Real>& y = m_net->forward(x);
        advance_window(x.ptr(), y.ptr(), result.data(), b, in, out, plane, total_frames, first,
                       Index(s));
      }
    }
    synchronize();
    return core::to_host(result);
  }

  std::int64_t parameter_count() override {
    std::int64_t n = 0;
    for (auto* p : m_net->params()) n += p->value.size();
    return n;
  }

  std::vector<nn::NamedArray<Real>> state(bool optimizer) override {
    // Each parameter followed by its optimizer state: the order of checkpoints and model files.
    std::vector<nn::NamedArray<Real>> s;
    const auto params = m_net->params();
    for (std::size_t k = 0; k < params.size(); ++k) {
      const nnk::Param<Real>& p = *params[k];
      s.push_back({p.name, p.value.shape, core::to_host(p.value.data)});
      if (optimizer)
        for (const nnk::OptimizerSlot<Real>& slot : m_optimizer->state(k))
          s.push_back({p.name + slot.suffix, slot.tensor->shape, core::to_host(slot.tensor->data)});
    }
    return s;
  }

  void set_state(const std::vector<nn::NamedArray<Real>>& state) override {
    const auto find = [&](const std::string& name) -> const nn::NamedArray<Real>* {
      for (const auto& a : state)
        if (a.name == name) return &a;
      return nullptr;
    };
    const auto load = [&](T<Real>& t, const std::string& name, bool required) {
      const nn::NamedArray<Real>* a = find(name);
      if (!a) {
        if (required) throw core::Error("model state has no parameter '" + name + "'");
        return;
      }
      if (a->shape != t.shape)
        throw core::Error("parameter '" + name + "' has shape " + nn::to_string(a->shape) +
                          " in the file and " + nn::to_string(t.shape) + " in the model");
      t.data = core::Buffer<Real, Space>::from_host(a->values);
    };
    const auto params = m_net->params();
    for (std::size_t k = 0; k < params.size(); ++k) {
      load(params[k]->value, params[k]->name, true);
      for (const nnk::OptimizerSlot<Real>& slot : m_optimizer->state(k))
        load(*slot.tensor, params[k]->name + slot.suffix, false);
    }
  }

  std::int64_t optimizer_steps() const override { return m_optimizer->steps(); }
  void set_optimizer_steps(std::int64_t steps) override { m_optimizer->set_steps(steps); }

  bool non_finite() override {
    std::vector<const T<Real>*> arrays;
    const auto params = m_net->params();
    for (std::size_t k = 0; k < params.size(); ++k) {
      arrays.push_back(&params[k]->value);
      for (const nnk::OptimizerSlot<Real>& slot : m_optimizer->state(k))
        arrays.push_back(slot.tensor);
    }
    if (m_counts.size() != arrays.size()) m_counts = core::Buffer<Index, Space>(arrays.size());
    for (std::size_t k = 0; k < arrays.size(); ++k)
      count_non_finite(arrays[k]->ptr(), arrays[k]->size(), m_counts.data() + k);
    const std::vector<Index> counts = core::to_host(m_counts);
    return std::any_of(counts.begin(), counts.end(), [](Index c) { return c > 0; });
  }

 private:
  struct Data {
    nn::Trajectories shape;  // samples: the trajectories present (filled slots)
    core::Buffer<Real, Space> values;
    // The in-situ sample buffer (reserve_slots): the slots as handed over, host memory, until
    // the normalisation is fixed (normalise_slots); none otherwise.
    std::vector<double> raw;
    std::int64_t slots = 0;
    Index slot_values() const { return shape.frames * shape.ny * shape.nx; }
  };
  Data& data(nn::Split split) { return split == nn::Split::train ? m_train : m_test; }

  // Training windows hold the targets of the whole rollout; test windows one step's.
  int target_frames(nn::Split split) const {
    return m_spec.out_channels * (split == nn::Split::train ? m_rollout : 1);
  }

  // One optimizer step on the b training windows whose ids start at m_ids[first].
  double train_windows(std::int64_t first, std::int64_t b, double lr) {
    gather(m_train, m_ids.data() + first, b, target_frames(nn::Split::train));
    return m_rollout == 1 ? m_trainer->training_step(m_x, m_y, lr)
                          : m_trainer->rollout_step(m_x, m_y, m_rollout, lr);
  }

  // Data parallel: this rank's contiguous part of the batch of b windows at m_ids[first] (see
  // train_across), weighted by its share of the batch; a rank without windows adds zero
  // gradients and loss to the all-reduce and takes the same update as the others.
  double train_share(std::int64_t first, std::int64_t b, double lr) {
    const std::int64_t ranks = m_comm->size(), rank = m_comm->rank();
    const std::int64_t base = b / ranks, longer = b % ranks;
    const std::int64_t count = base + (rank < longer ? 1 : 0);
    const std::int64_t start = rank * base + std::min(rank, longer);
    m_weight = double(count) / double(b);
    if (count > 0) return train_windows(first + start, count, lr);
    m_optimizer->zero_grad();
    const double loss = average_gradients(0.0);
    m_optimizer->step(lr);
    return loss;
  }

  // The all-reduce of a data-parallel step: every gradient times this rank's weight, then the
  // loss times it, packed into m_flat, summed over the ranks in one call (through DeviceStaging
  // on the GPU), unpacked into the gradients; returns the global loss. The sum's order is MPI's,
  // so the step equals one rank's on the whole batch to round-off, not bit for bit.
  double average_gradients(double loss) {
    Real* flat = m_flat.data();
    const Real w = Real(m_weight);
    Index at = 0;
    for (auto* p : m_net->params()) {
      scaled_copy(flat + at, p->grad.ptr(), p->grad.size(), w);
      at += p->grad.size();
    }
    set_element(flat + at, Real(loss * m_weight));
    if constexpr (k_backend == core::Backend::Gpu)
      m_staging->allreduce(flat, m_flat.size(), core::Reduce::sum);
    else
      m_comm->allreduce(flat, m_flat.size(), core::Reduce::sum);
    at = 0;
    for (auto* p : m_net->params()) {
      scaled_copy(p->grad.ptr(), flat + at, p->grad.size(), Real(1));
      at += p->grad.size();
    }
    Real global = 0;
    core::detail::copy_bytes(&global, core::MemorySpace::Host, flat + at, Space::k_space,
                             sizeof(Real));
    return double(global);
  }

  // Window ids into m_ids (one copy; memory reused while the count stays the same).
  void upload_ids(const std::vector<std::int64_t>& ids) {
    if (m_ids.size() != ids.size()) m_ids = core::Buffer<Index, Space>(ids.size());
    core::copy(m_ids, ids);
  }

  // The windows d_ids[0..b) (device memory) into m_x and m_y (out target frames each).
  void gather(const Data& d, const Index* d_ids, Index b, Index out) {
    const Index in = m_spec.in_channels;
    const Index ny = d.shape.ny, nx = d.shape.nx;
    m_x.resize({b, in, ny, nx});
    m_y.resize({b, out, ny, nx});
    gather_windows(d.values.data(), d_ids, b, d.shape.frames,
                   d.shape.windows_per_sample(int(in), int(out)), in, out, ny * nx, m_x.ptr(),
                   m_y.ptr());
  }

  nn::ModelSpec m_spec;
  nnk::Context<Real> m_ctx;
  std::unique_ptr<nnk::Sequential<Real>> m_net;
  std::unique_ptr<nnk::Loss<Real>> m_loss;
  std::unique_ptr<nnk::Optimizer<Real>> m_optimizer;
  std::unique_ptr<nnk::Trainer<Real>> m_trainer;  // combines the three above
  Data m_train, m_test;
  int m_rollout = 1;  // surrogate steps per training window (rollout training)
  core::Buffer<Index, Space> m_ids;  // window ids of the present epoch (or evaluation)
  // Data-parallel training (train_across): the ranks, device staging, the flat all-reduce
  // buffer (every gradient, then the loss) and this rank's share of the current batch.
  core::Comm* m_comm = nullptr;
  std::unique_ptr<core::DeviceStaging> m_staging;
  core::Buffer<Real, Space> m_flat;
  double m_weight = 1;
  T<Real> m_x, m_y;  // a gathered batch: inputs and targets
  core::Buffer<Index, Space> m_counts;  // non_finite(): non-finite values per array
  // The sample buffer's normalisation (normalise_slots; m_stats = 0: not yet fixed) and the
  // staging of slots handed over in the other backend's memory (normalised) or as floats (kept).
  core::Buffer<double, Space> m_mean, m_std;
  Index m_stats = 0;
  core::Buffer<double, Space> m_stage;
  std::vector<float> m_host_floats;
};

}  // namespace learner_detail

template <class Real>
std::unique_ptr<nn::Learner<Real>> make_learner(const nn::ModelSpec& model,
                                                const nn::OptimizerSpec& optimizer,
                                                nn::LossKind loss, std::uint64_t seed) {
  return std::make_unique<learner_detail::LearnerImpl<Real>>(model, optimizer, loss, seed);
}
template std::unique_ptr<nn::Learner<float>> make_learner<float>(const nn::ModelSpec&,
                                                                 const nn::OptimizerSpec&,
                                                                 nn::LossKind, std::uint64_t);
template std::unique_ptr<nn::Learner<double>> make_learner<double>(const nn::ModelSpec&,
                                                                   const nn::OptimizerSpec&,
                                                                   nn::LossKind, std::uint64_t);

}  // namespace twinsim::TWINSIM_BACKEND_NS
