#pragma once
// Internal to twinsim_core: the per-vendor FFT constructors behind make_real_fft and
// make_complex_fft, and the shape arithmetic both vendors share. Arguments reach these
// already validated (fft.cpp).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "twinsim/core/Error.hpp"
#include "twinsim/core/Fft.hpp"

namespace twinsim::core::detail {

// Number of values in one transform of this shape.
inline int element_count(const std::vector<int>& shape) {
  int n = 1;
  for (int s : shape) n *= s;
  return n;
}

// Shape of the Hermitian half that real transforms store: the last axis keeps n / 2 + 1.
inline std::vector<int> hermitian_shape(std::vector<int> shape) {
  shape.back() = shape.back() / 2 + 1;
  return shape;
}

// Real transforms store the Hermitian half unpadded, a layout neither vendor can do in place.
inline void require_out_of_place(const void* in, const void* out) {
  TWINSIM_REQUIRE(in != out, "RealFft: input and output must be different arrays");
}

// Holds what every implementation reports back, so each one need not repeat it.
template <class Interface>
class FftShape : public Interface {
 public:
  FftShape(std::vector<int> shape, int batch) : m_shape(std::move(shape)), m_batch(batch) {}
  const std::vector<int>& shape() const override { return m_shape; }
  int batch() const override { return m_batch; }

 private:
  std::vector<int> m_shape;
  int m_batch;
};

// FFTW, host memory (fft_fftw.cpp).
template <class Real>
std::unique_ptr<RealFft<Real>> make_fftw_real_fft(const std::vector<int>& shape, int batch);
template <class Real>
std::unique_ptr<ComplexFft<Real>> make_fftw_complex_fft(const std::vector<int>& shape, int batch);

// cuFFT, device memory (cuda/fft_cufft.cu); defined only when TWINSIM_HAVE_CUDA.
template <class Real>
std::unique_ptr<RealFft<Real>> make_cufft_real_fft(const std::vector<int>& shape, int batch);
template <class Real>
std::unique_ptr<ComplexFft<Real>> make_cufft_complex_fft(const std::vector<int>& shape, int batch);
// For twinsim info: the cuFFT library the GPU backend opens (its file), or why it cannot.
std::string cufft_library();

}  // namespace twinsim::core::detail
