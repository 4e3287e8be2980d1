#pragma once
// How a box is cut into one brick per MPI rank: the one chooser that MD's bricks and the lattice
// Boltzmann blocks share (LAMMPS' `processors`, waLBerla's block grid).
#include <array>
#include <functional>

namespace twinsim::core {

// The cuts along x, y and z (their product is `ranks`, each at least 1) of a box of `edge`
// lengths whose bricks fit (`fits(cuts)`: each brick wide enough along every cut axis, said by
// the caller), the one whose brick has the least face area across the cut axes (the halo's
// bytes per rank); ties go to more cuts along x, then y. {0, 0, 0} when none fits.
std::array<int, 3> least_halo_cuts(int ranks, const std::array<double, 3>& edge,
                                   const std::function<bool(const std::array<int, 3>&)>& fits);

}  // namespace twinsim::core
