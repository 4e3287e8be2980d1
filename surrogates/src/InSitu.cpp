// In-situ training (InSitu.hpp): the solver's stepper and a trainer as one stepper of the loop,
// with the sample buffer between them.
#include "twinsim/surrogates/InSitu.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <tuple>
#include <utility>

#include "training.hpp"
#include "twinsim/core/Comm.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/Timers.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/surrogates/Data.hpp"
#include "twinsim/surrogates/Learner.hpp"
#include "twinsim/surrogates/Schema.hpp"
#include "twinsim/surrogates/Train.hpp"

namespace twinsim::nn {

namespace {

using detail::EpochReport;
using detail::ModelOutput;
using detail::Trainer;

// Where the trajectories (or table rows) handed over so far lie: the held-out test ones in
// test slots in the order they came, and `capacity` training slots filled in order, then each
// new one replacing the oldest. The values themselves are the Learner's, in its backend's
// memory (Learner::reserve_slots); this is the bookkeeping.
struct SampleBuffer {
  std::int64_t capacity = 0;
  std::set<std::int64_t> test_ids;  // the run's indices held out
  std::int64_t seen = 0;            // training trajectories received
  std::int64_t tests = 0;           // test trajectories received

  std::int64_t train_count() const { return std::min(seen, capacity); }

  // The split and slot of trajectory `index`, counted as received.
  std::pair<Split, std::int64_t> add(std::int64_t index) {
    if (test_ids.count(index)) return {Split::test, tests++};
    return {Split::train, seen++ % capacity};
  }
};

// The solver's stepper with a trainer: step() counts the solver's steps, then the optimizer
// steps taken after it finished; time() is the solver's. The trainer's optimizer steps while
// the solver runs happen inside advance(), after each completed trajectory.
template <class Real>
class InSitu final : public loop::Stepper, public loop::SampleSink {
 public:
  InSitu(std::unique_ptr<loop::Stepper> solver, std::unique_ptr<Trainer<Real>> trainer,
         EpochReport<Real>& report, const loop::SampleShape& shape, SampleBuffer buffer,
         std::int64_t steps_per_sample, double share)
      : m_solver(std::move(solver)),
        m_trainer(std::move(trainer)),
        m_learner(m_trainer->learner()),
        m_report(report),
        m_shape(shape),
        m_buffer(std::move(buffer)),
        m_steps_per_sample(steps_per_sample),
        m_share(share) {}

  // Into its slot in the Learner's memory, normalised there once the normalisation is fixed:
  // a source's values in the Learner's backend memory are not copied (Learner::fill_slot).
  void add(std::int64_t index, const loop::SampleSpan& values) override {
    const auto [split, slot] = m_buffer.add(index);
    m_learner.fill_slot(split, slot, values.values, values.single, values.memory);
    if (split == Split::train) m_due += m_steps_per_sample;
    count_samples();
  }

  std::int64_t step() const override { return m_solver->step() + m_after; }
  double time() const override { return m_solver->time(); }
  bool finished() const override {
    return m_solver->finished() && (m_trainer->finished() || m_buffer.train_count() == 0);
  }
  // The solver's (the progress line keeps the unit it started with); training after the
  // solver reports itself in history rows, one per epoch.
  loop::Position position() const override { return m_solver->position(); }

  void advance(std::int64_t steps, double until) override {
    if (!m_solver->finished()) {
      const auto t0 = std::chrono::steady_clock::now();
      m_solver->advance(steps, until);
      m_solver_s += core::seconds_since(t0);
      const double before = m_train_s;
      for (std::int64_t due = std::exchange(m_due, 0); due > 0;) {
        const std::int64_t n = train(due);
        if (n == 0) break;
        due -= n;
      }
      // samples.share: optimizer steps until training has had its share of the wall time
      // the solver and the training took so far (one step past it at most).
      while (m_share > 0 && m_during_s + (m_train_s - before) <
                                m_share * (m_solver_s + m_during_s + (m_train_s - before)))
        if (train(1) == 0) break;
      m_during_s += m_train_s - before;
      m_during_steps = m_trainer->step();
      return;
    }
    m_after += train(steps);
  }
  void synchronize() override { m_solver->synchronize(); }
  // Each part checks its own state where it lives (the solver's check, the trainer's on the
  // backend); the buffer holds what the solver handed over finite.
  bool non_finite() const override { return m_solver->non_finite() || m_trainer->non_finite(); }
  std::string divergence_cause() const override {
    return m_solver->non_finite() ? m_solver->divergence_cause() : m_trainer->divergence_cause();
  }

