#include "twinsim/lbm/Block.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "twinsim/core/Comm.hpp"
#include "twinsim/core/Error.hpp"

namespace twinsim::lbm {

std::array<int, 3> Block::local_cells(const std::array<int, 3>& cells) const {
  std::array<int, 3> n = cells;
  n[axis] = owned() + int(low_ghost) + int(high_ghost);
  return n;
}

int Block::global_layer(int i) const {
  const int g = begin - int(low_ghost) + i;
  return g < 0 ? g + layers : g >= layers ? g - layers : g;
}

int split_axis(const LatticeConfig& config) {
  const int dims = config.lattice == Lattice::d2q9 ? 2 : 3;
  int axis = 0;
  for (int a = 1; a < dims; ++a)
    if (config.cells[a] >= config.cells[axis]) axis = a;
  return axis;
}

Block block_of(const LatticeConfig& config, int rank, int ranks) {
  Block b;
  b.axis = split_axis(config);
  b.layers = config.cells[b.axis];
  b.ranks = ranks;
  b.rank = rank;
  const auto first = [&](int r) {
    return int((std::int64_t(b.layers) * r) / ranks);
  };
  b.begin = first(rank);
  b.end = first(rank + 1);
  if (ranks > 1 && b.layers < 2 * ranks)
    throw core::Error(fmt::format(
        "lbm: {} cells along {} split over {} MPI ranks leaves fewer than 2 layers per rank; "
        "use at most {} ranks or more cells",
        b.layers, "xyz"[b.axis], ranks, b.layers / 2));
  const bool periodic = config.sides[2 * b.axis].type == Boundary::periodic;
  if (ranks > 1) {
    b.low_ghost = rank > 0 || periodic;
    b.high_ghost = rank < ranks - 1 || periodic;
    b.low_rank = (rank + ranks - 1) % ranks;
    b.high_rank = (rank + 1) % ranks;
  }
  return b;
}

LatticeConfig local_config(const LatticeConfig& config, const Block& block) {
  if (block.ranks == 1) return config;
  LatticeConfig l = config;
  const std::array<int, 3> n = config.cells, m = block.local_cells(config.cells);
  l.cells = m;
  const std::size_t local = std::size_t(m[0]) * m[1] * m[2];
  // Local cell i -> whole lattice cell.
  const auto global_cell = [&](std::size_t i) {
    int x[3] = {int(i % m[0]), int(i / m[0] % m[1]), int(i / (std::size_t(m[0]) * m[1]))};
    x[block.axis] = block.global_layer(x[block.axis]);
    return (std::size_t(x[2]) * n[1] + x[1]) * n[0] + x[0];
  };
  if (!config.solid.empty()) {
    l.solid.resize(local);
    for (std::size_t i = 0; i < local; ++i) l.solid[i] = config.solid[global_cell(i)];
  }
  if (!config.wall_fraction.empty()) {
    // The boundary cells of the block, local cells in ascending order.
    const WallFractions& w = config.wall_fraction;
    const std::size_t q = w.fraction.size() / w.cell.size();
    l.wall_fraction = {};
    for (std::size_t i = 0; i < local; ++i) {
      const auto at = std::lower_bound(w.cell.begin(), w.cell.end(), global_cell(i));
      if (at == w.cell.end() || *at != global_cell(i)) continue;
      const std::size_t k = std::size_t(at - w.cell.begin());
      l.wall_fraction.cell.push_back(std::uint32_t(i));
      l.wall_fraction.fraction.insert(l.wall_fraction.fraction.end(), w.fraction.begin() + k * q,
                                      w.fraction.begin() + (k + 1) * q);
    }
  }
  return l;
}

std::vector<double> layer_order_sum(core::Comm& comm, const std::vector<double>& layers, int k) {
  std::vector<double> total(std::size_t(k), 0.0);
  const auto add = [&](const std::vector<double>& v) {
    for (std::size_t i = 0; i < v.size(); ++i) total[i % std::size_t(k)] += v[i];
  };
  if (comm.size() == 1) {
    add(layers);
    return total;
  }
  for (const std::vector<double>& rank : comm.gather(layers, 0)) add(rank);
  comm.broadcast(total.data(), total.size() * sizeof(double), 0);
  return total;
}

}  // namespace twinsim::lbm
