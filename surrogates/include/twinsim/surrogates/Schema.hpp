#pragma once
// The case-file sections of `twinsim train` and `twinsim predict`: [data], [model],
// [optimizer], [train], [checkpoint] (io's; every_steps counts optimizer steps), [predict]
// (`twinsim schema` documents them), and the specs they make.
#include <string>
#include <vector>

#include "twinsim/io/Case.hpp"
#include "twinsim/io/Schema.hpp"
#include "twinsim/surrogates/Spec.hpp"

namespace twinsim::nn {

// A case of `twinsim train` / `twinsim predict`: [run] (name, device; no solver), then the
// sections below.
io::Schema surrogate_case_schema();

// [data] [model] [optimizer] [train] [checkpoint] [predict]; without [checkpoint] for
// loop::Kind::add_schema (loop::case_schema adds its own).
void add_surrogate_schema(io::Schema& schema, bool with_checkpoint = true);

// [model] [optimizer] [train] (required, or optional for a solver case's in-situ training)
// and [predict]: the pieces of add_surrogate_schema.
void add_training_schema(io::Schema& schema, bool required);
void add_predict_schema(io::Schema& schema);

// From a validated case. in_channels comes from data.in_frames (a table: its columns).
ModelSpec model_spec(const io::Case& c);
// With the channels given (in-situ training: [samples] in_frames, out_frames).
ModelSpec model_spec(const io::Case& c, int in_channels, int out_channels);
OptimizerSpec optimizer_spec(const io::Case& c);

}  // namespace twinsim::nn
