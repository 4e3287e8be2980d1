#pragma once
// A lattice split across MPI ranks: cuts[0] x cuts[1] x cuts[2] blocks (x fastest in the rank
// number), each rank's block of whole cells plus a ghost layer on each side that has a neighbour
// (another block, or the wrap of a periodic axis). The ghost layers (faces, and where two meet,
// their edges and corners) hold copies of the neighbours' populations, refreshed after every step
// (halo exchange); they are read by the pulls of the block's cells and never updated.
//
// Sums over the lattice (mass, velocity change, obstacle forces) are exact (core::ExactSum): each
// value is added into an integer accumulator, whatever block or thread holds it, so the figures
// are equal bit for bit across rank counts, cuts and thread counts.
#include <array>
#include <string>
#include <vector>

#include "twinsim/lbm/Solver.hpp"

namespace twinsim::lbm {

struct Block {
  std::array<int, 3> cells{1, 1, 1};  // the whole lattice's
  std::array<int, 3> cuts{1, 1, 1};   // blocks along x, y, z
  std::array<int, 3> at{0, 0, 0};     // this block's place among them
  int ranks = 1, rank = 0;
  std::array<int, 3> begin{0, 0, 0}, end{1, 1, 1};  // the cells this rank owns, per axis
  std::array<bool, 3> low_ghost{}, high_ghost{};    // a ghost layer below begin / at end
  std::array<bool, 3> periodic{};                   // the whole lattice's periodic axes

  int owned(int axis) const { return end[axis] - begin[axis]; }
  std::array<int, 3> owned() const { return {owned(0), owned(1), owned(2)}; }
  // Cells per axis of the rank's lattice: the block and its ghost layers.
  std::array<int, 3> local_cells() const;
  // The rank's lattice cell of its first owned cell, per axis (1 where a low ghost layer is).
  std::array<int, 3> first() const;
  // The whole lattice's cell along `axis` of the rank's lattice cell `i`, wrapped across a
  // periodic side.
  int global(int axis, int i) const;
  // The rank of the block at offset o (each -1, 0 or 1) from this one, across periodic sides;
  // -1 where there is none (beyond a side that is not periodic).
  int neighbour(const std::array<int, 3>& o) const;
};

// The blocks along x, y and z for `ranks` ranks: config.processors where it is set, else
// core::least_halo_cuts (the least face area, as MD's bricks). Every cut axis needs at least 2
// cells per block (an outlet's extrapolation reads two cells inwards); a 2D lattice is not cut
// along z. Throws core::Error naming the cuts, the cells and what would fit.
std::array<int, 3> block_cuts(const LatticeConfig& config, int ranks);

// Rank `rank`'s block of `ranks`: along each axis the cells dealt out evenly among its cuts
// (the first blocks take one more). Throws as block_cuts.
Block block_of(const LatticeConfig& config, int rank, int ranks);

// The configuration of the rank's lattice: cells of the block with its ghost layers, the mask and
// wall fractions cut out of the whole lattice's (ghost layers included, wrapped across a periodic
// side). Sides, collision and forces as the whole lattice's.
LatticeConfig local_config(const LatticeConfig& config, const Block& block);

// "2 x 2 x 1 blocks of 16 x 16 x 1 cells (along x, y, z)" for the log.
std::string describe(const Block& block);

}  // namespace twinsim::lbm
