#pragma once
// A lattice split across MPI ranks: slabs along one axis, each rank's block of whole layers
// (planes across that axis) plus a ghost layer on each side that has a neighbour (another rank,
// or the wrap of a periodic axis). The ghost layers hold copies of the neighbours' populations,
// refreshed after every step (halo exchange); they are read by the pulls of the block's cells
// and never updated.
//
// Sums over the lattice (mass, velocity change, obstacle forces) are taken per layer of this
// axis, each layer's values added one after the other in cell order, and the layers' sums added
// in layer order on rank 0: the same additions in the same order on any number of ranks, so the
// figures are equal bit for bit across rank counts (and on either backend for a given layout).
#include <array>
#include <string>
#include <vector>

#include "twinsim/lbm/Solver.hpp"

namespace twinsim::core {
class Comm;
}

namespace twinsim::lbm {

struct Block {
  int axis = 0;              // the split axis: layers are the planes across it
  int layers = 1;            // the whole lattice's layers along it
  int ranks = 1, rank = 0;
  int begin = 0, end = 1;    // this rank's layers [begin, end)
  bool low_ghost = false;    // a ghost layer below `begin` (rank - 1, or the last across a
  bool high_ghost = false;   // periodic side) / above `end - 1`
  int low_rank = 0, high_rank = 0;  // the neighbours those layers come from

  int owned() const { return end - begin; }
  // Cells per axis of the rank's lattice: the block and its ghost layers.
  std::array<int, 3> local_cells(const std::array<int, 3>& cells) const;
  // The whole lattice's layer of the rank's layer `i` (0 is the low ghost where there is one),
  // wrapped across a periodic side.
  int global_layer(int i) const;
};

// The axis a lattice is split along: the one with the most cells (ties: the later axis, whose
// layers are contiguous in memory). The same for every rank count, so the per-layer sums are.
int split_axis(const LatticeConfig& config);

// Rank `rank`'s block of `ranks`: layers dealt out evenly (the first ranks take one more).
// Throws core::Error when a block would hold fewer than 2 layers (an outlet's extrapolation reads
// two cells inwards), naming the cells and the ranks.
Block block_of(const LatticeConfig& config, int rank, int ranks);

// The configuration of the rank's lattice: cells of the block with its ghost layers, the mask and
// wall fractions cut out of the whole lattice's (ghost layers included, wrapped across a periodic
// side). Sides, collision and forces as the whole lattice's.
LatticeConfig local_config(const LatticeConfig& config, const Block& block);

// Totals of k values over every layer of the lattice, on every rank (collective): `layers` holds
// this rank's layers' sums in order ([layer][k]); rank 0 adds the layers one after the other in
// the whole lattice's order (rank 0's first) and sends the totals to every rank.
std::vector<double> layer_order_sum(core::Comm& comm, const std::vector<double>& layers, int k);

}  // namespace twinsim::lbm
