#pragma once
// CUDA backend of twinsim/core/exec.hpp (compiled by nvcc with --extended-lambda).
// All work is queued on the default stream; Thrust calls use par_nosync so nothing waits
// unless a result must come back to the host (transform_reduce) or synchronize() is called.
#include <cuda_runtime.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/scan.h>
#include <thrust/sort.h>
#include <thrust/system/cuda/execution_policy.h>
#include <thrust/transform_reduce.h>

#include <algorithm>

#include "twinsim/core/Backend.hpp"
#include "twinsim/core/Buffer.hpp"
#include "twinsim/core/HostDevice.hpp"
#include "twinsim/core/detail/cuda_check.hpp"

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
}  // namespace detail

template <class F>
void for_each_index(Index n, F f) {
  if (n <= 0) return;
  constexpr int k_block = 256;
  // Enough blocks to fill any current GPU several times over; the grid-stride loop covers the rest.
  const Index blocks = std::min<Index>((n + k_block - 1) / k_block, Index(1) << 20);
  detail::for_each_index_kernel<<<static_cast<unsigned>(blocks), k_block>>>(n, f);
  TWINSIM_CUDA_CHECK(cudaGetLastError());
}

template <class T, class F, class Op>
T transform_reduce(Index n, T init, F f, Op op) {
  return thrust::transform_reduce(thrust::cuda::par, thrust::counting_iterator<Index>(0),
                                  thrust::counting_iterator<Index>(n), f, init, op);
}

template <class T>
void exclusive_scan(const T* d_in, T* d_out, Index n) {
  thrust::exclusive_scan(thrust::cuda::par_nosync, d_in, d_in + n, d_out);
}

template <class K, class V>
void sort_by_key(K* d_keys, V* d_values, Index n) {
  thrust::stable_sort_by_key(thrust::cuda::par_nosync, d_keys, d_keys + n, d_values);
}

inline void synchronize() { TWINSIM_CUDA_CHECK(cudaDeviceSynchronize()); }

}  // namespace twinsim::cuda
