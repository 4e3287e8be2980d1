// Uses the installed headers and libraries: an FFT on the CPU backend must give the DFT of a
// single cosine mode, a solver library (lattice Boltzmann units) must be linkable and give the
// textbook tau, and the version must be Twinsim's.
#include <cmath>
#include <cstdio>
#include <vector>

#include "twinsim/core/Buffer.hpp"
#include "twinsim/core/Fft.hpp"
#include "twinsim/core/versions.hpp"
#include "twinsim/lbm/Units.hpp"

int main() {
  using namespace twinsim::core;
  const int n = 16;
  std::vector<double> x(n);
  for (int i = 0; i < n; ++i) x[i] = std::cos(2.0 * M_PI * 3.0 * i / n);
  auto fft = make_real_fft<double>(Backend::Cpu, {n});
  const auto d_x = Buffer<double, HostSpace>::from_host(x);
  Buffer<Complex<double>, HostSpace> d_k(n / 2 + 1);
  fft->forward(d_x.data(), d_k.data());
  const auto k = to_host(d_k);
  // A cosine of mode 3 has X[3] = n/2 and nothing elsewhere.
  for (int m = 0; m <= n / 2; ++m) {
    const double expected = m == 3 ? n / 2.0 : 0.0;
    if (std::abs(k[m].re - expected) > 1e-12 || std::abs(k[m].im) > 1e-12) {
      std::printf("mode %d: %g %+gi, expected %g\n", m, k[m].re, k[m].im, expected);
      return 1;
    }
  }
  // 100 cells on 1 m, u_ref = 1 m/s -> 0.1 lattice, nu = 1e-3 m^2/s:
  // nu_lattice = nu dt / dx^2 = 1e-3 * 1e-3 / 1e-4 = 0.01, tau = 3 nu_lattice + 1/2 = 0.53.
  twinsim::lbm::PhysicalSetup setup;
  setup.cells = {100, 100};
  setup.viscosity = 1e-3;
  setup.reference_velocity = 1.0;
  const double tau = twinsim::lbm::to_lattice_units(setup).tau;
  if (std::abs(tau - 0.53) > 1e-12) {
    std::printf("lbm tau %.15g, expected 0.53\n", tau);
    return 1;
  }
  std::printf("twinsim %s found and working\n", version().c_str());
  return 0;
}
