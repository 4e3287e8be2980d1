#pragma once
// The pieces of a training run shared by `twinsim train` (Train.cpp) and in-situ training
// (InSitu.cpp): the trainer as a loop::Stepper, the end-of-epoch report (history.csv) and the
// model file written when the run ends. Internal to the library (src/).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "twinsim/core/Comm.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/Timers.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/io/RunDirectory.hpp"
#include "twinsim/loop/History.hpp"
#include "twinsim/loop/Run.hpp"
#include "twinsim/surrogates/Data.hpp"
#include "twinsim/surrogates/Learner.hpp"
#include "twinsim/surrogates/ModelFile.hpp"

namespace twinsim::nn::detail {


template <class Real>
std::vector<NamedArray<double>> to_double(const std::vector<NamedArray<Real>>& in) {
  std::vector<NamedArray<double>> out;
  for (const auto& a : in)
    out.push_back({a.name, a.shape, std::vector<double>(a.values.begin(), a.values.end())});
  return out;
}

template <class Real>
std::vector<NamedArray<Real>> from_double(const std::vector<NamedArray<double>>& in) {
  std::vector<NamedArray<Real>> out;
  for (const auto& a : in)
    out.push_back({a.name, a.shape, std::vector<Real>(a.values.begin(), a.values.end())});
  return out;
}

// train.init_from (fine-tuning): the parameters of the model file at `path` (empty: none),
// which must have the architecture of `spec` but for the activation.
template <class Real>
void start_from(Learner<Real>& learner, const ModelSpec& spec, const std::string& path) {
  if (path.empty()) return;
  const ModelFile m = read_model_file(path);
  // Every hyper-parameter but the activation, which shapes no parameter (fine-tuning may
  // change it, as before the hyper-parameters became a map).
  bool same = m.model.kind == spec.kind && m.model.in_channels == spec.in_channels &&
              m.model.out_channels == spec.out_channels;
  for (const auto& [name, value] : spec.params.items()) {
    const HyperValue* theirs = m.model.params.find(name);
    if (name != "activation" && (!theirs || *theirs != value)) same = false;
  }
  if (!same)
    throw core::Error(fmt::format("train.init_from: {} holds another architecture than this "
                                  "case describes", path));
  learner.set_state(from_double<Real>(m.arrays));
  spdlog::info("initial parameters from {} ({} epochs, {})", path, m.epoch, m.precision);
}

// Data-parallel training: every rank must hold the same parameters and Adam state (the same
// seed or model file made them, and every step is the same all-reduced update) and, after an
// epoch, the same losses. Checked in two small all-reduces (the least and the greatest of a
// checksum of the state and of the losses' bits); a difference fails the run on every rank.
template <class Real>
void require_ranks_agree(Learner<Real>& learner, core::Comm& comm, const std::string& when,
                         std::vector<double> losses = {}) {
  if (comm.size() == 1) return;
  std::uint64_t sum = io::checksum_of(nullptr, 0);
  for (const auto& a : learner.state(true))
    sum = io::checksum_of(a.values.data(), a.values.size() * sizeof(Real), sum);
  std::vector<std::int64_t> least(1 + losses.size());
  least[0] = std::int64_t(sum);
  for (std::size_t k = 0; k < losses.size(); ++k)
    std::memcpy(&least[k + 1], &losses[k], sizeof(double));
  std::vector<std::int64_t> greatest = least;
  comm.allreduce(least.data(), least.size(), core::Reduce::min);
  comm.allreduce(greatest.data(), greatest.size(), core::Reduce::max);
  if (least != greatest)
    throw core::Error(fmt::format(
        "data-parallel training: the {} ranks disagree {} ({}); every rank must run the same "
        "build, backend, case and, on the CPU, thread count (OMP_NUM_THREADS)",
        comm.size(), when, least[0] != greatest[0] ? "parameters or optimizer state" : "losses"));
}

// The epoch a trainer has just completed, for its history row.
struct EpochDone {
  std::int64_t number = 0;  // 1 for the first
  double learning_rate = 0;
  double loss_sum = 0;  // train loss summed over the epoch's windows
  double seconds = 0;   // spent training it (restarts included)
  std::int64_t windows = 0;  // it trained on
};

// The trainer: step k is optimizer step k, one batch; an epoch is batch_count(windows, batch)
// steps over the training windows the Learner holds when it starts (in-situ training adds
// samples as the solver completes them: they join at the next epoch), its window order a
// Philox shuffle keyed by (seed, epoch) and its learning rate a function of the epoch, so a
// checkpoint needs only the Learner's state and where the epoch stands (its windows, batches
// done, their loss sum and seconds).
template <class Real>
class Trainer : public loop::Stepper {
 public:
  Trainer(std::unique_ptr<Learner<Real>> learner, ModelFile file, const OptimizerSpec& optimizer,
          std::uint64_t seed, int batch, int epochs)
      : m_learner(std::move(learner)), m_file(std::move(file)), m_optimizer(optimizer),
        m_seed(seed), m_batch(batch), m_epochs(epochs),
        m_windows(m_learner->windows(Split::train)),
        m_per_epoch(batch_count(m_windows, batch)) {}

