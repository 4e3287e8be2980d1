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
#include "twinsim/core/Error.hpp"

namespace twinsim::io {
class StateWriter;
class StateReader;
}  // namespace twinsim::io
namespace twinsim::core {
class Comm;
}  // namespace twinsim::core

namespace twinsim::md {

// Periodic box [0, edge) along x, y and z.
struct Box {
  std::array<double, 3> edge;
  double volume() const { return edge[0] * edge[1] * edge[2]; }
};

struct LjOptions {
  double cutoff = 2.5;  // rc, sigma (LJ and Morse; WCA cuts each pair at 2^(1/6) sigma_ij)
  bool shift = false;   // subtract u(rc) so the pair energy is continuous at rc
  bool tail = false;    // add the analytic long-range corrections to energy and pressure (LJ)
};

// Pair potential of every type pair.
//   lj:    4 eps_ij [(sigma_ij/r)^12 - (sigma_ij/r)^6], cut at LjOptions::cutoff
//   wca:   the same plus eps_ij, cut at its minimum 2^(1/6) sigma_ij (purely repulsive)
//   morse: eps_ij [exp(-2 alpha (r - sigma_ij)) - 2 exp(-alpha (r - sigma_ij))] (well depth
//          eps_ij at r0 = sigma_ij), cut at LjOptions::cutoff
enum class Potential { lj, wca, morse };

// Parameters of one particle type; unlike pairs mix by Lorentz-Berthelot (sigma_ij =
// (sigma_i + sigma_j) / 2, eps_ij = sqrt(eps_i eps_j)) unless a PairOverride names the pair.
struct TypeParams {
  double epsilon = 1.0;  // epsilon (the unit of energy is type 0's epsilon by convention)
  double sigma = 1.0;    // sigma
};
struct PairOverride {
  int i = 0, j = 0;  // types (either order)
  double epsilon = 1.0;
  double sigma = 1.0;
};

// Langevin dynamics, integrated by BAOAB (Leimkuhler & Matthews 2013): exact
// Ornstein-Uhlenbeck velocity updates between half drifts; configurational averages stay
// accurate to O(dt^2) at any friction.
struct Langevin {
  double temperature = 1.0;  // epsilon / k_B
  double friction = 1.0;     // gamma, 1/tau
  std::uint64_t seed = 1;    // noise: core::Philox(seed, step), counter from the particle
};

// Nose-Hoover chain thermostat (Martyna, Klein & Tuckerman 1992), integrated as in Martyna,
// Tuckerman, Tobias & Klein 1996 (Trotter splitting: a chain half step, velocity Verlet, a chain
// half step), the scheme of LAMMPS' fix nvt. Deterministic: samples the canonical ensemble of
// the 3N - 3 momentum degrees of freedom, with a conserved extended energy (Thermo::conserved).
struct NoseHooverChain {
  double temperature = 1.0;  // epsilon / k_B, > 0
  double tdamp = 0.5;        // relaxation time of the thermostat, tau (LAMMPS' Tdamp; ~100 dt)
  int chain = 3;             // thermostats in the chain, >= 1
};

// An external field along one axis, periodic in the box: each particle has the energy
// U = amplitude cos(2 pi waves r_axis / edge_axis) (a standing wave, as an optical lattice or the
// periodic perturbation of nonequilibrium MD). It adds to the potential energy, not to the
// virial: r.f of an external force depends on where the origin is.
struct PeriodicField {
  int axis = 2;            // 0, 1, 2: x, y, z
  double amplitude = 1.0;  // epsilon
  int waves = 1;           // wavelengths per box edge, >= 1
};

struct MdSettings {
  Box box;
  LjOptions lj;
  Potential potential = Potential::lj;
  std::vector<TypeParams> types;  // empty: one type with epsilon = sigma = 1
  std::vector<PairOverride> pairs;
  double morse_alpha = 6.0;  // Morse width parameter alpha, 1/sigma
  double skin = 0.3;                 // Verlet list radius is cutoff + skin, sigma
  double dt = 0.005;                 // tau
  std::optional<Langevin> langevin;  // at most one of langevin and nose_hoover; none: NVE
  std::optional<NoseHooverChain> nose_hoover;
  std::optional<PeriodicField> field;  // an external force added to the pair forces; none: off
  // 0: rebuild the Verlet list when a particle has moved more than skin / 2 since the last
  // build (checked every step, never late). k > 0: rebuild every k steps without checking
  // (LAMMPS' `neigh_modify every k delay 0 check no`); a build at which a particle had moved
  // more than skin / 2 is counted as dangerous (pairs may have been missed before it).
  int rebuild_every = 0;
  // Across MPI ranks, the bricks along x, y and z (LAMMPS' `processors`; their product the rank
  // count); all 0: chosen for the least halo (make_simulation).
  std::array<int, 3> processors{0, 0, 0};
  // With rebuild_every = 0: the displacements are checked on the device at every step and read
  // by the host every check_every steps (one synchronisation per check_every steps, none in
  // between). A read rebuilds when a particle is beyond skin / 2 or would be within the next
  // check_every - 1 steps at its present velocity; a particle found beyond skin / 2 at an
  // earlier step of the window counts a dangerous build. 1: the exact check of every step.
  int check_every = 4;
  // A particle that feels a force above this at the start overlaps another: refused
  // (epsilon / sigma; an LJ pair at 0.66 sigma pushes with 1e4).
  double overlap_force = 1e4;
};

// A run stopped by a fault of the dynamics: non-finite values, a particle that moved more than
// one sigma in one step (time step too large, forces blown up), overlapping particles. Names the
// step and the particle (the caller's index; -1 where none is singled out).
class Fault : public core::Error {
 public:
  Fault(const std::string& what, std::int64_t step, std::int64_t particle)
      : core::Error(what), m_step(step), m_particle(particle) {}
  std::int64_t step() const { return m_step; }
  std::int64_t particle() const { return m_particle; }

