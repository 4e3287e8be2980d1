// Molecular dynamics of a Lennard-Jones fluid as a run: fcc/bcc/sc lattice or random placement +
// Maxwell-Boltzmann start, NVE velocity Verlet, Langevin or Nose-Hoover chain NVT; thermo table,
// MSD, RDF and H5MD trajectory in the run's HDF5 file, XDMF sidecar, and summary figures with
// block-averaged errors (reduced LJ units throughout). A fault of the dynamics stops the run
// with what was computed so far written.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

#include "runs.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/Philox.hpp"
#include "twinsim/core/Progress.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/io/Xdmf.hpp"
#include "twinsim/md/Computes.hpp"
#include "twinsim/md/InitialConditions.hpp"
#include "twinsim/md/Simulation.hpp"

namespace twinsim::app {

namespace {

constexpr const char* k_units =
    "reduced Lennard-Jones units: length sigma, energy epsilon, mass m, time "
    "sigma sqrt(m/epsilon), temperature epsilon/k_B, pressure epsilon/sigma^3; energies per atom";

// The thermo table: one H5MD observable per column at /observables/<name>.
class ThermoTable {
 public:
  explicit ThermoTable(io::H5File& file) {
    for (const char* name : {"temperature", "kinetic_energy", "potential_energy", "total_energy",
                             "conserved_energy", "pressure", "msd"})
      m_columns.emplace_back(file, fmt::format("/observables/{}", name),
                             io::TimeSeries::Spec{{1}, io::DType::f64, "", "", "unit"});
  }

  void append(const md::Thermo& t, double msd) {
    const double n = double(t.atoms);
    const double values[] = {t.temperature, t.kinetic / n,     t.potential / n, t.total / n,
                             t.conserved / n, t.pressure,      msd};
    for (std::size_t c = 0; c < m_columns.size(); ++c)
      m_columns[c].append(&values[c], t.step, t.time);
  }

 private:
  std::vector<io::TimeSeries> m_columns;
};

// The XDMF sidecar of a fresh run, or a restarted run's with its first `resume` steps kept.
io::XdmfWriter sidecar(const std::filesystem::path& xmf, const std::filesystem::path& h5,
                       std::optional<std::size_t> resume) {
  return resume ? io::XdmfWriter(xmf, h5, *resume) : io::XdmfWriter(xmf, h5);
}

// Positions, velocities and forces in H5MD (/particles/all) with the XDMF Polyvertex sidecar.
// On a restart the series reopen where the checkpoint left them (resume: the frames then).
class Trajectory {
 public:
  Trajectory(io::H5File& file, const std::filesystem::path& xmf, std::uint64_t n,
             std::optional<std::size_t> resume)
      : m_atoms(file, "all", {true, true, true}, "", "", "Twinsim md"),
        m_xdmf(sidecar(xmf, file.path(), resume)),
        m_n(n) {
    for (const char* name : {"position", "velocity", "force"})
      m_atoms.add(name, 3, io::DType::f64, "", n);
    m_atoms.add("species", 1, io::DType::i32, "", n);  // H5MD's particle type
    m_atoms.add("image", 3, io::DType::i32, "", n);    // periodic images crossed
  }

  void append(md::Simulation& sim) {
    const md::HostParticles p = sim.particles();
    const std::int64_t step = sim.step();
    const double time = double(step) * sim.settings().dt;
    const io::FrameView x = m_atoms["position"].append(p.position.data(), m_n, step, time);
    const io::FrameView v = m_atoms["velocity"].append(p.velocity.data(), m_n, step, time);
    const io::FrameView f = m_atoms["force"].append(p.force.data(), m_n, step, time);
    const io::FrameView species = m_atoms["species"].append(p.type.data(), m_n, step, time);
    m_atoms["image"].append(p.image.data(), m_n, step, time);
    m_atoms.append_edges(sim.settings().box.edge, step, time);
    m_xdmf.add_step(time, io::PointSet{m_atoms.connectivity(m_n), x},
                    {{"velocity", v}, {"force", f}, {"species", species}});
  }

