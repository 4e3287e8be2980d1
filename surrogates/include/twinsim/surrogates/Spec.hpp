#pragma once
// What a network, its loss and its optimizer are, as plain values built from a case file
// (Schema.hpp) or read back from a model file (ModelFile.hpp).
#include <string>
#include <string_view>
#include <vector>

#include "twinsim/surrogates/nn/kernels.hpp"

namespace twinsim::nn {

std::string_view to_string(Activation a);
Activation activation_from_string(std::string_view name);  // throws core::Error

// kind "fno2d": Fourier Neural Operator on [batch][in_channels][ny][nx] fields (Li et al. 2021):
//   append (x, y) coordinate channels -> pointwise lift to `width` -> `layers` Fourier layers
//   (spectral convolution keeping modes x modes Fourier modes + pointwise linear, activation
//   after all but the last) -> pointwise `projection` -> activation -> pointwise out_channels.
// kind "mlp": in_channels -> hidden[0] -> ... -> out_channels, activation between layers.
struct ModelSpec {
  std::string kind = "fno2d";
  int in_channels = 10;
  int out_channels = 1;
  int width = 20;
  int modes = 12;
  int layers = 4;
  int projection = 128;
  std::vector<int> hidden;
  Activation activation = Activation::gelu;
};

enum class LossKind { mse, relative_l2 };
std::string_view to_string(LossKind k);
LossKind loss_from_string(std::string_view name);

// Adam (L2 weight decay added to the gradient, PyTorch's Adam) or AdamW (decoupled decay),
// with a learning-rate schedule over epochs: none, step (times gamma every step_size epochs)
// or cosine (from lr to min_lr over `epochs`).
struct OptimizerSpec {
  bool decoupled = false;  // true: AdamW
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  std::string schedule = "none";
  int step_size = 100;
  double gamma = 0.5;
  double min_lr = 0.0;
  int epochs = 1;

  // Learning rate during epoch (0-based).
  double learning_rate(int epoch) const;
};

}  // namespace twinsim::nn
