#pragma once
// Spectral differentiation on a periodic grid of n points over a box of edge 2 pi / k0.
#include "twinsim/core/Complex.hpp"
#include "twinsim/core/HostDevice.hpp"

namespace twinsim::spectral {

// Angular wavenumber of FFT index j (0..n-1): j k0 for j < n/2, (j - n) k0 above. The Nyquist
// mode of an even n gets 0: its derivative is not representable (odd derivatives of a real field
// must vanish there).
TWINSIM_HD inline double wavenumber(int j, int n, double k0) {
  if (2 * j == n) return 0.0;
  return (2 * j < n ? j : j - n) * k0;
}

// Vorticity mode w = i kx v - i ky u of a 2D field in the r2c layout [ny][nx/2 + 1], scaled by
// `scale` (1/N folds the normalisation of the inverse transform in).
TWINSIM_HD inline core::Complex<double> curl_mode(core::Complex<double> u, core::Complex<double> v,
                                                   double kx, double ky, double scale) {
  return scale * core::times_i(kx * v - ky * u);
}

}  // namespace twinsim::spectral
