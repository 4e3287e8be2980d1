// Time per step of the batched 2D vorticity solver, B x n^2, for each scheme and precision, with
// the share spent in FFTs (the same batched transforms timed on their own). Prints figures; not
// a timed test. Usage: bench_spectral_2d [cpu|gpu] [n] [steps] [B ...]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "twinsim/core/Backend.hpp"
#include "twinsim/core/Buffer.hpp"
#include "twinsim/core/Fft.hpp"
#include "twinsim/spectral/Vorticity2D.hpp"

using namespace twinsim;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Right-hand side evaluations per step: each is one inverse transform of 4B fields and one
// forward transform of B fields.
int evaluations_per_step(spectral::Scheme s) {
  return s == spectral::Scheme::rk4_if ? 4 : s == spectral::Scheme::cn_heun ? 2 : 1;
}

// Seconds for the transforms of `steps` steps, run alone on Space buffers (contents do not
// change their cost). The last copy to the host waits for queued GPU work.
template <class Real, class Space>
double fft_seconds(core::Backend backend, int n, int batch, spectral::Scheme scheme, int steps) {
  auto fft = core::make_real_fft<Real>(backend, {n, n}, batch);
  auto fft4 = core::make_real_fft<Real>(backend, {n, n}, 4 * batch);
  core::Buffer<Real, Space> grid(4 * std::size_t(n) * n * batch);
  core::Buffer<core::Complex<Real>, Space> modes(4 * std::size_t(n) * (n / 2 + 1) * batch);
  core::Buffer<Real, core::HostSpace> h_probe(1);
  const auto wait = [&] {
    core::detail::copy_bytes(h_probe.data(), core::MemorySpace::Host, grid.data(), Space::k_space,
                             sizeof(Real));
  };
  const int calls = evaluations_per_step(scheme) * steps;
  wait();
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < calls; ++i) {
    fft4->inverse(modes.data(), grid.data());
    fft->forward(grid.data(), modes.data());
  }
  wait();
  return seconds_since(t0);
}

template <class Real>
void bench(core::Backend backend, int n, int steps, int batch, spectral::Scheme scheme) {
  spectral::Vorticity2DConfig c;
  c.nx = c.ny = n;
  c.batch = batch;
  c.scheme = scheme;
  c.dt = 1e-4;
  c.forcing = {spectral::ForcingKind::fno, 0.1, 0};
  auto solver = spectral::make_vorticity2d<Real>(backend, c);
  std::vector<std::uint64_t> seeds(batch);
  for (int b = 0; b < batch; ++b) seeds[b] = b;
  solver->set_random_field({}, seeds);
  solver->advance(2);        // warm-up
  solver->kinetic_energy();  // waits for queued GPU work
  auto t0 = std::chrono::steady_clock::now();
  solver->advance(steps);
  solver->kinetic_energy();
  const double step_s = seconds_since(t0) / steps;

  const double fft_s = backend == core::Backend::Cpu
                           ? fft_seconds<Real, core::HostSpace>(backend, n, batch, scheme, steps)
                           : fft_seconds<Real, core::DeviceSpace>(backend, n, batch, scheme, steps);
  const double fft_share = fft_s / steps / step_s;
  std::printf("%-8s %-6s %4d x %4d^2: %9.3f ms/step, %8.3f ms/sample-step, %9.1f sample-steps/s",
              std::string(spectral::to_string(scheme)).c_str(), sizeof(Real) == 4 ? "fp32" : "fp64",
              batch, n, 1e3 * step_s, 1e3 * step_s / batch, batch / step_s);
  std::printf(", FFT share %.0f %%\n", 100 * fft_share);
}

}  // namespace

int main(int argc, char** argv) {
  const core::Backend backend = core::select_backend(argc > 1 ? argv[1] : "auto");
  const int n = argc > 2 ? std::atoi(argv[2]) : 256;
  const int steps = argc > 3 ? std::atoi(argv[3]) : 10;
  std::vector<int> batches;
  for (int i = 4; i < argc; ++i) batches.push_back(std::atoi(argv[i]));
  if (batches.empty()) batches = {1, 8};
  std::printf("backend %s\n", std::string(core::to_string(backend)).c_str());
  for (spectral::Scheme s : {spectral::Scheme::rk4_if, spectral::Scheme::cn_euler})
    for (int b : batches) {
      bench<float>(backend, n, steps, b, s);
      bench<double>(backend, n, steps, b, s);
    }
}
