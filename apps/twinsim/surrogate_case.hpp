#pragma once
// What `twinsim train`, `predict`, `check` and `schema` share about surrogate cases: their
// schema (the surrogates library's: [run] name and device, no solver) and loading one.
#include <optional>

#include "commands.hpp"
#include "run_support.hpp"
#include "twinsim/io/Case.hpp"
#include "twinsim/io/Schema.hpp"
#include "twinsim/surrogates/Data.hpp"
#include "twinsim/surrogates/Schema.hpp"

namespace twinsim::app {

inline io::Schema surrogate_case_schema() { return nn::surrogate_case_schema(); }

// The validated case, or nothing after printing every problem (exit status 2 follows).
inline std::optional<io::Case> load_surrogate_case(const RunOptions& options) {
  return load_case_file(options, surrogate_case_schema(), nn::check_data);
}

// twinsim predict's refusals before its run folder (also `twinsim check` of a case that names
// predict.model): the data as for training, and a model file that opens and has the
// architecture the case's [model] and [data] describe. Warns when its training did not finish.
void check_predict_case(const io::Case& c);

}  // namespace twinsim::app
