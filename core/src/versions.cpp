#include "twinsim/core/versions.hpp"

#include <cblas.h>
#include <fftw3.h>
#include <fmt/format.h>
#include <spdlog/version.h>
#include <thrust/version.h>

#include "blas_backends.hpp"
#include "fft_backends.hpp"
#include "twinsim/core/config.hpp"
#include "twinsim/core/detail/cuda_memory.hpp"

namespace twinsim::core {

std::string version() { return TWINSIM_VERSION_STRING; }

std::vector<std::pair<std::string, std::string>> library_versions() {
  std::vector<std::pair<std::string, std::string>> v = {
      {"fmt", fmt::format("{}.{}.{}", FMT_VERSION / 10000, FMT_VERSION / 100 % 100,
                          FMT_VERSION % 100)},
      {"spdlog", fmt::format("{}.{}.{}", SPDLOG_VER_MAJOR, SPDLOG_VER_MINOR, SPDLOG_VER_PATCH)},
      {"FFTW", fftw_version},
      {"OpenBLAS", openblas_get_config()},
      {"Thrust", fmt::format("{}.{}.{}", THRUST_MAJOR_VERSION, THRUST_MINOR_VERSION,
                             THRUST_SUBMINOR_VERSION)},
  };
#if TWINSIM_HAVE_CUDA
  v.emplace_back("CUDA", detail::cuda_runtime_version());
  // Opened here to show where they are: other commands open them at the GPU's first use.
  v.emplace_back("cuFFT", detail::cufft_library());
  v.emplace_back("cuBLAS", detail::cublas_library());
#endif
  return v;
}

}  // namespace twinsim::core