  void save(io::StateWriter& out) const override {
    m_solver->save(out);
    m_trainer->save(out);
    out.put("buffer/seen", m_buffer.seen);
    out.put("buffer/tests", m_buffer.tests);
    // The values as handed over until the normalisation is fixed, then the normalised ones (the
    // Learner keeps those alone).
    if (m_normalised) {
      out.put("buffer/train_normalised", m_learner.normalised_slots_to_host(Split::train));
      out.put("buffer/test_normalised", m_learner.normalised_slots_to_host(Split::test));
    } else {
      out.put("buffer/train", m_learner.slots_to_host(Split::train));
      out.put("buffer/test", m_learner.slots_to_host(Split::test));
    }
    out.put("insitu/after", m_after);
    out.put("insitu/normalised", std::int64_t(m_normalised));
    out.put("insitu/mean", m_trainer->file().normalisation.mean);
    out.put("insitu/std", m_trainer->file().normalisation.std);
    std::vector<double> column_mean, column_std;
    for (const Normalisation& n : m_trainer->file().column_normalisation) {
      column_mean.push_back(n.mean);
      column_std.push_back(n.std);
    }
    out.put("insitu/column_mean", column_mean);
    out.put("insitu/column_std", column_std);
    out.put("insitu/train_s", m_train_s);
    out.put("insitu/solver_s", m_solver_s);
    out.put("insitu/during_s", m_during_s);
    out.put("insitu/during_steps", m_during_steps);
  }
  void load(const io::StateReader& in) override {
    m_solver->load(in);
    m_trainer->load(in);
    m_buffer.seen = in.get_int("buffer/seen");
    m_buffer.tests = in.get_int("buffer/tests");
    count_samples();
    m_after = in.get_int("insitu/after");
    m_normalised = in.get_int("insitu/normalised") != 0;
    m_trainer->file().normalisation = {in.get_double("insitu/mean"), in.get_double("insitu/std")};
    // Checkpoints from before tables lack these.
    if (in.has("insitu/column_mean")) {
      const std::vector<double> mean = in.get<double>("insitu/column_mean"),
                                std = in.get<double>("insitu/column_std");
      m_trainer->file().column_normalisation.clear();
      for (std::size_t k = 0; k < mean.size(); ++k)
        m_trainer->file().column_normalisation.push_back({mean[k], std[k]});
    }
    m_train_s = in.get_double("insitu/train_s");
    // Checkpoints from before samples.share lack these.
    m_solver_s = in.has("insitu/solver_s") ? in.get_double("insitu/solver_s") : 0.0;
    m_during_s = in.has("insitu/during_s") ? in.get_double("insitu/during_s") : 0.0;
    m_during_steps = in.has("insitu/during_steps") ? in.get_int("insitu/during_steps") : 0;
    // Checkpoints from before the Learner let the values as handed over go hold those alone.
    const bool as_held = in.has("buffer/train_normalised");
    if (as_held) normalise_slots();  // fixes the normalisation; no slot is filled yet
    const std::int64_t values = m_shape.frames * m_shape.ny * m_shape.nx;
    for (const auto& [split, count, name] :
         {std::tuple{Split::train, m_buffer.train_count(), "buffer/train"},
          std::tuple{Split::test, m_buffer.tests, "buffer/test"}}) {
      const std::size_t n = std::size_t(count * values);
      if (as_held) {
        std::vector<Real> h(n);
        in.get(std::string(name) + "_normalised", h.data(), n);
        m_learner.normalised_slots_from_host(split, count, h);
      } else {
        std::vector<double> h(n);
        in.get(name, h.data(), n);
        m_learner.slots_from_host(split, count, h);
      }
    }
    if (m_normalised && !as_held) normalise_slots();
  }

