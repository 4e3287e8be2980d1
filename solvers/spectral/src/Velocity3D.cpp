#include "twinsim/spectral/Velocity3D.hpp"

#include <fmt/format.h>

#include "twinsim/core/Dispatch.hpp"
#include "twinsim/core/Error.hpp"

namespace twinsim {
namespace omp {
template <class Real>
std::unique_ptr<spectral::Velocity3D<Real>> make_velocity3d(const spectral::Velocity3DConfig&);
}
namespace cuda {
template <class Real>
std::unique_ptr<spectral::Velocity3D<Real>> make_velocity3d(const spectral::Velocity3DConfig&);
}

namespace spectral {

template <class Real>
std::unique_ptr<Velocity3D<Real>> make_velocity3d(core::Backend backend,
                                                  const Velocity3DConfig& c) {
  for (int n : {c.nx, c.ny, c.nz})
    if (n < 4 || n % 2 != 0)
      throw core::Error(
          fmt::format("3D velocity grid {} x {} x {}: expected even sizes >= 4", c.nx, c.ny, c.nz));
  if (c.batch < 1) throw core::Error(fmt::format("batch = {}: expected >= 1", c.batch));
  if (!(c.dt > 0) || !(c.nu >= 0) || !(c.lx > 0) || !(c.ly > 0) || !(c.lz > 0))
    throw core::Error(
        fmt::format("3D velocity: need dt > 0, nu >= 0 and box edges > 0 (dt {}, "
                    "nu {})",
                    c.dt, c.nu));
  return core::dispatch(backend, [&](auto on) {
    if constexpr (decltype(on)::gpu)
      return cuda::make_velocity3d<Real>(c);
    else
      return omp::make_velocity3d<Real>(c);
  });
}

template std::unique_ptr<Velocity3D<float>> make_velocity3d<float>(core::Backend,
                                                                   const Velocity3DConfig&);
template std::unique_ptr<Velocity3D<double>> make_velocity3d<double>(core::Backend,
                                                                     const Velocity3DConfig&);

}  // namespace spectral
}  // namespace twinsim
