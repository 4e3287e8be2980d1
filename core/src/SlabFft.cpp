#include "twinsim/core/SlabFft.hpp"

#include <fmt/format.h>

#include "twinsim/core/Error.hpp"

namespace twinsim::core {

SlabLayout slab_layout(int nz, int ny, int nx, int rank, int ranks) {
  if (ranks < 1 || rank < 0 || rank >= ranks)
    throw Error(fmt::format("slab layout: rank {} of {}", rank, ranks));
  if (nz % ranks != 0 || ny % ranks != 0)
    throw Error(fmt::format("a {} x {} x {} grid (z, y, x) cannot be split into slabs over {} "
                            "ranks: nz and ny must be divisible by the rank count",
                            nz, ny, nx, ranks));
  SlabLayout l;
  l.nz = nz;
  l.ny = ny;
  l.nx = nx;
  l.ranks = ranks;
  l.rank = rank;
  l.planes = nz / ranks;
  l.z0 = rank * l.planes;
  l.rows = ranks > 1 ? ny / ranks : ny;
  l.y0 = ranks > 1 ? rank * l.rows : 0;
  l.transposed = ranks > 1;
  return l;
}

}  // namespace twinsim::core
