// twinsim predict CASE: the surrogates library's prediction (nn::predict: rollouts or table
// points against the data) in the run folder, default runs/<run.name>_predict. The program
// supplies predict.reference = "lj_jzg" from the MD solver (surrogates may not include it).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "surrogate_case.hpp"
#include <spdlog/spdlog.h>

#include <type_traits>
#include <variant>

#include "twinsim/core/Error.hpp"
#include "twinsim/md/JzgEos.hpp"
#include "twinsim/surrogates/ModelFile.hpp"
#include "twinsim/surrogates/Models.hpp"
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

std::string text_of(const nn::HyperValue& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) return fmt::format("\"{}\"", x);
        else if constexpr (std::is_same_v<T, std::vector<std::int64_t>>)
          return fmt::format("[{}]", fmt::join(x, ", "));
        else return fmt::format("{}", x);
      },
      v);
}

// The case's [model] and [data] against the model file's architecture: each key that differs,
// as "key = case value (the model file: value)".
std::vector<std::string> architecture_differences(const io::Case& c, const nn::ModelFile& m) {
  const nn::ModelSpec want = nn::model_spec(c);
  const bool table = c.get_string("data.kind") == "table";
  std::vector<std::string> d;
  if (want.kind != m.model.kind)
    return {fmt::format("model.kind = \"{}\" (the model file: \"{}\")", want.kind,
                        m.model.kind)};
  if (want.in_channels != m.model.in_channels)
    d.push_back(fmt::format("{} = {} (the model file: {})",
                            table ? "the data.inputs count" : "data.in_frames", want.in_channels,
                            m.model.in_channels));
  if (want.out_channels != m.model.out_channels)
    d.push_back(fmt::format("{} = {} (the model file: {})",
                            table ? "the data.outputs count" : "data.out_frames",
                            want.out_channels, m.model.out_channels));
  const nn::ModelKind& kind = nn::model_kind(want.kind);
  for (const auto& [name, value] : want.params.items()) {
    if (!nn::find_hyper_parameter(kind, name)) continue;  // another kind's key
    const nn::HyperValue* theirs = m.model.params.find(name);
    if (!theirs || *theirs != value)
      d.push_back(fmt::format("model.{} = {} (the model file: {})", name, text_of(value),
                              theirs ? text_of(*theirs) : "absent"));
  }
  return d;
}

}  // namespace

void check_predict_case(const io::Case& c) {
  nn::check_data(c);
  const std::string named = c.get_string("predict.model");
  const std::string path =
      named.empty() ? fmt::format("runs/{}/model.h5", c.get_string("run.name")) : named;
  nn::ModelFile m;
  try {
    m = nn::read_model_file(path);
  } catch (const core::Error& e) {
    throw core::Error(fmt::format("predict.model: {}", e.what()));
  }
  const std::vector<std::string> d = architecture_differences(c, m);
  if (!d.empty())
    throw core::Error(fmt::format(
        "predict.model: {} was trained with another architecture than this case describes: "
        "{}; predict rebuilds the network from the model file, so set these keys as the model "
        "file has them (the case then says what ran), or name the matching model",
        path, fmt::join(d, "; ")));
  if (m.status != "complete")
    spdlog::warn("predict.model: {} is from training that did not finish (status {}, {} "
                 "epochs done): its predictions are those of a partly trained network",
                 path, m.status, m.epoch);
}

int predict(const RunOptions& options) {
  const std::optional<io::Case> c = load_case_file(options, surrogate_case_schema(),
                                                   check_predict_case);
  if (!c) return k_exit_bad_input;
  return nn::predict(*c, {options.case_path, options.out, options.overwrite, "", "predict"},
                     {{"lj_jzg", lj_jzg_reference}});
}

}  // namespace twinsim::app
