#include "twinsim/surrogates/Spec.hpp"

#include <fmt/format.h>

#include <cmath>

#include "twinsim/core/Error.hpp"
#include "twinsim/surrogates/Models.hpp"
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

void HyperParams::set(const std::string& name, HyperValue value) {
  for (auto& item : m_items)
    if (item.first == name) {
      item.second = std::move(value);
      return;
    }
  m_items.emplace_back(name, std::move(value));
}

const HyperValue* HyperParams::find(std::string_view name) const {
  for (const auto& item : m_items)
    if (item.first == name) return &item.second;
  return nullptr;
}

bool HyperParams::has(std::string_view name) const { return find(name) != nullptr; }

const HyperValue& ModelSpec::value(std::string_view name) const {
  if (const HyperValue* v = params.find(name)) return *v;
  const HyperParam* p = find_hyper_parameter(model_kind(kind), name);
  if (!p) throw core::Error(fmt::format("model kind '{}' has no hyper-parameter '{}'", kind, name));
  return p->default_value;
}

namespace {
template <class V>
const V& typed(const HyperValue& v, std::string_view kind, std::string_view name,
               std::string_view type) {
  if (const V* x = std::get_if<V>(&v)) return *x;
  throw core::Error(fmt::format("model {}: hyper-parameter '{}' is not {}", kind, name, type));
}
}  // namespace

std::int64_t ModelSpec::integer(std::string_view name) const {
  return typed<std::int64_t>(value(name), kind, name, "an integer");
}
const std::vector<std::int64_t>& ModelSpec::integers(std::string_view name) const {
  return typed<std::vector<std::int64_t>>(value(name), kind, name, "a list of integers");
}
const std::string& ModelSpec::string(std::string_view name) const {
  return typed<std::string>(value(name), kind, name, "a string");
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
