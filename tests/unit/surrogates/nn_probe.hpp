#pragma once
// Host-facing wrappers around the network layers, compiled once per backend from
// nn_probe.inl, so a typed test runs one body on every backend.
#include <string>
#include <vector>

#include "twinsim/core/Backend.hpp"
#include "twinsim/core/Dispatch.hpp"
#include "twinsim/core/config.hpp"

namespace twinsim::test {

// Analytic gradients of one layer (or loss, or model) against central differences in FP64.
struct GradCheck {
  double max_error = 0;  // max |analytic - numeric| over the checked entries / scale
  double scale = 0;      // max |numeric| over the checked entries of that tensor
  int checked = 0;       // entries compared
  std::string worst;     // which tensor had max_error
};

struct NnProbe {
  // Cases: see nn_probe.inl k_cases.
  std::vector<std::string> (*cases)();
  GradCheck (*check)(const std::string& name);
};

}  // namespace twinsim::test

namespace twinsim::omp::probe {
const test::NnProbe& nn_probe();
}
namespace twinsim::cuda::probe {
const test::NnProbe& nn_probe();
}

namespace twinsim::test {
template <class Tag>
const NnProbe& nn_probe_for() {
  return *core::dispatch(Tag::k_backend, [](auto on) {
    if constexpr (decltype(on)::gpu)
      return &cuda::probe::nn_probe();
    else
      return &omp::probe::nn_probe();
  });
}
}  // namespace twinsim::test
