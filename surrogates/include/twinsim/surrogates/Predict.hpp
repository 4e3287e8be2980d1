#pragma once
// `twinsim predict`: a trained model against the data it was trained for. Trajectory models are
// rolled forward from the first in_frames snapshots of each trajectory and written like a
// solver's output (<name>.h5 + .xmf, rollout_errors.csv), with their error per rollout step and
// their speed against the solver that made the data; table models are evaluated at the case's
// rows and on a grid (predictions.csv), against the data and optionally an equation of state.
// Not a loop::Kind: one timed rollout, nothing to checkpoint or continue.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "twinsim/io/Case.hpp"
#include "twinsim/loop/Run.hpp"
#include "twinsim/surrogates/ModelFile.hpp"

namespace twinsim::nn {

// A reference value (an equation of state) at a table row's inputs, in the units of the data.
using Reference = std::function<double(const double* inputs)>;
// What predict.reference may name, each made for a model: one Reference per output column, or
// core::Error when the model's inputs or outputs are not the reference's. The program supplies
// them (lj_jzg: the JZG equation of state lives in the MD solver, which surrogates may not
// include).
using ReferenceMaker = std::function<std::vector<Reference>(const ModelFile& model)>;
using References = std::map<std::string, ReferenceMaker>;

// The whole command on a validated case of surrogate_case_schema(): reads the model
// (predict.model, default runs/<run.name>/model.h5), selects the backend, creates the run folder
// (request.out, default runs/<run.name>_predict; no restarts) with case.toml and log.txt,
// predicts, writes summary.json ("command": "predict"). Returns the exit status: loop::k_exit_ok,
// k_exit_failed, or k_exit_bad_input (no model file, no folder: nothing ran).
int predict(const io::Case& case_file, const loop::Request& request,
            const References& references = {});

}  // namespace twinsim::nn
