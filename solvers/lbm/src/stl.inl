// Backend translation unit: voxelisation of a triangle mesh (kernels/stl_kernel.hpp), one ray
// along x per (y, z) column of cells, on the OpenMP or CUDA backend.
#include <array>
#include <cstdint>
#include <vector>

#include "twinsim/core/exec.hpp"
#include "twinsim/lbm/kernels/stl_kernel.hpp"

namespace twinsim::TWINSIM_BACKEND_NS {

std::vector<std::uint8_t> voxelize_mesh(const std::vector<double>& h_vertices,
                                        const std::array<int, 3>& n) {
  const auto d_vertices = core::Buffer<double, Space>::from_host(h_vertices);
  const Index count = Index(h_vertices.size() / 9), nx = n[0], ny = n[1];
  core::Buffer<std::uint8_t, Space> d_solid(std::size_t(nx) * ny * n[2]);
  const double* triangles = d_vertices.data();
  std::uint8_t* solid = d_solid.data();
  for_each_index(ny * n[2], [=] TWINSIM_HD(Index column) {
    const double py = double(column % ny) + 0.5, pz = double(column / ny) + 0.5;
    lbm::voxelize_column(triangles, count, int(nx), py, pz, solid + column * nx);
  });
  return core::to_host(d_solid);
}

}  // namespace twinsim::TWINSIM_BACKEND_NS