  std::size_t frames() const { return m_xdmf.steps(); }

 private:
  io::ParticleSeries m_atoms;
  io::XdmfWriter m_xdmf;
  std::uint64_t m_n;
};

// A thermo row through a checkpoint (the summary's first and last rows).
std::vector<double> thermo_values(const md::Thermo& t) {
  return {double(t.step), t.time,     double(t.atoms), t.kinetic,     t.potential,
          t.total,        t.conserved, t.temperature,   t.pressure,    t.momentum[0],
          t.momentum[1],  t.momentum[2]};
}

md::Thermo thermo_from(const std::vector<double>& v) {
  md::Thermo t;
  t.step = std::int64_t(v.at(0));
  t.time = v.at(1);
  t.atoms = std::int64_t(v.at(2));
  t.kinetic = v.at(3);
  t.potential = v.at(4);
  t.total = v.at(5);
  t.conserved = v.at(6);
  t.temperature = v.at(7);
  t.pressure = v.at(8);
  t.momentum = {v.at(9), v.at(10), v.at(11)};
  return t;
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / double(v.size());
}

// Standard error of the mean of correlated samples by block averaging (Flyvbjerg & Petersen
// 1989): the spread of the means of 5 equal blocks; 0 with fewer than 5 samples.
double block_error(const std::vector<double>& v) {
  constexpr std::size_t k_blocks = 5;
  const std::size_t per = v.size() / k_blocks;
  if (per == 0) return 0.0;
  std::vector<double> means;
  for (std::size_t b = 0; b < k_blocks; ++b)
    means.push_back(mean(std::vector<double>(v.begin() + b * per, v.begin() + (b + 1) * per)));
  const double m = mean(means);
  double ss = 0;
  for (double x : means) ss += (x - m) * (x - m);
  return std::sqrt(ss / double(k_blocks * (k_blocks - 1)));
}

// Least-squares slope of y against x.
double slope(const std::vector<double>& x, const std::vector<double>& y) {
  const double mx = mean(x), my = mean(y);
  double sxy = 0, sxx = 0;
  for (std::size_t k = 0; k < x.size(); ++k) {
    sxy += (x[k] - mx) * (y[k] - my);
    sxx += (x[k] - mx) * (x[k] - mx);
  }
  return sxx > 0 ? sxy / sxx : 0.0;
}

}  // namespace

void add_md_schema(io::Schema& schema) {
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
      .default_value(0).at_least(0)
      .key_int("rdf_every", "Steps between RDF samples after equilibration (0: no RDF)")
      .default_value(0).at_least(0)
      .key_int("rdf_bins", "RDF shells").default_value(200).at_least(1)
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

// Particle types: round(fraction_t N) of each type (the last takes the rest), placed by a
// Philox-driven Fisher-Yates shuffle so the types mix on the lattice.
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

md::Lattice initial_positions(const io::Section& s, const md::H5mdState* from_file) {
  const std::string kind = s.get_string("lattice");
  if (from_file) return {from_file->box, from_file->particles.position};
  if (kind == "random")
    return md::random_placement(std::size_t(s.get_int("atoms")), s.get_float("density"),
                                s.get_float("min_distance"), std::uint64_t(s.get_int("seed")));
  const std::vector<std::int64_t>& cells = s.get_ints("cells");
  return md::cubic_lattice(kind, s.get_float("density"),
                           {int(cells[0]), int(cells[1]), int(cells[2])});
}

}  // namespace

// Refusals that need more than the schema, before the run folder exists: per-type arrays of
// different lengths, lattice = file without a readable file, a box shorter than
// 2 (cutoff + skin), an RDF range beyond half the box. (To be registered as Solver::check.)
void check_md(const io::Case& c) {
  const io::Section s = c.section("md");
  const std::size_t types = s.get_floats("type_epsilon").size();
  if (s.get_floats("type_sigma").size() != types || s.get_floats("type_fraction").size() != types)
    throw core::Error(fmt::format("md.type_epsilon, md.type_sigma and md.type_fraction have {}, "
                                  "{} and {} values; give one per particle type",
                                  types, s.get_floats("type_sigma").size(),
                                  s.get_floats("type_fraction").size()));
  const std::string kind = s.get_string("lattice");
  md::MdSettings settings;
  if (kind == "file") {
    if (s.get_string("file").empty())
      throw core::Error("md.lattice = \"file\" needs md.file, the H5MD file to start from");
    settings.box = md::read_h5md(s.get_string("file"), s.get_int("file_frame")).box;
  } else if (kind == "random") {
    const double edge = std::cbrt(double(s.get_int("atoms")) / s.get_float("density"));
    settings.box.edge = {edge, edge, edge};
  } else {
    const std::vector<std::int64_t>& cells = s.get_ints("cells");
    const double per_cell = kind == "fcc" ? 4 : kind == "bcc" ? 2 : 1;
    const double a = std::cbrt(per_cell / s.get_float("density"));
    settings.box.edge = {a * double(cells[0]), a * double(cells[1]), a * double(cells[2])};
  }
  const std::string potential = s.get_string("potential");
  settings.potential = potential == "wca"     ? md::Potential::wca
                       : potential == "morse" ? md::Potential::morse
                                              : md::Potential::lj;
  settings.lj.cutoff = s.get_float("cutoff");
  for (std::size_t t = 0; t < types; ++t)
    settings.types.push_back({s.get_floats("type_epsilon")[t], s.get_floats("type_sigma")[t]});
  const double needed = 2.0 * (md::pair_table(settings).max_cutoff + s.get_float("skin"));
  const double shortest =
      std::min({settings.box.edge[0], settings.box.edge[1], settings.box.edge[2]});
  if (shortest < needed)
    throw core::Error(fmt::format(
        "md: the box ({:.6g} x {:.6g} x {:.6g} sigma) is shorter than 2 (cutoff + skin) = "
        "{:.6g} along an edge: a particle would interact with two images of another; use more "
        "cells or atoms, or a smaller cutoff or skin",
        settings.box.edge[0], settings.box.edge[1], settings.box.edge[2], needed));
  if (s.get_int("rdf_every") > 0) {
    const double range = s.get_float("rdf_range") > 0 ? s.get_float("rdf_range")
                                                      : settings.lj.cutoff;
    if (range > 0.5 * shortest)
      throw core::Error(fmt::format("md.rdf_range {} sigma is more than half the box edge "
                                    "({:.6g}); set md.rdf_range at most that",
                                    range, 0.5 * shortest));
  }
}

// Sizes for the preflight disk check: <name>.h5 (thermo rows; trajectory frames of positions,
// velocities and forces in float64, species and image counts in int32 and the box; frame views
// and their XDMF sidecar; RDF) and one checkpoint (the engine's state: positions, velocities,
// forces and build positions, image counts, tags, types; the unwrapped start; the summary's
// rows). HDF5 object headers are counted at about 1 KiB each.
OutputPlan plan_md(const io::Case& c) {
  const io::Section s = c.section("md");
  const std::string kind = s.get_string("lattice");
  std::uint64_t n;
  if (kind == "file") {
    n = md::read_h5md(s.get_string("file"), s.get_int("file_frame")).particles.size();
  } else if (kind == "random") {
    n = std::uint64_t(s.get_int("atoms"));
  } else {
    const std::vector<std::int64_t>& cells = s.get_ints("cells");
    n = std::uint64_t(kind == "fcc" ? 4 : kind == "bcc" ? 2 : 1) *
        std::uint64_t(cells[0] * cells[1] * cells[2]);
  }
  const std::uint64_t steps = std::uint64_t(s.get_int("steps"));
  const std::uint64_t dump_every = std::uint64_t(s.get_int("dump_every"));
  const std::uint64_t frames = dump_every > 0 ? steps / dump_every + 2 : 0;  // + 0 and a fault
  const std::uint64_t rows = steps / std::uint64_t(s.get_int("thermo_every")) + 2;
  const std::uint64_t bins = s.get_int("rdf_every") > 0 ? std::uint64_t(s.get_int("rdf_bins")) : 0;
  constexpr std::uint64_t k_object = 1024;
  OutputPlan plan;
  plan.output_bytes = 64 * k_object + 7 * io::series_bytes(rows, 8) + 2 * bins * 8;
  if (frames > 0)
    plan.output_bytes += 3 * io::series_bytes(frames, 3 * 8 * n) + io::series_bytes(frames, 4 * n) +
                         io::series_bytes(frames, 3 * 4 * n) + io::series_bytes(frames, 3 * 8) +
                         8 * n;
  plan.checkpoint_bytes =
      32 * k_object + n * (4 * 3 * 8 + 3 * 4 + 4 + 4 + 3 * 8) + rows * 5 * 8 + bins * 8;
  return plan;
}

RunResult run_md(const RunContext& ctx) {
  const io::Case& c = ctx.case_file;
  const io::Section s = c.section("md");
  std::optional<md::H5mdState> from_file;
  if (s.get_string("lattice") == "file") {
    if (s.get_string("file").empty())
      throw core::Error("md.lattice = \"file\" needs md.file, the H5MD file to start from");
    from_file = md::read_h5md(s.get_string("file"), s.get_int("file_frame"));
    spdlog::info("initial state: {} frame {} (step {})", s.get_string("file"),
                 s.get_int("file_frame"), from_file->step);
  }
  const md::Lattice lattice = initial_positions(s, from_file ? &*from_file : nullptr);
  const std::size_t n = lattice.position.size() / 3;
  md::MdSettings settings;
  settings.box = lattice.box;
  settings.lj = {s.get_float("cutoff"), s.get_bool("shift"), s.get_bool("tail")};
  settings.skin = s.get_float("skin");
  settings.dt = s.get_float("dt");
  settings.rebuild_every = int(s.get_int("rebuild_every"));
  const std::string potential = s.get_string("potential");
  settings.potential = potential == "wca"     ? md::Potential::wca
                       : potential == "morse" ? md::Potential::morse
                                              : md::Potential::lj;
  settings.morse_alpha = s.get_float("morse_alpha");
  const std::vector<double>& eps = s.get_floats("type_epsilon");
  const std::vector<double>& sig = s.get_floats("type_sigma");
  const std::vector<double>& fraction = s.get_floats("type_fraction");
  if (sig.size() != eps.size() || fraction.size() != eps.size())
    throw core::Error(fmt::format("md.type_epsilon, md.type_sigma and md.type_fraction have {}, "
                                  "{} and {} values; give one per particle type",
                                  eps.size(), sig.size(), fraction.size()));
  for (std::size_t t = 0; t < eps.size(); ++t) settings.types.push_back({eps[t], sig[t]});
  const std::string thermostat = s.get_string("thermostat");
  if (thermostat == "langevin")
    // Noise seeded apart from the initial velocities (Philox stream 0 of the same seed).
    settings.langevin = md::Langevin{s.get_float("temperature"), s.get_float("friction"),
                                     std::uint64_t(s.get_int("seed")) + 1};
  if (thermostat == "nose_hoover")
    settings.nose_hoover = md::NoseHooverChain{s.get_float("temperature"), s.get_float("tdamp"),
                                               int(s.get_int("chain"))};
  md::HostParticles initial{
      lattice.position,
      md::maxwell_boltzmann(n, s.get_float("temperature"), std::uint64_t(s.get_int("seed"))),
      {},
      {},
      eps.size() > 1 ? assign_types(n, fraction, std::uint64_t(s.get_int("seed")))
                     : std::vector<int>{}};
  if (from_file) {
    if (s.get_bool("file_velocities") && from_file->particles.velocity.size() == 3 * n)
      initial.velocity = from_file->particles.velocity;
    if (from_file->particles.type.size() == n &&
        *std::max_element(from_file->particles.type.begin(), from_file->particles.type.end()) >
            0)
      initial.type = from_file->particles.type;
  }

  // The file exists before the engine starts, so a refused start (overlaps) still leaves it.
  // A restart appends to the run's file, cut back to the frames it had at the checkpoint.
  io::H5File file = open_output(ctx, k_units);
  RunResult r;
  r.summary.set("atoms", std::int64_t(n));
  r.summary.set("units", k_units);
  r.summary.set("potential", potential);
  r.summary.set("types", std::int64_t(eps.size()));
  std::unique_ptr<md::Simulation> sim;
  try {
    sim = md::make_simulation(ctx.backend, settings, initial);
  } catch (const md::Fault& e) {
    r.ok = false;
    r.failure = e.what();
    r.summary.set("fault.step", e.step());
    r.summary.set("fault.particle", e.particle());
    return r;
  }
  spdlog::info("{} atoms ({}) in a {:.6g} x {:.6g} x {:.6g} box (density {}), cutoff {}, skin {}",
               n, s.get_string("lattice"), settings.box.edge[0], settings.box.edge[1],
               settings.box.edge[2], s.get_float("density"), settings.lj.cutoff, settings.skin);

  ThermoTable table(file);
  const std::int64_t dump_every = s.get_int("dump_every");
  std::unique_ptr<Trajectory> trajectory;
  if (dump_every > 0)
    trajectory = std::make_unique<Trajectory>(
        file, ctx.run.file(ctx.name + ".xmf"), n,
        ctx.restart ? std::optional<std::size_t>(ctx.restart->state().get_int("app/frames"))
                    : std::nullopt);
  const std::int64_t rdf_every = s.get_int("rdf_every");
  std::unique_ptr<md::Rdf> rdf;
  if (rdf_every > 0) {
    const double range = s.get_float("rdf_range") > 0 ? s.get_float("rdf_range")
                                                      : settings.lj.cutoff;
    rdf = std::make_unique<md::Rdf>(settings.box, range, int(s.get_int("rdf_bins")));
  }

  const std::int64_t steps = s.get_int("steps");
  const std::int64_t thermo_every = s.get_int("thermo_every");
  const std::int64_t equilibrate = s.get_int("equilibrate");
  const double tolerance = s.get_float("energy_tolerance");
  const bool conserving = !settings.langevin;
  std::vector<double> start = md::unwrapped_positions(sim->particles(), settings.box);
  std::vector<double> rows_step, rows_t, rows_u, rows_p, rows_e;
  md::Thermo first, last;
  double md_seconds = 0;
  // A checkpoint: the engine's state and everything the summary is computed from.
  const io::Checkpoints::Save save = [&](io::StateWriter& w) {
    md::save_state(*sim, w);
    w.put("app/rows/step", rows_step);
    w.put("app/rows/temperature", rows_t);
    w.put("app/rows/potential_energy", rows_u);
    w.put("app/rows/pressure", rows_p);
    w.put("app/rows/conserved_energy", rows_e);
    w.put("app/first", thermo_values(first));
    w.put("app/last", thermo_values(last));
    w.put("app/start", start);
    w.put("app/md_seconds", md_seconds);
    if (trajectory) w.put("app/frames", std::int64_t(trajectory->frames()));
    if (rdf) rdf->save(w, "app/rdf");
  };
  if (ctx.restart) {
    const io::StateReader& st = ctx.restart->state();
    md::load_state(*sim, st);
    rows_step = st.get<double>("app/rows/step");
    rows_t = st.get<double>("app/rows/temperature");
    rows_u = st.get<double>("app/rows/potential_energy");
    rows_p = st.get<double>("app/rows/pressure");
    rows_e = st.get<double>("app/rows/conserved_energy");
    first = thermo_from(st.get<double>("app/first"));
    last = thermo_from(st.get<double>("app/last"));
    start = st.get<double>("app/start");
    md_seconds = st.get_double("app/md_seconds");
    if (rdf) rdf->load(st, "app/rdf");
  }
  auto sample = [&]() {
    const md::Thermo t = sim->thermo();
    const bool finite = std::isfinite(t.total) && std::isfinite(t.pressure);
    if (!finite || (conserving && t.step > 0 &&
                    std::abs(t.conserved - first.conserved) / double(n) > tolerance)) {
      const std::int64_t worst = md::worst_particle(sim->particles());
      throw md::Fault(
          finite ? fmt::format("step {}: the conserved energy per atom moved from {:.6g} to "
                               "{:.6g} (more than md.energy_tolerance = {}): the dynamics blew "
                               "up (time step {} tau too large?); particle {} feels the "
                               "largest force",
                               t.step, first.conserved / double(n), t.conserved / double(n),
                               tolerance, settings.dt, worst)
                 : fmt::format("step {}: the energy or pressure is not finite (time step too "
                               "large, or particles overlapping); particle {} is the first "
                               "with a non-finite value or the largest force",
                               t.step, worst),
          t.step, worst);
    }
    const double msd = md::mean_squared_displacement(
        md::unwrapped_positions(sim->particles(), settings.box), start);
    table.append(t, msd);
    spdlog::info("{:>8} {:>12.7f} {:>12.7f} {:>12.7f} {:>12.7f} {:>12.6g}", t.step,
                 t.temperature, t.potential / double(n), t.total / double(n), t.pressure, msd);
    if (t.step > equilibrate || (t.step == 0 && equilibrate == 0)) {
      rows_step.push_back(double(t.step));
      rows_t.push_back(t.temperature);
      rows_u.push_back(t.potential / double(n));
      rows_p.push_back(t.pressure);
      rows_e.push_back(t.conserved / double(n));
    }
    last = t;
    return t;
  };

  // Figures of whatever has been computed: written also when a fault stops the run.
  auto summarize = [&]() {
    // Means over the sampled rows after step 0 (the lattice start is no equilibrium state).
    auto sampled = [&](const std::vector<double>& v) {
      return !rows_step.empty() && rows_step[0] == 0.0 && v.size() > 1
                 ? std::vector<double>(v.begin() + 1, v.end())
                 : v;
    };
    const double drift = slope(rows_step, rows_e);
    const std::int64_t done = sim->step();
    const double rate = md_seconds > 0 ? double(n) * double(done) / md_seconds : 0.0;
    r.summary.set("steps", done);
    r.summary.set("samples", std::int64_t(sampled(rows_t).size()));
    r.summary.set("temperature.mean", mean(sampled(rows_t)));
    r.summary.set("temperature.block_error", block_error(sampled(rows_t)));
    r.summary.set("temperature.final", last.temperature);
    r.summary.set("potential_energy_per_atom.mean", mean(sampled(rows_u)));
    r.summary.set("potential_energy_per_atom.block_error", block_error(sampled(rows_u)));
    r.summary.set("potential_energy_per_atom.final", last.potential / double(n));
    r.summary.set("pressure.mean", mean(sampled(rows_p)));
    r.summary.set("pressure.block_error", block_error(sampled(rows_p)));
    r.summary.set("pressure.final", last.pressure);
    r.summary.set("total_energy_per_atom.initial", first.total / double(n));
    r.summary.set("total_energy_per_atom.final", last.total / double(n));
    r.summary.set("conserved_energy_per_atom.initial", first.conserved / double(n));
    r.summary.set("conserved_energy_per_atom.final", last.conserved / double(n));
    r.summary.set("energy.drift_per_atom_step", drift);
    r.summary.set("neighbor_list.builds", sim->neighbor_builds());
    r.summary.set("neighbor_list.dangerous_builds", sim->dangerous_builds());
    r.summary.set("msd.final", md::mean_squared_displacement(
                                   md::unwrapped_positions(sim->particles(), settings.box), start));
    r.summary.set("timing.md_s", md_seconds);
    r.summary.set("timing.atom_steps_per_s", rate);
    if (rdf && rdf->frames() > 0) {
      const std::vector<double> rr = rdf->r(), g = rdf->g();
      const std::size_t peak = std::size_t(std::max_element(g.begin(), g.end()) - g.begin());
      r.summary.set("rdf.frames", rdf->frames());
      r.summary.set("rdf.first_peak_r", rr[peak]);
      r.summary.set("rdf.first_peak_g", g[peak]);
    }
    spdlog::info("{} neighbor list builds ({} dangerous) in {} steps; energy drift {:.3e} per "
                 "atom per step; {:.3g} atom-steps/s",
                 sim->neighbor_builds(), sim->dangerous_builds(), done, drift, rate);
  };
  // The RDF into the file when the run ends (an interrupted run's restart writes it). A run
  // restarted after it had ended finds the RDF of the same samples there and keeps it.
  auto write_rdf = [&]() {
    if (!rdf || rdf->frames() == 0 || file.exists("/analysis/rdf/r")) return;
    const std::vector<double> rr = rdf->r(), g = rdf->g();
    file.write("/analysis/rdf/r", rr.data(), {rr.size()});
    file.write("/analysis/rdf/g", g.data(), {g.size()});
    file.set_attribute("/analysis/rdf/g", "frames", rdf->frames());
  };

  spdlog::info("{:>8} {:>12} {:>12} {:>12} {:>12} {:>12}", "Step", "Temp", "E_pair", "TotEng",
               "Press", "MSD");
  core::Progress progress("md", steps);
  if (ctx.restart) progress.resume_at(ctx.restart->step());
  try {
    if (!ctx.restart) {  // a restart has step 0's row and frame already
      first = sim->thermo();
      sample();
      if (trajectory) trajectory->append(*sim);
    }
    // Steps per chunk, re-sized after each from the measured rate to about half a second of
    // work, so that a stop signal is answered within about a second. Chunking changes
    // nothing in the trajectory.
    std::int64_t chunk = 1;
    for (std::int64_t done = sim->step(); done < steps;) {
      std::int64_t next = std::min({steps, (done / thermo_every + 1) * thermo_every,
                                    ctx.checkpoints.next_step(done), done + chunk});
      if (dump_every > 0) next = std::min(next, (done / dump_every + 1) * dump_every);
      if (rdf_every > 0) next = std::min(next, (done / rdf_every + 1) * rdf_every);
      const auto t0 = std::chrono::steady_clock::now();
      sim->run(next - done);
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      md_seconds += seconds;
      chunk = std::max<std::int64_t>(1, std::int64_t(0.5 * double(next - done) /
                                                     std::max(seconds, 1e-6)));
      done = next;
      if (done % thermo_every == 0 || done == steps) sample();
      if (trajectory && done % dump_every == 0) trajectory->append(*sim);
      if (rdf && done % rdf_every == 0 && done > equilibrate) rdf->add(sim->particles().position);
      progress.update(done);
      if (ctx.checkpoints.at_boundary(done, double(done) * settings.dt, save, &file)) {
        r.interrupted = true;
        summarize();
        return r;
      }
    }
    progress.finish();
  } catch (const md::Fault& e) {
    // The thermo rows and frames so far are in the file (flushed as written); add the state
    // at the fault as a last frame where the trajectory is kept, and the summary so far.
    if (trajectory) trajectory->append(*sim);
    summarize();
    write_rdf();
    r.ok = false;
    r.failure = e.what();
    r.summary.set("fault.step", e.step());
    r.summary.set("fault.particle", e.particle());
    return r;
  }
  summarize();
  write_rdf();
  return r;
}

}  // namespace twinsim::app
