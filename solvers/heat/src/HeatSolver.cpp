// The backend-neutral half of the heat solver: refusals, the per-backend factory, and the
// profiles and exact sine solutions (host code, g++ only).
#include "twinsim/heat/HeatSolver.hpp"

#include <fmt/format.h>

#include <cmath>

#include "twinsim/core/Error.hpp"
#include "twinsim/core/Dispatch.hpp"
#include "twinsim/heat/kernels/heat_kernel.hpp"

namespace twinsim {
namespace omp {
std::unique_ptr<heat::HeatSolver> make_heat_solver(const heat::HeatSettings& settings,
                                                   const std::vector<double>& initial);
}
namespace cuda {
std::unique_ptr<heat::HeatSolver> make_heat_solver(const heat::HeatSettings& settings,
                                                   const std::vector<double>& initial);
}

namespace heat {

double largest_stable_dt(const HeatSettings& s) { return s.dx() * s.dx() / (2.0 * s.alpha); }

std::unique_ptr<HeatSolver> make_heat_solver(core::Backend backend, const HeatSettings& s,
                                             const std::vector<double>& initial) {
  if (s.cells < 3 || !(s.length > 0) || !(s.alpha > 0) || !(s.dt > 0))
    throw core::Error(fmt::format("heat solver: cells {}, length {} m, alpha {} m^2/s, dt {} s; "
                                  "expected at least 3 cells and the rest > 0",
                                  s.cells, s.length, s.alpha, s.dt));
  if (s.dt > largest_stable_dt(s))
    throw core::Error(fmt::format("heat solver: dt = {} s is above the FTCS stability limit "
                                  "dx^2 / (2 alpha) = {:.6g} s",
                                  s.dt, largest_stable_dt(s)));
  if (initial.size() != std::size_t(s.cells))
    throw core::Error(fmt::format("heat solver: {} initial values for {} cells", initial.size(),
                                  s.cells));
  return core::dispatch(backend, [&](auto on) {
    if constexpr (decltype(on)::gpu)
      return cuda::make_heat_solver(s, initial);
    else
      return omp::make_heat_solver(s, initial);
  });
}

double Profile::wavenumber(const HeatSettings& s) const {
  return 2.0 * M_PI * double(mode) / s.length;
}

std::vector<double> sample(const HeatSettings& s, const Profile& p) {
  std::vector<double> u(std::size_t(s.cells));
  const double k = p.wavenumber(s);
  for (std::size_t i = 0; i < u.size(); ++i) {
    const double x = (double(i) + 0.5) * s.dx();
    const double z = (x - 0.5 * s.length) / p.width;
    u[i] = p.background + p.amplitude * (p.shape == Profile::Shape::sine ? std::sin(k * x)
                                                                         : std::exp(-0.5 * z * z));
  }
  return u;
}

std::vector<double> sine_solution(const HeatSettings& s, const Profile& p, std::int64_t steps,
                                  bool discrete) {
  const double k = p.wavenumber(s);
  const double g = discrete ? std::pow(ftcs_amplification(s.r(), k * s.dx()), double(steps))
                            : std::exp(-s.alpha * k * k * double(steps) * s.dt);
  Profile decayed = p;
  decayed.shape = Profile::Shape::sine;
  decayed.amplitude = p.amplitude * g;
  return sample(s, decayed);
}

double relative_l2_error(const std::vector<double>& u, const std::vector<double>& exact,
                         double background) {
  TWINSIM_REQUIRE(u.size() == exact.size(), "relative_l2_error: rows of different lengths");
  double error = 0, norm = 0;
  for (std::size_t i = 0; i < u.size(); ++i) {
    error += (u[i] - exact[i]) * (u[i] - exact[i]);
    norm += (exact[i] - background) * (exact[i] - background);
  }
  return std::sqrt(error / norm);
}

}  // namespace heat
}  // namespace twinsim
