#pragma once
// The one place that knows whether this build has the CUDA backend: a module's factory picks
// its omp:: or cuda:: implementation through dispatch() instead of writing #if TWINSIM_HAVE_CUDA.
//
//   return core::dispatch(backend, [&](auto on) {
//     if constexpr (decltype(on)::gpu) return cuda::make_solver(config);
//     else return omp::make_solver(config);
//   });
//
// The cuda:: branch is only instantiated in builds with the CUDA backend, so the cuda::
// factory needs a declaration everywhere and a definition only where nvcc built it.
#include <utility>

#include "twinsim/core/Backend.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/config.hpp"

namespace twinsim::core {

struct OnCpu {
  static constexpr bool gpu = false;
};
struct OnGpu {
  static constexpr bool gpu = true;
};

template <class Make>
auto dispatch(Backend backend, Make&& make) {
  if (backend == Backend::Gpu) {
    if constexpr (TWINSIM_HAVE_CUDA)
      return std::forward<Make>(make)(OnGpu{});
    else
      throw Error("the GPU backend was requested but this Twinsim was built without CUDA");
  }
  return std::forward<Make>(make)(OnCpu{});
}

}  // namespace twinsim::core
