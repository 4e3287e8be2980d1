#pragma once
// Shell-summed kinetic-energy spectrum E(k) and the CFL rate, written once for both backends
// and both solvers.
//
// E(k_s) = sum over modes with round(|k| / dk) = s of 1/2 |u_k|^2, dk = the smallest box
// wavenumber 2 pi / max(edge), k_s = s dk. Every mode lands in exactly one shell, so
// sum_s E(k_s) = 1/2 <|u|^2> (Parseval) exactly: E is the energy per shell [length^2/time^2]
// (the density per unit wavenumber is E / dk; on a 2 pi box dk = 1 and the two coincide).
// The convention (rint of |k| / dk, shells from 0) is postprocess/twinsim_post/spectral.py's.
//
// Modes are normalised coefficients in the r2c half layout; weight 2 stands for the conjugate
// the layout leaves out (mode_weight / mode_weight_3d).
#include <cmath>
#include <cstdint>

#include "twinsim/core/Complex.hpp"
#include "twinsim/core/HostDevice.hpp"
#include "twinsim/spectral/kernels/velocity3d_kernel.hpp"
#include "twinsim/spectral/kernels/vorticity2d_kernel.hpp"

namespace twinsim::spectral {

// Shell width dk and shell count (0 .. the corner of the grid's wavenumber box), host side.
inline double spectrum_dk(double k0x, double k0y, double k0z = 0) {
  double k = k0x < k0y ? k0x : k0y;
  if (k0z > 0 && k0z < k) k = k0z;
  return k;
}
inline int spectrum_shells(double kmax, double dk) { return int(std::lround(kmax / dk)) + 1; }
inline int spectrum_shells_2d(const Grid2D& g) {
  const double kx = 0.5 * g.nx * g.kx0, ky = 0.5 * g.ny * g.ky0;
  return spectrum_shells(std::sqrt(kx * kx + ky * ky), spectrum_dk(g.kx0, g.ky0));
}
inline int spectrum_shells_3d(const Grid3D& g) {
  const double kx = 0.5 * g.nx * g.kx0, ky = 0.5 * g.ny * g.ky0, kz = 0.5 * g.nz * g.kz0;
  return spectrum_shells(std::sqrt(kx * kx + ky * ky + kz * kz),
                         spectrum_dk(g.kx0, g.ky0, g.kz0));
}

TWINSIM_HD inline int shell_of(double k2, double dk) { return int(llround(sqrt(k2) / dk)); }

// One sample's 2D vorticity modes [y][x/2+1]: mode m's shell and energy 1/2 |w_k|^2 / |k|^2.
template <class Real>
struct VorticityShellTerm {
  Grid2D g;
  double dk;
  const core::Complex<Real>* w;  // Space memory
  TWINSIM_HD void operator()(std::int64_t m, int& shell, double& energy) const {
    shell = shell_of(mode_wavenumbers(g, m).k2, dk);
    energy = energy_of_mode(g, m, w[m]);
  }
};

// One sample's 3D velocity modes, component c at u + c * stride: shell and 1/2 |u_k|^2.
template <class Real>
struct VelocityShellTerm {
  Grid3D g;
  double dk;
  const core::Complex<Real>* u;  // Space memory
  std::int64_t stride;           // modes between components
  TWINSIM_HD void operator()(std::int64_t m, int& shell, double& energy) const {
    shell = shell_of(mode_wavenumbers_3d(g, m).k2, dk);
    energy = 0.5 * mode_weight_3d(g, m) * squared_norm(u[m], u[stride + m], u[2 * stride + m]);
  }
};

// Shell sums without atomics: `chunks` workers each sum the modes m = c, c + chunks, ... into a
// private row of scratch, then one worker per shell adds the rows in chunk order. The order of
// every sum is fixed by `chunks` alone: identical on both backends and for any thread count.
// Where a row lives is the backend's choice (element (s, c) at s * shell_stride + c *
// chunk_stride): [shell][chunk] on the GPU, so neighbouring threads write neighbouring words;
// [chunk][shell] on the CPU, so threads do not share cache lines.
template <class Term>
struct ShellPartialSums {
  Term term;
  std::int64_t modes, chunks, shell_stride, chunk_stride;
  int shells;
  double* scratch;  // shells * chunks, Space memory
  TWINSIM_HD void operator()(std::int64_t c) const {
    double* row = scratch + c * chunk_stride;
    for (int s = 0; s < shells; ++s) row[s * shell_stride] = 0.0;
    for (std::int64_t m = c; m < modes; m += chunks) {
      int s;
      double e;
      term(m, s, e);
      if (s >= shells) s = shells - 1;  // rounding at the grid's corner; never for even grids
      row[s * shell_stride] += e;
    }
  }
};
struct ShellTotals {
  std::int64_t chunks, shell_stride, chunk_stride;
  const double* scratch;
  double* out;  // [shells]
  TWINSIM_HD void operator()(std::int64_t s) const {
    double sum = 0.0;
    for (std::int64_t c = 0; c < chunks; ++c) sum += scratch[s * shell_stride + c * chunk_stride];
    out[s] = sum;
  }
};

// CFL rate of one grid point: max_i |u_i| / h_i [1/time]. The adaptive step is
// dt = cfl / (max over the grid of this) = cfl * min_i (h_i / max |u_i|).
TWINSIM_HD inline double cfl_rate_2d(double u, double v, double hx, double hy) {
  const double a = fabs(u) / hx, b = fabs(v) / hy;
  return a < b ? b : a;
}
TWINSIM_HD inline double cfl_rate_3d(double u, double v, double w, double hx, double hy,
                                     double hz) {
  const double a = cfl_rate_2d(u, v, hx, hy), c = fabs(w) / hz;
  return a < c ? c : a;
}

}  // namespace twinsim::spectral
