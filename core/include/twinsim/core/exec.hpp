#pragma once
// Parallel primitives for backend translation units (*.inl). Each .inl is compiled twice (see
// cmake/TwinsimBackends.cmake): the OpenMP copy gets namespace twinsim::omp and host memory,
// the CUDA copy twinsim::cuda and device memory. Inside `namespace twinsim::TWINSIM_BACKEND_NS`
// these names are available:
//
//   Space                                  HostSpace or DeviceSpace: where this backend's data lives
//   k_backend                              core::Backend::Cpu or Gpu
//   for_each_index(n, f)                   f(i) for i in [0, n), in parallel, any order
//   transform_reduce(n, init, f, op)       op-fold of f(i) over [0, n) with init, to the host
//                                          (a synchronisation: keep it out of step loops)
//   reduce_into(n, init, f, op, d_result)  the same fold into *d_result (Space memory); no wait
//   exclusive_scan(d_in, d_out, n)         d_out[i] = sum of d_in[0..i), in place allowed
//   sort_by_key(d_keys, d_values, n)       stable sort of keys ascending, values follow
//   synchronize()                          waits for all queued work
//
// f and op are small functors or `[=] TWINSIM_HD` lambdas; pointers are in Space memory.
// Every call is counted (launches, synchronisations, allocations: core/ExecCounts.hpp).
#ifndef TWINSIM_BACKEND_NS
#error "twinsim/core/exec.hpp belongs in backend translation units built by twinsim_dual_backend_library"
#endif

#include "twinsim/core/Backend.hpp"
#include "twinsim/core/Buffer.hpp"
#include "twinsim/core/HostDevice.hpp"

#if defined(TWINSIM_BACKEND_CUDA)
#include "twinsim/core/detail/exec_cuda.hpp"
#else
#include "twinsim/core/detail/exec_omp.hpp"
#endif

namespace twinsim::core {
// Functors for reductions; written here rather than taken from Thrust so that the API compiles
// the same with CCCL 3 and with Debian's Thrust 1.17.
struct Plus {
  template <class T>
  TWINSIM_HD T operator()(const T& a, const T& b) const { return a + b; }
};
struct Max {
  template <class T>
  TWINSIM_HD T operator()(const T& a, const T& b) const { return a < b ? b : a; }
};
struct Min {
  template <class T>
  TWINSIM_HD T operator()(const T& a, const T& b) const { return b < a ? b : a; }
};
}  // namespace twinsim::core
