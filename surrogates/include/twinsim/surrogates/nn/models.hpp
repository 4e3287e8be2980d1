#pragma once
// The model registry, backend half: each registered kind's network builder on this backend.
// The kinds' descriptions and hyper-parameters are the backend-neutral half (Models.hpp);
// a kind registered there without a builder here fails when a network is built.
#include <memory>
#include <string>
#include <vector>

#include "twinsim/surrogates/Models.hpp"
#include "twinsim/surrogates/nn/models/fno2d.hpp"
#include "twinsim/surrogates/nn/models/mlp.hpp"

namespace twinsim::TWINSIM_BACKEND_NS::nnk {

template <class Real>
using ModelBuilder = std::unique_ptr<Sequential<Real>> (*)(Context<Real>&, const nn::ModelSpec&);

template <class Real>
struct ModelEntry {
  const char* name;
  ModelBuilder<Real> build;
};

// Explicit registration: one line per model.
template <class Real>
const std::vector<ModelEntry<Real>>& model_builders() {
  static const std::vector<ModelEntry<Real>> builders = {{"fno2d", &build_fno2d<Real>},
                                                         {"mlp", &build_mlp<Real>}};
  return builders;
}

// The network of `spec`; parameters are drawn from Philox (ctx.seed, one stream each, in
// construction order).
template <class Real>
std::unique_ptr<Sequential<Real>> build_model(Context<Real>& ctx, const nn::ModelSpec& spec) {
  nn::model_kind(spec.kind);  // an unknown kind: the error lists the registered ones
  for (const ModelEntry<Real>& e : model_builders<Real>())
    if (spec.kind == e.name) return e.build(ctx, spec);
  throw core::Error("model kind '" + spec.kind + "' has no network builder on this backend");
}

}  // namespace twinsim::TWINSIM_BACKEND_NS::nnk
