#include "twinsim/core/Fft.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <climits>
#include <cstdint>

#include "fft_backends.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/config.hpp"

namespace twinsim::core {

namespace {

void check_fft_args(const std::vector<int>& shape, int batch) {
  const auto where = [&] { return fmt::format("FFT of shape [{}]", fmt::join(shape, ", ")); };
  if (shape.empty() || shape.size() > 3)
    throw Error(fmt::format("{}: expected 1 to 3 axes, got {}", where(), shape.size()));
  std::int64_t n = 1;
  for (int s : shape) {
    if (s < 1) throw Error(fmt::format("{}: every size must be positive", where()));
    n *= s;
  }
  // Both vendors count the values of one transform in an int.
  if (n > INT_MAX)
    throw Error(fmt::format("{}: {} values per transform, at most {}", where(), n, INT_MAX));
  if (batch < 1) throw Error(fmt::format("{}: batch must be at least 1, got {}", where(), batch));
}

constexpr const char* k_no_cuda =
    "GPU FFT requested, but this Twinsim was built without the CUDA backend";

}  // namespace

template <class Real>
std::unique_ptr<RealFft<Real>> make_real_fft(Backend backend, const std::vector<int>& shape,
                                             int batch) {
  check_fft_args(shape, batch);
  if (backend == Backend::Cpu) return detail::make_fftw_real_fft<Real>(shape, batch);
#if TWINSIM_HAVE_CUDA
  return detail::make_cufft_real_fft<Real>(shape, batch);
#else
  throw Error(k_no_cuda);
#endif
}

template <class Real>
std::unique_ptr<ComplexFft<Real>> make_complex_fft(Backend backend, const std::vector<int>& shape,
                                                   int batch) {
  check_fft_args(shape, batch);
  if (backend == Backend::Cpu) return detail::make_fftw_complex_fft<Real>(shape, batch);
#if TWINSIM_HAVE_CUDA
  return detail::make_cufft_complex_fft<Real>(shape, batch);
#else
  throw Error(k_no_cuda);
#endif
}

template std::unique_ptr<RealFft<float>> make_real_fft(Backend, const std::vector<int>&, int);
template std::unique_ptr<RealFft<double>> make_real_fft(Backend, const std::vector<int>&, int);
template std::unique_ptr<ComplexFft<float>> make_complex_fft(Backend, const std::vector<int>&, int);
template std::unique_ptr<ComplexFft<double>> make_complex_fft(Backend, const std::vector<int>&,
                                                              int);

}  // namespace twinsim::core
