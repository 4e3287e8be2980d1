#pragma once
// The model registry, backend-neutral half: each model kind's name, description and declared
// hyper-parameters (name, doc, default, bounds). The case schema's [model] keys and
// model.kind's choices come from here, and the model file reads back the names declared here.
// The backend half, which builds a kind's network, is nn/models.hpp. Adding a model: its
// description (src/models/<kind>.cpp, listed in src/Models.cpp) and its builder
// (nn/models/<kind>.hpp, listed in nn/models.hpp).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "twinsim/surrogates/Spec.hpp"

namespace twinsim::nn {

struct HyperParam {
  std::string name;
  std::string doc;                       // the [model] key's documentation
  HyperValue default_value;              // also fixes the type
  std::optional<std::int64_t> at_least;  // integers
  std::vector<std::string> choices;      // strings; empty: any
};

// Values (of the training precision) a network holds on the backend, for the trainer's memory
// preflight: its parameters, and for each window of a batch its layers' outputs, their
// gradients and work areas (FFT spectra, per-window weight gradients). An estimate from the
// layers' shapes; doubles, so that absurd sizes do not wrap around.
struct Footprint {
  double parameters = 0;
  double per_window = 0;
};

struct ModelKind {
  std::string name;  // model.kind
  std::string doc;   // one line for model.kind's documentation
  std::vector<HyperParam> params;
  // Its footprint for spec (hyper-parameters and channels) on an ny x nx grid (tables: 1 x 1).
  Footprint (*footprint)(const ModelSpec& spec, std::int64_t ny, std::int64_t nx) = nullptr;
};

// Every registered kind, in registration order.
const std::vector<ModelKind>& model_kinds();
// The kind called `name`; core::Error naming the registered kinds otherwise.
const ModelKind& model_kind(std::string_view name);
// Hyper-parameters every model has (activation), after each kind's own.
const std::vector<HyperParam>& common_hyper_parameters();
// All [model] keys but kind: each kind's hyper-parameters in registration order (a name
// declared by two kinds once, first declaration), then the common ones.
std::vector<HyperParam> model_hyper_parameters();
// The declaration of `name` for `kind` (its own or a common one), or nullptr.
const HyperParam* find_hyper_parameter(const ModelKind& kind, std::string_view name);

// Kind description of one registered model (src/models/*.cpp).
ModelKind fno2d_model_kind();
ModelKind mlp_model_kind();

}  // namespace twinsim::nn
