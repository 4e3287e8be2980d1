#include "twinsim/core/Backend.hpp"

#include <fmt/format.h>

#include "twinsim/core/Error.hpp"
#include "twinsim/core/config.hpp"
#include "twinsim/core/detail/cuda_memory.hpp"

namespace twinsim::core {

std::string_view to_string(Backend b) { return b == Backend::Gpu ? "gpu" : "cpu"; }

int gpu_count() {
#if TWINSIM_HAVE_CUDA
  return detail::cuda_device_count();
#else
  return 0;
#endif
}

bool gpu_available() { return gpu_count() > 0; }

std::string gpu_description() {
#if TWINSIM_HAVE_CUDA
  return detail::cuda_device_description();
#else
  return "none: this Twinsim was built without the CUDA backend";
#endif
}

std::uint64_t gpu_free_memory() {
#if TWINSIM_HAVE_CUDA
  return gpu_count() > 0 ? detail::cuda_free_memory() : 0;
#else
  return 0;
#endif
}

const std::vector<std::string>& device_requests() {
  static const std::vector<std::string> requests = {"auto", "cpu", "gpu"};
  return requests;
}

Backend select_backend(std::string_view request) {
  if (request == "cpu") return Backend::Cpu;
  if (request == "auto") return gpu_available() ? Backend::Gpu : Backend::Cpu;
  if (request == "gpu") {
    if (!TWINSIM_HAVE_CUDA)
      throw Error(
          "--device gpu: this Twinsim was built without the CUDA backend (reconfigure with "
          "-DTWINSIM_ENABLE_CUDA=ON on a machine with nvcc), use --device cpu");
    if (!gpu_available())
      throw Error(fmt::format("--device gpu: no usable CUDA device: {}; use --device cpu",
                              gpu_description()));
    return Backend::Gpu;
  }
  throw Error(fmt::format("--device '{}': expected one of auto, cpu, gpu", request));
}

}  // namespace twinsim::core