  std::int64_t steps_per_epoch() const { return m_per_epoch; }
  Learner<Real>& learner() { return *m_learner; }
  ModelFile& file() { return m_file; }
  int epochs() const { return m_epochs; }
  const ModelFile& file() const { return m_file; }
  std::int64_t epochs_done() const { return m_epoch; }
  // The epoch the last advance() completed.
  const EpochDone& last_epoch() const { return m_done; }
  // Mean loss per test window, no update; 0 without test samples.
  double test_loss() { return m_file.test_samples > 0 ? m_learner->evaluate(m_batch) : 0.0; }
  // The model file of the parameters as they are now.
  ModelFile model(const std::string& status) {
    ModelFile m = m_file;
    m.arrays = to_double(m_learner->state(false));
    m.epoch = m_epoch;
    m.optimizer_steps = m_learner->optimizer_steps();
    m.status = status;
    return m;
  }

  std::int64_t step() const override { return m_step; }
  // Fractional epochs, the checkpoints' time.
  double time() const override {
    return m_per_epoch > 0
               ? (double(m_epoch) * double(m_per_epoch) + double(m_batch_index)) /
                     double(m_per_epoch)
               : double(m_epoch);
  }
  bool finished() const override { return m_epoch >= m_epochs; }
  loop::Position position() const override {
    return {step(), m_step + (m_epochs - m_epoch) * m_per_epoch - m_batch_index,
            "optimizer steps"};
  }

  // Never past the end of the current epoch: its figures stay in last_epoch() until the
  // history row has read them (the loop ends a chunk there anyway).
  // An epoch starts with the windows the Learner holds then; none: nothing to do.
  void advance(std::int64_t steps, double until) override {
    if (finished()) return;
    if (m_batch_index == 0) {
      m_windows = m_learner->windows(Split::train);
      m_per_epoch = batch_count(m_windows, m_batch);
      m_order.clear();
    }
    if (m_windows == 0) return;
    if (m_order.empty()) m_order = shuffled(m_windows, m_seed, std::uint64_t(m_epoch));
    const std::int64_t n =
        std::min({steps, m_per_epoch - m_batch_index,
                  loop::steps_until(time(), until, 1.0 / double(m_per_epoch))});
    for (std::int64_t i = 0; i < n; ++i) {
      const double lr = m_optimizer.learning_rate(int(m_epoch));
      const auto t0 = std::chrono::steady_clock::now();
      m_loss_sum = m_learner->train_batches(m_order, m_batch_index, 1, m_batch, lr, m_loss_sum);
      const double batch_s = core::seconds_since(t0);
      m_epoch_s += batch_s;
      m_train_s += batch_s;
      m_windows_trained += std::min<std::int64_t>(m_batch, m_windows - m_batch_index * m_batch);
      ++m_step;
      if (++m_batch_index == m_per_epoch) {
        m_done = {m_epoch + 1, lr, m_loss_sum, m_epoch_s, m_windows};
        ++m_epoch;
        m_batch_index = 0;
        m_loss_sum = 0;
        m_epoch_s = 0;
      }
    }
  }

