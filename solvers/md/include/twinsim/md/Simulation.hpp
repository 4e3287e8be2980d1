#pragma once
// Molecular dynamics of a Lennard-Jones fluid in a periodic orthorhombic box, on either backend.
// Reduced LJ units throughout: lengths in sigma, energies in epsilon, masses in m, time in
// tau = sigma sqrt(m / epsilon), temperature in epsilon / k_B, pressure in epsilon / sigma^3.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "twinsim/core/Backend.hpp"

namespace twinsim::md {

// Periodic box [0, edge) along x, y and z.
struct Box {
  std::array<double, 3> edge;
  double volume() const { return edge[0] * edge[1] * edge[2]; }
};

struct LjOptions {
  double cutoff = 2.5;  // rc, sigma
  bool shift = false;   // subtract u(rc) so the pair energy is continuous at rc
  bool tail = false;    // add the analytic long-range corrections to energy and pressure
};

// Langevin dynamics, integrated by BAOAB (Leimkuhler & Matthews 2013): exact
// Ornstein-Uhlenbeck velocity updates between half drifts; configurational averages stay
// accurate to O(dt^2) at any friction.
struct Langevin {
  double temperature = 1.0;  // epsilon / k_B
  double friction = 1.0;     // gamma, 1/tau
  std::uint64_t seed = 1;    // noise: core::Philox(seed, step), counter from the particle
};

struct MdSettings {
  Box box;
  LjOptions lj;
  double skin = 0.3;                 // Verlet list radius is cutoff + skin, sigma
  double dt = 0.005;                 // tau
  std::optional<Langevin> langevin;  // absent: NVE velocity Verlet
};

// Per-particle arrays on the host, each [N][3] in C order (the H5MD layout).
struct HostParticles {
  std::vector<double> position;
  std::vector<double> velocity;
  std::vector<double> force;  // filled by Simulation::particles(); ignored as input
  std::size_t size() const { return position.size() / 3; }
};

// Whole-system figures at one step (totals, not per atom).
struct Thermo {
  std::int64_t step = 0;
  double time = 0;  // tau
  std::int64_t atoms = 0;
  double kinetic = 0;    // sum m v^2 / 2
  double potential = 0;  // pair sum (+ N U_tail/N with tail corrections)
  double total = 0;
  double temperature = 0;  // 2 KE / (3N - 3): the total momentum is not a degree of freedom
  double pressure = 0;     // (2 KE + sum r.f) / 3V (+ P_tail), as LAMMPS computes it
  std::array<double, 3> momentum{};
};

// The Verlet list as built, for checks: neighbors[i] lists every j != i within cutoff + skin
// of i at the positions the list was built from.
struct NeighborSnapshot {
  std::vector<std::vector<int>> neighbors;
  std::vector<double> build_position;  // [N][3], wrapped into the box
  double radius = 0;                   // cutoff + skin
};

// Velocity Verlet (NVE) or Langevin BAOAB (NVT) with a full Verlet list, rebuilt from a cell
// list whenever a particle has moved more than half the skin since the last build. State lives
// in backend memory.
class Simulation {
 public:
  virtual ~Simulation() = default;
  // Advances `steps` time steps.
  virtual void run(std::int64_t steps) = 0;
  virtual Thermo thermo() = 0;
  virtual HostParticles particles() = 0;
  virtual NeighborSnapshot neighbors() = 0;
  virtual std::int64_t step() const = 0;
  // Verlet list builds, the initial one included.
  virtual std::int64_t neighbor_builds() const = 0;
  virtual const MdSettings& settings() const = 0;
};

// Throws core::Error for a box edge shorter than 2 (cutoff + skin) (the minimum image would
// miss pairs), fewer than 2 particles, arrays of different lengths, non-finite values or
// non-positive dt/cutoff, or a Langevin thermostat with T < 0 or friction <= 0.
std::unique_ptr<Simulation> make_simulation(core::Backend backend, const MdSettings& settings,
                                            const HostParticles& initial);

// Analytic long-range corrections of the LJ potential truncated at rc for a uniform fluid of
// number density rho (g(r) = 1 beyond rc): energy per atom and pressure.
double lj_tail_energy_per_atom(double density, double cutoff);
double lj_tail_pressure(double density, double cutoff);

}  // namespace twinsim::md
