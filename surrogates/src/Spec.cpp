#include "twinsim/surrogates/Spec.hpp"

#include <fmt/format.h>

#include <cmath>

#include "twinsim/core/Error.hpp"
#include "twinsim/surrogates/Tensor.hpp"

namespace twinsim::nn {

std::string to_string(const Shape& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

namespace {
constexpr Activation k_activations[] = {Activation::identity, Activation::relu, Activation::gelu,
                                        Activation::tanh, Activation::silu};
}

std::string_view to_string(Activation a) {
  switch (a) {
    case Activation::identity:
      return "identity";
    case Activation::relu:
      return "relu";
    case Activation::gelu:
      return "gelu";
    case Activation::tanh:
      return "tanh";
    case Activation::silu:
      return "silu";
  }
  return "?";
}

Activation activation_from_string(std::string_view name) {
  for (Activation a : k_activations)
    if (to_string(a) == name) return a;
  throw core::Error(
      fmt::format("unknown activation '{}' (identity, relu, gelu, tanh, silu)", name));
}

std::string_view to_string(LossKind k) { return k == LossKind::mse ? "mse" : "relative_l2"; }

LossKind loss_from_string(std::string_view name) {
  if (name == "mse") return LossKind::mse;
  if (name == "relative_l2") return LossKind::relative_l2;
  throw core::Error(fmt::format("unknown loss '{}' (mse, relative_l2)", name));
}

double OptimizerSpec::learning_rate(int epoch) const {
  if (schedule == "step") return lr * std::pow(gamma, epoch / std::max(step_size, 1));
  if (schedule == "cosine") {
    // PyTorch's CosineAnnealingLR with T_max = epochs.
    const double f = std::min(1.0, double(epoch) / double(std::max(epochs, 1)));
    return min_lr + 0.5 * (lr - min_lr) * (1.0 + std::cos(M_PI * f));
  }
  return lr;
}

}  // namespace twinsim::nn
