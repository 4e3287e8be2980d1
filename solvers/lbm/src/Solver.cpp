#include "twinsim/lbm/Solver.hpp"

#include <fmt/format.h>

#include <type_traits>

#include "twinsim/core/Comm.hpp"
#include "twinsim/core/Dispatch.hpp"
#include "twinsim/core/Error.hpp"

namespace twinsim {
// The solver of one lattice and precision on each backend, defined in solver_impl.hpp and
// built in its own translation unit (solvers/lbm/CMakeLists.txt): they compile in parallel.
namespace omp {
template <lbm::Lattice k_lattice, lbm::Precision k_precision>
std::unique_ptr<lbm::Solver> make_lbm_solver(const lbm::LatticeConfig& c, core::Comm& comm);
}
namespace cuda {
template <lbm::Lattice k_lattice, lbm::Precision k_precision>
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
  check_streaming(c);
}

}  // namespace

bool compact_storage_built() { return TWINSIM_LBM_COMPACT; }

void check_streaming(const LatticeConfig& c) {
  constexpr const char* k_side_names[6] = {"x_min", "x_max", "y_min", "y_max", "z_min", "z_max"};
  const auto not_built = [](const std::string& what, const std::string& instead) {
    return core::Error("lattice: " + what + " is not in this build (configured with "
                       "TWINSIM_LBM_COMPACT=OFF, as the sanitizer and fuzz presets are); use " +
                       instead + ", or a build with the default TWINSIM_LBM_COMPACT=ON");
  };
  if (!compact_storage_built() && c.precision == Precision::fp16s)
    throw not_built("lbm.precision = \"fp16s\"", "lbm.precision = \"fp32\"");
  if (!compact_storage_built() && c.streaming == Streaming::in_place)
    throw not_built("lbm.streaming = \"in_place\"", "lbm.streaming = \"two_lattice\"");
  if (c.streaming == Streaming::in_place) {
    // What reads populations of cells other than the upstream ones: another cell may overwrite
    // them in the same in-place step (stream_kernel.hpp, Step).
    const auto refusal = [](const std::string& what, const std::string& why) {
      return core::Error("lattice: in-place streaming (lbm.streaming = \"in_place\") cannot run " +
                         what + ": " + why + "; use lbm.streaming = \"two_lattice\"");
    };
    if (c.precision == Precision::fp64)
      throw core::Error(
          "lattice: in-place streaming (lbm.streaming = \"in_place\") is not built for "
          "lbm.precision = \"fp64\" (its kernels would cost compile time for a saving "
          "lbm.precision = \"fp32\" with two lattices gives as well: 2 Q x 4 bytes per cell); "
          "use lbm.precision = \"fp32\" or \"fp16s\" in place, or lbm.streaming = "
          "\"two_lattice\" with fp64");
    if (!c.wall_fraction.empty())
      throw refusal("with interpolated walls (lbm.obstacle_walls = \"interpolated\")",
                    "they read the next cell's populations, which that cell overwrites in the "
                    "same step (staircase walls can)");
    for (int side = 0; side < 6; ++side)
      if (c.sides[side].type == Boundary::pressure_outlet)
        throw refusal(fmt::format("with a pressure outlet (lbm.boundaries.{})",
                                  k_side_names[side]),
                      "it extrapolates from the populations of cells along the side, which "
                      "those cells overwrite in the same step (so no absorbing layer either)");
  }
}

std::uint64_t bytes_per_cell(const LatticeConfig& c) {
  const std::uint64_t q = c.lattice == Lattice::d2q9 ? 9 : 19;
  const std::uint64_t real = c.precision == Precision::fp64 ? 8 : 4;
  const std::uint64_t stored = c.precision == Precision::fp16s ? 2 : real;
  const std::uint64_t lattices = c.streaming == Streaming::in_place ? 1 : 2;
  return lattices * q * stored + 10 * real + 2 + (c.wall_fraction.empty() ? 0 : q * real);
}

std::unique_ptr<Solver> make_solver(core::Backend backend, const LatticeConfig& config) {
  static const std::unique_ptr<core::Comm> one_rank = core::make_serial_comm();
  return make_solver(backend, config, *one_rank);
}

std::unique_ptr<Solver> make_solver(core::Backend backend, const LatticeConfig& config,
                                    core::Comm& comm) {
  check(config);
  if (config.streaming == Streaming::in_place && comm.size() > 1)
    throw core::Error(fmt::format(
        "lattice: in-place streaming (lbm.streaming = \"in_place\") cannot run on {} ranks: the "
        "halo exchange writes ghost populations a step has not read yet; use lbm.streaming = "
        "\"two_lattice\" or one rank",
        comm.size()));
  return core::dispatch(backend, [&](auto on) {
    const auto make = [&](auto lattice, auto precision) {
      constexpr Lattice l = decltype(lattice)::value;
      constexpr Precision p = decltype(precision)::value;
      if constexpr (decltype(on)::gpu)
        return cuda::make_lbm_solver<l, p>(config, comm);
      else
        return omp::make_lbm_solver<l, p>(config, comm);
    };
    const auto with_precision = [&](auto lattice) {
      using P = Precision;
      switch (config.precision) {
        case P::fp64: return make(lattice, std::integral_constant<P, P::fp64>{});
#if TWINSIM_LBM_COMPACT  // refused by check() otherwise
        case P::fp16s: return make(lattice, std::integral_constant<P, P::fp16s>{});
#endif
        default: return make(lattice, std::integral_constant<P, P::fp32>{});
      }
    };
    if (config.lattice == Lattice::d3q19)
      return with_precision(std::integral_constant<Lattice, Lattice::d3q19>{});
    return with_precision(std::integral_constant<Lattice, Lattice::d2q9>{});
  });
}

std::string to_string(Lattice l) { return l == Lattice::d2q9 ? "d2q9" : "d3q19"; }
std::string to_string(Collision c) { return c == Collision::bgk ? "bgk" : "trt"; }
std::string to_string(Precision p) {
  return p == Precision::fp32 ? "fp32" : p == Precision::fp64 ? "fp64" : "fp16s";
}
std::string to_string(Streaming s) {
  return s == Streaming::two_lattice ? "two_lattice" : "in_place";
}
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
