#pragma once
// OpenMP backend of twinsim/core/exec.hpp (compiled by the C++ compiler with -fopenmp).
#include <thrust/iterator/counting_iterator.h>
#include <thrust/scan.h>
#include <thrust/sort.h>
#include <thrust/system/omp/execution_policy.h>
#include <thrust/transform_reduce.h>

#include "twinsim/core/Backend.hpp"
#include "twinsim/core/Buffer.hpp"
#include "twinsim/core/HostDevice.hpp"

namespace twinsim::omp {

using Space = core::HostSpace;
using core::Index;
inline constexpr core::Backend k_backend = core::Backend::Cpu;

template <class F>
void for_each_index(Index n, F f) {
#pragma omp parallel for schedule(static)
  for (Index i = 0; i < n; ++i) f(i);
}

template <class T, class F, class Op>
T transform_reduce(Index n, T init, F f, Op op) {
  return thrust::transform_reduce(thrust::omp::par, thrust::counting_iterator<Index>(0),
                                  thrust::counting_iterator<Index>(n), f, init, op);
}

template <class T>
void exclusive_scan(const T* d_in, T* d_out, Index n) {
  thrust::exclusive_scan(thrust::omp::par, d_in, d_in + n, d_out);
}

template <class K, class V>
void sort_by_key(K* d_keys, V* d_values, Index n) {
  thrust::stable_sort_by_key(thrust::omp::par, d_keys, d_keys + n, d_values);
}

inline void synchronize() {}

}  // namespace twinsim::omp
