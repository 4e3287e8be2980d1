// twinsim train CASE: trajectories from solver HDF5 files -> normalised train/test windows on
// the backend -> epochs of Adam on a network -> model.h5, history.csv, summary.json.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "run_support.hpp"
#include "surrogate_case.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/Log.hpp"
#include "twinsim/core/versions.hpp"
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
    SurrogateRun r{core::select_backend(c.get_string("run.device")), std::nullopt};
    r.dir.emplace(options.out.empty()
                      ? std::filesystem::path("runs") / (c.get_string("run.name") + suffix)
                      : std::filesystem::path(options.out),
                  options.overwrite);
    r.dir->write_text("case.toml", c.resolved_text());
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

template <class Real>
void train_with(const io::Case& c, const SurrogateRun& run, io::Summary& summary) {
  const io::RunDirectory& dir = *run.dir;
  const std::vector<std::string> files = c.get_strings("data.files");
  const std::string dataset = c.get_string("data.dataset");
  const std::int64_t n_train = c.get_int("data.train_samples");
  const std::int64_t n_test = c.get_int("data.test_samples");
  const nn::TrajectorySet all = nn::read_trajectories(files, dataset);
  if (n_train + n_test > all.shape.samples)
    throw core::Error(fmt::format("data.train_samples + data.test_samples = {} but the data "
                                  "hold {} samples", n_train + n_test, all.shape.samples));
  const nn::TrajectorySet train = nn::select_samples(all, 0, n_train);
  const nn::TrajectorySet test = nn::select_samples(all, n_train, n_test);
  const nn::Normalisation norm = nn::normalisation_of(train.values);
  spdlog::info("data: {} train + {} test trajectories of {} frames of {} x {} from {} file(s); "
               "normalisation mean {:.4g}, std {:.4g}", n_train, n_test, all.shape.frames,
               all.shape.ny, all.shape.nx, files.size(), norm.mean, norm.std);

  const nn::ModelSpec spec = nn::model_spec(c);
  const nn::OptimizerSpec opt = nn::optimizer_spec(c);
  const nn::LossKind loss = nn::loss_from_string(c.get_string("train.loss"));
  const std::uint64_t seed = std::uint64_t(c.get_int("train.seed"));
  auto learner = nn::make_learner<Real>(run.backend, spec, opt, loss, seed);
  learner->set_trajectories(nn::Split::train, train.shape, nn::normalised<Real>(train.values, norm));
  if (n_test > 0)
    learner->set_trajectories(nn::Split::test, test.shape, nn::normalised<Real>(test.values, norm));
  spdlog::info("model {}: {} parameters; {} train windows, {} test windows", spec.kind,
               learner->parameter_count(), learner->windows(nn::Split::train),
               learner->windows(nn::Split::test));

  nn::ModelFile file;
  file.model = spec;
  file.precision = c.get_string("train.precision");
  file.normalisation = norm;
  file.files = files;
  file.dataset = dataset;
  file.train_samples = n_train;
  file.test_samples = n_test;
  file.frames = all.shape.frames;
  file.ny = all.shape.ny;
  file.nx = all.shape.nx;
  file.loss = c.get_string("train.loss");
  file.case_text = c.resolved_text();

  int first_epoch = 0;
  const std::string resume = c.get_string("train.resume_from");
  if (!resume.empty()) {
    const nn::ModelFile cp = nn::read_model_file(resume);
    if (cp.model.kind != spec.kind || cp.model.width != spec.width ||
        cp.model.modes != spec.modes || cp.model.layers != spec.layers ||
        cp.model.in_channels != spec.in_channels || cp.precision != file.precision)
      throw core::Error(fmt::format("checkpoint {} holds another model or precision than this "
                                    "case describes", resume));
    learner->set_state(from_double<Real>(cp.arrays));
    learner->set_optimizer_steps(cp.optimizer_steps);
    first_epoch = int(cp.epoch);
    spdlog::info("resumed from {} after epoch {}", resume, first_epoch);
  }

  const int epochs = int(c.get_int("train.epochs"));
  const int batch = int(c.get_int("train.batch"));
  const int checkpoint_every = int(c.get_int("train.checkpoint_every"));
  // A resumed run in the same folder continues its history; a fresh folder starts one.
  const bool append = first_epoch > 0 && std::filesystem::exists(dir.file("history.csv"));
  std::ofstream history(dir.file("history.csv"), append ? std::ios::app : std::ios::out);
  if (!append) history << "epoch,learning_rate,train_loss,test_loss,seconds\n";
  double train_loss = 0, test_loss = 0, train_s = 0;
  const std::int64_t windows = learner->windows(nn::Split::train);
  for (int e = first_epoch; e < epochs; ++e) {
    const auto t0 = std::chrono::steady_clock::now();
    const double lr = opt.learning_rate(e);
    train_loss = learner->train_epoch(nn::shuffled(windows, seed, std::uint64_t(e)), batch, lr);
    const double epoch_s = seconds_since(t0);
    train_s += epoch_s;
    test_loss = n_test > 0 ? learner->evaluate(batch) : 0.0;
    spdlog::info("epoch {:4d}/{}  lr {:.3g}  train {} {:.5f}  test {:.5f}  {:.3g} s", e + 1,
                 epochs, lr, file.loss, train_loss, test_loss, epoch_s);
    history << fmt::format("{},{:.6g},{:.8g},{:.8g},{:.6g}\n", e + 1, lr, train_loss, test_loss,
                           epoch_s);
    history.flush();
    if (checkpoint_every > 0 && (e + 1) % checkpoint_every == 0 && e + 1 < epochs) {
      std::filesystem::create_directories(dir.checkpoints());
      file.arrays = to_double(learner->state(true));
      file.epoch = e + 1;
      file.optimizer_steps = learner->optimizer_steps();
      nn::write_model_file(dir.checkpoints() / "latest.h5", file);
    }
  }
  file.arrays = to_double(learner->state(true));
  file.epoch = epochs;
  file.optimizer_steps = learner->optimizer_steps();
  nn::write_model_file(dir.file("model.h5"), file);

  const int done = epochs - first_epoch;
  summary.set("model.kind", spec.kind);
  summary.set("model.parameters", learner->parameter_count());
  summary.set("model.file", dir.file("model.h5").string());
  summary.set("data.train_samples", n_train);
  summary.set("data.test_samples", n_test);
  summary.set("data.train_windows", windows);
  summary.set("data.normalisation_mean", norm.mean);
  summary.set("data.normalisation_std", norm.std);
  summary.set("train.epochs", epochs);
  summary.set("train.first_epoch", first_epoch);
  summary.set("train.loss", file.loss);
  summary.set("train.precision", file.precision);
  summary.set("train.final_train_loss", train_loss);
  summary.set("train.final_test_loss", test_loss);
  summary.set("timing.train_s", train_s);
  summary.set("timing.epoch_s", done > 0 ? train_s / done : 0.0);
  summary.set("timing.train_samples_per_s", done > 0 ? double(windows) * done / train_s : 0.0);
  spdlog::info("{} epochs in {:.3g} s ({:.3g} s per epoch, {:.3g} windows/s); final train {:.5f}, "
               "test {:.5f}; model in {}", done, train_s, done > 0 ? train_s / done : 0.0,
               done > 0 ? double(windows) * done / train_s : 0.0, train_loss, test_loss,
               dir.file("model.h5").string());
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
  io::Summary s;
  bool ok = true;
  std::string failure;
  try {
    if (c->get_string("train.precision") == "float64")
      train_with<double>(*c, *run, s);
    else
      train_with<float>(*c, *run, s);
  } catch (const core::Error& e) {
    ok = false;
    failure = e.what();
    spdlog::error("{}", e.what());
  }
  set_provenance(s, c->get_string("run.name"), "command", "train", run->backend, ok, failure,
                 seconds_since(start));
  run->dir->write_summary(s);
  return ok ? k_exit_ok : k_exit_failed;
}

}  // namespace twinsim::app
