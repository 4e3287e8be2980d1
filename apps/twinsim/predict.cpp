// twinsim predict CASE: the surrogates library's prediction (nn::predict: rollouts or table
// points against the data) in the run folder, default runs/<run.name>_predict. The program
// supplies predict.reference = "lj_jzg" from the MD solver (surrogates may not include it).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "surrogate_case.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/md/JzgEos.hpp"
#include "twinsim/surrogates/Predict.hpp"

namespace twinsim::app {

namespace {

// predict.reference = "lj_jzg": the Johnson-Zollweg-Gubbins equation of state of the
// full-potential LJ fluid for each output column (pressure.mean, potential_energy_per_atom.mean).
std::vector<nn::Reference> lj_jzg_reference(const nn::ModelFile& model) {
  if (model.inputs != std::vector<std::string>{"md.density", "md.temperature"})
    throw core::Error(
        fmt::format("predict.reference = \"lj_jzg\" needs data.inputs = "
                    "[\"md.density\", \"md.temperature\"]; the model has [{}]",
                    fmt::join(model.inputs, ", ")));
  std::vector<nn::Reference> r;
  for (const std::string& o : model.outputs) {
    if (o == "pressure.mean")
      r.push_back([](const double* x) { return md::jzg_pressure(x[0], x[1]); });
    else if (o == "potential_energy_per_atom.mean")
      r.push_back([](const double* x) { return md::jzg_energy_per_particle(x[0], x[1]); });
    else
      throw core::Error(
          fmt::format("predict.reference = \"lj_jzg\": no equation-of-state "
                      "value for output {} (pressure.mean, "
                      "potential_energy_per_atom.mean)",
                      o));
  }
  return r;
}

}  // namespace

int predict(const RunOptions& options) {
  const std::optional<io::Case> c = load_surrogate_case(options);
  if (!c) return k_exit_bad_input;
  return nn::predict(*c, {options.case_path, options.out, options.overwrite, "", "predict"},
                     {{"lj_jzg", lj_jzg_reference}});
}

}  // namespace twinsim::app
