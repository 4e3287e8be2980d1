#pragma once
// Obstacles from shapes: the solid mask (obstacle numbers) and the wall fractions of the links
// that cross each obstacle's surface, for LatticeConfig::solid and ::wall_fraction. Lattice
// units: cell (i, j) is centred at (i + 1/2, j + 1/2); a cell is solid when its centre lies inside
// a shape (on its boundary counts as inside).
#include <array>
#include <cstdint>
#include <vector>

namespace twinsim::lbm {

struct Obstacle {
  enum class Shape { circle, rectangle };
  Shape shape = Shape::circle;
  std::array<double, 2> center = {};  // lattice units
  double radius = 0;                  // circle
  std::array<double, 2> size = {};    // rectangle: edges along x, y
};

struct ObstacleMask {
  std::vector<std::uint8_t> solid;     // [y][x]: 0 fluid, k for obstacles[k - 1]
  std::vector<double> wall_fraction;   // [q][y][x] (D2Q9), 0.5 where no wall is crossed
  std::vector<std::int64_t> solid_cells;  // per obstacle
};

// Rasterises the obstacles on nx x ny cells (at most 255; a later obstacle overwrites an earlier
// one where they overlap). The wall fraction of the link from fluid cell x to its solid neighbour
// x - c_q is where the segment between the two centres crosses the shape's boundary, exactly
// (circle: a quadratic; rectangle: slabs). Throws core::Error for an obstacle that covers no
// cell or more than 255 obstacles.
ObstacleMask rasterize(int nx, int ny, const std::vector<Obstacle>& obstacles);

}  // namespace twinsim::lbm
