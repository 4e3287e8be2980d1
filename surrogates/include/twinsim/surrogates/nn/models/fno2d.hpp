#pragma once
// The FNO-2D network (Li et al. 2021) on [batch][in_channels][ny][nx] fields: append (x, y)
// coordinate channels -> pointwise lift to `width` -> `layers` Fourier layers (spectral
// convolution keeping modes x modes Fourier modes + pointwise linear, activation after all but
// the last) -> pointwise `projection` -> activation -> pointwise out_channels. Registered in
// nn/models.hpp; its hyper-parameters are declared in src/models/fno2d.cpp.
#include <memory>
#include <string>

#include "twinsim/surrogates/nn/append_grid.hpp"
#include "twinsim/surrogates/nn/fourier_block.hpp"
#include "twinsim/surrogates/nn/sequential.hpp"

namespace twinsim::TWINSIM_BACKEND_NS::nnk {

template <class Real>
std::unique_ptr<Sequential<Real>> build_fno2d(Context<Real>& ctx, const nn::ModelSpec& spec) {
  const int width = int(spec.integer("width")), modes = int(spec.integer("modes"));
  const int layers = int(spec.integer("layers")), projection = int(spec.integer("projection"));
  const nn::Activation activation = spec.activation();
  auto net = std::make_unique<Sequential<Real>>();
  net->add(std::make_unique<AppendGrid<Real>>());
  net->add(std::make_unique<Linear<Real>>(ctx, "lift", spec.in_channels + 2, width));
  for (int l = 0; l < layers; ++l)
    net->add(std::make_unique<FourierBlock<Real>>(
        ctx, "fourier" + std::to_string(l), width, modes,
        l + 1 < layers ? activation : nn::Activation::identity));
  net->add(std::make_unique<Linear<Real>>(ctx, "project", width, projection));
  net->add(std::make_unique<ActivationLayer<Real>>(activation));
  net->add(std::make_unique<Linear<Real>>(ctx, "output", projection, spec.out_channels));
  return net;
}

}  // namespace twinsim::TWINSIM_BACKEND_NS::nnk
