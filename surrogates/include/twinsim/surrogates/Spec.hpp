#pragma once
// What a network, its loss and its optimizer are, as plain values built from a case file
// (Schema.hpp) or read back from a model file (ModelFile.hpp).
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "twinsim/surrogates/nn/kernels.hpp"

namespace twinsim::nn {

std::string_view to_string(Activation a);
Activation activation_from_string(std::string_view name);  // throws core::Error

// A hyper-parameter value: an integer, a number, a list of integers or a string.
using HyperValue = std::variant<std::int64_t, double, std::vector<std::int64_t>, std::string>;

// A model's hyper-parameters by name, in the order they were set (the [model] section's order):
// what the model file stores under /model, so a new model adds names, not file format code.
class HyperParams {
 public:
  void set(const std::string& name, HyperValue value);
  bool has(std::string_view name) const;
  const HyperValue* find(std::string_view name) const;
  const std::vector<std::pair<std::string, HyperValue>>& items() const { return m_items; }
  bool operator==(const HyperParams& o) const { return m_items == o.m_items; }

 private:
  std::vector<std::pair<std::string, HyperValue>> m_items;
};

// A model: its registered kind (Models.hpp), the channels of its data (input and output frames,
// or table columns) and its hyper-parameters. A hyper-parameter that is not set has the default
// its kind declares, so `ModelSpec s; s.params.set("width", 8);` is a complete FNO-2D.
struct ModelSpec {
  std::string kind = "fno2d";
  int in_channels = 10;
  int out_channels = 1;
  HyperParams params;

  // The value of a hyper-parameter (set, or the kind's default); core::Error when the kind
  // declares no such name or the value has another type.
  std::int64_t integer(std::string_view name) const;
  const std::vector<std::int64_t>& integers(std::string_view name) const;
  const std::string& string(std::string_view name) const;
  Activation activation() const { return activation_from_string(string("activation")); }

 private:
  const HyperValue& value(std::string_view name) const;
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
