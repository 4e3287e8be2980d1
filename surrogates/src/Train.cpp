// Training as a run of the loop library: trajectories (or a table) from solver HDF5 files ->
// normalised train/test windows on the backend -> epochs of Adam on a network; the
// end-of-epoch evaluation writes history.csv, model.h5 is written when the run ends.
#include "twinsim/surrogates/Train.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <fstream>

#include "twinsim/core/Error.hpp"
#include "twinsim/core/Timers.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/surrogates/Data.hpp"
#include "twinsim/surrogates/Learner.hpp"
#include "twinsim/surrogates/ModelFile.hpp"
#include "twinsim/surrogates/Schema.hpp"

namespace twinsim::nn {

namespace {

constexpr const char* k_history_header = "epoch,learning_rate,train_loss,test_loss,seconds\n";

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

// Trajectories [sample][frame][y][x]: the first train_samples for training, the next
// test_samples for testing, one scalar normalisation (rollouts feed outputs back as inputs).
template <class Real>
void load_trajectories(const io::Case& c, Learner<Real>& learner, ModelFile& file) {
  file.dataset = c.get_string("data.dataset");
  const TrajectorySet all = read_trajectories(file.files, file.dataset);
  if (file.train_samples + file.test_samples > all.shape.samples)
    throw core::Error(fmt::format("data.train_samples + data.test_samples = {} but the data "
                                  "hold {} samples", file.train_samples + file.test_samples,
                                  all.shape.samples));
  const TrajectorySet train = select_samples(all, 0, file.train_samples);
  const TrajectorySet test = select_samples(all, file.train_samples, file.test_samples);
  file.normalisation = normalisation_of(train.values);
  file.frames = all.shape.frames;
  file.ny = all.shape.ny;
  file.nx = all.shape.nx;
  spdlog::info("data: {} train + {} test trajectories of {} frames of {} x {} from {} file(s); "
               "normalisation mean {:.4g}, std {:.4g}", file.train_samples, file.test_samples,
               all.shape.frames, all.shape.ny, all.shape.nx, file.files.size(),
               file.normalisation.mean, file.normalisation.std);
  learner.set_trajectories(Split::train, train.shape,
                           normalised<Real>(train.values, file.normalisation));
  if (file.test_samples > 0)
    learner.set_trajectories(Split::test, test.shape,
                             normalised<Real>(test.values, file.normalisation));
}

// A table of state points: the first train_samples rows for training, the next test_samples
// for testing, each column normalised by its own training mean and deviation.
template <class Real>
void load_table(const io::Case& c, Learner<Real>& learner, ModelFile& file) {
  if (file.model.kind != "mlp")
    throw core::Error("data.kind = \"table\" is learned by model.kind = \"mlp\"");
  file.inputs = c.get_strings("data.inputs");
  file.outputs = c.get_strings("data.outputs");
  const TableSet all = read_table(file.files, file.inputs, file.outputs);
  if (file.train_samples + file.test_samples > all.row_count())
    throw core::Error(fmt::format("data.train_samples + data.test_samples = {} but the table "
                                  "has {} rows", file.train_samples + file.test_samples,
                                  all.row_count()));
  const TableSet train = select_rows(all, 0, file.train_samples);
  const TableSet test = select_rows(all, file.train_samples, file.test_samples);
  file.column_normalisation = column_normalisations(train);
  file.frames = all.columns();
  file.ny = file.nx = 1;
  spdlog::info("data: table of {} train + {} test rows from {} file(s); inputs {}, outputs {}",
               file.train_samples, file.test_samples, file.files.size(),
               fmt::join(file.inputs, ", "), fmt::join(file.outputs, ", "));
  learner.set_trajectories(Split::train, train.trajectories(),
                           normalised_columns<Real>(train, file.column_normalisation));
  if (file.test_samples > 0)
    learner.set_trajectories(Split::test, test.trajectories(),
                             normalised_columns<Real>(test, file.column_normalisation));
}

// The epoch a trainer has just completed, for its history row.
struct EpochDone {
  std::int64_t number = 0;  // 1 for the first
  double learning_rate = 0;
  double loss_sum = 0;  // train loss summed over the epoch's windows
  double seconds = 0;   // spent training it (restarts included)
};

// The trainer: step k is optimizer step k, one batch; an epoch is batch_count(windows, batch)
// steps, its window order a Philox shuffle keyed by (seed, epoch) and its learning rate a
// function of the epoch, so a checkpoint needs only the Learner's state and where the epoch
// stands (batches done, their loss sum and seconds).
template <class Real>
class Trainer : public loop::Stepper {
 public:
  Trainer(std::unique_ptr<Learner<Real>> learner, ModelFile file, const OptimizerSpec& optimizer,
          std::uint64_t seed, int batch, int epochs)
      : m_learner(std::move(learner)), m_file(std::move(file)), m_optimizer(optimizer),
        m_seed(seed), m_batch(batch), m_epochs(epochs),
        m_windows(m_learner->windows(Split::train)),
        m_per_epoch(batch_count(m_windows, batch)), m_total(epochs * m_per_epoch) {}

