#pragma once
// The MLP: in_channels -> hidden[0] -> ... -> out_channels, activation between layers. Linear
// maps the channel axis of each point, so on a table (a 1 x 1 grid) it is fully connected.
// Registered in nn/models.hpp; its hyper-parameters are declared in src/models/mlp.cpp.
#include <memory>
#include <string>

#include "twinsim/surrogates/nn/activation.hpp"
#include "twinsim/surrogates/nn/linear.hpp"
#include "twinsim/surrogates/nn/sequential.hpp"

namespace twinsim::TWINSIM_BACKEND_NS::nnk {

template <class Real>
std::unique_ptr<Sequential<Real>> build_mlp(Context<Real>& ctx, const nn::ModelSpec& spec) {
  const std::vector<std::int64_t>& hidden = spec.integers("hidden");
  const nn::Activation activation = spec.activation();
  auto net = std::make_unique<Sequential<Real>>();
  int in = spec.in_channels;
  for (std::size_t i = 0; i < hidden.size(); ++i) {
    net->add(std::make_unique<Linear<Real>>(ctx, "hidden" + std::to_string(i), in, int(hidden[i])));
    net->add(std::make_unique<ActivationLayer<Real>>(activation));
    in = int(hidden[i]);
  }
  net->add(std::make_unique<Linear<Real>>(ctx, "output", in, spec.out_channels));
  return net;
}

}  // namespace twinsim::TWINSIM_BACKEND_NS::nnk
