#include "twinsim/lbm/Solver.hpp"

#include <fmt/format.h>

#include "twinsim/core/Error.hpp"
#include "twinsim/core/config.hpp"

namespace twinsim {
namespace omp {
std::unique_ptr<lbm::Solver> make_lbm_solver(const lbm::LatticeConfig& c);
}
namespace cuda {
std::unique_ptr<lbm::Solver> make_lbm_solver(const lbm::LatticeConfig& c);
}

namespace lbm {

namespace {

void check(const LatticeConfig& c) {
  constexpr const char* k_side_names[6] = {"x_min", "x_max", "y_min", "y_max", "z_min", "z_max"};
  for (int a = 0; a < 3; ++a)
    if (c.cells[a] < 1)
      throw core::Error(fmt::format("lattice: cells[{}] = {} < 1", a, c.cells[a]));
  if (c.cells[2] != 1)
    throw core::Error(fmt::format("lattice D2Q9 is 2D: cells in z must be 1, got {}", c.cells[2]));
  if (!(c.tau > 0.5))
    throw core::Error(fmt::format("lattice: tau = {} must exceed 1/2 (viscosity > 0)", c.tau));
  if (c.collision == Collision::trt && !(c.magic > 0))
    throw core::Error(fmt::format("lattice: TRT magic parameter {} must be > 0", c.magic));
  for (int a = 0; a < 3; ++a)
    if (c.sides[2 * a].periodic != c.sides[2 * a + 1].periodic)
      throw core::Error(fmt::format("lattice: {} and {} must both be periodic or both walls",
                                    k_side_names[2 * a], k_side_names[2 * a + 1]));
  const std::size_t cells = std::size_t(c.cells[0]) * c.cells[1] * c.cells[2];
  if (!c.solid.empty() && c.solid.size() != cells)
    throw core::Error(
        fmt::format("lattice: solid mask has {} values for {} cells", c.solid.size(), cells));
}

}  // namespace

std::unique_ptr<Solver> make_solver(core::Backend backend, const LatticeConfig& config) {
  check(config);
#if TWINSIM_HAVE_CUDA
  if (backend == core::Backend::Gpu) return cuda::make_lbm_solver(config);
#endif
  if (backend == core::Backend::Gpu)
    throw core::Error("the GPU backend was requested but this Twinsim was built without CUDA");
  return omp::make_lbm_solver(config);
}

std::string to_string(Collision c) { return c == Collision::bgk ? "bgk" : "trt"; }
std::string to_string(Precision p) { return p == Precision::fp32 ? "fp32" : "fp64"; }

}  // namespace lbm
}  // namespace twinsim
