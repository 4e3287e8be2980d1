#pragma once
// 3D incompressible Navier-Stokes in velocity form on a periodic box, written once for both
// backends. Rotational form: du/dt = P(u x w) + nu lap u (+ A u, linear forcing), w = curl u,
// P the projection onto divergence-free fields (it also removes the Bernoulli pressure gradient).
// Modes are normalised coefficients in the r2c layout [c][b][z][y][x/2 + 1], c = x, y, z (on
// several ranks each holds a slab of them, transposed: Grid3D).
#include <cstdint>

#include "twinsim/core/Complex.hpp"
#include "twinsim/core/HostDevice.hpp"
#include "twinsim/spectral/kernels/vorticity2d_kernel.hpp"

namespace twinsim::spectral {

struct Grid3D {
  int nx, ny, nz;
  int nkx;               // nx / 2 + 1
  double kx0, ky0, kz0;  // 2 pi / edge
  // This rank's part of the grid (core::SlabLayout; one rank: all of it). Points: planes z0 ..
  // of [z][y][x]. Modes: [z][y][x/2+1], or transposed [y0 + local y][x/2+1][z] (several ranks).
  int z0 = 0, y0 = 0;
  bool transposed = false;
};

// Indices (jx, jy, jz) of this rank's mode m of one sample (m < 2^31).
struct ModeIndex3 {
  int jx, jy, jz;
};
TWINSIM_HD inline ModeIndex3 mode_index_3d(const Grid3D& g, std::int64_t m) {
  const int p = int(m);
  if (g.transposed) {
    const int r = p / g.nz;
    return {r % g.nkx, g.y0 + r / g.nkx, p % g.nz};
  }
  const int r = p / g.nkx;
  return {p % g.nkx, r % g.ny, r / g.ny};
}

// Wavenumbers of this rank's mode m of one sample: first-derivative k (Nyquist -> 0) and the
// Laplacian's |k|^2, plus whether the 2/3 rule keeps the mode.
struct ModeK3 {
  double kx, ky, kz, k2;
  bool keep;
};
TWINSIM_HD inline ModeK3 mode_wavenumbers_3d(const Grid3D& g, std::int64_t m) {
  const ModeIndex3 j = mode_index_3d(g, m);
  const int jx = j.jx, jy = j.jy, jz = j.jz;
  const int sx = signed_index(jx, g.nx), sy = signed_index(jy, g.ny), sz = signed_index(jz, g.nz);
  const double qx = sx * g.kx0, qy = sy * g.ky0, qz = sz * g.kz0;
  const bool keep = 3 * (sx < 0 ? -sx : sx) <= g.nx && 3 * (sy < 0 ? -sy : sy) <= g.ny &&
                    3 * (sz < 0 ? -sz : sz) <= g.nz;
  return {wavenumber(jx, g.nx, g.kx0), wavenumber(jy, g.ny, g.ky0), wavenumber(jz, g.nz, g.kz0),
          qx * qx + qy * qy + qz * qz, keep};
}

// w = i k x u for one mode.
template <class Real>
TWINSIM_HD inline void curl_modes_3d(const ModeK3& k, core::Complex<Real> u, core::Complex<Real> v,
                                     core::Complex<Real> w, core::Complex<Real>& ox,
                                     core::Complex<Real>& oy, core::Complex<Real>& oz) {
  ox = core::times_i(Real(k.ky) * w - Real(k.kz) * v);
  oy = core::times_i(Real(k.kz) * u - Real(k.kx) * w);
  oz = core::times_i(Real(k.kx) * v - Real(k.ky) * u);
}

// Right-hand side of one mode from the forward transforms (unnormalised, hence `scale` =
// 1 / points) of u x w: dealiased, projected (a - k (k.a) / |k|^2), plus linear forcing A u.
template <class Real>
TWINSIM_HD inline void projected_rhs_3d(const ModeK3& k, double scale, double forcing,
                                        core::Complex<Real>& ax, core::Complex<Real>& ay,
                                        core::Complex<Real>& az, core::Complex<Real> u,
                                        core::Complex<Real> v, core::Complex<Real> w) {
  const Real s = Real(k.keep ? scale : 0.0);
  core::Complex<Real> x = s * ax, y = s * ay, z = s * az;
  if (k.k2 > 0) {
    const core::Complex<Real> kdota = Real(k.kx) * x + Real(k.ky) * y + Real(k.kz) * z;
    const Real inv = Real(1.0 / k.k2);
    x = x - (inv * Real(k.kx)) * kdota;
    y = y - (inv * Real(k.ky)) * kdota;
    z = z - (inv * Real(k.kz)) * kdota;
  }
  const Real a = Real(forcing);
  ax = x + a * u;
  ay = y + a * v;
  az = z + a * w;
}

// Initial velocities at (x, y, z), a, b, c = 2 pi / (lx, ly, lz).
// taylor_green: u = V0 sin(ax) cos(by) cos(cz), v = -V0 (a/b) cos(ax) sin(by) cos(cz), w = 0
//   (divergence-free; the Re = 1600 benchmark on [0, 2 pi)^3 with V0 = 1).
// abc: Arnold-Beltrami-Childress with A = B = C = V0: on a cube curl u = k u, so u x w = 0 and
//   the flow decays exactly as exp(-nu k^2 t).
enum class Initial3D : int { taylor_green, abc };
TWINSIM_HD inline void initial_velocity_3d(Initial3D kind, const Grid3D& g, double v0, double x,
                                           double y, double z, double& u, double& v, double& w) {
  const double a = g.kx0, b = g.ky0, c = g.kz0;
  if (kind == Initial3D::taylor_green) {
    u = v0 * sin(a * x) * cos(b * y) * cos(c * z);
    v = -v0 * (a / b) * cos(a * x) * sin(b * y) * cos(c * z);
    w = 0.0;
  } else {
    u = v0 * (sin(c * z) + cos(b * y));
    v = v0 * (sin(a * x) + cos(c * z));
    w = v0 * (sin(b * y) + cos(a * x));
  }
}

// Mode contributions (weight 2 for the conjugate the r2c layout leaves out) to the mean kinetic
// energy 1/2 <|u|^2>, the enstrophy 1/2 <|w|^2> = 1/2 sum |k|^2 |u_k|^2 and the divergence
// |k.u_k|.
TWINSIM_HD inline double mode_weight_3d(const Grid3D& g, std::int64_t m) {
  const int jx = mode_index_3d(g, m).jx;
  return (jx == 0 || 2 * jx == g.nx) ? 1.0 : 2.0;
}
template <class Real>
TWINSIM_HD inline double squared_norm(core::Complex<Real> a, core::Complex<Real> b,
                                      core::Complex<Real> c) {
  return double(a.re) * a.re + double(a.im) * a.im + double(b.re) * b.re + double(b.im) * b.im +
         double(c.re) * c.re + double(c.im) * c.im;
}

}  // namespace twinsim::spectral
