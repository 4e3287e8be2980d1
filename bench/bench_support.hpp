#pragma once
// What the benchmark programs share: their clock (wall or process CPU time), medians, and a
// main that prints errors (no GPU for --device gpu, bad arguments) with exit status 2 instead
// of an uncaught exception.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <exception>
#include <vector>

namespace twinsim::bench_support {

// --cpu-time: process CPU time (all threads) instead of wall time. On a shared, loaded machine
// wall times measure the other processes as much as this one; CPU time of a single-threaded
// run (OMP_NUM_THREADS=1) measures the work. Meaningless for the GPU backend.
inline bool cpu_time = false;

struct Clock {
  std::chrono::steady_clock::time_point wall;
  std::clock_t cpu;
};
inline Clock now() { return {std::chrono::steady_clock::now(), std::clock()}; }
inline double seconds_since(const Clock& t0) {
  if (cpu_time) return double(std::clock() - t0.cpu) / CLOCKS_PER_SEC;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0.wall).count();
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

inline int guarded_main(int (*body)(int, char**), int argc, char** argv) {
  try {
    return body(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
}

}  // namespace twinsim::bench_support
