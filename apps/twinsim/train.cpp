// twinsim train CASE: the surrogates library's training run (nn::train_kind(): model.h5,
// history.csv, checkpoints, --restart) in the run folder, default runs/<run.name>.
#include "surrogate_case.hpp"
#include "twinsim/loop/Run.hpp"
#include "twinsim/surrogates/Train.hpp"

namespace twinsim::app {

int train(const RunOptions& options) {
  const std::optional<io::Case> c = load_surrogate_case(options);
  if (!c) return k_exit_bad_input;
  return loop::run(nn::train_kind(), *c,
                   {options.case_path, options.out, options.overwrite, options.restart, "train"});
}

}  // namespace twinsim::app
