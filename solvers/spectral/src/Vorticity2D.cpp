#include "twinsim/spectral/Vorticity2D.hpp"

#include <fmt/format.h>

#include "twinsim/core/Dispatch.hpp"
#include "twinsim/core/Error.hpp"

namespace twinsim {
namespace omp {
template <class Real>
std::unique_ptr<spectral::Vorticity2D<Real>> make_vorticity2d(const spectral::Vorticity2DConfig&);
}
namespace cuda {
template <class Real>
std::unique_ptr<spectral::Vorticity2D<Real>> make_vorticity2d(const spectral::Vorticity2DConfig&);
}

namespace spectral {

namespace {
constexpr Scheme k_schemes[] = {Scheme::rk4_if, Scheme::cn_euler, Scheme::cn_heun};
constexpr ForcingKind k_forcings[] = {ForcingKind::none, ForcingKind::fno, ForcingKind::kolmogorov};
}  // namespace

std::string_view to_string(Scheme scheme) {
  switch (scheme) {
    case Scheme::rk4_if:
      return "rk4_if";
    case Scheme::cn_euler:
      return "cn_euler";
    case Scheme::cn_heun:
      return "cn_heun";
  }
  return "?";
}

Scheme scheme_from_string(std::string_view name) {
  for (Scheme s : k_schemes)
    if (to_string(s) == name) return s;
  throw core::Error(fmt::format("unknown time scheme '{}' (rk4_if, cn_euler, cn_heun)", name));
}

std::string_view to_string(ForcingKind kind) {
  switch (kind) {
    case ForcingKind::none:
      return "none";
    case ForcingKind::fno:
      return "fno";
    case ForcingKind::kolmogorov:
      return "kolmogorov";
  }
  return "?";
}

ForcingKind forcing_from_string(std::string_view name) {
  for (ForcingKind k : k_forcings)
    if (to_string(k) == name) return k;
  throw core::Error(fmt::format("unknown forcing '{}' (none, fno, kolmogorov)", name));
}

template <class Real>
std::unique_ptr<Vorticity2D<Real>> make_vorticity2d(core::Backend backend,
                                                    const Vorticity2DConfig& c) {
  if (c.nx < 4 || c.ny < 4 || c.nx % 2 != 0 || c.ny % 2 != 0)
    throw core::Error(
        fmt::format("2D vorticity grid {} x {}: expected even sizes >= 4", c.nx, c.ny));
  if (c.batch < 1) throw core::Error(fmt::format("batch = {}: expected >= 1", c.batch));
  if (!(c.dt > 0) || !(c.nu >= 0) || !(c.lx > 0) || !(c.ly > 0))
    throw core::Error(
        fmt::format("2D vorticity: need dt > 0, nu >= 0 and box edges > 0 (dt {}, "
                    "nu {}, lx {}, ly {})",
                    c.dt, c.nu, c.lx, c.ly));
  return core::dispatch(backend, [&](auto on) {
    if constexpr (decltype(on)::gpu)
      return cuda::make_vorticity2d<Real>(c);
    else
      return omp::make_vorticity2d<Real>(c);
  });
}

template std::unique_ptr<Vorticity2D<float>> make_vorticity2d<float>(core::Backend,
                                                                     const Vorticity2DConfig&);
template std::unique_ptr<Vorticity2D<double>> make_vorticity2d<double>(core::Backend,
                                                                       const Vorticity2DConfig&);

}  // namespace spectral
}  // namespace twinsim
