#pragma once
// Initial conditions (reduced LJ units).
#include <array>
#include <cstdint>
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

// Maxwell-Boltzmann velocities [N][3] (unit masses) drawn with core::Philox(seed, 0), shifted to
// zero total momentum and scaled so that 2 KE / (3N - 3) equals `temperature` exactly.
std::vector<double> maxwell_boltzmann(std::size_t n, double temperature, std::uint64_t seed);

}  // namespace twinsim::md