  // The loop's divergence check at each output (the history row of every epoch, checkpoints,
  // the end): the training loss summed so far and the last epoch's (numbers on the host
  // already), then the parameters and Adam's moments on the backend (Learner::non_finite: one
  // number per array read back, not the state copied to the host).
  bool non_finite() const override {
    return !loss_finite() || m_learner->non_finite();
  }
  std::string divergence_cause() const override {
    return std::string("a learning rate (optimizer.lr) too large for this model and data") +
           (loss_finite() ? "" : " (the training loss is not finite)");
  }
  void save(io::StateWriter& out) const override {
    m_learner->save(out, "learner/");
    out.put("train/epoch", m_epoch);
    out.put("train/batch", m_batch_index);
    out.put("train/loss_sum", m_loss_sum);
    out.put("train/epoch_s", m_epoch_s);
    out.put("train/windows", m_windows);
    out.put("train/steps", m_step);
  }
  void load(const io::StateReader& in) override {
    m_learner->load(in, "learner/");
    m_epoch = in.get_int("train/epoch");
    m_batch_index = in.get_int("train/batch");
    m_loss_sum = in.get_double("train/loss_sum");
    m_epoch_s = in.get_double("train/epoch_s");
    // Checkpoints of twinsim train from before in-situ training lack the last two.
    m_windows = in.has("train/windows") ? in.get_int("train/windows")
                                        : m_learner->windows(Split::train);
    m_per_epoch = batch_count(m_windows, m_batch);
    m_step = in.has("train/steps") ? in.get_int("train/steps")
                                   : m_epoch * m_per_epoch + m_batch_index;
    m_order.clear();
    m_first_step = step();
    spdlog::info("continuing at epoch {}, batch {}", m_epoch + 1, m_batch_index);
  }

  // Figures of this process's training (a restart counts from its checkpoint).
  void summarize(io::Summary& sum, const core::Timers& /*timers*/) const override {
    const double epochs_done =
        m_per_epoch > 0 ? double(step() - m_first_step) / double(m_per_epoch) : 0.0;
    const double rate = m_train_s > 0 ? double(m_windows_trained) / m_train_s : 0.0;
    sum.set("model.kind", m_file.model.kind);
    sum.set("model.parameters", m_learner->parameter_count());
    sum.set("data.train_samples", m_file.train_samples);
    sum.set("data.test_samples", m_file.test_samples);
    sum.set("data.train_windows", m_windows);
    if (m_file.data_kind == "table") {
      for (std::size_t k = 0; k < m_file.column_normalisation.size(); ++k) {
        const std::string& name = k < m_file.inputs.size()
                                      ? m_file.inputs[k]
                                      : m_file.outputs[k - m_file.inputs.size()];
        const std::string key = "data.columns." + column_label(name);
        sum.set(key + ".mean", m_file.column_normalisation[k].mean);
        sum.set(key + ".std", m_file.column_normalisation[k].std);
      }
    } else {
      sum.set("data.normalisation_mean", m_file.normalisation.mean);
      sum.set("data.normalisation_std", m_file.normalisation.std);
    }
    sum.set("train.epochs", m_epochs);
    sum.set("train.epochs_done", m_epoch);
    sum.set("train.steps", step());
    sum.set("train.first_step", m_first_step);
    sum.set("train.loss", m_file.loss);
    sum.set("train.precision", m_file.precision);
    sum.set("timing.train_s", m_train_s);
    sum.set("timing.epoch_s", epochs_done > 0 ? m_train_s / epochs_done : 0.0);
    sum.set("timing.train_samples_per_s", rate);
    spdlog::info("{} optimizer steps ({:.3g} epochs) in {:.3g} s ({:.3g} windows/s)",
                 step() - m_first_step, epochs_done, m_train_s, rate);
  }

 private:
  bool loss_finite() const { return std::isfinite(m_loss_sum) && std::isfinite(m_done.loss_sum); }

