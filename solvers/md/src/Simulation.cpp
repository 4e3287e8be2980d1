#include "twinsim/md/Simulation.hpp"

#include <fmt/format.h>

#include <cmath>

#include "twinsim/core/Error.hpp"
#include "twinsim/core/config.hpp"

namespace twinsim {
namespace omp {
std::unique_ptr<md::Simulation> make_simulation(const md::MdSettings& s,
                                                const md::HostParticles& initial);
}
namespace cuda {
std::unique_ptr<md::Simulation> make_simulation(const md::MdSettings& s,
                                                const md::HostParticles& initial);
}

namespace md {

namespace {

void validate(const MdSettings& s, const HostParticles& p) {
  if (!(s.lj.cutoff > 0) || !(s.skin >= 0) || !(s.dt > 0))
    throw core::Error(
        fmt::format("MD settings: cutoff {}, skin {}, dt {}; expected cutoff > 0, "
                    "skin >= 0 and dt > 0",
                    s.lj.cutoff, s.skin, s.dt));
  if (s.langevin && (!(s.langevin->temperature >= 0) || !(s.langevin->friction > 0)))
    throw core::Error(
        fmt::format("Langevin thermostat: temperature {} and friction {}; "
                    "expected temperature >= 0 and friction > 0",
                    s.langevin->temperature, s.langevin->friction));
  const double needed = 2.0 * (s.lj.cutoff + s.skin);
  for (int a = 0; a < 3; ++a)
    if (!(s.box.edge[a] >= needed))
      throw core::Error(fmt::format(
          "MD box edge {} = {:.6g} sigma is shorter than 2 (cutoff + skin) = {:.6g}: a particle "
          "would interact with two images of another; use more cells or a smaller cutoff",
          "xyz"[a], s.box.edge[a], needed));
  if (p.position.size() % 3 != 0 || p.size() < 2 || p.velocity.size() != p.position.size())
    throw core::Error(
        fmt::format("MD initial state: {} position and {} velocity values; "
                    "expected [N][3] each with N >= 2",
                    p.position.size(), p.velocity.size()));
  for (std::size_t k = 0; k < p.position.size(); ++k)
    if (!std::isfinite(p.position[k]) || !std::isfinite(p.velocity[k]))
      throw core::Error(
          fmt::format("MD initial state: particle {} has a non-finite position "
                      "or velocity",
                      k / 3));
}

}  // namespace

std::unique_ptr<Simulation> make_simulation(core::Backend backend, const MdSettings& settings,
                                            const HostParticles& initial) {
  validate(settings, initial);
#if TWINSIM_HAVE_CUDA
  if (backend == core::Backend::Gpu) return cuda::make_simulation(settings, initial);
#endif
  if (backend == core::Backend::Gpu)
    throw core::Error("the GPU backend was requested but this Twinsim was built without CUDA");
  return omp::make_simulation(settings, initial);
}

// Integrals of u(r) and r u'(r) over r > rc with g(r) = 1 (Allen & Tildesley, 2nd ed., 2.8).
double lj_tail_energy_per_atom(double density, double cutoff) {
  const double inv3 = 1.0 / (cutoff * cutoff * cutoff);
  return 8.0 / 3.0 * M_PI * density * (inv3 * inv3 * inv3 / 3.0 - inv3);
}

double lj_tail_pressure(double density, double cutoff) {
  const double inv3 = 1.0 / (cutoff * cutoff * cutoff);
  return 16.0 / 3.0 * M_PI * density * density * (2.0 / 3.0 * inv3 * inv3 * inv3 - inv3);
}

}  // namespace md
}  // namespace twinsim
