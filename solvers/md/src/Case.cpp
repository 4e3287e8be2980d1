// The [md] section of a case file: its schema, the engine settings and initial particles it
// describes, the refusals the schema cannot make, and the disk the run will take.
#include "twinsim/md/Case.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "twinsim/core/Comm.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/Philox.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "Domain.hpp"

namespace twinsim::md {

void add_schema(io::Schema& schema) {
  schema.section("md", "Lennard-Jones molecular dynamics (NVE, Langevin or Nose-Hoover chain "
                      "NVT), reduced LJ units")
      .key_string("lattice", "Initial positions: fcc, bcc or sc lattice, random (uniform, "
                             "overlaps removed by rejection) or file (an H5MD file's frame)")
      .default_value("fcc").one_of({"fcc", "bcc", "sc", "random", "file"})
      .key_string("file", "lattice = file: H5MD file (path relative to the working directory); "
                          "its box, positions, and velocities and species where present")
      .default_value("")
      .key_int("file_frame", "lattice = file: frame to start from (-1: the last)")
      .default_value(-1)
      .key_bool("file_velocities", "lattice = file: take the file's velocities where present "
                                   "(else Maxwell-Boltzmann at md.temperature)")
      .default_value(true)
      .key_float("density", "Number density").default_value(0.8442).unit("sigma^-3")
      .greater_than(0.0)
      .key_ints("cells", "Lattice unit cells along x, y, z (4 atoms each for fcc, 2 bcc, 1 sc)")
      .default_value({10, 10, 10}).length(3).at_least(1)
      .key_int("atoms", "Particles of a random placement (cubic box)").default_value(4000)
      .at_least(2)
      .key_float("min_distance", "Random placement: no two particles closer than this")
      .default_value(0.8).unit("sigma").at_least(0.0)
      .key_float("temperature", "Initial temperature (Maxwell-Boltzmann, exact, zero momentum); "
                                "the Langevin thermostat's target")
      .default_value(1.0).unit("epsilon/k_B").at_least(0.0)
      .key_string("thermostat", "none (NVE velocity Verlet), langevin (NVT, BAOAB) or "
                                "nose_hoover (NVT, Nose-Hoover chain)")
      .default_value("none").one_of({"none", "langevin", "nose_hoover"})
      .key_float("friction", "Langevin friction gamma").default_value(1.0).unit("1/tau")
      .greater_than(0.0)
      .key_float("tdamp", "Nose-Hoover relaxation time (about 100 dt)").default_value(0.5)
      .unit("tau").greater_than(0.0)
      .key_int("chain", "Nose-Hoover thermostats in the chain").default_value(3).at_least(1)
      .at_most(1000)
      .key_int("equilibrate", "Steps before sampling: thermo rows up to this step are left out "
                              "of the summary's means, errors, RDF and energy drift")
      .default_value(0).at_least(0)
      .key_int("seed", "Seed of the initial velocities").default_value(87287).at_least(0)
      .key_float("dt", "Time step").default_value(0.005).unit("tau").greater_than(0.0)
      .key_int("steps", "Time steps to run").default_value(1000).at_least(0)
      .key_float("cutoff", "Pair cutoff rc").default_value(2.5).unit("sigma").greater_than(0.0)
      .key_float("skin", "Verlet list skin (lists rebuilt when a particle moved skin/2)")
      .default_value(0.3).unit("sigma").at_least(0.0)
      .key_int("rebuild_every", "0: rebuild the Verlet list when a particle moved skin/2 "
                                "(checked every step); k: every k steps unchecked (LAMMPS' "
                                "neigh_modify every k check no), late builds counted as dangerous")
      .default_value(0).at_least(0).at_most(1e9)
      .key_int("check_every", "With rebuild_every = 0: steps between the host's reads of the "
                              "displacement checks (made on the device every step); a read "
                              "rebuilds ahead of a particle reaching skin/2 within the window")
      .default_value(4).at_least(1).at_most(1000)
      .key_ints("processors",
                "Across MPI ranks: the bricks along x, y, z (LAMMPS' processors), their product "
                "the rank count, each at least cutoff + skin wide along a cut axis ([]: chosen "
                "for the least halo). Ignored on one rank")
      .default_value(std::vector<std::int64_t>{})
      .layout()
      .key_int("rdf_every", "Steps between RDF samples after equilibration (0: no RDF)")
      .default_value(0).at_least(0)
      .key_int("rdf_bins", "RDF shells").default_value(200).at_least(1).at_most(1e7)
      .key_float("rdf_range", "RDF range (0: the cutoff, at most half the box)")
      .default_value(0.0).unit("sigma").at_least(0.0)
      .key_float("energy_tolerance", "Stop when the conserved energy per atom (NVE, Nose-Hoover) "
                                     "moved this far from step 0's (blow-up)")
      .default_value(0.5).unit("epsilon").greater_than(0.0)
      .key_int("thermo_every", "Steps between thermo rows").default_value(50).at_least(1)
      .key_int("dump_every", "Steps between trajectory frames (0: none)").default_value(0)
      .at_least(0)
      .key_string("potential", "Pair potential: lj (12-6, cut at cutoff), wca (LJ cut at its "
                               "minimum and shifted up: purely repulsive) or morse (well depth "
                               "epsilon at r0 = sigma)")
      .default_value("lj").one_of({"lj", "wca", "morse"})
      .key_float("morse_alpha", "Morse width parameter alpha").default_value(6.0)
      .unit("1/sigma").greater_than(0.0)
      .key_floats("type_epsilon", "epsilon of each particle type (the number of types is the "
                                  "length); unlike pairs mix by Lorentz-Berthelot")
      .default_value({1.0}).at_least(0.0)
      .key_floats("type_sigma", "sigma of each particle type (as many as type_epsilon)")
      .default_value({1.0}).unit("sigma").at_least(0.0)
      .key_floats("type_fraction", "Fraction of the particles of each type (as many as "
                                   "type_epsilon), assigned at random with the seed")
      .default_value({1.0}).at_least(0.0)
      .key_bool("shift", "Shift the pair energy to zero at the cutoff").default_value(false)
      .key_bool("tail", "Add analytic long-range corrections to energy and pressure")
      .default_value(false);
}

namespace {

std::vector<int> assign_types(std::size_t n, const std::vector<double>& fraction,
                              std::uint64_t seed) {
  std::vector<int> type;
  double total = 0;
  for (double f : fraction) total += f;
  for (std::size_t t = 0; t < fraction.size(); ++t) {
    const std::size_t count = t + 1 == fraction.size()
                                  ? n - type.size()
                                  : std::size_t(std::llround(fraction[t] / total * double(n)));
    type.insert(type.end(), std::min(count, n - type.size()), int(t));
  }
  const core::Philox rng(seed, 2);
  for (std::size_t k = n - 1; k > 0; --k) {
    double u, unused;
    rng.uniform2(k, u, unused);
    std::swap(type[k], type[std::min(k, std::size_t(u * double(k + 1)))]);
  }
  return type;
}

Lattice initial_positions(const io::Section& s, const H5mdState* from_file, double density) {
  const std::string kind = s.get_string("lattice");
  if (from_file) return {from_file->box, from_file->particles.position};
  if (kind == "random")
    return random_placement(std::size_t(s.get_int("atoms")), density,
                                s.get_float("min_distance"), std::uint64_t(s.get_int("seed")));
  const std::vector<std::int64_t>& cells = s.get_ints("cells");
  return cubic_lattice(kind, density,
                           {int(cells[0]), int(cells[1]), int(cells[2])});
}

Potential potential_of(const std::string& name) {
  return name == "wca" ? Potential::wca : name == "morse" ? Potential::morse : Potential::lj;
}

void require_one_per_type(const io::Section& s) {
  const std::size_t types = s.get_floats("type_epsilon").size();
  if (s.get_floats("type_sigma").size() != types || s.get_floats("type_fraction").size() != types)
    throw core::Error(fmt::format("md.type_epsilon, md.type_sigma and md.type_fraction have {}, "
                                  "{} and {} values; give one per particle type",
                                  types, s.get_floats("type_sigma").size(),
                                  s.get_floats("type_fraction").size()));
}

// The engine settings of the case in `box`, thermostatted at `temperature`.
MdSettings settings_of(const io::Section& s, const Box& box, double temperature) {
  MdSettings settings;
  settings.box = box;
  settings.lj = {s.get_float("cutoff"), s.get_bool("shift"), s.get_bool("tail")};
  settings.skin = s.get_float("skin");
  settings.dt = s.get_float("dt");
  settings.rebuild_every = int(s.get_int("rebuild_every"));
  settings.check_every = int(s.get_int("check_every"));
  settings.potential = potential_of(s.get_string("potential"));
  if (const std::vector<std::int64_t>& p = s.get_ints("processors"); !p.empty()) {
    if (p.size() != 3 || *std::min_element(p.begin(), p.end()) < 1)
      throw core::Error(fmt::format(
          "md.processors: 3 bricks along x, y, z (each at least 1), got [{}]", fmt::join(p, ", ")));
    settings.processors = {int(p[0]), int(p[1]), int(p[2])};
  }
  settings.morse_alpha = s.get_float("morse_alpha");
  const std::vector<double>& eps = s.get_floats("type_epsilon");
  const std::vector<double>& sig = s.get_floats("type_sigma");
  for (std::size_t t = 0; t < eps.size(); ++t) settings.types.push_back({eps[t], sig[t]});
  const std::string thermostat = s.get_string("thermostat");
  if (thermostat == "langevin")
    // Noise seeded apart from the initial velocities (Philox stream 0 of the same seed).
    settings.langevin = Langevin{temperature, s.get_float("friction"),
                                 std::uint64_t(s.get_int("seed")) + 1};
  if (thermostat == "nose_hoover")
    settings.nose_hoover = NoseHooverChain{temperature, s.get_float("tdamp"),
                                           int(s.get_int("chain"))};
  return settings;
}

// The box the case describes, without placing particles.
Box box_of(const io::Section& s, double density) {
  const std::string kind = s.get_string("lattice");
  Box box;
  if (kind == "file") {
    if (s.get_string("file").empty())
      throw core::Error("md.lattice = \"file\" needs md.file, the H5MD file to start from");
    try {
      box = read_h5md(s.get_string("file"), s.get_int("file_frame")).box;
    } catch (const core::Error& e) {
      throw core::Error(fmt::format("md.file: {}", e.what()));
    }
  } else if (kind == "random") {
    const double edge = std::cbrt(double(s.get_int("atoms")) / density);
    box.edge = {edge, edge, edge};
  } else {
    const std::vector<std::int64_t>& cells = s.get_ints("cells");
    const double per_cell = kind == "fcc" ? 4 : kind == "bcc" ? 2 : 1;
    const double a = std::cbrt(per_cell / density);
    box.edge = {a * double(cells[0]), a * double(cells[1]), a * double(cells[2])};
  }
  return box;
}

// The random placement's packing bound: pi/6 rho d^3 at most this. Random sequential addition
// jams at 0.384 only after unbounded tries; with 1000 tries a particle, 0.27 was reached for
// 256,000 particles and 0.28 failed for 32,000 (d = 1 sigma, measured).
constexpr double k_random_packing_limit = 0.27;

// Refusals of the initial state and thermostat that follow from the keys alone.
void check_start(const io::Section& s, const StatePoint& at) {
  if (s.get_string("thermostat") == "nose_hoover" && !(at.temperature > 0))
    throw core::Error(fmt::format(
        "md.temperature = {} epsilon/k_B: a Nose-Hoover chain needs a target temperature > 0 "
        "(its thermostat masses are proportional to it); use thermostat = \"langevin\" or "
        "\"none\" for T = 0",
        at.temperature));
  if (s.get_string("lattice") != "random") return;
  const double fraction =
      M_PI / 6.0 * at.density * std::pow(s.get_float("min_distance"), 3);
  if (fraction > k_random_packing_limit)
    throw core::Error(fmt::format(
        "md.density = {} sigma^-3 with md.min_distance = {} sigma: packing fraction pi/6 rho d^3 "
        "= {:.3f}, above the {} that random placement reaches (1000 tries a particle); lower "
        "md.min_distance to at most {:.4g} sigma or md.density to at most {:.4g} sigma^-3, or "
        "start from a lattice",
        at.density, s.get_float("min_distance"), fraction, k_random_packing_limit,
        std::cbrt(k_random_packing_limit * 6.0 / M_PI / at.density),
        k_random_packing_limit * 6.0 / M_PI / std::pow(s.get_float("min_distance"), 3)));
}

}  // namespace

// Refusals that need more than the schema, before the run folder exists: per-type arrays of
// different lengths, lattice = file without a readable file, a Nose-Hoover chain at T = 0, a
// random placement too dense to fit, a box shorter than 2 (cutoff + skin), a rank count whose
// bricks would be narrower than cutoff + skin across MPI ranks, an RDF range beyond
// half the box.
void check(const io::Case& c) { check(c, state_point(c), core::world().size()); }

std::string split(const io::Case& c, int ranks) {
  const io::Section s = c.section("md");
  const StatePoint at = state_point(c);
  const MdSettings settings = settings_of(s, box_of(s, at.density), at.temperature);
  return detail::bricks_line(ranks, settings.box,
                             pair_table(settings).max_cutoff + settings.skin, settings.processors);
}

StatePoint state_point(const io::Case& c) {
  return {c.get_float("md.density"), c.get_float("md.temperature")};
}

void check(const io::Case& c, const StatePoint& at, int ranks) {
  const io::Section s = c.section("md");
  require_one_per_type(s);
  check_start(s, at);
  const MdSettings settings = settings_of(s, box_of(s, at.density), at.temperature);
  const double needed = 2.0 * (pair_table(settings).max_cutoff + s.get_float("skin"));
  const double shortest =
      std::min({settings.box.edge[0], settings.box.edge[1], settings.box.edge[2]});
  if (shortest < needed)
    throw core::Error(fmt::format(
        "md: the box ({:.6g} x {:.6g} x {:.6g} sigma) is shorter than 2 (cutoff + skin) = "
        "{:.6g} along an edge: a particle would interact with two images of another; use more "
        "cells or atoms, or a smaller cutoff or skin",
        settings.box.edge[0], settings.box.edge[1], settings.box.edge[2], needed));
  // Across MPI ranks the box is cut into bricks, each at least cutoff + skin wide: md.processors
  // for their own count (so that a one-rank `twinsim check` judges them), and this run's.
  const std::array<int, 3>& p = settings.processors;
  if (p != std::array<int, 3>{0, 0, 0})
    detail::brick_cuts(p[0] * p[1] * p[2], settings.box, 0.5 * needed, p);
  if (ranks > 1)
    detail::brick_cuts(ranks, settings.box, 0.5 * needed, p);
  if (s.get_int("rdf_every") > 0) {
    const double range = s.get_float("rdf_range") > 0 ? s.get_float("rdf_range")
                                                      : settings.lj.cutoff;
    if (range > 0.5 * shortest)
      throw core::Error(fmt::format("md.rdf_range {} sigma is more than half the box edge "
                                    "({:.6g}); set md.rdf_range at most that",
                                    range, 0.5 * shortest));
  }
}

Start start_of(const io::Case& c) { return start_of(c, state_point(c)); }

Start start_of(const io::Case& c, const StatePoint& at) {
  const io::Section s = c.section("md");
  require_one_per_type(s);
  std::optional<H5mdState> from_file;
  if (s.get_string("lattice") == "file") {
    if (s.get_string("file").empty())
      throw core::Error("md.lattice = \"file\" needs md.file, the H5MD file to start from");
    from_file = read_h5md(s.get_string("file"), s.get_int("file_frame"));
    spdlog::info("initial state: {} frame {} (step {})", s.get_string("file"),
                 s.get_int("file_frame"), from_file->step);
  }
  const Lattice lattice = initial_positions(s, from_file ? &*from_file : nullptr, at.density);
  const std::size_t n = lattice.position.size() / 3;
  const std::vector<double>& fraction = s.get_floats("type_fraction");
  Start start{settings_of(s, lattice.box, at.temperature),
              {lattice.position,
               maxwell_boltzmann(n, at.temperature, std::uint64_t(s.get_int("seed"))),
               {},
               {},
               fraction.size() > 1 ? assign_types(n, fraction, std::uint64_t(s.get_int("seed")))
                                   : std::vector<int>{}}};
  if (from_file) {
    HostParticles& initial = start.initial;
    if (s.get_bool("file_velocities") && from_file->particles.velocity.size() == 3 * n)
      initial.velocity = from_file->particles.velocity;
    if (from_file->particles.type.size() == n &&
        *std::max_element(from_file->particles.type.begin(), from_file->particles.type.end()) >
            0)
      initial.type = from_file->particles.type;
  }
  return start;
}

// Sizes for the preflight disk check: <name>.h5 (thermo rows; trajectory frames of positions,
// velocities and forces in float64, species and image counts in int32 and the box; frame views
// and their XDMF sidecar; RDF) and one checkpoint (the engine's state: positions, velocities,
// forces and build positions, image counts, tags, types; the unwrapped start; the summary's
// rows). HDF5 object headers are counted at about 1 KiB each.
loop::Plan plan(const io::Case& c) {
  const io::Section s = c.section("md");
  const std::string kind = s.get_string("lattice");
  std::uint64_t n;
  double density = s.get_float("density");
  if (kind == "file") {
    const H5mdState state = read_h5md(s.get_string("file"), s.get_int("file_frame"));
    n = state.particles.size();
    density = double(n) / state.box.volume();
  } else if (kind == "random") {
    n = std::uint64_t(s.get_int("atoms"));
  } else {
    const std::vector<std::int64_t>& cells = s.get_ints("cells");
    // In double and capped: the product of three int64s overflows (found by fuzz_case), and a
    // wrapped count would pass the memory preflight. 1e15 atoms is far past any machine.
    const double atoms = double(kind == "fcc" ? 4 : kind == "bcc" ? 2 : 1) * double(cells[0]) *
                         double(cells[1]) * double(cells[2]);
    n = std::uint64_t(std::min(atoms, 1e15));
  }
  const std::uint64_t steps = std::uint64_t(s.get_int("steps"));
  const std::uint64_t dump_every = std::uint64_t(s.get_int("dump_every"));
  // Counts capped at 2^40 (far past any disk) so that the byte products below cannot wrap.
  constexpr std::uint64_t k_most = std::uint64_t(1) << 40;
  const std::uint64_t frames =
      dump_every > 0 ? std::min(steps / dump_every + 2, k_most) : 0;  // + 0 and a fault
  const std::uint64_t rows = std::min(steps / std::uint64_t(s.get_int("thermo_every")) + 2, k_most);
  const std::uint64_t bins = s.get_int("rdf_every") > 0 ? std::uint64_t(s.get_int("rdf_bins")) : 0;
  constexpr std::uint64_t k_object = 1024;
  loop::Plan plan;
  plan.output_bytes = 64 * k_object + 7 * io::series_bytes(rows, 8) + 2 * bins * 8;
  if (frames > 0)
    plan.output_bytes += 3 * io::series_bytes(frames, 3 * 8 * n) + io::series_bytes(frames, 4 * n) +
                         io::series_bytes(frames, 3 * 4 * n) + io::series_bytes(frames, 3 * 8) +
                         8 * n;
  plan.checkpoint_bytes =
      32 * k_object + n * (4 * 3 * 8 + 3 * 4 + 4 + 4 + 3 * 8) + rows * 5 * 8 + bins * 8;
  // Backend memory per atom: positions, velocities, forces, build positions and a reorder
  // target (5 x 3 doubles), energy and virial (2 doubles), cell keys, order, tags (and their
  // scratch), types and neighbor counts (6 ints), images and their scratch (6 ints), sort
  // scratch (about 2 ints), and the Verlet list: 1.5 x the neighbors expected within the
  // list radius + 16 slots (the GPU's full lists; the CPU's half lists and per-thread force
  // arrays are about as large). Largest pair range: the cutoff, or WCA's 2^(1/6) sigma.
  const std::vector<double>& sigma = s.get_floats("type_sigma");
  const double largest_sigma = *std::max_element(sigma.begin(), sigma.end());
  const double radius =
      std::max(s.get_float("cutoff"), 1.1225 * largest_sigma) + s.get_float("skin");
  const double slots =
      std::min(1.5 * 4.0 / 3.0 * M_PI * radius * radius * radius * density + 16, 1e9);
  const double per_atom = 15 * 8 + 2 * 8 + 6 * 4 + 6 * 4 + 2 * 4 + 4 * slots;
  plan.device_bytes = std::uint64_t(std::min(double(n) * per_atom, 1e19));
  // Host copies: the initial particles (positions, velocities, types), the state copied for a
  // checkpoint, and a trajectory frame (positions, velocities, forces, images, types).
  plan.memory_bytes = n * (6 * 8 + 4) + plan.checkpoint_bytes + (frames > 0 ? n * (9 * 8 + 16) : 0);
  plan.size_keys = (kind == "random" ? "md.atoms" : kind == "file" ? "md.file" : "md.cells") +
                   std::string(" or md.steps");
  return plan;
}

}  // namespace twinsim::md