  std::int64_t steps_per_epoch() const { return m_per_epoch; }
  std::int64_t windows() const { return m_windows; }
  int epochs() const { return m_epochs; }
  const ModelFile& file() const { return m_file; }
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

  std::int64_t step() const override { return m_epoch * m_per_epoch + m_batch_index; }
  // Fractional epochs, the checkpoints' time.
  double time() const override {
    return m_per_epoch > 0 ? double(step()) / double(m_per_epoch) : 0.0;
  }
  bool finished() const override { return step() >= m_total; }
  loop::Position position() const override { return {step(), m_total, "optimizer steps"}; }

  // Never past the end of the current epoch: its figures stay in last_epoch() until the
  // history row has read them (the loop ends a chunk there anyway).
  void advance(std::int64_t steps, double until) override {
    const std::int64_t n =
        std::min({steps, m_total - step(), m_per_epoch - m_batch_index,
                  loop::steps_until(time(), until, 1.0 / double(m_per_epoch))});
    for (std::int64_t i = 0; i < n; ++i) {
      if (m_order.empty() || m_batch_index == 0)
        m_order = shuffled(m_windows, m_seed, std::uint64_t(m_epoch));
      const double lr = m_optimizer.learning_rate(int(m_epoch));
      const auto t0 = std::chrono::steady_clock::now();
      m_loss_sum = m_learner->train_batches(m_order, m_batch_index, 1, m_batch, lr, m_loss_sum);
      const double batch_s = core::seconds_since(t0);
      m_epoch_s += batch_s;
      m_train_s += batch_s;
      m_windows_trained += std::min<std::int64_t>(m_batch, m_windows - m_batch_index * m_batch);
      if (++m_batch_index == m_per_epoch) {
        m_done = {m_epoch + 1, lr, m_loss_sum, m_epoch_s};
        ++m_epoch;
        m_batch_index = 0;
        m_loss_sum = 0;
        m_epoch_s = 0;
      }
    }
  }

