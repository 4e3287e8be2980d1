#pragma once
// Reproducible test data: n values uniform in [-1, 1), two per Philox counter (key seed,
// stream), so every backend and every run sees the same numbers.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "twinsim/core/Philox.hpp"

namespace twinsim::test {

template <class Real>
std::vector<Real> uniform_values(std::size_t n, std::uint64_t seed, std::uint64_t stream) {
  const core::Philox rng(seed, stream);
  std::vector<Real> v(n);
  for (std::size_t i = 0; i < n; i += 2) {
    double a, b;
    rng.uniform2(i / 2, a, b);
    v[i] = Real(2 * a - 1);
    if (i + 1 < n) v[i + 1] = Real(2 * b - 1);
  }
  return v;
}

}  // namespace twinsim::test
