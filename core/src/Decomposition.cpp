#include "twinsim/core/Decomposition.hpp"

#include <limits>

namespace twinsim::core {

std::array<int, 3> least_halo_cuts(int ranks, const std::array<double, 3>& edge,
                                   const std::function<bool(const std::array<int, 3>&)>& fits) {
  std::array<int, 3> best{0, 0, 0};
  double least = std::numeric_limits<double>::infinity();
  for (int cx = ranks; cx >= 1; --cx) {
    if (ranks % cx != 0) continue;
    for (int cy = ranks / cx; cy >= 1; --cy) {
      if ((ranks / cx) % cy != 0) continue;
      const std::array<int, 3> c{cx, cy, ranks / cx / cy};
      if (!fits(c)) continue;
      const double w[3] = {edge[0] / c[0], edge[1] / c[1], edge[2] / c[2]};
      double area = 0;  // of the faces across the cut axes
      for (int a = 0; a < 3; ++a)
        if (c[a] > 1) area += w[(a + 1) % 3] * w[(a + 2) % 3];
      if (area < least) {
        least = area;
        best = c;
      }
    }
  }
  return best;
}

}  // namespace twinsim::core