  // The solver's figures with its time stepping alone (the "advance" phase less the training
  // inside it), then the trainer's.
  void summarize(io::Summary& sum, const core::Timers& timers) const override {
    core::Timers solver = timers;
    solver.add("advance", -m_train_s);
    m_solver->summarize(sum, solver);
    m_trainer->summarize(sum, timers);
    sum.set("in_situ.capacity", m_buffer.capacity);
    sum.set("in_situ.trajectories_trained_on", m_buffer.seen);
    sum.set("in_situ.test_trajectories", m_buffer.tests);
    sum.set("in_situ.steps_per_sample", m_steps_per_sample);
    sum.set("in_situ.share", m_share);
    sum.set("in_situ.solver_s", m_solver_s);
    sum.set("in_situ.train_s_while_solving", m_during_s);
    sum.set("in_situ.optimizer_steps_while_solving", m_during_steps);
    sum.set("timing.in_situ_train_s", m_train_s);
  }

 private:
  // Up to `steps` optimizer steps, to the end of the current epoch at most (the history row is
  // written there); returns the steps taken.
  std::int64_t train(std::int64_t steps) {
    if (steps <= 0 || m_trainer->finished() || m_buffer.train_count() == 0) return 0;
    const auto t0 = std::chrono::steady_clock::now();
    if (!m_normalised) {
      normalise();
      m_normalised = true;
    }
    const std::int64_t step = m_trainer->step(), epoch = m_trainer->epochs_done();
    m_trainer->advance(steps, loop::k_no_time_limit);
    if (m_trainer->epochs_done() != epoch) m_report.fire();
    m_train_s += core::seconds_since(t0);
    return m_trainer->step() - step;
  }

  // Trajectories: one mean and deviation (as twinsim train's); a table: one per column. From
  // the training slots' values, read back once (the same sums as twinsim train's on the host).
  void normalise() {
    ModelFile& file = m_trainer->file();
    const std::vector<double> train = m_learner.slots_to_host(Split::train);
    if (m_shape.table()) {
      const auto inputs = m_shape.columns.begin() + m_shape.inputs;
      TableSet t{{m_shape.columns.begin(), inputs}, {inputs, m_shape.columns.end()}, {}, train};
      t.rows.resize(train.size() / m_shape.columns.size());
      file.column_normalisation = column_normalisations(t);
      spdlog::info("in situ: normalisation per column from {} rows", m_buffer.train_count());
    } else {
      file.normalisation = normalisation_of(train);
      spdlog::info("in situ: normalisation mean {:.4g}, std {:.4g} from {} trajectories",
                   file.normalisation.mean, file.normalisation.std, m_buffer.train_count());
    }
    normalise_slots();
  }

  // The model file's sample counts.
  void count_samples() {
    m_trainer->file().train_samples = m_buffer.train_count();
    m_trainer->file().test_samples = m_buffer.tests;
  }

  // The fixed normalisation to the Learner: the slots filled so far normalised in place, every
  // later one as it is filled.
  void normalise_slots() {
    const ModelFile& file = m_trainer->file();
    std::vector<double> mean, std;
    if (m_shape.table()) {
      for (const Normalisation& n : file.column_normalisation) {
        mean.push_back(n.mean);
        std.push_back(n.std);
      }
    } else {
      mean = {file.normalisation.mean};
      std = {file.normalisation.std};
    }
    m_learner.normalise_slots(mean, std);
  }

