#pragma once
// Obstacles from shapes: the solid mask (obstacle numbers) and the wall fractions of the links
// that cross each obstacle's surface, for LatticeConfig::solid and ::wall_fraction. Lattice
// units: cell (i, j, k) is centred at (i + 1/2, j + 1/2, k + 1/2); a cell is solid when its
// centre lies inside a shape (on its boundary counts as inside).
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "twinsim/core/Backend.hpp"
#include "twinsim/lbm/Solver.hpp"
#include "twinsim/lbm/Stl.hpp"

namespace twinsim::lbm {

struct Obstacle {
  // circle and rectangle are 2D shapes, extruded along z (cylinders, prisms); sphere and box 3D;
  // mesh a closed triangle mesh (from an STL file), 3D.
  enum class Shape { circle, rectangle, sphere, box, mesh };
  Shape shape = Shape::circle;
  std::array<double, 3> center = {};  // lattice units (z unused by circle and rectangle)
  double radius = 0;                  // circle, sphere
  std::array<double, 3> size = {};    // rectangle: edges along x, y; box: along x, y, z
  std::shared_ptr<const MeshShape> mesh;  // mesh, lattice units (centre, radius, size unused)
};

struct ObstacleMask {
  std::vector<std::uint8_t> solid;  // [z][y][x]: 0 fluid, k for obstacles[k - 1]
  WallFractions wall_fraction;      // of the boundary cells (fluid next to a solid cell)
  std::vector<std::int64_t> solid_cells;  // per obstacle
};

// Rasterises the obstacles on `cells` (at most 255; a later obstacle overwrites an earlier one
// where they overlap). The wall fraction of the link from fluid cell x to its solid neighbour
// x - c_q (a velocity of `lattice`) is where the segment between the two centres crosses the
// shape's boundary, exactly (circle, sphere: a quadratic; rectangle, box: slabs; mesh: the first
// triangle the segment crosses). A mesh is voxelised on `backend` by ray parity along x
// (lbm::voxelize). Mask and fractions are built in parallel (OpenMP), the fractions only in the
// rows of cells next to a solid cell. Throws core::Error for an obstacle that covers no cell or
// more than 255 obstacles.
ObstacleMask rasterize(Lattice lattice, const std::array<int, 3>& cells,
                       const std::vector<Obstacle>& obstacles,
                       core::Backend backend = core::Backend::Cpu);

}  // namespace twinsim::lbm
