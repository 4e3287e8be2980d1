#pragma once
#include <memory>
#include <vector>

#include "twinsim/core/Backend.hpp"
#include "twinsim/core/Complex.hpp"

namespace twinsim::core {

// Fast Fourier transforms behind one interface: FFTW (threaded) on Cpu, cuFFT on Gpu.
//
// shape: 1 to 3 sizes, slowest-varying first (row-major; the [z][y][x] layout of our fields).
// batch: that many transforms stored back to back (one plan, one call).
// Pointers are in the backend's memory (host for Cpu, device for Gpu). Transforms are
// unnormalised: inverse(forward(x)) = N x with N the product of shape.
// Plans are created once and reused; objects are not thread-safe.

// Real <-> complex. Real arrays hold batch * prod(shape) values; complex arrays hold
// batch * prod(shape[0..d-1)) * (shape[d-1] / 2 + 1) values (the Hermitian half, last axis).
// Out-of-place only. inverse() overwrites its input (FFTW and cuFFT both may for c2r).
template <class Real>
class RealFft {
 public:
  virtual ~RealFft() = default;
  virtual void forward(const Real* in, Complex<Real>* out) = 0;
  virtual void inverse(Complex<Real>* in, Real* out) = 0;
  virtual const std::vector<int>& shape() const = 0;
  virtual int batch() const = 0;
};

// Complex <-> complex, forward sign -1 (exp(-2 pi i k x / n)), inverse +1. In place allowed.
template <class Real>
class ComplexFft {
 public:
  virtual ~ComplexFft() = default;
  virtual void forward(const Complex<Real>* in, Complex<Real>* out) = 0;
  virtual void inverse(const Complex<Real>* in, Complex<Real>* out) = 0;
  virtual const std::vector<int>& shape() const = 0;
  virtual int batch() const = 0;
};

// Real is float or double. Throws Error for an empty or non-positive shape, more than 3 axes,
// batch < 1, or a plan the vendor library refuses (naming the call).
template <class Real>
std::unique_ptr<RealFft<Real>> make_real_fft(Backend backend, const std::vector<int>& shape,
                                             int batch = 1);
template <class Real>
std::unique_ptr<ComplexFft<Real>> make_complex_fft(Backend backend, const std::vector<int>& shape,
                                                   int batch = 1);

}  // namespace twinsim::core