  std::unique_ptr<Learner<Real>> m_learner;
  ModelFile m_file;  // all but the parameters and the training status
  OptimizerSpec m_optimizer;
  std::uint64_t m_seed;
  int m_batch;
  int m_epochs;
  std::int64_t m_windows;    // training windows of the current epoch
  std::int64_t m_per_epoch;  // its optimizer steps
  std::int64_t m_step = 0;   // optimizer steps taken
  // Where training stands: epochs done, batches of the current one done, their loss sum and
  // seconds.
  std::int64_t m_epoch = 0;
  std::int64_t m_batch_index = 0;
  double m_loss_sum = 0;
  double m_epoch_s = 0;
  std::vector<std::int64_t> m_order;  // the current epoch's window order
  EpochDone m_done;
  // This process: its first step, seconds training, windows trained.
  std::int64_t m_first_step = 0;
  double m_train_s = 0;
  std::int64_t m_windows_trained = 0;
};

// At the end of every epoch: the test loss, a log line and a row of the run's history
// (history.csv and /history: epoch, learning_rate, train_loss, test_loss, seconds, at the
// trainer's optimizer step and time in epochs; loop/History.hpp cuts it back to the
// checkpoint's rows on a restart). The row is committed here, not at the loop's boundary, so
// that in situ, where the stepper fires this at each epoch's end and several epochs may end
// within one of the loop's chunks, every epoch keeps its row.
template <class Real>
class EpochReport : public loop::Operation {
 public:
  explicit EpochReport(Trainer<Real>& trainer) : m_trainer(trainer) {}

  std::string name() const override { return "history"; }

  // Across ranks, rank 0 alone keeps the history (every rank computes the same rows).
  void use_history(loop::History& history) override {
    if (!core::world().root()) return;
    history.time_unit("epoch");
    m_history = &history;
    m_first_column = history.column("epoch");
    history.column("learning_rate");
    history.column("train_loss");
    history.column("test_loss");
    history.column("seconds", "s");
  }

  loop::Verdict fire() override {
    const EpochDone& e = m_trainer.last_epoch();
    m_train_loss = e.loss_sum / double(e.windows);
    m_test_loss = m_trainer.test_loss();
    require_ranks_agree(m_trainer.learner(), core::world(),
                        fmt::format("after epoch {}", e.number), {m_train_loss, m_test_loss});
    spdlog::info("epoch {:4d}/{}  lr {:.3g}  train {} {:.5f}  test {:.5f}  {:.3g} s", e.number,
                 m_trainer.epochs(), e.learning_rate, m_trainer.file().loss, m_train_loss,
                 m_test_loss, e.seconds);
    if (m_history) {
      const double values[] = {double(e.number), e.learning_rate, m_train_loss, m_test_loss,
                               e.seconds};
      for (std::size_t c = 0; c < 5; ++c) m_history->set(m_first_column + c, values[c]);
      m_history->commit(m_trainer.step(), m_trainer.time());
    }
    return loop::Verdict::go_on;
  }

  void save(io::StateWriter& out, const std::string& prefix) const override {
    out.put(prefix + "train_loss", m_train_loss);
    out.put(prefix + "test_loss", m_test_loss);
  }
  void load(const io::StateReader& in, const std::string& prefix) override {
    m_train_loss = in.get_double(prefix + "train_loss");
    m_test_loss = in.get_double(prefix + "test_loss");
  }

  void summarize(io::Summary& sum) const override {
    sum.set("train.final_train_loss", m_train_loss);
    sum.set("train.final_test_loss", m_test_loss);
  }

 private:
  Trainer<Real>& m_trainer;
  loop::History* m_history = nullptr;  // the run's table, when it keeps one
  std::size_t m_first_column = 0;      // of epoch; the others follow
  double m_train_loss = 0;  // mean train loss of the last epoch done
  double m_test_loss = 0;   // test loss after it
};

// model.h5 when the run ends, finished or interrupted (a stop signal: status "interrupted",
// the parameters of the checkpoint just written); not when it failed.
template <class Real>
class ModelOutput : public loop::Operation {
 public:
  ModelOutput(Trainer<Real>& trainer, std::filesystem::path path)
      : m_trainer(trainer), m_path(std::move(path)) {}

  std::string name() const override { return "model"; }
  loop::Verdict fire() override { return loop::Verdict::go_on; }

  // Across ranks, rank 0 alone writes it (every rank holds the same parameters).
  void finish(loop::End end) override {
    if (end == loop::End::failed || !core::world().root()) return;
    const ModelFile model =
        m_trainer.model(end == loop::End::interrupted ? "interrupted" : "complete");
    write_model_file(m_path, model);
    m_written = true;
    spdlog::info("model ({} after {} epochs) in {}", model.status, model.epoch, m_path.string());
  }
  void summarize(io::Summary& sum) const override {
    if (m_written) sum.set("model.file", m_path.string());
  }

 private:
  Trainer<Real>& m_trainer;
  std::filesystem::path m_path;
  bool m_written = false;
};

}  // namespace twinsim::nn::detail
