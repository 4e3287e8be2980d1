#pragma once
// CUDA backend of twinsim/core/exec.hpp (compiled by nvcc with --extended-lambda).
// All work is queued on the default stream and nothing waits unless a result must come back to
// the host (transform_reduce) or synchronize() is called. Reductions, scans and sorts run CUB
// in one persistent scratch area (core::detail::cub_scratch): no allocation in steady state.
// Launches, synchronisations and allocations are counted (ExecCounts.hpp).
#include <cuda_runtime.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/iterator/transform_iterator.h>

#include <algorithm>
#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_reduce.cuh>
#include <cub/device/device_scan.cuh>

#include "twinsim/core/Backend.hpp"
#include "twinsim/core/Buffer.hpp"
#include "twinsim/core/ExecCounts.hpp"
#include "twinsim/core/HostDevice.hpp"
#include "twinsim/core/detail/cuda_check.hpp"
#include "twinsim/core/detail/cuda_memory.hpp"

namespace twinsim::cuda {

using Space = core::DeviceSpace;
using core::Index;
inline constexpr core::Backend k_backend = core::Backend::Gpu;

namespace detail {
template <class F>
__global__ void for_each_index_kernel(Index n, F f) {
  const Index stride = Index(blockDim.x) * gridDim.x;
  for (Index i = Index(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) f(i);
}

constexpr std::size_t k_align = 256;
constexpr std::size_t aligned(std::size_t bytes) { return (bytes + k_align - 1) / k_align * k_align; }
}  // namespace detail

// file and line name the call site in launch errors and in TWINSIM_SYNC_CHECK=1 mode.
template <class F>
void for_each_index(Index n, F f, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  if (n <= 0) return;
  constexpr int k_block = 256;
  // Enough blocks to fill any current GPU several times over; the grid-stride loop covers the rest.
  const Index blocks = std::min<Index>((n + k_block - 1) / k_block, Index(1) << 20);
  detail::for_each_index_kernel<<<static_cast<unsigned>(blocks), k_block>>>(n, f);
  core::detail::launched("for_each_index", file, line);
}

// *d_result (device memory) = op-fold of f(i) over [0, n) with init; nothing waits.
template <class T, class F, class Op>
void reduce_into(Index n, T init, F f, Op op, T* d_result, const char* file = __builtin_FILE(),
                 int line = __builtin_LINE()) {
  using Input = thrust::transform_iterator<F, thrust::counting_iterator<Index>, T>;
  const Input in(thrust::counting_iterator<Index>(0), f);
  std::size_t bytes = 0;
  TWINSIM_CUDA_CHECK(cub::DeviceReduce::Reduce(nullptr, bytes, in, d_result, n, op, init));
  TWINSIM_CUDA_CHECK(cub::DeviceReduce::Reduce(core::detail::cub_scratch(bytes), bytes, in,
                                               d_result, n, op, init));
  core::detail::launched("reduce", file, line);
}

// The fold brought back to the host: one reduction into a persistent device slot, copied into
// pinned host memory, one wait.
template <class T, class F, class Op>
T transform_reduce(Index n, T init, F f, Op op, const char* file = __builtin_FILE(),
                   int line = __builtin_LINE()) {
  static_assert(sizeof(T) <= core::detail::k_result_bytes, "reduction result too large");
  T* d_result = static_cast<T*>(core::detail::device_result());
  reduce_into(n, init, f, op, d_result, file, line);
  T* h_result = static_cast<T*>(core::detail::pinned_result());
  TWINSIM_CUDA_CHECK(cudaMemcpyAsync(h_result, d_result, sizeof(T), cudaMemcpyDeviceToHost, 0));
  core::detail::count_synchronization();
  TWINSIM_CUDA_CHECK(cudaStreamSynchronize(0));
  return *h_result;
}

template <class T>
void exclusive_scan(const T* d_in, T* d_out, Index n, const char* file = __builtin_FILE(),
                    int line = __builtin_LINE()) {
  std::size_t bytes = 0;
  TWINSIM_CUDA_CHECK(cub::DeviceScan::ExclusiveSum(nullptr, bytes, d_in, d_out, n));
  TWINSIM_CUDA_CHECK(
      cub::DeviceScan::ExclusiveSum(core::detail::cub_scratch(bytes), bytes, d_in, d_out, n));
  core::detail::launched("exclusive_scan", file, line);
}

// Stable LSD radix sort (CUB) through alternate key and value arrays in the scratch area.
template <class K, class V>
void sort_by_key(K* d_keys, V* d_values, Index n, const char* file = __builtin_FILE(),
                 int line = __builtin_LINE()) {
  if (n <= 1) return;
  const std::size_t keys_bytes = detail::aligned(sizeof(K) * std::size_t(n));
  const std::size_t values_bytes = detail::aligned(sizeof(V) * std::size_t(n));
  cub::DoubleBuffer<K> keys(d_keys, nullptr);
  cub::DoubleBuffer<V> values(d_values, nullptr);
  std::size_t bytes = 0;
  TWINSIM_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, bytes, keys, values, int(n)));
  auto* scratch = static_cast<char*>(core::detail::cub_scratch(keys_bytes + values_bytes + bytes));
  keys = cub::DoubleBuffer<K>(d_keys, reinterpret_cast<K*>(scratch));
  values = cub::DoubleBuffer<V>(d_values, reinterpret_cast<V*>(scratch + keys_bytes));
  TWINSIM_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(scratch + keys_bytes + values_bytes, bytes,
                                                     keys, values, int(n)));
  if (keys.Current() != d_keys)
    TWINSIM_CUDA_CHECK(cudaMemcpyAsync(d_keys, keys.Current(), sizeof(K) * std::size_t(n),
                                       cudaMemcpyDeviceToDevice, 0));
  if (values.Current() != d_values)
    TWINSIM_CUDA_CHECK(cudaMemcpyAsync(d_values, values.Current(), sizeof(V) * std::size_t(n),
                                       cudaMemcpyDeviceToDevice, 0));
  core::detail::launched("sort_by_key", file, line);
}

inline void synchronize() {
  core::detail::count_synchronization();
  TWINSIM_CUDA_CHECK(cudaDeviceSynchronize());
}

}  // namespace twinsim::cuda
