#pragma once
// Initial conditions (reduced LJ units).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "twinsim/md/Simulation.hpp"

namespace twinsim::md {

struct Lattice {
  Box box;
  std::vector<double> position;  // [N][3], inside the box
};

// Face-centred cubic lattice of `cells` cubic unit cells, 4 atoms each, at number density
// `density`: lattice constant (4 / density)^(1/3). Basis (0,0,0), (1/2,1/2,0), (1/2,0,1/2),
// (0,1/2,1/2) as in LAMMPS' `lattice fcc`.
Lattice fcc_lattice(double density, const std::array<int, 3>& cells);

// Cubic lattices by name: "fcc" (4 atoms per cell, as above), "bcc" (2: (0,0,0), (1/2,1/2,1/2))
// or "sc" (1), lattice constant (atoms per cell / density)^(1/3).
Lattice cubic_lattice(const std::string& kind, double density, const std::array<int, 3>& cells);

// `n` particles placed uniformly at random in a cube at number density `density`, none closer
// than `min_distance` sigma to another: overlaps are removed by rejecting and redrawing the
// particle (random sequential addition, Philox(seed, 1) draws). Throws core::Error when a
// particle finds no place in 1000 tries (min_distance too large for the density: the packing
// fraction pi/6 rho d^3 must stay well below random sequential addition's jamming limit 0.38).
Lattice random_placement(std::size_t n, double density, double min_distance, std::uint64_t seed);

// A state read from an H5MD file (as Twinsim, LAMMPS' dump h5md or MDAnalysis write it): frame
// `frame` (negative: counted from the end, -1 the last) of /particles/<group>/position, its box
// (box/edges/value, or the group's box/edges attribute as a fixed box), and velocity and species
// where the file has them (empty otherwise). Positions are wrapped into the box. Throws
// core::Error naming the file and the missing or malformed dataset.
struct H5mdState {
  Box box;
  HostParticles particles;  // position; velocity and type only where the file has them
  std::int64_t step = 0;    // the frame's step (0 where the file has no step dataset)
};
H5mdState read_h5md(const std::string& path, std::int64_t frame = -1,
                    const std::string& group = "all");

// Maxwell-Boltzmann velocities [N][3] (unit masses) drawn with core::Philox(seed, 0), shifted to
// zero total momentum and scaled so that 2 KE / (3N - 3) equals `temperature` exactly.
std::vector<double> maxwell_boltzmann(std::size_t n, double temperature, std::uint64_t seed);

}  // namespace twinsim::md
