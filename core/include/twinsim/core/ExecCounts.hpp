#pragma once
// What the backends do that decides whether a GPU step runs at the hardware's speed: host
// synchronisations, device allocations and kernel launches, counted at the same calls on both
// backends, so that the OpenMP backend's counts (on a machine without a GPU) stand in for the
// CUDA backend's. Tests take the difference of two snapshots around a steady-state step.
//
// What counts (core/exec.hpp, Buffer.hpp, Fft.hpp, Blas.hpp):
//   launch           for_each_index, transform_reduce, reduce_into, exclusive_scan,
//                    sort_by_key (one each, whatever CUB runs inside), one FFT, one GEMM call
//   synchronization  synchronize(), transform_reduce (its result comes back to the host),
//                    every Buffer copy (copy, to_host, from_host: cudaMemcpy waits)
//   allocation       every Buffer allocation (both spaces: the OpenMP backend's Space is host
//                    memory), the growth of the CUDA backend's persistent reduction scratch
//   copy             every Buffer copy (copy, to_host, from_host, any pair of spaces: on the
//                    CUDA backend a cudaMemcpy, on the OpenMP backend the memcpy standing in
//                    for it); each is a synchronization too
//   copied_bytes     the bytes of those copies
//
// TWINSIM_SYNC_CHECK=1 in the environment: the CUDA backend synchronises after every launch
// and reports a failing kernel by its call site (file:line) instead of at the next
// synchronising call. Off by default (it costs a synchronisation per launch).
#include <cstdint>

namespace twinsim::core {

struct ExecCounts {
  std::int64_t synchronizations = 0;
  std::int64_t allocations = 0;
  std::int64_t launches = 0;
  std::int64_t copies = 0;
  std::int64_t copied_bytes = 0;
};

inline ExecCounts operator-(const ExecCounts& a, const ExecCounts& b) {
  return {a.synchronizations - b.synchronizations, a.allocations - b.allocations,
          a.launches - b.launches, a.copies - b.copies, a.copied_bytes - b.copied_bytes};
}

// Totals since the program started (all threads).
ExecCounts exec_counts();

// True when TWINSIM_SYNC_CHECK is set to 1 (read once).
bool sync_check_enabled();

namespace detail {
void count_synchronization();
void count_allocation();
void count_launch();
void count_copy(std::int64_t bytes);
}  // namespace detail

}  // namespace twinsim::core