  std::string divergence_cause() const override {
    return "a learning rate (optimizer.lr) too large for this model and data";
  }
  void save(io::StateWriter& out) const override {
    m_learner->save(out, "learner/");
    out.put("train/epoch", m_epoch);
    out.put("train/batch", m_batch_index);
    out.put("train/loss_sum", m_loss_sum);
    out.put("train/epoch_s", m_epoch_s);
  }
  void load(const io::StateReader& in) override {
    m_learner->load(in, "learner/");
    m_epoch = in.get_int("train/epoch");
    m_batch_index = in.get_int("train/batch");
    m_loss_sum = in.get_double("train/loss_sum");
    m_epoch_s = in.get_double("train/epoch_s");
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
  std::unique_ptr<Learner<Real>> m_learner;
  ModelFile m_file;  // all but the parameters and the training status
  OptimizerSpec m_optimizer;
  std::uint64_t m_seed;
  int m_batch;
  int m_epochs;
  std::int64_t m_windows;    // training windows
  std::int64_t m_per_epoch;  // optimizer steps per epoch
  std::int64_t m_total;      // optimizer steps of the whole training
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

// At the end of every epoch: the test loss, a log line and a history.csv row. history.csv is
// rewritten from the checkpoint on a restart (the rows written after it go) and appended to,
// so that it can be followed while training runs.
template <class Real>
class EpochReport : public loop::Operation {
 public:
  EpochReport(Trainer<Real>& trainer, const io::RunDirectory& dir, bool restarted)
      : m_trainer(trainer), m_dir(dir) {
    if (!restarted) m_dir.write_text("history.csv", m_history);
  }

  std::string name() const override { return "history"; }

  loop::Verdict fire() override {
    const EpochDone& e = m_trainer.last_epoch();
    m_train_loss = e.loss_sum / double(m_trainer.windows());
    m_test_loss = m_trainer.test_loss();
    spdlog::info("epoch {:4d}/{}  lr {:.3g}  train {} {:.5f}  test {:.5f}  {:.3g} s", e.number,
                 m_trainer.epochs(), e.learning_rate, m_trainer.file().loss, m_train_loss,
                 m_test_loss, e.seconds);
    const std::string row = fmt::format("{},{:.6g},{:.8g},{:.8g},{:.6g}\n", e.number,
                                        e.learning_rate, m_train_loss, m_test_loss, e.seconds);
    m_history += row;
    std::ofstream(m_dir.file("history.csv"), std::ios::app) << row << std::flush;
    return loop::Verdict::go_on;
  }

  void save(io::StateWriter& out, const std::string& prefix) const override {
    out.put(prefix + "train_loss", m_train_loss);
    out.put(prefix + "test_loss", m_test_loss);
    out.put(prefix + "rows", m_history);
  }
  void load(const io::StateReader& in, const std::string& prefix) override {
    m_train_loss = in.get_double(prefix + "train_loss");
    m_test_loss = in.get_double(prefix + "test_loss");
    m_history = in.get_string(prefix + "rows");
    m_dir.write_text("history.csv", m_history);
  }

  void summarize(io::Summary& sum) const override {
    sum.set("train.final_train_loss", m_train_loss);
    sum.set("train.final_test_loss", m_test_loss);
  }

 private:
  Trainer<Real>& m_trainer;
  const io::RunDirectory& m_dir;
  double m_train_loss = 0;  // mean train loss of the last epoch done
  double m_test_loss = 0;   // test loss after it
  std::string m_history = k_history_header;  // history.csv as of now
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

  void finish(loop::End end) override {
    if (end == loop::End::failed) return;
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

template <class Real>
loop::Run make_run(const loop::Setup& setup) {
  const io::Case& c = setup.case_file;
  const ModelSpec spec = model_spec(c);
  const OptimizerSpec optimizer = optimizer_spec(c);
  const std::uint64_t seed = std::uint64_t(c.get_int("train.seed"));
  auto learner = make_learner<Real>(setup.backend, spec, optimizer,
                                    loss_from_string(c.get_string("train.loss")), seed);

  ModelFile file;
  file.model = spec;
  file.precision = c.get_string("train.precision");
  file.data_kind = c.get_string("data.kind");
  file.files = c.get_strings("data.files");
  file.train_samples = c.get_int("data.train_samples");
  file.test_samples = c.get_int("data.test_samples");
  if (file.data_kind == "table")
    load_table(c, *learner, file);
  else
    load_trajectories(c, *learner, file);
  spdlog::info("model {}: {} parameters; {} train windows, {} test windows", spec.kind,
               learner->parameter_count(), learner->windows(Split::train),
               learner->windows(Split::test));
  file.loss = c.get_string("train.loss");
  file.case_text = c.resolved_text();

  // Fine-tuning starts from a model file's parameters; a restart's come from its checkpoint.
  const std::string init_from = c.get_string("train.init_from");
  if (!setup.restart && !init_from.empty()) {
    const ModelFile m = read_model_file(init_from);
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
                                    "case describes", init_from));
    learner->set_state(from_double<Real>(m.arrays));
    spdlog::info("initial parameters from {} ({} epochs, {})", init_from, m.epoch, m.precision);
  }

  auto trainer = std::make_unique<Trainer<Real>>(std::move(learner), std::move(file), optimizer,
                                                 seed, int(c.get_int("train.batch")),
                                                 int(c.get_int("train.epochs")));
  loop::Run run;
  run.add(std::make_unique<EpochReport<Real>>(*trainer, setup.dir, setup.restart != nullptr),
          loop::Trigger::every(trainer->steps_per_epoch()));
  run.add(std::make_unique<ModelOutput<Real>>(*trainer, setup.dir.file("model.h5")),
          loop::Trigger{});  // fires never: it writes when the run ends
  run.stepper = std::move(trainer);
  return run;
}

}  // namespace

loop::Run make_train_run(const loop::Setup& setup) {
  return setup.case_file.get_string("train.precision") == "float64" ? make_run<double>(setup)
                                                                     : make_run<float>(setup);
}

const loop::Kind& train_kind() {
  static const loop::Kind k{
      "train",
      "a neural surrogate trained on solver output (model.h5, history.csv)",
      [](io::Schema& schema) { add_surrogate_schema(schema, false); },
      make_train_run,
      nullptr,
      nullptr,
      "command"};
  return k;
}

}  // namespace twinsim::nn
