#include "twinsim/lbm/Solver.hpp"

#include <fmt/format.h>

#include "twinsim/core/Comm.hpp"
#include "twinsim/core/Dispatch.hpp"
#include "twinsim/core/Error.hpp"

namespace twinsim {
namespace omp {
std::unique_ptr<lbm::Solver> make_lbm_solver(const lbm::LatticeConfig& c, core::Comm& comm);
}
namespace cuda {
std::unique_ptr<lbm::Solver> make_lbm_solver(const lbm::LatticeConfig& c, core::Comm& comm);
}

namespace lbm {

namespace {

// Axes across side `side` (of its lattice's dimensions) whose sides are not periodic: those a
// parabolic inflow's profile vanishes at the ends of.
int bounded_axes_across(const LatticeConfig& c, int side) {
  const int dims = c.lattice == Lattice::d2q9 ? 2 : 3;
  int n = 0;
  for (int b = 0; b < dims; ++b)
    if (b != side / 2 && c.sides[2 * b].type != Boundary::periodic) ++n;
  return n;
}

void check(const LatticeConfig& c) {
  constexpr const char* k_side_names[6] = {"x_min", "x_max", "y_min", "y_max", "z_min", "z_max"};
  for (int a = 0; a < 3; ++a)
    if (c.cells[a] < 1)
      throw core::Error(fmt::format("lattice: cells[{}] = {} < 1", a, c.cells[a]));
  if (c.lattice == Lattice::d2q9 && c.cells[2] != 1)
    throw core::Error(fmt::format("lattice D2Q9 is 2D: cells in z must be 1, got {}", c.cells[2]));
  if (!(c.tau > 0.5))
    throw core::Error(fmt::format("lattice: tau = {} must exceed 1/2 (viscosity > 0)", c.tau));
  if (c.collision == Collision::trt && !(c.magic > 0))
    throw core::Error(fmt::format("lattice: TRT magic parameter {} must be > 0", c.magic));
  if (!(c.smagorinsky >= 0))
    throw core::Error(
        fmt::format("lattice: Smagorinsky constant {} must be >= 0 (0: off)", c.smagorinsky));
  for (int a = 0; a < 3; ++a)
    if ((c.sides[2 * a].type == Boundary::periodic) !=
        (c.sides[2 * a + 1].type == Boundary::periodic))
      throw core::Error(fmt::format("lattice: {} and {} must both be periodic or neither is "
                                    "(got {} and {})",
                                    k_side_names[2 * a], k_side_names[2 * a + 1],
                                    to_string(c.sides[2 * a].type),
                                    to_string(c.sides[2 * a + 1].type)));
  for (int side = 0; side < 6; ++side) {
    const Side& s = c.sides[side];
    if (s.type == Boundary::pressure_outlet && !(s.density > 0))
      throw core::Error(fmt::format("lattice: the pressure outlet at {} needs a density > 0, "
                                    "got {}",
                                    k_side_names[side], s.density));
    if (s.sponge != 0 && (s.type != Boundary::pressure_outlet || s.sponge < 0 ||
                          s.sponge > c.cells[side / 2]))
      throw core::Error(fmt::format("lattice: an absorbing layer of {} cells at {} (a {}): only "
                                    "a pressure outlet takes one, of 1 to {} cells",
                                    s.sponge, k_side_names[side], to_string(s.type),
                                    c.cells[side / 2]));
    if (s.type == Boundary::velocity_inlet && s.profile == Profile::parabolic &&
        bounded_axes_across(c, side) == 0)
      throw core::Error(fmt::format("lattice: the parabolic inflow at {} vanishes at the ends of "
                                    "the side, but every axis across it is periodic: make the "
                                    "sides across it walls, or the profile uniform",
                                    k_side_names[side]));
  }
  const std::size_t cells = std::size_t(c.cells[0]) * c.cells[1] * c.cells[2];
  if (cells >= (std::size_t(1) << 31))  // the stream kernels' 32-bit cell indices
    throw core::Error(fmt::format("lattice: {} x {} x {} = {} cells, at most 2^31 - 1 are "
                                  "supported",
                                  c.cells[0], c.cells[1], c.cells[2], cells));
  if (!c.solid.empty() && c.solid.size() != cells)
    throw core::Error(
        fmt::format("lattice: solid mask has {} values for {} cells", c.solid.size(), cells));
  const std::size_t q = c.lattice == Lattice::d2q9 ? 9 : 19;
  const WallFractions& w = c.wall_fraction;
  if (w.fraction.size() != q * w.cell.size())
    throw core::Error(fmt::format("lattice: wall_fraction has {} values for {} boundary cells x {} "
                                  "directions",
                                  w.fraction.size(), w.cell.size(), q));
  for (std::size_t k = 0; k < w.cell.size(); ++k)
    if (w.cell[k] >= cells || (k > 0 && w.cell[k] <= w.cell[k - 1]))
      throw core::Error(fmt::format("lattice: wall_fraction's boundary cell {} is {}: the cells "
                                    "must be ascending, below {}",
                                    k, w.cell[k], cells));
  for (double f : w.fraction)
    if (!(f > 0 && f <= 1))
      throw core::Error(fmt::format("lattice: wall fraction {} outside (0, 1]", f));
}

}  // namespace

std::unique_ptr<Solver> make_solver(core::Backend backend, const LatticeConfig& config) {
  static const std::unique_ptr<core::Comm> one_rank = core::make_serial_comm();
  return make_solver(backend, config, *one_rank);
}

std::unique_ptr<Solver> make_solver(core::Backend backend, const LatticeConfig& config,
                                    core::Comm& comm) {
  check(config);
  return core::dispatch(backend, [&](auto on) {
    if constexpr (decltype(on)::gpu)
      return cuda::make_lbm_solver(config, comm);
    else
      return omp::make_lbm_solver(config, comm);
  });
}

std::string to_string(Lattice l) { return l == Lattice::d2q9 ? "d2q9" : "d3q19"; }
std::string to_string(Collision c) { return c == Collision::bgk ? "bgk" : "trt"; }
std::string to_string(Precision p) { return p == Precision::fp32 ? "fp32" : "fp64"; }
std::string to_string(Boundary b) {
  switch (b) {
    case Boundary::periodic: return "periodic";
    case Boundary::wall: return "wall";
    case Boundary::velocity_inlet: return "velocity inlet";
    case Boundary::pressure_outlet: return "pressure outlet";
  }
  return "?";
}

}  // namespace lbm
}  // namespace twinsim
