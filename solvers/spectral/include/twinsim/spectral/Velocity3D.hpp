#pragma once
// Batched 3D incompressible Navier-Stokes in velocity form on a periodic box, pseudo-spectral:
// rotational form u x w on the grid with 2/3 dealiasing, projection onto divergence-free
// fields, RK4 with an integrating factor for viscosity. B samples share batched FFTs. State:
// the Fourier modes of u, v, w in the backend's memory; FP32 or FP64 (Real).
//
// Across the ranks of a core::Comm the grid is split in slabs (core::SlabFft): each rank holds
// n / P planes of z on the grid and n / P rows of y in Fourier space, and every kernel runs on
// its own part; the transforms meet in all-to-alls and the figures (energy, enstrophy,
// divergence, spectrum, the CFL bound) are reduced over the ranks. Every call is then
// collective. On one rank the results are those of the undivided solver bit for bit.
#include <cstdint>
#include <memory>
#include <vector>

#include "twinsim/core/Backend.hpp"
#include "twinsim/core/Comm.hpp"
#include "twinsim/core/SlabFft.hpp"
#include "twinsim/spectral/SpectralState.hpp"
#include "twinsim/spectral/kernels/velocity3d_kernel.hpp"

namespace twinsim::spectral {

struct Velocity3DConfig {
  int nx = 32, ny = 32, nz = 32;                       // grid points (even, >= 4)
  double lx = 2 * M_PI, ly = 2 * M_PI, lz = 2 * M_PI;  // box edges [length]
  double nu = 1.0 / 1600;                              // viscosity [length^2/time]
  double dt = 1e-2;                                    // time step [time]
  double linear_forcing = 0.0;  // A in f = A u (Lundgren's linear forcing) [1/time]
  int batch = 1;
};

template <class Real>
class Velocity3D {
 public:
  virtual ~Velocity3D() = default;
  virtual const Velocity3DConfig& config() const = 0;
  // The same initial field in every sample (velocity amplitude v0); resets the time to 0.
  virtual void set_initial(Initial3D kind, double v0) = 0;
  // Grid values [c][b][z][y][x] (c = u, v, w) of the whole grid (on every rank: each takes its
  // planes), host memory, projected onto divergence-free fields (a field that is
  // divergence-free already changes at round-off only); time 0.
  virtual void set_velocity(const std::vector<Real>& h_velocity) = 0;
  virtual void advance(std::int64_t steps) = 0;
  // Advances by `duration` with adaptive steps dt = min(config().dt, cfl * min_i (h_i /
  // max |u_i|)) (max over the grid and the batch, at the start of each step), the remaining
  // steps shortened equally to land on the end exactly; returns the steps taken (see
  // Vorticity2D::advance_cfl).
  std::int64_t advance_cfl(double duration, double cfl) {
    return advance_cfl_to(time() + duration, cfl, INT64_MAX);
  }
  // The same toward the time `target`, at most max_steps steps (Vorticity2D::advance_cfl_to).
  virtual std::int64_t advance_cfl_to(double target, double cfl, std::int64_t max_steps) = 0;
  virtual double last_dt() const = 0;  // the most recent step [time] (config().dt before any)
  virtual double time() const = 0;
  // Host copy of the velocity on this rank's planes, [c][b][z0 .. z0 + planes)[y][x], c = u, v,
  // w (one rank: the whole grid); gather_velocity() below puts the ranks' planes together.
  virtual std::vector<Real> velocity() = 0;
  // Per sample: mean kinetic energy 1/2 <|u|^2>, enstrophy 1/2 <|curl u|^2> (dissipation
  // 2 nu enstrophy), and max over modes |k.u_k| / max |k| |u_k| (0 for a divergence-free field).
  virtual std::vector<double> kinetic_energy() const = 0;
  virtual std::vector<double> enstrophy() const = 0;
  virtual std::vector<double> relative_divergence() const = 0;
  // Shell-summed kinetic-energy spectrum per sample, host [b][shell]: E_s = sum of
  // 1/2 |u_k|^2 over modes with round(|k| / dk) = s [length^2/time^2], shell s at |k| = s dk,
  // dk = 2 pi / max edge (energy_spectrum_kernel.hpp); sum_s E_s = kinetic_energy().
  virtual std::vector<double> energy_spectrum() = 0;
  virtual int spectrum_shells() const = 0;
  virtual double spectrum_shell_width() const = 0;  // dk [1/length]

  // Checkpoints: the complete state the next step depends on (this rank's velocity modes
  // [c][b][modes of layout()] and the clock), and a solver of the same config on the same rank
  // count continuing from it bit for bit. set_state throws core::Error for a state of another
  // size.
  virtual SpectralState<Real> state() const = 0;
  virtual void set_state(const SpectralState<Real>& state) = 0;

  // Which planes and modes this rank holds, and the ranks the solver is split over.
  virtual const core::SlabLayout& layout() const = 0;
  virtual core::Comm& comm() const = 0;
};

// Throws core::Error for an odd or too small grid, batch < 1, dt <= 0, nu < 0, a grid whose nz
// or ny the rank count does not divide, or the GPU backend where this build has none. Without
// a communicator: one rank (the whole grid in this process).
template <class Real>
std::unique_ptr<Velocity3D<Real>> make_velocity3d(core::Backend backend, const Velocity3DConfig& c,
                                                  core::Comm& comm);
template <class Real>
std::unique_ptr<Velocity3D<Real>> make_velocity3d(core::Backend backend, const Velocity3DConfig& c);

// The velocity on the whole grid, [c][b][z][y][x], on rank `root` (empty on the others): each
// rank's planes gathered (collective).
template <class Real>
std::vector<Real> gather_velocity(Velocity3D<Real>& solver, int root = 0);

}  // namespace twinsim::spectral
