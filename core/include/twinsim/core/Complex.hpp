#pragma once
#include "twinsim/core/HostDevice.hpp"

namespace twinsim::core {

// A complex number usable in kernels on both backends. Same layout as fftw_complex,
// cufftComplex/cufftDoubleComplex and std::complex<Real> (two contiguous reals).
template <class Real>
struct alignas(2 * sizeof(Real)) Complex {
  Real re;
  Real im;
};

template <class Real>
TWINSIM_HD inline Complex<Real> operator+(Complex<Real> a, Complex<Real> b) {
  return {a.re + b.re, a.im + b.im};
}
template <class Real>
TWINSIM_HD inline Complex<Real> operator-(Complex<Real> a, Complex<Real> b) {
  return {a.re - b.re, a.im - b.im};
}
template <class Real>
TWINSIM_HD inline Complex<Real> operator*(Complex<Real> a, Complex<Real> b) {
  return {a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re};
}
template <class Real>
TWINSIM_HD inline Complex<Real> operator*(Real s, Complex<Real> a) {
  return {s * a.re, s * a.im};
}
// i * a: a derivative in Fourier space multiplies by i k.
template <class Real>
TWINSIM_HD inline Complex<Real> times_i(Complex<Real> a) {
  return {-a.im, a.re};
}

}  // namespace twinsim::core
