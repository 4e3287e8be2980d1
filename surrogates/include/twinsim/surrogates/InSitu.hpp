#pragma once
// In-situ training: a solver run with a [train] section trains a surrogate on the trajectories
// the solver completes, in the same process, with no file in between. nn::with_training<K>()
// is solver kind K with the training sections added to its schema ([samples] [model]
// [optimizer] [train]: the keys of `twinsim train`); a case without [train] runs K unchanged.
// With [train], the run's stepper is the solver's and a trainer's together:
//   - every trajectory the solver completes (loop::SampleSource, Samples.hpp) goes into a
//     sample buffer: held-out test trajectories (samples.test, by the run's index) into the
//     test split, the others into `samples.capacity` training slots (full: the oldest is
//     replaced), windows of samples.in_frames frames -> samples.out_frames as twinsim train;
//   - after each trajectory the trainer takes samples.steps_per_sample optimizer steps, and
//     with samples.share > 0, after each advance of the solver, steps until training has had
//     that share of the wall time of the solver and itself (wall-clock driven: not bit for
//     bit across a restart); when
//     the solver has finished it trains on until train.epochs epochs are done (epochs count
//     passes over the buffer's training windows as it was at each epoch's start);
//   - the normalisation (one mean and deviation) is fixed at the first optimizer step, from the
//     training trajectories in the buffer then;
//   - model.h5, history.csv and the summary's train.* figures are twinsim train's; the
//     solver's own output is unchanged.
// A checkpoint holds the solver's state, the trainer's (parameters, Adam moments, where the
// epoch stands) and the buffer (its trajectories, how many came, the normalisation), so a
// restart continues bit for bit. [checkpoint] every_steps counts the solver's steps, then
// optimizer steps once the solver has finished.
//
// With steps_per_sample = 0 and a capacity that holds every training trajectory, training
// starts when the solver ends, on the data `twinsim train` would read from the solver's file:
// the model is the same, bit for bit, on the same backend (test_in_situ).
//
// The buffer lives in the Learner's backend memory (Learner::reserve_slots): a trajectory handed
// over in that memory (the spectral generator's frames on the GPU) is stored and normalised
// there, with no copy to the host. Across MPI ranks (a kind that splits across ranks: the
// spectral 2D ensemble) every rank's buffer gets every trajectory and training is data parallel
// (Learner::train_across), equal to one rank to round-off.
//
// Any kind that declares Kind::samples and whose stepper is a loop::SampleSource can be
// wrapped; solvers never include this library: the program lists
// with_training<spectral::kind_2d>() and with_training<lbm::ensemble_kind>() where it would
// list the kinds themselves (apps/twinsim/runs.cpp), and with_training<md::ensemble_kind>(),
// whose samples are table rows (loop::SampleShape::columns): a row is one window of the MLP,
// normalised per column, as `twinsim train` learns a [data] kind = "table".
#include "twinsim/io/Case.hpp"
#include "twinsim/io/Schema.hpp"
#include "twinsim/loop/Run.hpp"

namespace twinsim::nn {

// [samples] and the optional [model] [optimizer] [train] sections.
void add_in_situ_schema(io::Schema& schema);
// The solver's check, then, with [train]: the solver produces trajectories (Kind::samples),
// in_frames + out_frames fit in one, the test indices exist and leave training trajectories,
// the FNO's modes fit the grid.
void check_in_situ(const loop::Kind& solver, const io::Case& case_file);
// The solver's plan (nullptr: none), with [train] the sample buffer added to each checkpoint.
loop::Plan plan_in_situ(const loop::Kind& solver, const io::Case& case_file);
// The solver's run, with [train] trained in situ.
loop::Run make_in_situ_run(const loop::Kind& solver, const loop::Setup& setup);

template <const loop::Kind& (*Solver)()>
const loop::Kind& with_training() {
  static const loop::Kind k = [] {
    loop::Kind w = Solver();
    w.doc += "; with [train], a surrogate trained in situ on its trajectories";
    w.add_schema = [](io::Schema& schema) {
      Solver().add_schema(schema);
      add_in_situ_schema(schema);
    };
    w.check = [](const io::Case& c) { check_in_situ(Solver(), c); };
    w.make = [](const loop::Setup& setup) { return make_in_situ_run(Solver(), setup); };
    w.plan = [](const io::Case& c) { return plan_in_situ(Solver(), c); };
    return w;
  }();
  return k;
}

}  // namespace twinsim::nn
