#pragma once
// Triangle meshes from STL files (ASCII or binary) as obstacles: reading, the closed-surface
// check, placement (scale, rotation, translation) and voxelisation by ray parity along x on the
// OpenMP or CUDA backend (kernels/stl_kernel.hpp), plus where a link between two cell centres
// enters the mesh (the wall fraction of interpolated walls).
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "twinsim/core/Backend.hpp"

namespace twinsim::lbm {

// Triangles as 9 values each: vertices a, b, c, each x, y, z.
struct Mesh {
  std::vector<double> vertices;
  std::size_t triangles() const { return vertices.size() / 9; }
};

// Reads an STL file: binary when its size is 84 + 50 n bytes for the n its header gives, else
// ASCII ("solid ... facet ... outer loop, vertex x y z x 3, endloop, endfacet ... endsolid").
// Throws core::Error naming the file (and the line, for ASCII) when it cannot be read or parsed,
// or holds no triangle.
Mesh read_stl(const std::filesystem::path& path);

// Writes `mesh` as an STL file: binary, or ASCII (facet normals from the vertices' order).
void write_stl(const std::filesystem::path& path, const Mesh& mesh, bool binary);

// The closed-surface check voxelisation by parity needs: every edge (vertices compared exactly,
// as STL repeats them) belongs to exactly two triangles. Returns "" when it holds, else what is
// wrong: the number of open edges (one triangle: a hole) or non-manifold edges (three or more),
// with the first such edge's end points.
std::string surface_defect(const Mesh& mesh);

// x' = R (scale x) + translation with R = R_z(rotation[2]) R_y(rotation[1]) R_x(rotation[0])
// (degrees, right-handed, about the file's origin; x first).
Mesh placed(const Mesh& mesh, double scale, const std::array<double, 3>& rotation_deg,
            const std::array<double, 3>& translation);

// Lowest and highest corner of the mesh's bounding box.
std::array<std::array<double, 3>, 2> bounds(const Mesh& mesh);

// The mesh's shadow on the (y, z) plane: half the sum of |n_x| A over its triangles (the frontal
// area across x of a closed convex body; an upper bound otherwise).
double frontal_area(const Mesh& mesh);

// 1 at the cells (x fastest, [z][y][x]) whose centres lie inside the closed mesh (lattice units,
// cell (i, j, k) centred at (i + 1/2, j + 1/2, k + 1/2)), 0 elsewhere; on `backend`.
std::vector<std::uint8_t> voxelize(core::Backend backend, const Mesh& mesh,
                                   const std::array<int, 3>& cells);

// The mesh in lattice units with its triangles binned for segment queries.
class MeshShape {
 public:
  explicit MeshShape(Mesh mesh);
  const Mesh& mesh() const { return m_mesh; }
  // The smallest t in (0, 1] where the segment p + t d crosses a triangle; -1 if none does.
  double entry(const double* p, const double* d) const;

 private:
  Mesh m_mesh;
  std::array<double, 3> m_lo = {};
  std::array<int, 3> m_bins = {};
  double m_bin = 1;
  std::vector<std::uint32_t> m_start, m_items;  // triangles of bin b: m_items[m_start[b]..b + 1]
};

}  // namespace twinsim::lbm
