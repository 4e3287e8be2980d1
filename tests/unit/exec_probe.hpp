#pragma once
// Host-facing wrappers around the exec primitives and Philox, compiled once per backend from
// exec_probe.inl, so a typed test can run one body on every backend.
#include <cstdint>
#include <utility>
#include <vector>

#include "twinsim/core/Backend.hpp"
#include "twinsim/core/Dispatch.hpp"
#include "twinsim/core/config.hpp"

namespace twinsim::test {

struct ExecProbe {
  // y[i] = a * x[i] + y[i] with for_each_index.
  std::vector<double> (*axpy)(double a, const std::vector<double>& x, std::vector<double> y);
  // sum over i < n of i^2 with transform_reduce and Plus.
  double (*sum_of_squares)(std::int64_t n);
  // max and min of v with transform_reduce and Max / Min.
  std::pair<int, int> (*max_min)(const std::vector<int>& v);
  std::vector<std::int64_t> (*exclusive_scan)(const std::vector<std::int64_t>& v);
  // The same scan with input and output the same array.
  std::vector<std::int64_t> (*exclusive_scan_in_place)(const std::vector<std::int64_t>& v);
  std::pair<std::vector<std::uint32_t>, std::vector<int>> (*sort_by_key)(
      std::vector<std::uint32_t> keys, std::vector<int> values);
  // Four Philox words for counters [first, first + n), drawn in a kernel.
  std::vector<std::uint32_t> (*philox_words)(std::uint64_t seed, std::uint64_t stream,
                                             std::uint64_t first, std::int64_t n);
  // 2n normal deviates for counters [0, n), drawn in a kernel.
  std::vector<double> (*philox_normals)(std::uint64_t seed, std::uint64_t stream, std::int64_t n);
};

}  // namespace twinsim::test

namespace twinsim::omp::probe {
const test::ExecProbe& exec_probe();
}
namespace twinsim::cuda::probe {
const test::ExecProbe& exec_probe();
}

namespace twinsim::test {
template <class Tag>
const ExecProbe& exec_probe_for() {
  return *core::dispatch(Tag::k_backend, [](auto on) {
    if constexpr (decltype(on)::gpu)
      return &cuda::probe::exec_probe();
    else
      return &omp::probe::exec_probe();
  });
}
}  // namespace twinsim::test
