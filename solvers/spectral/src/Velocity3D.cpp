#include "twinsim/spectral/Velocity3D.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "twinsim/core/Dispatch.hpp"
#include "twinsim/core/Error.hpp"

namespace twinsim {
namespace omp {
template <class Real>
std::unique_ptr<spectral::Velocity3D<Real>> make_velocity3d(const spectral::Velocity3DConfig&,
                                                            core::Comm&);
}
namespace cuda {
template <class Real>
std::unique_ptr<spectral::Velocity3D<Real>> make_velocity3d(const spectral::Velocity3DConfig&,
                                                            core::Comm&);
}

namespace spectral {

template <class Real>
std::unique_ptr<Velocity3D<Real>> make_velocity3d(core::Backend backend, const Velocity3DConfig& c,
                                                  core::Comm& comm) {
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
  core::slab_layout(c.nz, c.ny, c.nx, comm.rank(), comm.size());  // throws for an uneven split
  return core::dispatch(backend, [&](auto on) {
    if constexpr (decltype(on)::gpu)
      return cuda::make_velocity3d<Real>(c, comm);
    else
      return omp::make_velocity3d<Real>(c, comm);
  });
}

template <class Real>
std::unique_ptr<Velocity3D<Real>> make_velocity3d(core::Backend backend,
                                                  const Velocity3DConfig& c) {
  static const std::unique_ptr<core::Comm> one_rank = core::make_serial_comm();
  return make_velocity3d<Real>(backend, c, *one_rank);
}

template <class Real>
std::vector<Real> gather_velocity(Velocity3D<Real>& solver, int root) {
  const std::vector<Real> mine = solver.velocity();  // [c][b][planes][y][x]
  core::Comm& comm = solver.comm();
  if (comm.size() == 1) return mine;
  const std::vector<std::vector<Real>> parts = comm.gather(mine, root);
  if (comm.rank() != root) return {};
  // Rank r's planes follow rank r - 1's within each field (c, b).
  const std::size_t fields = 3 * std::size_t(solver.config().batch);
  const std::size_t slab = mine.size() / fields;
  std::vector<Real> all(mine.size() * parts.size());
  for (std::size_t f = 0; f < fields; ++f)
    for (std::size_t r = 0; r < parts.size(); ++r)
      std::copy_n(parts[r].begin() + std::ptrdiff_t(f * slab), slab,
                  all.begin() + std::ptrdiff_t((f * parts.size() + r) * slab));
  return all;
}

template std::unique_ptr<Velocity3D<float>> make_velocity3d<float>(core::Backend,
                                                                   const Velocity3DConfig&);
template std::unique_ptr<Velocity3D<double>> make_velocity3d<double>(core::Backend,
                                                                     const Velocity3DConfig&);
template std::unique_ptr<Velocity3D<float>> make_velocity3d<float>(core::Backend,
                                                                   const Velocity3DConfig&,
                                                                   core::Comm&);
template std::unique_ptr<Velocity3D<double>> make_velocity3d<double>(core::Backend,
                                                                     const Velocity3DConfig&,
                                                                     core::Comm&);
template std::vector<float> gather_velocity<float>(Velocity3D<float>&, int);
template std::vector<double> gather_velocity<double>(Velocity3D<double>&, int);

}  // namespace spectral
}  // namespace twinsim