  std::unique_ptr<loop::Stepper> m_solver;
  std::unique_ptr<Trainer<Real>> m_trainer;
  Learner<Real>& m_learner;  // the trainer's, which holds the sample buffer's values
  EpochReport<Real>& m_report;
  loop::SampleShape m_shape;
  SampleBuffer m_buffer;
  std::int64_t m_steps_per_sample;
  double m_share;            // samples.share of the wall time for training while solving
  std::int64_t m_due = 0;    // optimizer steps owed for the trajectories of this advance
  std::int64_t m_after = 0;  // optimizer steps taken after the solver finished
  bool m_normalised = false;
  double m_train_s = 0;    // seconds training in situ (restarts included)
  double m_solver_s = 0;   // seconds in the solver's advance (restarts included)
  double m_during_s = 0;   // seconds training while the solver ran (restarts included)
  std::int64_t m_during_steps = 0;  // optimizer steps taken while the solver ran
};

template <class Real>
loop::Run make_run(const loop::Kind& solver, const loop::Setup& setup) {
  const io::Case& c = setup.case_file;
  const loop::SampleShape shape = solver.samples(c);
  loop::Run run = solver.make(setup);
  auto* source = dynamic_cast<loop::SampleSource*>(run.stepper.get());
  if (!source)
    throw core::Error(
        fmt::format("run.solver = \"{}\" hands over no trajectories: no in-situ "
                    "training",
                    solver.name));

  // A table's row is one window: its input columns -> its output columns.
  const ModelSpec spec =
      shape.table()
          ? model_spec(c, int(shape.inputs), int(shape.frames - shape.inputs))
          : model_spec(c, int(c.get_int("samples.in_frames")), int(c.get_int("samples.out_frames")));
  const OptimizerSpec optimizer = optimizer_spec(c);
  const std::uint64_t seed = std::uint64_t(c.get_int("train.seed"));
  auto learner = make_learner<Real>(setup.backend, spec, optimizer,
                                    loss_from_string(c.get_string("train.loss")), seed);
  learner->set_rollout_steps(int(c.get_int("train.rollout_steps")));
  if (!setup.restart) detail::start_from(*learner, spec, c.get_string("train.init_from"));
  // Across ranks every rank's buffer gets every trajectory (loop::SampleSource), so training is
  // data parallel as `twinsim train`'s: each rank its part of every batch, gradients averaged.
  core::Comm& comm = core::world();
  if (comm.size() > 1) {
    learner->train_across(comm);
    detail::require_ranks_agree(*learner, comm, "at the start");
    spdlog::info("in situ: data parallel over {} ranks", comm.size());
  }

  SampleBuffer buffer;
  const auto& tests = c.get_ints("samples.test");
  buffer.test_ids = {tests.begin(), tests.end()};
  const std::int64_t trainable = shape.count - std::int64_t(buffer.test_ids.size());
  const std::int64_t capacity = c.get_int("samples.capacity");
  buffer.capacity = capacity > 0 ? std::min(capacity, trainable) : trainable;
  learner->reserve_slots(Split::train, {buffer.capacity, shape.frames, shape.ny, shape.nx});
  learner->reserve_slots(Split::test,
                         {std::int64_t(buffer.test_ids.size()), shape.frames, shape.ny, shape.nx});

  ModelFile file;
  file.model = spec;
  file.precision = c.get_string("train.precision");
  file.dataset = "in situ: " + shape.field;
  if (shape.table()) {
    file.data_kind = "table";
    file.inputs.assign(shape.columns.begin(), shape.columns.begin() + shape.inputs);
    file.outputs.assign(shape.columns.begin() + shape.inputs, shape.columns.end());
  }
  file.frames = shape.frames;
  file.ny = shape.ny;
  file.nx = shape.nx;
  file.loss = c.get_string("train.loss");
  file.case_text = c.resolved_text();
  spdlog::info(
      "in situ: model {} of {} parameters; buffer of {} training trajectories ({} of "
      "{} frames of {} x {}), {} held out; {} optimizer steps per trajectory",
      spec.kind, learner->parameter_count(), buffer.capacity, trainable, shape.frames, shape.ny,
      shape.nx, buffer.test_ids.size(), c.get_int("samples.steps_per_sample"));

  auto trainer = std::make_unique<Trainer<Real>>(std::move(learner), std::move(file), optimizer,
                                                 seed, int(c.get_int("train.batch")),
                                                 int(c.get_int("train.epochs")));
  // Both fire never by a trigger: the stepper writes the history row at each epoch's end, the
  // model file is written when the run ends.
  auto& report = static_cast<EpochReport<Real>&>(
      run.add(std::make_unique<EpochReport<Real>>(*trainer),
              loop::Trigger{}));
  run.add(std::make_unique<ModelOutput<Real>>(*trainer, setup.dir.file("model.h5")),
          loop::Trigger{});
  auto stepper =
      std::make_unique<InSitu<Real>>(std::move(run.stepper), std::move(trainer), report, shape,
                                     std::move(buffer), c.get_int("samples.steps_per_sample"),
                                     c.get_float("samples.share"));
  source->set_sink(stepper.get(), c.get_bool("samples.write"));
  run.stepper = std::move(stepper);
  return run;
}

}  // namespace

void add_in_situ_schema(io::Schema& schema) {
  // The whole schema (twinsim schema) lists every wrapped kind: the sections once.
  if (schema.find("samples")) return;
  schema
      .section("samples",
               "In-situ training (with [train]): the trajectories the solver "
               "completes go into a sample buffer the trainer learns from while "
               "the solver runs")
      .key_int("in_frames", "Frames the model sees (as data.in_frames of twinsim train; "
                            "not used for table rows, whose inputs the solver names)")
      .default_value(10)
      .at_least(1)
      .key_int("out_frames", "Frames the model predicts per step")
      .default_value(1)
      .at_least(1)
      .key_int("capacity",
               "Training trajectories the buffer holds (full: each new one "
               "replaces the oldest); 0: all the run's")
      .default_value(0)
      .at_least(0)
      .key_ints("test",
                "Indices (0-based, of the run's trajectories; spectral: sample i has "
                "seed spectral.seed + first_sample + i; lbm_ensemble: member i has "
                "Reynolds number lbm.ensemble.reynolds[i]; md_ensemble: member i is state point "
                "(md.ensemble.density[i], md.ensemble.temperature[i])) held out for testing")
      .default_value(std::vector<std::int64_t>{})
      .key_int("steps_per_sample",
               "Optimizer steps after each training trajectory the solver "
               "completes; 0 (and share 0): training starts when the solver ends. The "
               "epochs of train.epochs not done by then follow")
      .default_value(0)
      .at_least(0)
      .key_float("share",
                 "Share of the wall time for training while the solver runs: after each "
                 "advance of the solver the trainer takes optimizer steps until its seconds "
                 "reach this share of the solver's and its own (besides steps_per_sample); "
                 "0: off. Wall-clock driven: a restart continues, but not bit for bit")
      .default_value(0.0)
      .at_least(0.0)
      .less_than(1.0)
      .key_bool("write",
                "false: the trajectories go to the training only, not into the "
                "solver's output file (which keeps its descriptions and no rows)")
      .default_value(true);
  add_training_schema(schema, false);
}

void check_in_situ(const loop::Kind& solver, const io::Case& c) {
  if (solver.check) solver.check(c);
  if (!c.has_section("train")) {
    for (const char* section : {"samples", "model", "optimizer"})
      if (c.has_section(section))
        throw core::Error(
            fmt::format("[{}] trains a surrogate in situ only with a [train] "
                        "section (none here)",
                        section));
    return;
  }
  // Across ranks, data parallel (Learner::train_across): every rank takes the same steps.
  const int ranks = core::world().size();
  if (ranks > 1 && c.get_int("train.batch") < ranks)
    throw core::Error(fmt::format("train.batch = {} is less than the {} MPI ranks: each rank "
                                  "trains a part of every batch; choose train.batch >= {}",
                                  c.get_int("train.batch"), ranks, ranks));
  if (ranks > 1 && c.get_float("samples.share") > 0)
    throw core::Error(fmt::format("samples.share = {}: a share of the wall time gives each of "
                                  "the {} MPI ranks its own step count, but data-parallel "
                                  "training steps together; use samples.steps_per_sample",
                                  c.get_float("samples.share"), ranks));
  if (!solver.samples)
    throw core::Error(
        fmt::format("[train]: run.solver = \"{}\" produces no trajectories to "
                    "train on in situ",
                    solver.name));
  const loop::SampleShape shape = solver.samples(c);
  const std::int64_t in = c.get_int("samples.in_frames"), out = c.get_int("samples.out_frames");
  const std::int64_t k = c.get_int("train.rollout_steps");
  if (shape.table()) {
    // A row is one window, its input columns -> its output columns: no frames, no rollout.
    if (c.get_string("model.kind") != "mlp")
      throw core::Error(fmt::format("model.kind = \"{}\": run.solver = \"{}\" hands over table "
                                    "rows ({}), learned by model.kind = \"mlp\"",
                                    c.get_string("model.kind"), solver.name,
                                    fmt::join(shape.columns, ", ")));
    if (k != 1)
      throw core::Error(fmt::format("train.rollout_steps = {}: table rows have no time axis to "
                                    "roll out; leave it at 1", k));
  } else if (in + k * out > shape.frames)
    throw core::Error(
        fmt::format("samples.in_frames + train.rollout_steps x samples.out_frames "
                    "= {} but the run's trajectories have {} frames",
                    in + k * out, shape.frames));
  const auto& tests = c.get_ints("samples.test");
  const std::set<std::int64_t> ids(tests.begin(), tests.end());
  for (const std::int64_t i : tests)
    if (i < 0 || i >= shape.count)
      throw core::Error(
          fmt::format("samples.test: index {} is not one of the run's {} "
                      "trajectories (0 .. {})",
                      i, shape.count, shape.count - 1));
  if (ids.size() != tests.size()) throw core::Error("samples.test: an index is listed twice");
  if (std::int64_t(ids.size()) >= shape.count)
    throw core::Error(
        fmt::format("samples.test holds all {} trajectories of the run: none is "
                    "left to train on",
                    shape.count));
  const ModelSpec spec = model_spec(c, int(in), int(out));
  if (spec.kind == "fno2d") {
    const std::int64_t modes = spec.integer("modes");
    if (2 * modes > std::min(shape.ny, shape.nx))
      throw core::Error(
          fmt::format("model.modes = {} but the trajectories' {} x {} grid "
                      "allows at most {}",
                      modes, shape.ny, shape.nx, std::min(shape.ny, shape.nx) / 2));
  }
}

loop::Plan plan_in_situ(const loop::Kind& solver, const io::Case& c) {
  loop::Plan plan = solver.plan ? solver.plan(c) : loop::Plan{};
  if (!c.has_section("train")) return plan;
  // The buffer at its fullest: the training slots and the test trajectories.
  const loop::SampleShape shape = solver.samples(c);
  const std::int64_t tests = std::int64_t(c.get_ints("samples.test").size());
  const std::int64_t capacity = c.get_int("samples.capacity");
  const std::int64_t slots =
      capacity > 0 ? std::min(capacity, shape.count - tests) : shape.count - tests;
  const std::uint64_t values = std::uint64_t((slots + tests) * shape.frames * shape.ny * shape.nx);
  // The learner: parameters, a batch's activations and the buffer's normalised trajectories on
  // the backend (the solver's own lower bounds made explicit first).
  const std::int64_t in = shape.table() ? shape.inputs : c.get_int("samples.in_frames");
  const std::int64_t out = shape.table() ? std::int64_t(shape.columns.size()) - shape.inputs
                                         : c.get_int("samples.out_frames");
  const Trajectories resident{slots + tests, shape.frames, shape.ny, shape.nx};
  add_learner(plan, learner_plan(model_spec(c, int(in), int(out)),
                                 c.get_string("train.precision"), c.get_int("train.batch"),
                                 resident, slots * resident.windows_per_sample(int(in), int(out))));
  // Beside the normalised copy, the values as handed over, in doubles: in host memory until the
  // normalisation is fixed, and in the checkpoints written until then (later ones hold the
  // normalised copy).
  const auto add = [](std::uint64_t& a, std::uint64_t b) { a = std::min(a, UINT64_MAX - b) + b; };
  add(plan.memory_bytes, values * sizeof(double));
  add(plan.checkpoint_bytes, values * sizeof(double));
  return plan;
}

loop::Run make_in_situ_run(const loop::Kind& solver, const loop::Setup& setup) {
  if (!setup.case_file.has_section("train")) return solver.make(setup);
  return setup.case_file.get_string("train.precision") == "float64"
             ? make_run<double>(solver, setup)
             : make_run<float>(solver, setup);
}

}  // namespace twinsim::nn
