#include "twinsim/lbm/Block.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "twinsim/core/Decomposition.hpp"
#include "twinsim/core/Error.hpp"

namespace twinsim::lbm {

std::array<int, 3> Block::local_cells() const {
  std::array<int, 3> n{};
  for (int a = 0; a < 3; ++a) n[a] = owned(a) + int(low_ghost[a]) + int(high_ghost[a]);
  return n;
}

std::array<int, 3> Block::first() const {
  return {int(low_ghost[0]), int(low_ghost[1]), int(low_ghost[2])};
}

int Block::global(int axis, int i) const {
  const int g = begin[axis] - int(low_ghost[axis]) + i, n = cells[axis];
  return g < 0 ? g + n : g >= n ? g - n : g;
}

int Block::neighbour(const std::array<int, 3>& o) const {
  int c[3];
  for (int a = 0; a < 3; ++a) {
    c[a] = at[a] + o[a];
    if (c[a] < 0 || c[a] >= cuts[a]) {
      if (!periodic[a]) return -1;
      c[a] = (c[a] + cuts[a]) % cuts[a];
    }
  }
  return c[0] + cuts[0] * (c[1] + cuts[1] * c[2]);
}

std::array<int, 3> block_cuts(const LatticeConfig& config, int ranks) {
  const std::array<int, 3>& n = config.cells;
  const int dims = config.lattice == Lattice::d2q9 ? 2 : 3;
  const auto fits = [&](const std::array<int, 3>& c) {
    if (c[0] < 1 || c[1] < 1 || c[2] < 1 || c[0] * c[1] * c[2] != ranks) return false;
    for (int a = 0; a < 3; ++a)
      if (c[a] > 1 && (a >= dims || n[a] / c[a] < 2)) return false;
    return true;
  };
  const std::array<int, 3>& wanted = config.processors;
  const bool asked = wanted != std::array<int, 3>{0, 0, 0};
  const std::array<double, 3> edge{double(n[0]), double(n[1]), double(n[2])};
  const std::array<int, 3> best = core::least_halo_cuts(ranks, edge, fits);
  if (asked ? fits(wanted) : best[0] > 0) return asked ? wanted : best;
  std::array<int, 3> most{1, 1, 1};  // the cuts that fit along each axis alone
  for (int a = 0; a < dims; ++a) most[a] = std::max(1, n[a] / 2);
  std::string advice;
  if (asked && best[0] > 0) {
    advice = fmt::format("{} x {} x {} blocks fit", best[0], best[1], best[2]);
  } else {
    int below = 1;
    for (int c = 1; c <= most[0] * most[1] * most[2] && c < ranks; ++c)
      if (core::least_halo_cuts(c, edge, [&](const std::array<int, 3>& k) {
            for (int a = 0; a < 3; ++a)
              if (k[a] > most[a]) return false;
            return true;
          })[0] > 0)
        below = c;
    advice = fmt::format("{} ranks would fit, or use more cells", below);
  }
  throw core::Error(fmt::format(
      "lbm across {} MPI ranks: {}; each block needs at least 2 cells along every cut axis (an "
      "outlet's extrapolation reads two cells inwards){}, and the lattice ({} x {} x {} cells) "
      "takes at most {} x {} x {} cuts along x, y, z: {}",
      ranks,
      asked ? fmt::format("{} x {} x {} blocks were asked for (lbm.processors)", wanted[0],
                          wanted[1], wanted[2])
            : fmt::format("no {} blocks fit", ranks),
      dims == 2 ? ", a 2D lattice is not cut along z" : "", n[0], n[1], n[2], most[0], most[1],
      most[2], advice));
}

Block block_of(const LatticeConfig& config, int rank, int ranks) {
  Block b;
  b.cells = config.cells;
  b.cuts = ranks > 1 ? block_cuts(config, ranks) : std::array<int, 3>{1, 1, 1};
  b.ranks = ranks;
  b.rank = rank;
  b.at = {rank % b.cuts[0], rank / b.cuts[0] % b.cuts[1], rank / (b.cuts[0] * b.cuts[1])};
  for (int a = 0; a < 3; ++a) {
    const auto first = [&](int c) { return int((std::int64_t(b.cells[a]) * c) / b.cuts[a]); };
    b.begin[a] = first(b.at[a]);
    b.end[a] = first(b.at[a] + 1);
    b.periodic[a] = config.sides[2 * a].type == Boundary::periodic;
    if (b.cuts[a] > 1) {
      b.low_ghost[a] = b.at[a] > 0 || b.periodic[a];
      b.high_ghost[a] = b.at[a] < b.cuts[a] - 1 || b.periodic[a];
    }
  }
  return b;
}

LatticeConfig local_config(const LatticeConfig& config, const Block& block) {
  if (block.ranks == 1) return config;
  LatticeConfig l = config;
  const std::array<int, 3> n = config.cells, m = block.local_cells();
  l.cells = m;
  const std::size_t local = std::size_t(m[0]) * m[1] * m[2];
  // Local cell i -> whole lattice cell.
  const auto global_cell = [&](std::size_t i) {
    const int x = block.global(0, int(i % m[0])), y = block.global(1, int(i / m[0] % m[1])),
              z = block.global(2, int(i / (std::size_t(m[0]) * m[1])));
    return (std::size_t(z) * n[1] + y) * n[0] + x;
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

std::string describe(const Block& block) {
  return fmt::format("{} x {} x {} blocks of about {} x {} x {} cells (along x, y, z)",
                     block.cuts[0], block.cuts[1], block.cuts[2], block.cells[0] / block.cuts[0],
                     block.cells[1] / block.cuts[1], block.cells[2] / block.cuts[2]);
}

}  // namespace twinsim::lbm
