// twinsim train CASE: trajectories from solver HDF5 files -> normalised train/test windows on
// the backend -> epochs of Adam on a network -> model.h5, history.csv, summary.json.
// Checkpoints ([checkpoint], every_steps in optimizer steps, and on a stop signal) hold the
// Learner's state and the trainer's Progress; --restart continues bit for bit.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "run_support.hpp"
#include "surrogate_case.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/Log.hpp"
#include "twinsim/core/Signals.hpp"
#include "twinsim/core/versions.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/surrogates/Data.hpp"
#include "twinsim/surrogates/Learner.hpp"
#include "twinsim/surrogates/ModelFile.hpp"
#include "twinsim/surrogates/Schema.hpp"

namespace twinsim::app {

io::Schema surrogate_case_schema() {
  io::Schema schema;
  schema.section("run", "What to run").required()
      .key_string("name", "Run name: train writes runs/<name>/model.h5, predict "
                          "runs/<name>_predict/<name>.h5").required()
      .key_string("device", "Backend: auto (the GPU when one is present), cpu or gpu; "
                            "--device overrides it")
      .default_value("auto").one_of({"auto", "cpu", "gpu"});
  nn::add_surrogate_schema(schema);
  return schema;
}

std::optional<io::Case> load_surrogate_case(const RunOptions& options) {
  return load_case_file(options, surrogate_case_schema());
}

std::optional<SurrogateRun> open_surrogate_run(const io::Case& c, const RunOptions& options,
                                               const std::string& suffix) {
  try {
    SurrogateRun r{core::select_backend(c.get_string("run.device")), std::nullopt, nullptr};
    const std::filesystem::path out =
        options.out.empty() ? std::filesystem::path("runs") / (c.get_string("run.name") + suffix)
                            : std::filesystem::path(options.out);
    if (options.restart.empty()) {
      r.dir.emplace(out, options.overwrite);
      r.dir->write_text("case.toml", c.resolved_text());
    } else {
      r.dir.emplace(io::RunDirectory::existing(out));
      r.restart = std::make_unique<io::Restart>(r.dir->checkpoints(), options.restart);
      r.restart->require(k_train_checkpoint_kind, c.resolved_text());
    }
    core::log_to_file(r.dir->file("log.txt").string());
    return r;
  } catch (const core::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return std::nullopt;
  }
}

namespace {

template <class Real>
std::vector<nn::NamedArray<double>> to_double(const std::vector<nn::NamedArray<Real>>& in) {
  std::vector<nn::NamedArray<double>> out;
  for (const auto& a : in)
    out.push_back({a.name, a.shape, std::vector<double>(a.values.begin(), a.values.end())});
  return out;
}

template <class Real>
std::vector<nn::NamedArray<Real>> from_double(const std::vector<nn::NamedArray<double>>& in) {
  std::vector<nn::NamedArray<Real>> out;
  for (const auto& a : in)
    out.push_back({a.name, a.shape, std::vector<Real>(a.values.begin(), a.values.end())});
  return out;
}

// Where training stands between two optimizer steps: besides the Learner's state, what a
// checkpoint holds so that a restart continues the same epoch at the same batch with the same
// loss sum, learning rate (a function of the epoch) and history rows.
struct Progress {
  std::int64_t epoch = 0;   // epochs done
  std::int64_t batch = 0;   // batches of the current epoch done
  double loss_sum = 0;      // their train loss sum (Learner::train_batches)
  double epoch_s = 0;       // seconds spent training the current epoch so far
  double train_loss = 0;    // mean train loss of the last epoch done
  double test_loss = 0;     // test loss after it
  std::string history;      // history.csv as of now, header included

