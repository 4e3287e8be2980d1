#pragma once
// The lattice Boltzmann solver, backend-neutral: a lattice in lattice units (dx = dt = 1,
// rho_0 = 1) whose state lives in the chosen backend's memory. Units.hpp converts a case in
// physical units to this description.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "twinsim/core/Backend.hpp"

namespace twinsim::io {
class StateWriter;
class StateReader;
}  // namespace twinsim::io
namespace twinsim::core {
class Comm;
}

namespace twinsim::lbm {

enum class Lattice { d2q9, d3q19 };
enum class Collision { bgk, trt };
// Of the stored populations and of the arithmetic: FP32, FP64, or fp16s: FP32 arithmetic with
// populations stored in 16 bits (FluidX3D's FP16S: binary16 of the shifted population times
// 2^15, kernels/storage_kernel.hpp), half the memory and traffic of FP32.
enum class Precision { fp32, fp64, fp16s };
// Streaming: two lattices (read one, write the other), or in place on one lattice (the AA
// pattern, kernels/stream_kernel.hpp): half the population memory, the same fields bit for bit;
// not with interpolated walls, pressure outlets or several ranks (make_solver refuses them).
enum class Streaming { two_lattice, in_place };

// What lies beyond a side of the domain.
enum class Boundary {
  periodic,         // the opposite side (sides pair up)
  wall,             // half-way bounce-back, optionally moving along itself (a lid)
  velocity_inlet,   // bounce-back with the inflow velocity (Ladd): a prescribed velocity
  pressure_outlet,  // non-equilibrium extrapolation: a prescribed density (pressure), any
                    // velocity; optionally an absorbing layer before it (Side::sponge)
};
enum class Profile { uniform, parabolic };  // of a velocity inlet across its side

struct Side {
  Boundary type = Boundary::periodic;
  // Lattice units. Wall: its velocity (tangential: a lid). Velocity inlet: the inflow velocity,
  // for a parabolic profile its peak at the middle of the side. Parabolic: the velocity times
  // 4 s (L - s) / L^2 along each axis across the side whose sides are not periodic (zero at
  // those ends): a parabola in 2D or with one such axis in 3D, mean 2/3 of the peak; the
  // product of two across a 3D duct (Schafer-Turek 3D), mean 4/9 of the peak.
  std::array<double, 3> velocity = {};
  Profile profile = Profile::uniform;
  double density = 1.0;  // pressure outlet, lattice units: p - p_0 = (density - 1) / 3
  // Pressure outlet: the cells of an absorbing layer before it (0: none). Over them the flow
  // relaxes towards the equilibrium of `density` and the mean flow `velocity` (with `profile`),
  // at a rate rising to the side, so sound waves leave without coming back (stream_kernel.hpp,
  // absorb). Without it the outlet reflects sound (it holds the pressure).
  int sponge = 0;
};

// Wall fractions of the links that cross obstacle walls, stored for the fluid cells next to a
// solid cell only: for boundary cell cell[k] (ascending) and each direction q whose upstream
// neighbour along -c_q is solid, fraction[k * Q + q] is the fraction in (0, 1] of that link at
// which the wall lies; its other entries are unused (Geometry.hpp writes 0.5). A link of a cell
// not listed is half-way (fraction 1/2). 4 + 8 Q bytes per boundary cell here, 4 + 4 Q (FP32)
// or 4 + 8 Q (FP64) on the solver's device, instead of a [q][cell] array over every cell.
struct WallFractions {
  std::vector<std::uint32_t> cell;
  std::vector<double> fraction;
  bool empty() const { return cell.empty(); }
};

struct LatticeConfig {
  Lattice lattice = Lattice::d2q9;
  Collision collision = Collision::bgk;
  Precision precision = Precision::fp32;
  Streaming streaming = Streaming::two_lattice;
  std::array<int, 3> cells = {1, 1, 1};  // per axis; D2Q9 has cells[2] == 1
  double tau = 1.0;                      // BGK / TRT symmetric relaxation time, > 1/2
  double magic = 3.0 / 16.0;             // TRT magic parameter Lambda
  // Smagorinsky constant C_s >= 0 of the LES subgrid model, 0 = off: a local relaxation time
  // adds the eddy viscosity (C_s dx)^2 |S| (collision_kernel.hpp, smagorinsky_tau).
  double smagorinsky = 0.0;
  std::array<double, 3> force = {};      // body force per volume (rho_0 times acceleration)
  std::array<Side, 6> sides;             // x_min, x_max, y_min, y_max, z_min, z_max
  // Empty, or one value per cell, x fastest: 0 fluid, k > 0 a solid cell of obstacle k (forces
  // are summed per obstacle number; Geometry.hpp makes masks from shapes).
  std::vector<std::uint8_t> solid;
  // Empty (half-way bounce-back on every solid cell: staircase walls), or the wall fractions of
  // interpolated bounce-back (Bouzidi et al. 2001), for the boundary cells only.
  WallFractions wall_fraction;
  // Across MPI ranks, the blocks along x, y and z (their product the rank count); all 0: chosen
  // for the least halo (Block.hpp, block_cuts).
  std::array<int, 3> processors = {0, 0, 0};
};

// The macroscopic fields, as a set of bits: what an output asks Solver::macroscopic() for.
enum Field : unsigned {
  k_density = 1,    // Macroscopic::rho
  k_velocity = 2,   // ux, uy, uz
  k_vorticity = 4,  // vorticity
  k_all_fields = k_density | k_velocity | k_vorticity,
};

// Density, velocity and vorticity on the host, lattice units, x fastest ([z][y][x]). Solid
// cells hold rho = 1, u = 0, vorticity = 0; `solid` is the obstacle number (0: fluid). A field
// not asked for (Field) is empty; `solid` is always there.
struct Macroscopic {
  std::array<int, 3> cells;
  std::vector<double> rho;
  std::vector<double> ux, uy, uz;
  // Vorticity curl u (1 / time step; central differences, one-sided beside walls and solid
  // cells): D2Q9 its one component dv/dx - du/dy per cell; D3Q19 the vector, [cell][3].
  std::vector<double> vorticity;
  std::vector<std::uint8_t> solid;
};

class Solver {
 public:
  virtual ~Solver() = default;
  // Advances n time steps (fused stream and collide).
  virtual void step(std::int64_t n) = 0;
  virtual std::int64_t steps_done() const = 0;
  // Waits for queued steps (the GPU backend returns from step() before they finish).
  virtual void synchronize() = 0;
  // The macroscopic fields of the current state named in `fields` (a set of Field bits),
  // copied to the host: only those cross from the backend's memory (on the GPU, per field
  // 4 or 8 bytes per cell, 3 fields for the velocity, 1 for a 2D vorticity, 3 for a 3D one).
  // The fields asked for equal bit for bit those of macroscopic() with every field.
  virtual Macroscopic macroscopic(unsigned fields) = 0;
  Macroscopic macroscopic() { return macroscopic(k_all_fields); }
  // D2Q9 on one rank: the vorticity dv/dx - du/dy of the current state in units of 1 / `dt`
  // (dt the time step in seconds: 1/s) into d_to, one value per cell, x fastest, in this
  // solver's backend memory (device memory on the GPU); nothing crosses to the host and nothing
  // waits. Equal bit for bit to macroscopic(k_vorticity).vorticity[i] / dt. An in-situ trainer's
  // frames (the lbm_ensemble's record). Throws core::Error on a 3D lattice or several ranks.
  virtual void vorticity_into(double* d_to, double dt) = 0;
  // Sum of the density over fluid cells (lattice units: the number of cells at rest).
  virtual double total_mass() = 0;
  // Convergence measure: |u - u_last| / |u| (L2 norms over fluid cells) between the current
  // velocity and that of the previous call; infinity on the first call or for a fluid at rest.
  virtual double velocity_change() = 0;
  // Force of the fluid on each obstacle (entry k - 1 for obstacle number k, up to the largest
  // number in the mask) by momentum exchange across the obstacle's links in the coming
  // streaming step; lattice units (force per unit depth in 2D). Sums over links in FP64.
  virtual std::vector<std::array<double, 3>> obstacle_forces() = 0;
  // Changes the velocity of side `side` (a wall's or an inlet's, lattice units) from the next
  // step on: time-dependent inflow, e.g. a smooth start that sends out weaker sound waves.
  virtual void set_side_velocity(int side, const std::array<double, 3>& velocity) = 0;
  virtual const LatticeConfig& config() const = 0;
  // Checkpoints (names under "lbm/"): everything a step and velocity_change() depend on beyond
  // the configuration, with its exact bits. load() takes a state saved by a solver made from
  // the same configuration; after it, steps continue bit for bit as the saved solver's would.
  virtual void save(io::StateWriter& out) const = 0;
  virtual void load(const io::StateReader& in) = 0;
  // Bytes read and written per fluid cell update: 2 Q populations of the stored precision
  // (D3Q19: 152 B FP32, 304 B FP64, 76 B FP16S), either streaming.
  virtual double bytes_per_cell_update() const = 0;
  // Memory bandwidth (bytes/s) of a plain copy kernel that moves what a step moves (each
  // population read once and written once, same arrays, same backend), the median of `repeats`
  // timed copies: the roof a step's MLUPS x bytes_per_cell_update() is measured against. Leaves
  // the state as it was (the copy goes to the lattice the next step overwrites).
  virtual double copy_bandwidth(int repeats) = 0;
};

// Checks the configuration (tau > 1/2, Smagorinsky constant >= 0, periodic sides in pairs, mask
// and fraction sizes, one cell in z for D2Q9, a parabolic inflow with a non-periodic axis across
// it, in-place streaming without what it cannot run) and builds the solver with every fluid cell at rest, rho = 1. Throws core::Error naming
// the problem.
std::unique_ptr<Solver> make_solver(core::Backend backend, const LatticeConfig& config);
// The same lattice split across the ranks of `comm` (Block.hpp; collective): each rank holds its
// block, and every call above is collective. macroscopic() gives rank 0 the whole lattice's
// fields (the others `cells` alone); sums (mass, velocity change, forces) are every rank's and
// equal bit for bit on any rank count; save holds the rank's block; load takes it back, or with
// StateReader::parts() (written by another rank count) its layers from the blocks that held them.
// One rank: the lattice whole, as make_solver(backend, config).
std::unique_ptr<Solver> make_solver(core::Backend backend, const LatticeConfig& config,
                                    core::Comm& comm);

// Refuses (core::Error naming the keys) what in-place streaming cannot run: interpolated walls
// and pressure outlets (make_solver also refuses it on several ranks). Nothing for two lattices.
// Also refuses FP16S storage and in-place streaming where this build leaves them out.
void check_streaming(const LatticeConfig& config);

// Whether this build holds FP16S storage and in-place streaming (the CMake option
// TWINSIM_LBM_COMPACT: on by default, off in the sanitizer and fuzz presets, whose builds it
// would make minutes longer).
bool compact_storage_built();

// Bytes a solver of `config` holds in its backend's memory per cell of its lattice: the
// populations (Q values of the stored precision, in one lattice in place, two otherwise; D3Q19
// FP32 152 B / 76 B, FP16S 76 B / 38 B), ten macroscopic fields of the arithmetic's precision,
// the obstacle and cell-kind bytes, and the wall fractions (Q of the arithmetic's precision)
// where walls are interpolated. Lists of boundary cells and links (surface-sized) are left out.
std::uint64_t bytes_per_cell(const LatticeConfig& config);

std::string to_string(Lattice l);
std::string to_string(Collision c);
std::string to_string(Precision p);
std::string to_string(Streaming s);
std::string to_string(Boundary b);

}  // namespace twinsim::lbm
