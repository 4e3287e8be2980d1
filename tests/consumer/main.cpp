// Uses the installed headers and libraries: an FFT on the CPU backend must give the DFT of a
// single cosine mode, a solver library (lattice Boltzmann units) must be linkable and give the
// textbook tau, a case run through the md library alone must give what `twinsim run` gives (a
// run folder whose summary shows the NVE energy conserved), and the version must be Twinsim's.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "twinsim/core/Buffer.hpp"
#include "twinsim/core/Fft.hpp"
#include "twinsim/core/versions.hpp"
#include "twinsim/io/RunDirectory.hpp"
#include "twinsim/lbm/Units.hpp"
#include "twinsim/loop/Run.hpp"
#include "twinsim/md/Run.hpp"

namespace {

// 256 atoms of the LJ liquid, NVE for 200 steps of 0.005 tau, on the CPU; the pair energy is
// shifted to zero at the cutoff, so that pairs crossing it do not make the energy jump.
int run_md_case() {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "twinsim-consumer-md";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path case_path = dir / "nve.toml";
  std::ofstream(case_path) << "[run]\nname = \"nve\"\nsolver = \"md\"\ndevice = \"cpu\"\n"
                              "[md]\ncells = [4, 4, 4]\ntemperature = 0.7\nsteps = 200\n"
                              "thermo_every = 20\nshift = true\n";
  const twinsim::io::Case c = twinsim::io::Case::from_file(
      case_path.string(), twinsim::loop::case_schema({twinsim::md::kind()}));
  const int status = twinsim::loop::run(twinsim::md::kind(), c,
                                        {case_path.string(), (dir / "run").string()});
  std::stringstream summary;
  summary << std::ifstream(dir / "run" / "summary.json").rdbuf();
  const auto e0 = twinsim::io::json_number(summary.str(), "conserved_energy_per_atom.initial");
  const auto e1 = twinsim::io::json_number(summary.str(), "conserved_energy_per_atom.final");
  if (status != twinsim::loop::k_exit_ok || !e0 || !e1 || !fs::exists(dir / "run" / "nve.h5")) {
    std::printf("md run through the library: exit %d, summary %s\n", status,
                summary.str().c_str());
    return 1;
  }
  // Velocity Verlet at dt 0.005 keeps the energy per atom to about 1e-4 over 200 steps.
  if (std::abs(*e1 - *e0) > 1e-3) {
    std::printf("md NVE energy per atom moved from %.8f to %.8f\n", *e0, *e1);
    return 1;
  }
  return 0;
}

}  // namespace

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
  if (run_md_case() != 0) return 1;
  std::printf("twinsim %s found and working\n", version().c_str());
  return 0;
}