 private:
  std::int64_t m_step;
  std::int64_t m_particle;
};

// Per-particle arrays on the host, each [N][3] in C order (the H5MD layout).
struct HostParticles {
  std::vector<double> position;
  std::vector<double> velocity;
  std::vector<double> force;  // filled by Simulation::particles(); ignored as input
  // Periodic images crossed since the start, [N][3] (filled by Simulation::particles()):
  // the unwrapped position is position + image * edge (for mean squared displacements).
  std::vector<int> image;
  std::vector<int> type;  // [N] type of each particle; empty: all type 0
  std::size_t size() const { return position.size() / 3; }
};

// Whole-system figures at one step (totals, not per atom).
struct Thermo {
  std::int64_t step = 0;
  double time = 0;  // tau
  std::int64_t atoms = 0;
  double kinetic = 0;    // sum m v^2 / 2
  double potential = 0;  // pair sum (+ N U_tail/N with tail corrections) (+ external field)
  double total = 0;
  // The quantity the integrator conserves: total for NVE, total plus the chain's energy for
  // Nose-Hoover, total for Langevin (not conserved there).
  double conserved = 0;
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

// Everything a time step depends on that the settings do not give, as host copies in the
// engine's own particle order (cell order of the last list build) and layout ([3][N]: all x,
// then all y, then all z), so that restoring it gives back the same sums bit for bit. The
// Verlet list is not stored: it is rebuilt from build_position, the positions it was built
// from, which reproduces it exactly (same cells, same neighbor order).
struct SimulationState {
  std::int64_t step = 0;
  std::int64_t builds = 0;            // Simulation::neighbor_builds
  std::int64_t dangerous_builds = 0;  // Simulation::dangerous_builds
  std::int64_t list_capacity = 0;     // neighbor slots per particle
  double kinetic = 0;  // sum v^2 / 2 as the Nose-Hoover chain carries it between steps
  // Largest squared displacement since the last build at the steps of the current check
  // window already taken (MdSettings::check_every), sigma^2.
  double unread_displacement2 = 0;
  std::vector<double> position, velocity, force, build_position;  // [3][N], sigma, 1/tau
  std::vector<int> image;                                         // [3][N]
  std::vector<int> tag;   // [N] caller's index of each stored particle
  std::vector<int> type;  // [N]
  std::vector<double> chain_position, chain_velocity;  // Nose-Hoover eta_k, v_k; else empty
};

// Velocity Verlet (NVE) or Langevin BAOAB (NVT) with a Verlet list (half on the CPU, full on
// the GPU), rebuilt from a cell list whenever a particle has moved more than half the skin since
// the last build. State lives in backend memory.
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
  // Builds at which a particle had moved more than skin / 2 since the previous build (only
  // possible with a fixed rebuild interval).
  virtual std::int64_t dangerous_builds() const = 0;
  virtual const MdSettings& settings() const = 0;
  // Ghost atoms (copies of other ranks' atoms near the slab faces) of all ranks together at the
  // last list build: each step sends and receives 3 doubles for each. 0 on one rank. Collective.
  virtual std::int64_t ghost_atoms() = 0;
  // Whether a position, velocity or force of this rank's atoms is NaN or infinite: one
  // reduction on the device and one number read back (the run loop's divergence check at each
  // output). Not collective: the loop combines the ranks' answers.
  virtual bool non_finite() = 0;
  // The complete state, and back: restore() into a simulation made with the same settings and
  // particle count continues exactly as the saved one would (throws core::Error for arrays of
  // another size). The Langevin noise needs no state of its own: it is keyed on the step.
  virtual SimulationState state() = 0;
  virtual void restore(const SimulationState& state) = 0;
  // restore() from the atoms of every rank of a checkpoint written by another rank count (their
  // owned atoms one after the other, [3][N]): each rank keeps those whose build position lies in
  // its brick (all on one rank), in cell order of the build positions, as a list build would.
  // The pair sums then add in another order: the run continues to round-off. Collective.
  virtual void restore_redistributed(const SimulationState& all) = 0;
};

// The state through a checkpoint (names under "md/"): load_state into a simulation made with
// the same settings and particle count (any initial positions) continues bit for bit on the
// backend that saved it (on the CPU with as many OpenMP threads: sums are reduced per thread).
// Across MPI ranks each rank saves and loads the atoms it owns (collective); on another rank
// count than the checkpoint's (StateReader::parts()) the atoms of every writer are dealt out
// again by position (restore_redistributed).
void save_state(Simulation& sim, io::StateWriter& writer);
void load_state(Simulation& sim, const io::StateReader& reader);

// Throws core::Error for a box edge shorter than 2 (cutoff + skin) (the minimum image would
// miss pairs), fewer than 2 particles, arrays of different lengths, non-finite values or
// non-positive dt/cutoff, a field with an axis other than 0-2, fewer than one wave or a
// non-finite amplitude, a Langevin thermostat with T < 0 or friction <= 0, a Nose-Hoover chain
// with T <= 0, tdamp <= 0 or no thermostat, both thermostats; md::Fault (step 0) for overlapping
// particles. run() throws md::Fault when the dynamics blow up.
//
// Across MPI ranks (`comm` with more than one rank; every rank passes the same settings and the
// whole initial state): the box is cut into one brick per rank, settings.processors along x, y,
// z or else the cuts with the least face area (only x while slabs are the cheapest), each at least
// cutoff + skin wide along every cut axis (else core::Error); a rank owns and integrates the atoms
// in its brick and holds copies (ghosts) of its neighbours' atoms within cutoff + skin of its
// brick, their positions exchanged at every step; atoms that left a brick move to their new owner
// at each list build
// (the ranks agree on when in one reduction). Each call is then collective: run, thermo
// (whole-system figures), particles (every atom, in global id order, on every rank), state and
// restore (each rank its own atoms; restore_redistributed for another rank count).
// neighbors() is for one rank only. The trajectory equals the one-rank run's to round-off (pair sums in another order);
// the Langevin noise is keyed by the atom's global id and the step, so it does not depend on the
// rank count. comm null or one rank: the whole box here.
std::unique_ptr<Simulation> make_simulation(core::Backend backend, const MdSettings& settings,
                                            const HostParticles& initial,
                                            core::Comm* comm = nullptr);

// Analytic long-range corrections of the LJ potential truncated at rc for a uniform fluid of
// number density rho (g(r) = 1 beyond rc): energy per atom and pressure.
double lj_tail_energy_per_atom(double density, double cutoff);
double lj_tail_pressure(double density, double cutoff);

// The coefficient table of the pair potential, [types][types] in C order, and the Verlet list
// cutoff (the largest pair cutoff). Throws core::Error for non-positive epsilon or sigma, or an
// override naming a type that does not exist.
struct PairTable {
  int types = 1;
  std::vector<double> a, b, c, cutoff2, shift;  // as md::PairCoeff, one entry per ordered pair
  std::vector<double> epsilon, sigma;          // mixed (or overridden) eps_ij, sigma_ij
  double max_cutoff = 0;
};
PairTable pair_table(const MdSettings& settings);

// The particle to blame for a fault: the first with a non-finite position, velocity or force,
// else the one with the largest force.
std::int64_t worst_particle(const HostParticles& p);

namespace detail {
// Analytic LJ tail corrections of a mixture with `counts[a]` particles of type a in `volume`:
// total energy (epsilon) and pressure (epsilon / sigma^3).
struct TailTotals {
  double energy = 0;
  double pressure = 0;
};
TailTotals lj_tail_totals(const PairTable& table, const std::vector<double>& counts,
                          double volume, double cutoff);
// The faults' messages (host code, for both backends).
Fault overlap_fault(const HostParticles& p, double limit);
Fault blow_up_fault(std::int64_t step, std::int64_t particle, double moved2, double dt);
}  // namespace detail

}  // namespace twinsim::md
