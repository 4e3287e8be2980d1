#pragma once
// 2D vorticity-stream function physics on a periodic box, written once for both backends.
//
// Fields are batched, sample-major: grid arrays [b][y][x], mode arrays [b][y][x/2 + 1] (the r2c
// half). Modes are normalised Fourier coefficients: w(x) = sum_k w_k exp(i k.x), so an
// unnormalised inverse transform gives grid values and a forward one gives N w_k.
// Equation: dw/dt + u.grad w = nu lap w + f, u = d psi/dy, v = -d psi/dx, -lap psi = w.
#include <cstdint>

#include "twinsim/core/Complex.hpp"
#include "twinsim/core/HostDevice.hpp"
#include "twinsim/core/Philox.hpp"
#include "twinsim/spectral/kernels/spectral_derivative_kernel.hpp"

namespace twinsim::spectral {

// The grid and box of one sample; lengths in case units, wavenumbers 2 pi / edge.
struct Grid2D {
  int nx, ny;  // points per direction (even)
  int nkx;     // nx / 2 + 1 modes along x
  double kx0;  // 2 pi / lx
  double ky0;  // 2 pi / ly
};

// Signed FFT index of j (0..n-1), the Nyquist index as +n/2: for the Laplacian, where the
// Nyquist mode is a genuine |k|^2 (unlike first derivatives, see wavenumber()).
TWINSIM_HD inline int signed_index(int j, int n) { return 2 * j <= n ? j : j - n; }

// Mode indices m count within one sample's plane (< 2^31): 32-bit division is several times
// cheaper than 64-bit on both backends, and these kernels do little else.

// Wavenumbers of mode m (within one sample's [y][x/2 + 1] plane): first-derivative kx, ky
// (Nyquist -> 0) and the Laplacian's |k|^2.
struct ModeK {
  double kx, ky, k2;
};
TWINSIM_HD inline ModeK mode_wavenumbers(const Grid2D& g, std::int64_t m) {
  const int jx = int(m) % g.nkx, jy = int(m) / g.nkx;
  const double sx = signed_index(jx, g.nx) * g.kx0, sy = signed_index(jy, g.ny) * g.ky0;
  return {wavenumber(jx, g.nx, g.kx0), wavenumber(jy, g.ny, g.ky0), sx * sx + sy * sy};
}

// The 2/3 rule as the FNO generator writes it: keep |j| <= n/3 along each axis (integer
// compare, so exactly its `abs(k) <= 2/3 * n/2`). For n not a multiple of 3 the product of two
// kept fields aliases only onto discarded modes.
TWINSIM_HD inline bool dealias_keep(const Grid2D& g, std::int64_t m) {
  const int sx = signed_index(int(m) % g.nkx, g.nx), sy = signed_index(int(m) / g.nkx, g.ny);
  return 3 * (sx < 0 ? -sx : sx) <= g.nx && 3 * (sy < 0 ? -sy : sy) <= g.ny;
}

// Modes of u, v, dw/dx, dw/dy from w_k (psi_k = w_k / |k|^2, none for the mean mode).
template <class Real>
TWINSIM_HD inline void velocity_gradient_modes(const Grid2D& g, std::int64_t m,
                                               core::Complex<Real> w, core::Complex<Real>& u,
                                               core::Complex<Real>& v, core::Complex<Real>& wx,
                                               core::Complex<Real>& wy) {
  const ModeK k = mode_wavenumbers(g, m);
  const Real inv_k2 = k.k2 > 0 ? Real(1.0 / k.k2) : Real(0);
  const core::Complex<Real> psi = inv_k2 * w;
  u = Real(k.ky) * core::times_i(psi);
  v = Real(-k.kx) * core::times_i(psi);
  wx = Real(k.kx) * core::times_i(w);
  wy = Real(k.ky) * core::times_i(w);
}

// Right-hand side N = -(u.grad w)_k + f_k from the forward transform of u.grad w (unnormalised,
// hence 1 / points), dealiased.
template <class Real>
TWINSIM_HD inline core::Complex<Real> nonlinear_mode(const Grid2D& g, std::int64_t m,
                                                     core::Complex<Real> advection_unnormalised,
                                                     core::Complex<Real> forcing) {
  const Real scale = dealias_keep(g, m) ? Real(-1.0 / (double(g.nx) * g.ny)) : Real(0);
  return scale * advection_unnormalised + forcing;
}

// Vorticity forcing on the grid at (x, y). fno: A (sin(2 pi (x/lx + y/ly)) + cos(...)), the
// FNO benchmark's 0.1 (sin(2 pi (x + y)) + cos(2 pi (x + y))) on the unit torus. kolmogorov:
// the curl of the body force A sin(kf y) e_x, i.e. -A kf cos(kf y), kf = 2 pi n / ly.
enum class ForcingKind : int { none, fno, kolmogorov };
struct ForcingParams {
  ForcingKind kind = ForcingKind::none;
  double amplitude = 0.0;  // fno: vorticity/time; kolmogorov: velocity/time (body force)
  int wavenumber = 4;      // kolmogorov: forcing mode n (waves per box edge ly)
};
TWINSIM_HD inline double forcing_value(const ForcingParams& f, const Grid2D& g, double x,
                                       double y) {
  switch (f.kind) {
    case ForcingKind::fno: {
      const double phase = g.kx0 * x + g.ky0 * y;
      return f.amplitude * (sin(phase) + cos(phase));
    }
    case ForcingKind::kolmogorov: {
      const double kf = f.wavenumber * g.ky0;
      return -f.amplitude * kf * cos(kf * y);
    }
    default:
      return 0.0;
  }
}

// Gaussian random field with covariance sigma^2 (-lap + tau^2)^(-alpha) on the box (volume
// V = lx ly): w_k = sigma (|k|^2 + tau^2)^(-alpha/2) / sqrt(V) xi_k with xi_k complex standard
// normal (E|xi|^2 = 1), Hermitian so w is real. The mean and Nyquist modes are zero. xi_k comes
// from Philox(seed, 0) at counter jy * nkx + jx, the column kx = 0 reusing the draw of -ky
// conjugated: the field depends on the seed and the grid only, not on backend or threads.
struct RandomFieldParams {
  double alpha = 2.5;
  double tau = 7.0;
  // The FNO generator (random_fields.py: sqrt_eig = sqrt(2) sigma' (...)^(-alpha/2) with
  // sigma' = tau^(alpha - 1) = 7^(3/2), real part of a complex field) draws modes of variance
  // 2 sigma'^2 lambda^-alpha: sigma = sqrt(2) 7^(3/2) here. The paper quotes 7^(3/2).
  double sigma = 26.191601707417593;
};
template <class Real>
TWINSIM_HD inline core::Complex<Real> random_field_mode(const Grid2D& g, std::int64_t m,
                                                        const RandomFieldParams& p,
                                                        std::uint64_t seed, double volume) {
  const int jx = int(m) % g.nkx, jy = int(m) / g.nkx;
  if ((jx == 0 && jy == 0) || 2 * jx == g.nx || 2 * jy == g.ny) return {Real(0), Real(0)};
  const bool mirror = jx == 0 && 2 * jy > g.ny;  // -ky of the kx = 0 column: conjugate
  const int draw_jy = mirror ? g.ny - jy : jy;
  double z0, z1;
  core::Philox(seed, 0).normal2(std::uint64_t(draw_jy) * g.nkx + jx, z0, z1);
  const double k2 = mode_wavenumbers(g, m).k2;
  const double a = p.sigma * pow(k2 + p.tau * p.tau, -0.5 * p.alpha) / sqrt(2.0 * volume);
  return {Real(a * z0), Real(mirror ? -a * z1 : a * z1)};
}

// 2D Taylor-Green vorticity w = W sin(a x) sin(b y), a = 2 pi m / lx, b = 2 pi m / ly, with
// W = u0 (a^2 + b^2) / b so that u = u0 sin(ax) cos(by): an exact steady Euler solution
// (w is proportional to psi, u.grad w = 0) that decays as exp(-nu (a^2 + b^2) t).
TWINSIM_HD inline double taylor_green_vorticity_2d(const Grid2D& g, double u0, int mode, double x,
                                                   double y) {
  const double a = mode * g.kx0, b = mode * g.ky0;
  return u0 * (a * a + b * b) / b * sin(a * x) * sin(b * y);
}

// Mode of the coarse grid c (index m) from the fine grid's modes: spectral truncation. The
// coarse Nyquist modes are zero (they have no real counterpart on the coarse grid).
template <class Real>
TWINSIM_HD inline core::Complex<Real> truncated_mode(const Grid2D& fine, const Grid2D& coarse,
                                                     std::int64_t m,
                                                     const core::Complex<Real>* fine_modes) {
  const int jx = int(m) % coarse.nkx, jy = int(m) / coarse.nkx;
  if (2 * jx == coarse.nx || 2 * jy == coarse.ny) return {Real(0), Real(0)};
  const int sy = signed_index(jy, coarse.ny);
  const int fy = sy < 0 ? sy + fine.ny : sy;
  return fine_modes[std::int64_t(fy) * fine.nkx + jx];
}

// Mean kinetic energy (1/2 <u^2 + v^2> = 1/2 sum |w_k|^2 / |k|^2) and enstrophy
// (1/2 <w^2> = 1/2 sum |w_k|^2) contributions of half-plane mode m: weight 2 stands for the
// conjugate mode that the r2c layout leaves out.
TWINSIM_HD inline double mode_weight(const Grid2D& g, std::int64_t m) {
  const int jx = int(m) % g.nkx;
  return (jx == 0 || 2 * jx == g.nx) ? 1.0 : 2.0;
}
template <class Real>
TWINSIM_HD inline double energy_of_mode(const Grid2D& g, std::int64_t m, core::Complex<Real> w) {
  const double k2 = mode_wavenumbers(g, m).k2;
  if (k2 == 0) return 0.0;
  return 0.5 * mode_weight(g, m) * (double(w.re) * w.re + double(w.im) * w.im) / k2;
}
template <class Real>
TWINSIM_HD inline double enstrophy_of_mode(const Grid2D& g, std::int64_t m, core::Complex<Real> w) {
  return 0.5 * mode_weight(g, m) * (double(w.re) * w.re + double(w.im) * w.im);
}

// Time steppers: w_k' = L w_k + N(w)_k with L = -nu |k|^2 on each mode.
//
// rk4_if: classical RK4 on v = exp(-L t) w (Lawson's integrating factor), viscosity exact.
// With E = exp(L dt/2) the stages are, for k_s = N(stage input s):
//   s1 = w;  s2 = E (w + dt/2 k1);  s3 = E w + dt/2 k2;  s4 = E^2 w + dt E k3
//   w' = E^2 w + dt/6 (E^2 k1 + 2 E k2 + 2 E k3 + k4)
// `stage` (1..4) is the stage whose k was just evaluated into nl: it updates the accumulator
// acc and writes the next stage input (or, after stage 4, the new w). e = E of the mode, from
// a table (integrating_factor): one exp per mode per run rather than per stage.
TWINSIM_HD inline double integrating_factor(const Grid2D& g, std::int64_t m, double nu, double dt) {
  return exp(-0.5 * nu * mode_wavenumbers(g, m).k2 * dt);
}
template <class Real>
TWINSIM_HD inline void rk4_if_update(int stage, double dt, Real e, core::Complex<Real>& w,
                                     core::Complex<Real>& acc, core::Complex<Real>& next,
                                     core::Complex<Real> nl) {
  const Real e2 = e * e, h = Real(dt);
  switch (stage) {
    case 1:
      acc = e2 * w + (h / 6 * e2) * nl;
      next = e * (w + (h / 2) * nl);
      break;
    case 2:
      acc = acc + (h / 3 * e) * nl;
      next = e * w + (h / 2) * nl;
      break;
    case 3:
      acc = acc + (h / 3 * e) * nl;
      next = e2 * w + (h * e) * nl;
      break;
    default:
      w = acc + (h / 6) * nl;
      break;
  }
}

// Crank-Nicolson for viscosity with an explicit right-hand side r:
//   w' = ((1 - dt/2 nu |k|^2) w + dt r) / (1 + dt/2 nu |k|^2).
// cn_euler (the FNO generator, first order): r = N(w). cn_heun (second order): a cn_euler
// predictor w*, then r = (N(w) + N(w*)) / 2 from the same w.
template <class Real>
TWINSIM_HD inline core::Complex<Real> crank_nicolson(double dt, double nu, const Grid2D& g,
                                                     std::int64_t m, core::Complex<Real> w,
                                                     core::Complex<Real> rhs) {
  const double half = 0.5 * dt * nu * mode_wavenumbers(g, m).k2;
  return Real(1.0 / (1.0 + half)) * (Real(1.0 - half) * w + Real(dt) * rhs);
}

}  // namespace twinsim::spectral
