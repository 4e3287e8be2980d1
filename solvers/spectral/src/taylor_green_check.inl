// Backend translation unit: the Taylor-Green check on the OpenMP or CUDA backend.
#include <cmath>

#include "twinsim/core/Fft.hpp"
#include "twinsim/core/exec.hpp"
#include "twinsim/spectral/TaylorGreenCheck.hpp"
#include "twinsim/spectral/kernels/spectral_derivative_kernel.hpp"

namespace twinsim::TWINSIM_BACKEND_NS {

namespace spectral_detail {

using core::Buffer;
using core::Complex;
using spectral::TaylorGreenFrame;
using spectral::TaylorGreenParams;

// Kernels as free functions over raw pointers (Space memory): nvcc's extended lambdas may not
// live in private member functions.

// u, v and the exact vorticity w at time t on the n x n grid, [y][x] row-major.
void sample_exact(int n, TaylorGreenParams p, double t, double* u, double* v, double* w) {
  const double h = 2.0 * M_PI / p.k / n;
  for_each_index(Index(n) * n, [=] TWINSIM_HD(Index i) {
    const double x = h * double(i % n), y = h * double(i / n);
    spectral::taylor_green_velocity(p, x, y, t, u[i], v[i]);
    w[i] = spectral::taylor_green_vorticity(p, x, y, t);
  });
}

// Replaces the u modes (first plane of `modes`, r2c layout) by the vorticity modes
// i kx v - i ky u, scaled by 1/N for the unnormalised inverse transform.
void curl_modes(int n, double k0, Complex<double>* modes) {
  const int nk = n / 2 + 1;
  const double scale = 1.0 / (double(n) * n);
  Complex<double>* uk = modes;
  const Complex<double>* vk = modes + std::size_t(n) * nk;
  for_each_index(Index(n) * nk, [=] TWINSIM_HD(Index i) {
    const double kx = spectral::wavenumber(int(i % nk), n, k0);
    const double ky = spectral::wavenumber(int(i / nk), n, k0);
    uk[i] = spectral::curl_mode(uk[i], vk[i], kx, ky, scale);
  });
}

double mean_kinetic_energy(Index points, const double* u, const double* v) {
  return transform_reduce(
             points, 0.0, [=] TWINSIM_HD(Index i) { return 0.5 * (u[i] * u[i] + v[i] * v[i]); },
             core::Plus{}) /
         double(points);
}

double max_difference(Index points, const double* a, const double* b) {
  return transform_reduce(
      points, 0.0, [=] TWINSIM_HD(Index i) { return fabs(a[i] - b[i]); }, core::Max{});
}

class TaylorGreenCheckImpl final : public spectral::TaylorGreenCheck {
 public:
  TaylorGreenCheckImpl(int n, const TaylorGreenParams& p)
      : m_n(n),
        m_params(p),
        m_velocity(2 * std::size_t(n) * n),
        m_modes(2 * std::size_t(n) * (n / 2 + 1)),
        m_vorticity(std::size_t(n) * n),
        m_vorticity_exact(std::size_t(n) * n),
        m_fft_uv(core::make_real_fft<double>(k_backend, {n, n}, 2)),
        m_fft_w(core::make_real_fft<double>(k_backend, {n, n}, 1)) {}

  int n() const override { return m_n; }

  TaylorGreenFrame evaluate(double t) override {
    const Index points = Index(m_n) * m_n;
    double* u = m_velocity.data();
    double* v = u + points;
    sample_exact(m_n, m_params, t, u, v, m_vorticity_exact.data());
    m_fft_uv->forward(m_velocity.data(), m_modes.data());
    curl_modes(m_n, m_params.k, m_modes.data());
    m_fft_w->inverse(m_modes.data(), m_vorticity.data());

    TaylorGreenFrame f;
    f.kinetic_energy = mean_kinetic_energy(points, u, v);
    f.max_vorticity_error = max_difference(points, m_vorticity.data(), m_vorticity_exact.data());
    const std::vector<double> uv = core::to_host(m_velocity);
    f.velocity.assign(3 * std::size_t(points), 0.0);
    for (Index i = 0; i < points; ++i) {
      f.velocity[3 * i] = uv[i];
      f.velocity[3 * i + 1] = uv[points + i];
    }
    f.vorticity = core::to_host(m_vorticity);
    f.vorticity_exact = core::to_host(m_vorticity_exact);
    return f;
  }

 private:
  int m_n;
  TaylorGreenParams m_params;
  Buffer<double, Space> m_velocity;             // [2][y][x]: u then v
  Buffer<Complex<double>, Space> m_modes;       // [2][y][x/2+1]: u and v modes
  Buffer<double, Space> m_vorticity;            // [y][x]
  Buffer<double, Space> m_vorticity_exact;      // [y][x]
  std::unique_ptr<core::RealFft<double>> m_fft_uv;  // batch of 2: u and v together
  std::unique_ptr<core::RealFft<double>> m_fft_w;
};

}  // namespace spectral_detail

std::unique_ptr<spectral::TaylorGreenCheck> make_taylor_green_check(
    int n, const spectral::TaylorGreenParams& p) {
  return std::make_unique<spectral_detail::TaylorGreenCheckImpl>(n, p);
}

}  // namespace twinsim::TWINSIM_BACKEND_NS
