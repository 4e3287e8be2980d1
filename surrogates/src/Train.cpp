// Training as a run of the loop library: trajectories (or a table) from solver HDF5 files ->
// normalised train/test windows on the backend -> epochs of Adam on a network; the
// end-of-epoch evaluation writes history.csv, model.h5 is written when the run ends.
#include "twinsim/surrogates/Train.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <variant>

#include "twinsim/core/Comm.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/Timers.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/surrogates/Data.hpp"
#include "twinsim/surrogates/Learner.hpp"
#include "twinsim/surrogates/ModelFile.hpp"
#include "twinsim/surrogates/Models.hpp"
#include "twinsim/surrogates/Schema.hpp"
#include "training.hpp"

namespace twinsim::nn {

namespace {

using detail::EpochReport;
using detail::ModelOutput;
using detail::require_ranks_agree;
using detail::Trainer;
using detail::start_from;

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

template <class Real>
loop::Run make_run(const loop::Setup& setup) {
  const io::Case& c = setup.case_file;
  const ModelSpec spec = model_spec(c);
  const OptimizerSpec optimizer = optimizer_spec(c);
  const std::uint64_t seed = std::uint64_t(c.get_int("train.seed"));
  auto learner = make_learner<Real>(setup.backend, spec, optimizer,
                                    loss_from_string(c.get_string("train.loss")), seed);
  learner->set_rollout_steps(int(c.get_int("train.rollout_steps")));

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
  if (!setup.restart) start_from(*learner, spec, c.get_string("train.init_from"));
  // Across MPI ranks, data parallel: every rank reads the same data and makes the same
  // parameters (seed, model file), trains its part of each global batch (train.batch) and
  // takes the averaged step (Learner::train_across).
  core::Comm& comm = core::world();
  if (comm.size() > 1) {
    learner->train_across(comm);
    require_ranks_agree(*learner, comm, "at the start");
    const std::int64_t batch = c.get_int("train.batch"), ranks = comm.size();
    spdlog::info("data parallel over {} ranks: {} of each batch's {} windows per rank, one "
                 "all-reduce of {} values per optimizer step", ranks,
                 batch % ranks == 0 ? fmt::format("{}", batch / ranks)
                                    : fmt::format("{} or {}", batch / ranks, batch / ranks + 1),
                 batch, learner->parameter_count() + 1);
  }

  auto trainer = std::make_unique<Trainer<Real>>(std::move(learner), std::move(file), optimizer,
                                                 seed, int(c.get_int("train.batch")),
                                                 int(c.get_int("train.epochs")));
  loop::Run run;
  run.add(std::make_unique<EpochReport<Real>>(*trainer),
          loop::Trigger::every(trainer->steps_per_epoch()));
  run.add(std::make_unique<ModelOutput<Real>>(*trainer, setup.dir.file("model.h5")),
          loop::Trigger{});  // fires never: it writes when the run ends
  run.stepper = std::move(trainer);
  return run;
}

// Bytes of `values` values of `bytes` each, saturating (absurd cases are refused, not wrapped).
std::uint64_t bytes_of(double values, double bytes) {
  const double b = values * bytes;
  return b < 1.8e19 ? std::uint64_t(b) : UINT64_MAX;
}

// Data parallel: a batch smaller than the rank count would leave ranks idle at every step.
void check_train(const io::Case& c) {
  const int ranks = core::world().size();
  if (c.get_int("train.batch") < ranks)
    throw core::Error(fmt::format("train.batch = {} is less than the {} MPI ranks: each rank "
                                  "trains a part of every batch; choose train.batch >= {} (a "
                                  "multiple of {} splits evenly)",
                                  c.get_int("train.batch"), ranks, ranks, ranks));
}

}  // namespace

loop::Plan learner_plan(const ModelSpec& spec, const std::string& precision, std::int64_t batch,
                        const Trajectories& resident, std::int64_t windows) {
  const double real = precision == "float64" ? 8 : 4;
  const ModelKind& kind = model_kind(spec.kind);
  const Footprint f = kind.footprint ? kind.footprint(spec, resident.ny, resident.nx) : Footprint{};
  const double parameters = 4 * f.parameters;  // values, gradients, Adam's m and v
  const double activations =
      f.per_window * double(std::max<std::int64_t>(1, std::min(batch, windows)));
  const double data = double(resident.samples) * double(resident.frames) * double(resident.ny) *
                      double(resident.nx);
  loop::Plan plan;
  plan.device_bytes = bytes_of(parameters + activations + data, real);
  plan.checkpoint_bytes = bytes_of(3 * f.parameters, real);
  plan.output_bytes = bytes_of(f.parameters, 8);  // model.h5 keeps doubles
  plan.memory_bytes = bytes_of(f.parameters, 8 + 3 * real);
  if (activations >= parameters && activations >= data) {
    plan.size_keys = "train.batch";
  } else if (parameters >= data) {
    for (const HyperParam& p : kind.params)
      if (!std::holds_alternative<double>(p.default_value) &&
          !std::holds_alternative<std::string>(p.default_value))
        plan.size_keys += (plan.size_keys.empty() ? "model." : ", model.") + p.name;
  } else {
    plan.size_keys = "data.train_samples + data.test_samples";
  }
  return plan;
}

void add_learner(loop::Plan& plan, const loop::Plan& learner) {
  const auto add = [](std::uint64_t& a, std::uint64_t b) { a = std::min(a, UINT64_MAX - b) + b; };
  if (plan.device_bytes == 0) plan.device_bytes = plan.checkpoint_bytes;
  if (plan.memory_bytes == 0)
    for (int copy = 0; copy < 2; ++copy) add(plan.memory_bytes, plan.checkpoint_bytes);
  add(plan.device_bytes, learner.device_bytes);
  add(plan.memory_bytes, learner.memory_bytes);
  add(plan.checkpoint_bytes, learner.checkpoint_bytes);
  add(plan.output_bytes, learner.output_bytes);
  plan.size_keys += (plan.size_keys.empty() ? "" : ", or ") + learner.size_keys;
}

loop::Plan plan_train(const io::Case& c) {
  const Trajectories all = data_extent(c);
  Trajectories resident = all;
  resident.samples = c.get_int("data.train_samples") + c.get_int("data.test_samples");
  const ModelSpec spec = model_spec(c);
  const std::int64_t windows =
      c.get_int("data.train_samples") *
      std::max<std::int64_t>(1, all.windows_per_sample(spec.in_channels, spec.out_channels));
  const std::string precision = c.get_string("train.precision");
  loop::Plan plan = learner_plan(spec, precision, c.get_int("train.batch"), resident, windows);
  // read_trajectories' doubles of every sample, the train/test copies, their normalised form.
  const double per_sample = double(all.frames) * double(all.ny) * double(all.nx);
  const std::uint64_t data = bytes_of(
      per_sample, 8 * double(all.samples) +
                      (8 + (precision == "float64" ? 8 : 4)) * double(resident.samples));
  plan.memory_bytes = std::min(plan.memory_bytes, UINT64_MAX - data) + data;
  return plan;
}

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
      check_train,
      plan_train,
      "command",
      nullptr,
      /*splits_across_ranks=*/true,  // data parallel across MPI ranks
      // Every rank holds the same parameters, Adam state and place in the epoch (its window
      // order is a function of seed and epoch, its losses are summed over the ranks): any rank
      // count continues from rank 0's checkpoint.
      /*restarts_on_other_ranks=*/true};
  return k;
}

}  // namespace twinsim::nn