  void save(io::StateWriter& out) const {
    out.put("train/epoch", epoch);
    out.put("train/batch", batch);
    out.put("train/loss_sum", loss_sum);
    out.put("train/epoch_s", epoch_s);
    out.put("train/train_loss", train_loss);
    out.put("train/test_loss", test_loss);
    out.put("train/history", history);
  }
  static Progress load(const io::StateReader& in) {
    return {in.get_int("train/epoch"),         in.get_int("train/batch"),
            in.get_double("train/loss_sum"),   in.get_double("train/epoch_s"),
            in.get_double("train/train_loss"), in.get_double("train/test_loss"),
            in.get_string("train/history")};
  }
};

// Trajectories [sample][frame][y][x]: the first train_samples for training, the next
// test_samples for testing, one scalar normalisation (rollouts feed outputs back as inputs).
template <class Real>
void load_trajectories(const io::Case& c, nn::Learner<Real>& learner, nn::ModelFile& file,
                       io::Summary& summary) {
  file.dataset = c.get_string("data.dataset");
  const nn::TrajectorySet all = nn::read_trajectories(file.files, file.dataset);
  if (file.train_samples + file.test_samples > all.shape.samples)
    throw core::Error(fmt::format("data.train_samples + data.test_samples = {} but the data "
                                  "hold {} samples", file.train_samples + file.test_samples,
                                  all.shape.samples));
  const nn::TrajectorySet train = nn::select_samples(all, 0, file.train_samples);
  const nn::TrajectorySet test = nn::select_samples(all, file.train_samples, file.test_samples);
  file.normalisation = nn::normalisation_of(train.values);
  file.frames = all.shape.frames;
  file.ny = all.shape.ny;
  file.nx = all.shape.nx;
  spdlog::info("data: {} train + {} test trajectories of {} frames of {} x {} from {} file(s); "
               "normalisation mean {:.4g}, std {:.4g}", file.train_samples, file.test_samples,
               all.shape.frames, all.shape.ny, all.shape.nx, file.files.size(),
               file.normalisation.mean, file.normalisation.std);
  learner.set_trajectories(nn::Split::train, train.shape,
                           nn::normalised<Real>(train.values, file.normalisation));
  if (file.test_samples > 0)
    learner.set_trajectories(nn::Split::test, test.shape,
                             nn::normalised<Real>(test.values, file.normalisation));
  summary.set("data.normalisation_mean", file.normalisation.mean);
  summary.set("data.normalisation_std", file.normalisation.std);
}

// A table of state points: the first train_samples rows for training, the next test_samples
// for testing, each column normalised by its own training mean and deviation.
template <class Real>
void load_table(const io::Case& c, nn::Learner<Real>& learner, nn::ModelFile& file,
                io::Summary& summary) {
  if (file.model.kind != "mlp")
    throw core::Error("data.kind = \"table\" is learned by model.kind = \"mlp\"");
  file.inputs = c.get_strings("data.inputs");
  file.outputs = c.get_strings("data.outputs");
  const nn::TableSet all = nn::read_table(file.files, file.inputs, file.outputs);
  if (file.train_samples + file.test_samples > all.row_count())
    throw core::Error(fmt::format("data.train_samples + data.test_samples = {} but the table "
                                  "has {} rows", file.train_samples + file.test_samples,
                                  all.row_count()));
  const nn::TableSet train = nn::select_rows(all, 0, file.train_samples);
  const nn::TableSet test = nn::select_rows(all, file.train_samples, file.test_samples);
  file.column_normalisation = nn::column_normalisations(train);
  file.frames = all.columns();
  file.ny = file.nx = 1;
  spdlog::info("data: table of {} train + {} test rows from {} file(s); inputs {}, outputs {}",
               file.train_samples, file.test_samples, file.files.size(),
               fmt::join(file.inputs, ", "), fmt::join(file.outputs, ", "));
  learner.set_trajectories(nn::Split::train, train.trajectories(),
                           nn::normalised_columns<Real>(train, file.column_normalisation));
  if (file.test_samples > 0)
    learner.set_trajectories(nn::Split::test, test.trajectories(),
                             nn::normalised_columns<Real>(test, file.column_normalisation));
  for (std::size_t k = 0; k < file.column_normalisation.size(); ++k) {
    const std::string& name =
        k < file.inputs.size() ? file.inputs[k] : file.outputs[k - file.inputs.size()];
    summary.set("data.columns." + column_label(name) + ".mean", file.column_normalisation[k].mean);
    summary.set("data.columns." + column_label(name) + ".std", file.column_normalisation[k].std);
  }
}

// Returns true when a stop signal ended training early (after a checkpoint).
template <class Real>
bool train_with(const io::Case& c, const SurrogateRun& run, io::Checkpoints& checkpoints,
                io::Summary& summary) {
  const io::RunDirectory& dir = *run.dir;
  const std::int64_t n_train = c.get_int("data.train_samples");
  const std::int64_t n_test = c.get_int("data.test_samples");
  const nn::ModelSpec spec = nn::model_spec(c);
  const nn::OptimizerSpec opt = nn::optimizer_spec(c);
  const nn::LossKind loss = nn::loss_from_string(c.get_string("train.loss"));
  const std::uint64_t seed = std::uint64_t(c.get_int("train.seed"));
  auto learner = nn::make_learner<Real>(run.backend, spec, opt, loss, seed);

  nn::ModelFile file;
  file.model = spec;
  file.precision = c.get_string("train.precision");
  file.data_kind = c.get_string("data.kind");
  file.files = c.get_strings("data.files");
  file.train_samples = n_train;
  file.test_samples = n_test;
  if (file.data_kind == "table")
    load_table(c, *learner, file, summary);
  else
    load_trajectories(c, *learner, file, summary);
  spdlog::info("model {}: {} parameters; {} train windows, {} test windows", spec.kind,
               learner->parameter_count(), learner->windows(nn::Split::train),
               learner->windows(nn::Split::test));
  file.loss = c.get_string("train.loss");
  file.case_text = c.resolved_text();

  Progress p;
  p.history = "epoch,learning_rate,train_loss,test_loss,seconds\n";
  const std::string init_from = c.get_string("train.init_from");
  if (run.restart) {
    learner->load(run.restart->state(), "learner/");
    p = Progress::load(run.restart->state());
    spdlog::info("continuing at epoch {}, batch {}", p.epoch + 1, p.batch);
  } else if (!init_from.empty()) {
    const nn::ModelFile m = nn::read_model_file(init_from);
    if (m.model.kind != spec.kind || m.model.width != spec.width ||
        m.model.modes != spec.modes || m.model.layers != spec.layers ||
        m.model.projection != spec.projection || m.model.in_channels != spec.in_channels ||
        m.model.out_channels != spec.out_channels || m.model.hidden != spec.hidden)
      throw core::Error(fmt::format("train.init_from: {} holds another architecture than this "
                                    "case describes", init_from));
    learner->set_state(from_double<Real>(m.arrays));
    spdlog::info("initial parameters from {} ({} epochs, {})", init_from, m.epoch, m.precision);
  }

  const int epochs = int(c.get_int("train.epochs"));
  const int batch = int(c.get_int("train.batch"));
  const std::int64_t windows = learner->windows(nn::Split::train);
  const std::int64_t per_epoch = nn::batch_count(windows, batch);
  const std::int64_t total_steps = epochs * per_epoch;
  // On a restart the rows written after the checkpoint go: the checkpoint's rows replace them.
  dir.write_text("history.csv", p.history);
  std::ofstream history(dir.file("history.csv"), std::ios::app);
  const auto save = [&](io::StateWriter& out) {
    learner->save(out, "learner/");
    p.save(out);
  };

  const std::int64_t first_step = p.epoch * per_epoch + p.batch;
  std::int64_t step = first_step, windows_trained = 0;
  double train_s = 0;
  bool interrupted = false;
  std::vector<std::int64_t> order;
  while (step < total_steps && !interrupted) {
    if (order.empty() || p.batch == 0)
      order = nn::shuffled(windows, seed, std::uint64_t(p.epoch));
    const double lr = opt.learning_rate(int(p.epoch));
    const auto t0 = std::chrono::steady_clock::now();
    p.loss_sum = learner->train_batches(order, p.batch, 1, batch, lr, p.loss_sum);
    const double batch_s = seconds_since(t0);
    p.epoch_s += batch_s;
    train_s += batch_s;
    windows_trained += std::min<std::int64_t>(batch, windows - p.batch * batch);
    ++p.batch;
    ++step;
    if (p.batch == per_epoch) {
      p.train_loss = p.loss_sum / double(windows);
      p.test_loss = n_test > 0 ? learner->evaluate(batch) : 0.0;
      spdlog::info("epoch {:4d}/{}  lr {:.3g}  train {} {:.5f}  test {:.5f}  {:.3g} s",
                   p.epoch + 1, epochs, lr, file.loss, p.train_loss, p.test_loss, p.epoch_s);
      const std::string row = fmt::format("{},{:.6g},{:.8g},{:.8g},{:.6g}\n", p.epoch + 1, lr,
                                          p.train_loss, p.test_loss, p.epoch_s);
      p.history += row;
      history << row;
      history.flush();
      ++p.epoch;
      p.batch = 0;
      p.loss_sum = 0;
      p.epoch_s = 0;
    }
    // The checkpoint's time is the fractional epoch count.
    if (step < total_steps)
      interrupted = checkpoints.at_boundary(step, double(step) / double(per_epoch), save);
  }
  if (interrupted)
    spdlog::warn("stopped by {} after {} of {} optimizer steps (epoch {}, batch {})",
                 core::signal_name(core::stop_signal()), step, total_steps, p.epoch + 1, p.batch);

  file.arrays = to_double(learner->state(false));
  file.epoch = p.epoch;
  file.optimizer_steps = learner->optimizer_steps();
  file.status = interrupted ? "interrupted" : "complete";
  nn::write_model_file(dir.file("model.h5"), file);

  const double done_epochs = double(step - first_step) / double(per_epoch);
  summary.set("model.kind", spec.kind);
  summary.set("model.parameters", learner->parameter_count());
  summary.set("model.file", dir.file("model.h5").string());
  summary.set("data.train_samples", n_train);
  summary.set("data.test_samples", n_test);
  summary.set("data.train_windows", windows);
  summary.set("train.epochs", epochs);
  summary.set("train.epochs_done", p.epoch);
  summary.set("train.steps", step);
  summary.set("train.first_step", first_step);
  summary.set("train.loss", file.loss);
  summary.set("train.precision", file.precision);
  summary.set("train.final_train_loss", p.train_loss);
  summary.set("train.final_test_loss", p.test_loss);
  summary.set("timing.train_s", train_s);
  summary.set("timing.epoch_s", done_epochs > 0 ? train_s / done_epochs : 0.0);
  summary.set("timing.train_samples_per_s", train_s > 0 ? double(windows_trained) / train_s : 0.0);
  spdlog::info("{} optimizer steps ({:.3g} epochs) in {:.3g} s ({:.3g} windows/s); train {:.5f}, "
               "test {:.5f} after epoch {}; model in {}", step - first_step, done_epochs, train_s,
               train_s > 0 ? double(windows_trained) / train_s : 0.0, p.train_loss, p.test_loss,
               p.epoch, dir.file("model.h5").string());
  return interrupted;
}

}  // namespace

int train(const RunOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const std::optional<io::Case> c = load_surrogate_case(options);
  if (!c) return k_exit_bad_input;
  std::optional<SurrogateRun> run = open_surrogate_run(*c, options, "");
  if (!run) return k_exit_bad_input;
  spdlog::info("twinsim {}: train {} from {} on {}", core::version(), c->get_string("run.name"),
               options.case_path, core::to_string(run->backend));
  if (run->restart) log_restart(*run->restart, run->backend);
  io::Checkpoints checkpoints(run->dir->checkpoints(), io::CheckpointPolicy::from_case(*c),
                              {k_train_checkpoint_kind, 0, 0.0,
                               std::string(core::to_string(run->backend)), c->resolved_text()});
  io::Summary s;
  bool ok = true, interrupted = false;
  std::string failure;
  try {
    interrupted = c->get_string("train.precision") == "float64"
                      ? train_with<double>(*c, *run, checkpoints, s)
                      : train_with<float>(*c, *run, checkpoints, s);
  } catch (const core::Error& e) {
    ok = false;
    failure = e.what();
    spdlog::error("{}", e.what());
  }
  set_provenance(s, c->get_string("run.name"), "command", "train", run->backend, ok, failure,
                 seconds_since(start));
  set_checkpoint_summary(s, run->restart.get(), checkpoints, ok && interrupted);
  run->dir->write_summary(s);
  if (!ok) return k_exit_failed;
  if (interrupted) {
    spdlog::warn("checkpoint {}; continue with: twinsim train {} --out {} --restart latest",
                 checkpoints.last_written().string(), options.case_path,
                 run->dir->path().string());
    return k_exit_interrupted;
  }
  return k_exit_ok;
}

}  // namespace twinsim::app
