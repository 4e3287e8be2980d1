#pragma once
// OpenMP backend of twinsim/core/exec.hpp (compiled by the C++ compiler with -fopenmp). Counts
// launches and synchronisations at the same calls as the CUDA backend (ExecCounts.hpp).
#include <thrust/iterator/counting_iterator.h>
#include <thrust/scan.h>
#include <thrust/sort.h>
#include <thrust/system/omp/execution_policy.h>
#include <thrust/transform_reduce.h>

#include "twinsim/core/Backend.hpp"
#include "twinsim/core/Buffer.hpp"
#include "twinsim/core/ExecCounts.hpp"
#include "twinsim/core/HostDevice.hpp"

namespace twinsim::omp {

using Space = core::HostSpace;
using core::Index;
inline constexpr core::Backend k_backend = core::Backend::Cpu;

// The file and line arguments name the call site in the CUDA backend's checks; unused here.
template <class F>
void for_each_index(Index n, F f, const char* = __builtin_FILE(), int = __builtin_LINE()) {
  if (n <= 0) return;
  core::detail::count_launch();
#pragma omp parallel for schedule(static)
  for (Index i = 0; i < n; ++i) f(i);
}

template <class T, class F, class Op>
void reduce_into(Index n, T init, F f, Op op, T* d_result, const char* = __builtin_FILE(),
                 int = __builtin_LINE()) {
  core::detail::count_launch();
  *d_result = thrust::transform_reduce(thrust::omp::par, thrust::counting_iterator<Index>(0),
                                       thrust::counting_iterator<Index>(n), f, init, op);
}

template <class T, class F, class Op>
T transform_reduce(Index n, T init, F f, Op op, const char* = __builtin_FILE(),
                   int = __builtin_LINE()) {
  core::detail::count_launch();
  core::detail::count_synchronization();
  return thrust::transform_reduce(thrust::omp::par, thrust::counting_iterator<Index>(0),
                                  thrust::counting_iterator<Index>(n), f, init, op);
}

template <class T>
void exclusive_scan(const T* d_in, T* d_out, Index n) {
  core::detail::count_launch();
  thrust::exclusive_scan(thrust::omp::par, d_in, d_in + n, d_out);
}

template <class K, class V>
void sort_by_key(K* d_keys, V* d_values, Index n) {
  core::detail::count_launch();
  thrust::stable_sort_by_key(thrust::omp::par, d_keys, d_keys + n, d_values);
}

inline void synchronize() { core::detail::count_synchronization(); }

}  // namespace twinsim::omp
