// Time per RK4 step of the 3D velocity-form solver at n^3 with the share spent in FFTs (the
// same batched transforms timed alone), FP32 and FP64: medians over R repeats of `steps`
// steps (and of the transforms alone), plus the energy spectrum's cost per call; optionally the
// Taylor-Green Re = 1600 run to t_end with its dissipation peak. Prints figures; not a timed
// test. Usage: bench_spectral_3d [cpu|gpu] [n ...] [--steps S] [--repeats R] [--cpu-time]
// [--tgv N T_END]
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "twinsim/core/Backend.hpp"
#include "twinsim/core/Buffer.hpp"
#include "twinsim/core/Fft.hpp"
#include "twinsim/spectral/Analysis.hpp"
#include "twinsim/spectral/Velocity3D.hpp"

#include "../bench_support.hpp"

using namespace twinsim;

namespace {

using bench_support::Clock;
using bench_support::median;
using bench_support::now;
using bench_support::seconds_since;

// Seconds for the transforms of `steps` RK4 steps (4 x (inverse of 6 fields + forward of 3)),
// alone on Space buffers; the copies to the host wait for queued GPU work.
template <class Real, class Space>
double fft_seconds(core::Backend backend, int n, int steps) {
  auto fft3 = core::make_real_fft<Real>(backend, {n, n, n}, 3);
  auto fft6 = core::make_real_fft<Real>(backend, {n, n, n}, 6);
  core::Buffer<Real, Space> grid(6 * std::size_t(n) * n * n);
  core::Buffer<core::Complex<Real>, Space> modes(6 * std::size_t(n) * n * (n / 2 + 1));
  core::Buffer<Real, core::HostSpace> h_probe(1);
  const auto wait = [&] {
    core::detail::copy_bytes(h_probe.data(), core::MemorySpace::Host, grid.data(), Space::k_space,
                             sizeof(Real));
  };
  fft6->inverse(modes.data(), grid.data());  // first touch of the pages, outside the timing
  fft3->forward(grid.data(), modes.data());
  wait();
  const auto t0 = now();
  for (int i = 0; i < 4 * steps; ++i) {
    fft6->inverse(modes.data(), grid.data());
    fft3->forward(grid.data(), modes.data());
  }
  wait();
  return seconds_since(t0);
}

template <class Real>
void bench(core::Backend backend, int n, int steps, int repeats) {
  spectral::Velocity3DConfig c;
  c.nx = c.ny = c.nz = n;
  c.dt = 1e-3;
  auto solver = spectral::make_velocity3d<Real>(backend, c);
  solver->set_initial(spectral::Initial3D::taylor_green, 1.0);
  solver->advance(1);
  solver->kinetic_energy();  // waits for queued GPU work
  std::vector<double> step_s, fft_s, spectrum_s;
  for (int r = 0; r < repeats; ++r) {
    auto t0 = now();
    solver->advance(steps);
    solver->kinetic_energy();
    step_s.push_back(seconds_since(t0) / steps);
    fft_s.push_back((backend == core::Backend::Cpu
                         ? fft_seconds<Real, core::HostSpace>(backend, n, steps)
                         : fft_seconds<Real, core::DeviceSpace>(backend, n, steps)) /
                    steps);
    t0 = now();
    solver->energy_spectrum();  // returns a host copy: waits for the work
    spectrum_s.push_back(seconds_since(t0));
  }
  const double step = median(step_s), fft = median(fft_s);
  std::printf("rk4_if %s %4d^3: %9.3f ms/step (median of %d x %d steps, min %.3f max %.3f), "
              "FFT %.3f ms/step = share %.0f %%, E(k) %.3f ms/call\n",
              sizeof(Real) == 4 ? "fp32" : "fp64", n, 1e3 * step, repeats, steps,
              1e3 * *std::min_element(step_s.begin(), step_s.end()),
              1e3 * *std::max_element(step_s.begin(), step_s.end()), 1e3 * fft, 100 * fft / step,
              1e3 * median(spectrum_s));
}

void taylor_green(core::Backend backend, int n, double t_end) {
  spectral::Velocity3DConfig c;
  c.nx = c.ny = c.nz = n;
  c.dt = 5e-3;
  auto solver = spectral::make_velocity3d<double>(backend, c);
  solver->set_initial(spectral::Initial3D::taylor_green, 1.0);
  std::vector<double> times, dissipation;
  while (solver->time() < t_end - 1e-9) {
    solver->advance(20);
    const double eps = 2 * c.nu * solver->enstrophy()[0];
    times.push_back(solver->time());
    dissipation.push_back(eps);
    std::printf("t %.2f E %.6f eps %.6f\n", solver->time(), solver->kinetic_energy()[0], eps);
  }
  const spectral::Peak peak = spectral::peak_of(times, dissipation);
  std::printf("TG Re=1600 %d^3: peak dissipation %.6f at t = %.2f, between records %.6f at "
              "t = %.3f (DNS: 0.012855 at 9.0)\n",
              n, peak.value, peak.time, peak.value_interpolated, peak.time_interpolated);
}

}  // namespace

int run(int argc, char** argv) {
  const core::Backend backend = core::select_backend(argc > 1 ? argv[1] : "auto");
  std::vector<int> sizes;
  int steps = 3, repeats = 5;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--tgv") == 0 && i + 2 < argc) {
      taylor_green(backend, std::atoi(argv[i + 1]), std::atof(argv[i + 2]));
      return 0;
    }
    if (std::strcmp(argv[i], "--steps") == 0 && i + 1 < argc) {
      steps = std::atoi(argv[++i]);
      continue;
    }
    if (std::strcmp(argv[i], "--repeats") == 0 && i + 1 < argc) {
      repeats = std::atoi(argv[++i]);
      continue;
    }
    if (std::strcmp(argv[i], "--cpu-time") == 0) {
      bench_support::cpu_time = true;
      continue;
    }
    sizes.push_back(std::atoi(argv[i]));
  }
  if (sizes.empty()) sizes = {64, 128};
  std::printf("backend %s, %s time\n", std::string(core::to_string(backend)).c_str(),
              bench_support::cpu_time ? "process CPU" : "wall");
  for (int n : sizes) {
    bench<float>(backend, n, steps, repeats);
    bench<double>(backend, n, steps, repeats);
  }  return 0;
}

int main(int argc, char** argv) { return twinsim::bench_support::guarded_main(run, argc, argv); }
