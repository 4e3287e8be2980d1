#include "twinsim/surrogates/Models.hpp"

#include <fmt/format.h>

#include "twinsim/core/Error.hpp"

namespace twinsim::nn {

const std::vector<ModelKind>& model_kinds() {
  // Explicit registration: one line per model, in the order the documentation lists them.
  static const std::vector<ModelKind> kinds = {fno2d_model_kind(), mlp_model_kind()};
  return kinds;
}

const std::vector<HyperParam>& common_hyper_parameters() {
  static const std::vector<HyperParam> common = {
      {"activation", "Nonlinearity", std::string("gelu"), {}, {"gelu", "relu", "tanh", "silu"}}};
  return common;
}

const ModelKind& model_kind(std::string_view name) {
  std::string names;
  for (const ModelKind& k : model_kinds()) {
    if (k.name == name) return k;
    names += (names.empty() ? "" : ", ") + k.name;
  }
  throw core::Error(fmt::format("unknown model kind '{}' ({})", name, names));
}

std::vector<HyperParam> model_hyper_parameters() {
  std::vector<HyperParam> all;
  const auto add = [&](const HyperParam& p) {
    for (const HyperParam& q : all)
      if (q.name == p.name) return;
    all.push_back(p);
  };
  for (const ModelKind& k : model_kinds())
    for (const HyperParam& p : k.params) add(p);
  for (const HyperParam& p : common_hyper_parameters()) add(p);
  return all;
}

const HyperParam* find_hyper_parameter(const ModelKind& kind, std::string_view name) {
  for (const HyperParam& p : kind.params)
    if (p.name == name) return &p;
  for (const HyperParam& p : common_hyper_parameters())
    if (p.name == name) return &p;
  return nullptr;
}

}  // namespace twinsim::nn
