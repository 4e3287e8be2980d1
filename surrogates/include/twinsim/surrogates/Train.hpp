#pragma once
// Training a surrogate as a run of the loop library: `twinsim train` is
// loop::run(nn::train_kind(), case, request) on a case of nn::surrogate_case_schema(). The
// trainer is the stepper (one optimizer step per step; time: epochs, fractional mid-epoch);
// operations: the end-of-epoch evaluation with its history.csv row every epoch, and model.h5
// when the run ends (status "complete", or "interrupted" when a stop signal ended it). A
// checkpoint ([checkpoint] every_steps counts optimizer steps) holds the Learner's state
// (learner/*), the trainer's position in its epoch (train/*) and the last losses (history/*);
// the history.csv rows are the loop's (loop/History.hpp), so --restart continues bit for bit.
#include <cstdint>
#include <string>

#include "twinsim/loop/Run.hpp"
#include "twinsim/surrogates/Learner.hpp"
#include "twinsim/surrogates/Spec.hpp"

namespace twinsim::nn {

// What a Learner holds and writes, for the preflight (loop::Plan): on the backend (device_bytes)
// the parameters, their gradients and Adam's two moments, the activations of a batch of
// min(batch, windows) windows (the model kind's Footprint) and the `resident` trajectories; in
// host memory (memory_bytes) the model file's and a checkpoint's copies of the parameters; a
// checkpoint (parameters and moments) and model.h5. size_keys names what dominates: train.batch,
// the [model] sizes, or the samples. precision: "float32" or "float64".
loop::Plan learner_plan(const ModelSpec& spec, const std::string& precision, std::int64_t batch,
                        const Trajectories& resident, std::int64_t windows);

// Adds a learner's plan to a solver's (in-situ training): the solver's lower bounds (0 =
// derived from checkpoint_bytes) made explicit first, then each figure added; size_keys joined.
void add_learner(loop::Plan& plan, const loop::Plan& learner);

// The training run's plan: learner_plan for the case's data, and in host memory the data as
// read (every sample of data.files in doubles) with its train/test copies.
loop::Plan plan_train(const io::Case& case_file);

// Builds the training run of a validated surrogate case: the data on the backend (the first
// data.train_samples for training, the next data.test_samples for testing), the network
// (random, train.init_from's parameters, or on a restart the checkpoint's), the trainer and its
// operations. Throws core::Error for data that do not fit the case, or an init_from model of
// another architecture.
loop::Run make_train_run(const loop::Setup& setup);

// `twinsim train`: checkpoints of kind "train"; summary.json says "command": "train".
const loop::Kind& train_kind();

}  // namespace twinsim::nn
