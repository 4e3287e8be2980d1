#include "twinsim/md/Simulation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "twinsim/core/Error.hpp"
#include "twinsim/core/Dispatch.hpp"
#include "twinsim/io/Checkpoint.hpp"

namespace twinsim {
namespace core {
class Comm;
}
namespace omp {
std::unique_ptr<md::Simulation> make_simulation(const md::MdSettings& s,
                                                const md::HostParticles& initial,
                                                core::Comm* comm);
}
namespace cuda {
std::unique_ptr<md::Simulation> make_simulation(const md::MdSettings& s,
                                                const md::HostParticles& initial,
                                                core::Comm* comm);
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
  if (s.langevin && s.nose_hoover)
    throw core::Error("MD settings: both a Langevin and a Nose-Hoover thermostat; choose one");
  if (s.nose_hoover && (!(s.nose_hoover->temperature > 0) || !(s.nose_hoover->tdamp > 0) ||
                        s.nose_hoover->chain < 1))
    throw core::Error(fmt::format(
        "Nose-Hoover chain: temperature {}, tdamp {}, chain {}; expected temperature > 0, "
        "tdamp > 0 (about 100 dt) and at least one thermostat",
        s.nose_hoover->temperature, s.nose_hoover->tdamp, s.nose_hoover->chain));
  if (s.field && (s.field->axis < 0 || s.field->axis > 2 || s.field->waves < 1 ||
                  !std::isfinite(s.field->amplitude)))
    throw core::Error(fmt::format(
        "MD periodic field: axis {}, waves {}, amplitude {}; expected axis 0, 1 or 2, at least "
        "one wave and a finite amplitude",
        s.field->axis, s.field->waves, s.field->amplitude));
  if (s.rebuild_every < 0)
    throw core::Error(
        fmt::format("MD settings: rebuild_every {}; expected 0 (rebuild when a "
                    "particle moved skin/2) or a positive step count",
                    s.rebuild_every));
  if (s.check_every < 1)
    throw core::Error(fmt::format("MD settings: check_every {}; expected at least 1 step",
                                  s.check_every));
  if (s.lj.tail && s.potential != Potential::lj)
    throw core::Error(
        "MD settings: tail corrections apply to the Lennard-Jones potential only "
        "(WCA is zero beyond its cutoff; Morse decays exponentially)");
  if (!(s.morse_alpha > 0))
    throw core::Error(fmt::format("MD settings: Morse alpha {}; expected > 0", s.morse_alpha));
  const std::size_t types = std::max<std::size_t>(1, s.types.size());
  if (!p.type.empty() && p.type.size() != p.size())
    throw core::Error(
        fmt::format("MD initial state: {} types for {} particles", p.type.size(), p.size()));
  for (std::size_t i = 0; i < p.type.size(); ++i)
    if (p.type[i] < 0 || std::size_t(p.type[i]) >= types)
      throw core::Error(
          fmt::format("MD initial state: particle {} has type {}; the settings "
                      "declare types 0..{}",
                      i, p.type[i], types - 1));
  const double needed = 2.0 * (pair_table(s).max_cutoff + s.skin);
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
                                            const HostParticles& initial, core::Comm* comm) {
  validate(settings, initial);
  return core::dispatch(backend, [&](auto on) {
    if constexpr (decltype(on)::gpu)
      return cuda::make_simulation(settings, initial, comm);
    else
      return omp::make_simulation(settings, initial, comm);
  });
}

void save_state(Simulation& sim, io::StateWriter& w) {
  const SimulationState s = sim.state();
  w.put("md/step", s.step);
  w.put("md/builds", s.builds);
  w.put("md/dangerous_builds", s.dangerous_builds);
  w.put("md/list_capacity", s.list_capacity);
  w.put("md/kinetic", s.kinetic);
  w.put("md/unread_displacement2", s.unread_displacement2);
  w.put("md/position", s.position);
  w.put("md/velocity", s.velocity);
  w.put("md/force", s.force);
  w.put("md/build_position", s.build_position);
  w.put("md/image", s.image);
  w.put("md/tag", s.tag);
  w.put("md/type", s.type);
  w.put("md/chain_position", s.chain_position);
  w.put("md/chain_velocity", s.chain_velocity);
}

namespace {

// What one rank's checkpoint holds, the atoms it owned in [3][n] layout.
SimulationState read_state(const io::StateReader& r) {
  SimulationState s;
  s.step = r.get_int("md/step");
  s.builds = r.get_int("md/builds");
  s.dangerous_builds = r.get_int("md/dangerous_builds");
  s.list_capacity = r.get_int("md/list_capacity");
  s.kinetic = r.get_double("md/kinetic");
  // Checkpoints written before the displacement check windows have none: nothing unread.
  if (r.has("md/unread_displacement2"))
    s.unread_displacement2 = r.get_double("md/unread_displacement2");
  s.position = r.get<double>("md/position");
  s.velocity = r.get<double>("md/velocity");
  s.force = r.get<double>("md/force");
  s.build_position = r.get<double>("md/build_position");
  s.image = r.get<int>("md/image");
  s.tag = r.get<int>("md/tag");
  s.type = r.get<int>("md/type");
  s.chain_position = r.get<double>("md/chain_position");
  s.chain_velocity = r.get<double>("md/chain_velocity");
  return s;
}

// Appends the [3][m] rows of `part` to the [3][n] rows of `all`: [3][n + m].
template <class T>
void append_rows(std::vector<T>& all, const std::vector<T>& part) {
  const std::size_t n = all.size() / 3, m = part.size() / 3;
  std::vector<T> out(3 * (n + m));
  for (std::size_t a = 0; a < 3; ++a) {
    std::copy_n(all.begin() + a * n, n, out.begin() + a * (n + m));
    std::copy_n(part.begin() + a * m, m, out.begin() + a * (n + m) + n);
  }
  all = std::move(out);
}

}  // namespace

void load_state(Simulation& sim, const io::StateReader& r) {
  if (r.parts().empty()) {
    sim.restore(read_state(r));
    return;
  }
  // Written by another rank count: rank 0's step, clock and thermostat (the same on every
  // rank), every writer's atoms; the largest displacement and list capacity of any writer.
  SimulationState all = read_state(*r.parts()[0]);
  for (std::size_t k = 1; k < r.parts().size(); ++k) {
    const SimulationState part = read_state(*r.parts()[k]);
    all.unread_displacement2 = std::max(all.unread_displacement2, part.unread_displacement2);
    all.list_capacity = std::max(all.list_capacity, part.list_capacity);
    append_rows(all.position, part.position);
    append_rows(all.velocity, part.velocity);
    append_rows(all.force, part.force);
    append_rows(all.build_position, part.build_position);
    append_rows(all.image, part.image);
    all.tag.insert(all.tag.end(), part.tag.begin(), part.tag.end());
    all.type.insert(all.type.end(), part.type.begin(), part.type.end());
  }
  sim.restore_redistributed(all);
}

// Integrals of u(r) and r u'(r) over r > rc with g(r) = 1 (Allen & Tildesley, 2nd ed., 2.8).
double lj_tail_energy_per_atom(double density, double cutoff) {
  const double inv3 = 1.0 / (cutoff * cutoff * cutoff);
  return 8.0 / 3.0 * M_PI * density * (inv3 * inv3 * inv3 / 3.0 - inv3);
}

PairTable pair_table(const MdSettings& s) {
  const std::vector<TypeParams> types =
      s.types.empty() ? std::vector<TypeParams>{TypeParams{}} : s.types;
  const int nt = int(types.size());
  for (int t = 0; t < nt; ++t)
    if (!(types[t].epsilon > 0) || !(types[t].sigma > 0))
      throw core::Error(fmt::format("MD type {}: epsilon {} and sigma {}; expected both > 0", t,
                                    types[t].epsilon, types[t].sigma));
  PairTable t;
  t.types = nt;
  const std::size_t entries = std::size_t(nt) * nt;
  t.epsilon.resize(entries);
  t.sigma.resize(entries);
  for (int i = 0; i < nt; ++i)
    for (int j = 0; j < nt; ++j) {
      // Lorentz-Berthelot.
      t.epsilon[i * nt + j] = std::sqrt(types[i].epsilon * types[j].epsilon);
      t.sigma[i * nt + j] = 0.5 * (types[i].sigma + types[j].sigma);
    }
  for (const PairOverride& o : s.pairs) {
    if (o.i < 0 || o.j < 0 || o.i >= nt || o.j >= nt || !(o.epsilon > 0) || !(o.sigma > 0))
      throw core::Error(
          fmt::format("MD pair override ({}, {}): epsilon {}, sigma {}; expected "
                      "types in 0..{} and epsilon, sigma > 0",
                      o.i, o.j, o.epsilon, o.sigma, nt - 1));
    t.epsilon[o.i * nt + o.j] = t.epsilon[o.j * nt + o.i] = o.epsilon;
    t.sigma[o.i * nt + o.j] = t.sigma[o.j * nt + o.i] = o.sigma;
  }
  for (std::size_t k = 0; k < entries; ++k) {
    const double eps = t.epsilon[k], sig = t.sigma[k];
    double a, b, c = 0, cutoff, shift = 0;
    if (s.potential == Potential::morse) {
      a = eps;
      b = s.morse_alpha;
      c = sig;
      cutoff = s.lj.cutoff;
      const double e1 = std::exp(-b * (cutoff - c));
      if (s.lj.shift) shift = a * e1 * (e1 - 2.0);
    } else {
      a = 4.0 * eps * std::pow(sig, 12);
      b = 4.0 * eps * std::pow(sig, 6);
      cutoff = s.potential == Potential::wca ? std::pow(2.0, 1.0 / 6.0) * sig : s.lj.cutoff;
      if (s.potential == Potential::wca || s.lj.shift) {
        const double inv6 = 1.0 / std::pow(cutoff, 6);
        shift = inv6 * (a * inv6 - b);
      }
    }
    t.a.push_back(a);
    t.b.push_back(b);
    t.c.push_back(c);
    t.cutoff2.push_back(cutoff * cutoff);
    t.shift.push_back(shift);
    t.max_cutoff = std::max(t.max_cutoff, cutoff);
  }
  return t;
}

namespace detail {

TailTotals lj_tail_totals(const PairTable& t, const std::vector<double>& counts, double volume,
                          double cutoff) {
  // Allen & Tildesley (2.8) summed over type pairs: U = 2 pi / V sum_ab N_a N_b
  // int_rc^inf u_ab r^2 dr, P = -(2 pi / 3V^2) sum_ab N_a N_b int_rc^inf r^3 u_ab' dr.
  TailTotals out;
  for (int a = 0; a < t.types; ++a)
    for (int b = 0; b < t.types; ++b) {
      const double eps = t.epsilon[a * t.types + b], sig = t.sigma[a * t.types + b];
      const double x3 = std::pow(sig / cutoff, 3), s3 = sig * sig * sig;
      const double pairs = counts[a] * counts[b];
      out.energy += 8.0 / 3.0 * M_PI * pairs / volume * eps * s3 * (x3 * x3 * x3 / 3.0 - x3);
      out.pressure += 16.0 / 3.0 * M_PI * pairs / (volume * volume) * eps * s3 *
                      (2.0 / 3.0 * x3 * x3 * x3 - x3);
    }
  return out;
}

}  // namespace detail

std::int64_t worst_particle(const HostParticles& p) {
  std::int64_t worst = 0;
  double most = -1;
  for (std::size_t i = 0; i < p.size(); ++i) {
    double f2 = 0;
    bool finite = true;
    for (std::size_t k = 3 * i; k < 3 * i + 3; ++k) {
      finite = finite && std::isfinite(p.position[k]) && std::isfinite(p.velocity[k]) &&
               (p.force.empty() || std::isfinite(p.force[k]));
      if (!p.force.empty()) f2 += p.force[k] * p.force[k];
    }
    if (!finite) return std::int64_t(i);
    if (f2 > most) most = f2, worst = std::int64_t(i);
  }
  return worst;
}

namespace detail {

Fault overlap_fault(const HostParticles& p, double limit) {
  const std::int64_t i = worst_particle(p);
  const double* r = p.position.data() + 3 * i;
  const double* f = p.force.data() + 3 * i;
  return Fault(
      fmt::format("step 0: particle {} at ({:.6g}, {:.6g}, {:.6g}) sigma feels a force "
                  "of {:.3g} epsilon/sigma (limit {:.3g}): it overlaps "
                  "another particle; remove overlaps from the initial positions (random "
                  "placement with a minimum distance) or start from a lattice",
                  i, r[0], r[1], r[2], std::sqrt(f[0] * f[0] + f[1] * f[1] + f[2] * f[2]), limit),
      0, i);
}

Fault blow_up_fault(std::int64_t step, std::int64_t particle, double moved2, double dt) {
  if (!std::isfinite(moved2))
    return Fault(fmt::format("step {}: particle {} has a non-finite position: the dynamics blew "
                             "up (time step {} tau too large, or overlapping particles); reduce "
                             "md.dt",
                             step, particle, dt),
                 step, particle);
  return Fault(fmt::format("step {}: particle {} moved {:.3g} sigma in one step: the dynamics "
                           "blew up (time step {} tau too large for this state, or overlapping "
                           "particles); reduce md.dt",
                           step, particle, std::sqrt(moved2), dt),
               step, particle);
}

}  // namespace detail

double lj_tail_pressure(double density, double cutoff) {
  const double inv3 = 1.0 / (cutoff * cutoff * cutoff);
  return 16.0 / 3.0 * M_PI * density * density * (2.0 / 3.0 * inv3 * inv3 * inv3 - inv3);
}

}  // namespace md
}  // namespace twinsim
