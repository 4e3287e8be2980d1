#pragma once
// Training a surrogate as a run of the loop library: `twinsim train` is
// loop::run(nn::train_kind(), case, request) on a case of nn::surrogate_case_schema(). The
// trainer is the stepper (one optimizer step per step; time: epochs, fractional mid-epoch);
// operations: the end-of-epoch evaluation with its history.csv row every epoch, and model.h5
// when the run ends (status "complete", or "interrupted" when a stop signal ended it). A
// checkpoint ([checkpoint] every_steps counts optimizer steps) holds the Learner's state
// (learner/*), the trainer's position in its epoch (train/*) and the last losses (history/*);
// the history.csv rows are the loop's (loop/History.hpp), so --restart continues bit for bit.
#include "twinsim/loop/Run.hpp"

namespace twinsim::nn {

// Builds the training run of a validated surrogate case: the data on the backend (the first
// data.train_samples for training, the next data.test_samples for testing), the network
// (random, train.init_from's parameters, or on a restart the checkpoint's), the trainer and its
// operations. Throws core::Error for data that do not fit the case, or an init_from model of
// another architecture.
loop::Run make_train_run(const loop::Setup& setup);

// `twinsim train`: checkpoints of kind "train"; summary.json says "command": "train".
const loop::Kind& train_kind();

}  // namespace twinsim::nn
