// Molecular dynamics of a Lennard-Jones fluid as a run: the engine steps; a thermo table (H5MD
// observables) with the blow-up check, an H5MD trajectory with its XDMF sidecar and an RDF are
// operations of the loop; summary figures with block-averaged errors (reduced LJ units
// throughout). A fault stops the run with what was computed so far written and a last frame.
#include "twinsim/md/Run.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>

#include "Domain.hpp"

#include "twinsim/core/Comm.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/Statistics.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/io/Xdmf.hpp"
#include "twinsim/md/Case.hpp"
#include "twinsim/md/Computes.hpp"

namespace twinsim::md {

namespace {

constexpr const char* k_units =
    "reduced Lennard-Jones units: length sigma, energy epsilon, mass m, time "
    "sigma sqrt(m/epsilon), temperature epsilon/k_B, pressure epsilon/sigma^3; energies per atom";

// The engine as the loop's stepper. A fault of the dynamics (md::Fault: a non-finite position,
// a particle that moved more than a sigma in a step) is remembered for the summary and fails the
// run as diverged (loop::Diverged), as the loop's own non-finite check at each output does.
class MdStepper : public loop::Stepper {
 public:
  MdStepper(std::unique_ptr<Simulation> sim, std::int64_t steps, std::int64_t atoms,
            std::string potential)
      : m_sim(std::move(sim)), m_steps(steps), m_atoms(atoms), m_potential(std::move(potential)) {}

  Simulation& sim() { return *m_sim; }

  std::int64_t step() const override { return m_sim->step(); }
  double time() const override { return double(m_sim->step()) * m_sim->settings().dt; }
  bool finished() const override { return m_sim->step() >= m_steps; }
  void advance(std::int64_t steps, double until) override {
    const std::int64_t n = std::min({steps, m_steps - step(),
                                     loop::steps_until(time(), until, m_sim->settings().dt)});
    try {
      m_sim->run(n);
    } catch (const Fault& f) {
      diverged(f);
    }
  }
  // The fault's message begins "step <n>: ".
  [[noreturn]] void diverged(const Fault& f) {
    m_fault = {f.step(), f.particle()};
    throw loop::Diverged(std::string("diverged at ") + f.what(), f.step());
  }
  loop::Position position() const override { return {step(), m_steps, "steps"}; }
  void save(io::StateWriter& out) const override { save_state(*m_sim, out); }
  void load(const io::StateReader& in) override { load_state(*m_sim, in); }
  // On the device: one reduction over positions, velocities and forces, one number read back.
  bool non_finite() const override { return m_sim->non_finite(); }
  std::string divergence_cause() const override {
    return "a time step md.dt too large for the state, overlapping particles, or forces that "
           "blew up";
  }

  void summarize(io::Summary& sum, const core::Timers& timers) const override {
    const std::int64_t done = m_sim->step();
    const double seconds = timers.seconds("advance");
    const double rate = seconds > 0 ? double(m_atoms) * double(done) / seconds : 0.0;
    sum.set("atoms", m_atoms);
    sum.set("units", k_units);
    sum.set("potential", m_potential);
    sum.set("types", std::int64_t(m_sim->settings().types.size()));
    sum.set("steps", done);
    sum.set("neighbor_list.builds", m_sim->neighbor_builds());
    sum.set("neighbor_list.dangerous_builds", m_sim->dangerous_builds());
    sum.set("timing.md_s", seconds);
    sum.set("timing.atom_steps_per_s", rate);
    if (const std::int64_t ghosts = m_sim->ghost_atoms(); ghosts > 0) {
      // Across ranks: the halo each step moves (positions of the ghosts, 3 doubles each).
      sum.set("halo.ghost_atoms", ghosts);
      sum.set("halo.bytes_per_step", ghosts * std::int64_t(3 * sizeof(double)));
    }
    if (m_fault) {
      sum.set("fault.step", m_fault->first);
      sum.set("fault.particle", m_fault->second);
    }
    spdlog::info("{} neighbor list builds ({} dangerous) in {} steps; {:.3g} atom-steps/s",
                 m_sim->neighbor_builds(), m_sim->dangerous_builds(), done, rate);
  }

  std::int64_t atoms() const { return m_atoms; }

 private:
  std::unique_ptr<Simulation> m_sim;
  std::int64_t m_steps;
  std::int64_t m_atoms;
  std::string m_potential;
  std::optional<std::pair<std::int64_t, std::int64_t>> m_fault;  // step, particle
};

// A thermo row through a checkpoint (the summary's first and last rows).
std::vector<double> thermo_values(const Thermo& t) {
  return {double(t.step), t.time,     double(t.atoms), t.kinetic,     t.potential,
          t.total,        t.conserved, t.temperature,   t.pressure,    t.momentum[0],
          t.momentum[1],  t.momentum[2]};
}

Thermo thermo_from(const std::vector<double>& v) {
  Thermo t;
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

// The thermo table, one H5MD observable per column at /observables/<name>, with the blow-up
// check (md.energy_tolerance) and the rows the summary's means, errors and drift come from.
// Across MPI ranks every rank keeps the rows (thermo and particles are collective calls); rank 0
// alone has the file (null elsewhere).
class ThermoTable : public loop::Operation {
 public:
  ThermoTable(MdStepper& stepper, io::H5File* file, const io::Section& s)
      : m_stepper(stepper),
        m_equilibrate(s.get_int("equilibrate")),
        m_tolerance(s.get_float("energy_tolerance")),
        m_conserving(!stepper.sim().settings().langevin),
        m_start(unwrapped_positions(stepper.sim().particles(), stepper.sim().settings().box)) {
    for (const char* name : {"temperature", "kinetic_energy", "potential_energy", "total_energy",
                             "conserved_energy", "pressure", "msd"})
      if (file)
        m_columns.emplace_back(*file, fmt::format("/observables/{}", name),
                               io::TimeSeries::Spec::table({1}, "", "", "unit"));
    spdlog::info("{:>8} {:>12} {:>12} {:>12} {:>12} {:>12}", "Step", "Temp", "E_pair", "TotEng",
                 "Press", "MSD");
  }

  std::string name() const override { return "thermo"; }

  void use_history(loop::History& history) override {
    history.time_unit("tau");
    m_history = &history;
    m_first_column = history.column("temperature", "epsilon/k_B");
    for (const char* name : {"kinetic_energy", "potential_energy", "total_energy",
                             "conserved_energy"})
      history.column(name, "epsilon/atom");
    history.column("pressure", "epsilon/sigma^3");
    history.column("msd", "sigma^2");
  }

  loop::Verdict fire() override {
    Simulation& sim = m_stepper.sim();
    const Thermo t = sim.thermo();
    if (!m_have_first) {
      m_first = t;
      m_have_first = true;
    }
    const double n = double(t.atoms);
    check(t);
    const double msd =
        mean_squared_displacement(unwrapped_positions(sim.particles(), sim.settings().box),
                                  m_start);
    const double values[] = {t.temperature, t.kinetic / n, t.potential / n, t.total / n,
                             t.conserved / n, t.pressure, msd};
    for (std::size_t c = 0; c < m_columns.size(); ++c)
      m_columns[c].append(&values[c], t.step, t.time);
    if (m_history)
      for (std::size_t c = 0; c < std::size(values); ++c)
        m_history->set(m_first_column + c, values[c]);
    spdlog::info("{:>8} {:>12.7f} {:>12.7f} {:>12.7f} {:>12.7f} {:>12.6g}", t.step,
                 t.temperature, t.potential / n, t.total / n, t.pressure, msd);
    if (t.step > m_equilibrate || (t.step == 0 && m_equilibrate == 0)) {
      m_rows_step.push_back(double(t.step));
      m_rows_t.push_back(t.temperature);
      m_rows_u.push_back(t.potential / n);
      m_rows_p.push_back(t.pressure);
      m_rows_e.push_back(t.conserved / n);
    }
    m_last = t;
    return loop::Verdict::go_on;
  }

  void save(io::StateWriter& w, const std::string& prefix) const override {
    w.put(prefix + "rows/step", m_rows_step);
    w.put(prefix + "rows/temperature", m_rows_t);
    w.put(prefix + "rows/potential_energy", m_rows_u);
    w.put(prefix + "rows/pressure", m_rows_p);
    w.put(prefix + "rows/conserved_energy", m_rows_e);
    w.put(prefix + "first", thermo_values(m_first));
    w.put(prefix + "last", thermo_values(m_last));
    w.put(prefix + "start", m_start);
  }
  void load(const io::StateReader& r, const std::string& prefix) override {
    m_rows_step = r.get<double>(prefix + "rows/step");
    m_rows_t = r.get<double>(prefix + "rows/temperature");
    m_rows_u = r.get<double>(prefix + "rows/potential_energy");
    m_rows_p = r.get<double>(prefix + "rows/pressure");
    m_rows_e = r.get<double>(prefix + "rows/conserved_energy");
    m_first = thermo_from(r.get<double>(prefix + "first"));
    m_last = thermo_from(r.get<double>(prefix + "last"));
    m_start = r.get<double>(prefix + "start");
    m_have_first = true;
  }

  // Figures of whatever has been computed: written also when a fault stops the run. Means are
  // over the sampled rows after step 0 (the lattice start is no equilibrium state).
  void summarize(io::Summary& sum) const override {
    auto sampled = [&](const std::vector<double>& v) {
      return !m_rows_step.empty() && m_rows_step[0] == 0.0 && v.size() > 1
                 ? std::vector<double>(v.begin() + 1, v.end())
                 : v;
    };
    Simulation& sim = m_stepper.sim();
    const double n = double(m_stepper.atoms());
    const double drift = core::slope(m_rows_step, m_rows_e);
    sum.set("samples", std::int64_t(sampled(m_rows_t).size()));
    sum.set("temperature.mean", core::mean(sampled(m_rows_t)));
    sum.set("temperature.block_error", core::block_error(sampled(m_rows_t)));
    sum.set("temperature.final", m_last.temperature);
    sum.set("potential_energy_per_atom.mean", core::mean(sampled(m_rows_u)));
    sum.set("potential_energy_per_atom.block_error", core::block_error(sampled(m_rows_u)));
    sum.set("potential_energy_per_atom.final", m_last.potential / n);
    sum.set("pressure.mean", core::mean(sampled(m_rows_p)));
    sum.set("pressure.block_error", core::block_error(sampled(m_rows_p)));
    sum.set("pressure.final", m_last.pressure);
    sum.set("total_energy_per_atom.initial", m_first.total / n);
    sum.set("total_energy_per_atom.final", m_last.total / n);
    sum.set("conserved_energy_per_atom.initial", m_first.conserved / n);
    sum.set("conserved_energy_per_atom.final", m_last.conserved / n);
    sum.set("energy.drift_per_atom_step", drift);
    sum.set("msd.final", mean_squared_displacement(
                             unwrapped_positions(sim.particles(), sim.settings().box), m_start));
    spdlog::info("energy drift {:.3e} per atom per step", drift);
    warn_of_energy_drift(sum);
  }

 private:
  // A gross drift of the conserved energy (NVE, Nose-Hoover) that stayed under the blow-up
  // stop: more than a tenth of md.energy_tolerance per atom (0.05 epsilon by default; a sound
  // LJ run at dt = 0.005 stays near 1e-4) is a warning, not a failure.
  void warn_of_energy_drift(io::Summary& sum) const {
    if (!m_conserving || !m_have_first) return;
    const double n = double(m_stepper.atoms());
    const double change = (m_last.conserved - m_first.conserved) / n;
    if (!(std::abs(change) > 0.1 * m_tolerance)) return;
    sum.warn(fmt::format("md: the conserved energy per atom changed by {:.3g} epsilon between "
                         "steps {} and {} (warned above {:.3g} epsilon, a tenth of "
                         "md.energy_tolerance): the time step md.dt may be too large",
                         change, m_first.step, m_last.step, 0.1 * m_tolerance));
  }

  // Throws md::Fault when the energy or pressure is not finite, or the conserved energy per
  // atom moved more than md.energy_tolerance from step 0's.
  void check(const Thermo& t) {
    const double n = double(t.atoms);
    const bool finite = std::isfinite(t.total) && std::isfinite(t.pressure);
    if (finite && !(m_conserving && t.step > 0 &&
                    std::abs(t.conserved - m_first.conserved) / n > m_tolerance))
      return;
    Simulation& sim = m_stepper.sim();
    const std::int64_t worst = worst_particle(sim.particles());
    const Fault fault(
        finite ? fmt::format("step {}: the conserved energy per atom moved from {:.6g} to "
                             "{:.6g} (more than md.energy_tolerance = {}): the dynamics blew "
                             "up (time step {} tau too large?); particle {} feels the "
                             "largest force",
                             t.step, m_first.conserved / n, t.conserved / n, m_tolerance,
                             sim.settings().dt, worst)
               : fmt::format("step {}: the energy or pressure is not finite (time step too "
                             "large, or particles overlapping); particle {} is the first "
                             "with a non-finite value or the largest force",
                             t.step, worst),
        t.step, worst);
    m_stepper.diverged(fault);
  }

  MdStepper& m_stepper;
  loop::History* m_history = nullptr;  // the run's table, when it keeps one
  std::size_t m_first_column = 0;      // of temperature; the other columns follow
  std::int64_t m_equilibrate;
  double m_tolerance;
  bool m_conserving;
  std::vector<double> m_start;  // unwrapped positions at step 0 (MSD reference)
  std::vector<io::TimeSeries> m_columns;
  std::vector<double> m_rows_step, m_rows_t, m_rows_u, m_rows_p, m_rows_e;
  Thermo m_first, m_last;
  bool m_have_first = false;
};

// Positions, velocities and forces in H5MD (/particles/all) with the XDMF Polyvertex sidecar.
// On a restart the series reopen where the checkpoint left them and the sidecar keeps as many
// steps. Across MPI ranks the atoms are gathered to rank 0, which writes (file null elsewhere).
class Trajectory : public loop::Operation {
 public:
  Trajectory(Simulation& sim, io::H5File* file, const std::filesystem::path& xmf,
             std::uint64_t n, bool restarted)
      : m_sim(sim), m_n(n) {
    if (!file) return;
    m_atoms.emplace(*file, "all", std::array<bool, 3>{true, true, true}, "", "", "Twinsim md");
    for (const char* name : {"position", "velocity", "force"})
      m_atoms->add(name, 3, io::DType::f64, "", n);
    m_atoms->add("species", 1, io::DType::i32, "", n);  // H5MD's particle type
    m_atoms->add("image", 3, io::DType::i32, "", n);    // periodic images crossed
    m_xdmf.emplace(io::XdmfWriter::for_run(xmf, file->path(), restarted,
                                           (*m_atoms)["position"].frames()));
  }

  std::string name() const override { return "trajectory"; }

  loop::Verdict fire() override {
    const HostParticles p = m_sim.particles();
    if (!m_atoms) return loop::Verdict::go_on;
    io::ParticleSeries& atoms = *m_atoms;
    const std::int64_t step = m_sim.step();
    const double time = double(step) * m_sim.settings().dt;
    const io::FrameView x = atoms["position"].append(p.position.data(), m_n, step, time);
    const io::FrameView v = atoms["velocity"].append(p.velocity.data(), m_n, step, time);
    const io::FrameView f = atoms["force"].append(p.force.data(), m_n, step, time);
    const io::FrameView species = atoms["species"].append(p.type.data(), m_n, step, time);
    atoms["image"].append(p.image.data(), m_n, step, time);
    atoms.append_edges(m_sim.settings().box.edge, step, time);
    m_xdmf->add_step(time, io::PointSet{atoms.connectivity(m_n), x},
                     {{"velocity", v}, {"force", f}, {"species", species}});
    return loop::Verdict::go_on;
  }

 private:
  Simulation& m_sim;
  std::optional<io::ParticleSeries> m_atoms;  // rank 0 only
  std::optional<io::XdmfWriter> m_xdmf;
  std::uint64_t m_n;
};

// g(r) sampled after equilibration, written to /analysis/rdf when the run ends (an interrupted
// run's restart writes it; a run restarted after it had ended finds it there and keeps it).
class RdfSampler : public loop::Operation {
 public:
  RdfSampler(Simulation& sim, io::H5File* file, double range, int bins, std::int64_t equilibrate)
      : m_sim(sim), m_file(file), m_rdf(sim.settings().box, range, bins),
        m_equilibrate(equilibrate) {}

  std::string name() const override { return "rdf"; }
  loop::Verdict fire() override {
    if (m_sim.step() > m_equilibrate) m_rdf.add(m_sim.particles().position);
    return loop::Verdict::go_on;
  }
  void save(io::StateWriter& w, const std::string& prefix) const override {
    m_rdf.save(w, prefix);
  }
  void load(const io::StateReader& r, const std::string& prefix) override {
    m_rdf.load(r, prefix);
  }
  void finish(loop::End end) override {
    if (!m_file || end == loop::End::interrupted || m_rdf.frames() == 0 ||
        m_file->exists("/analysis/rdf/r"))
      return;
    const std::vector<double> rr = m_rdf.r(), g = m_rdf.g();
    m_file->write("/analysis/rdf/r", rr.data(), {rr.size()});
    m_file->write("/analysis/rdf/g", g.data(), {g.size()});
    m_file->set_attribute("/analysis/rdf/g", "frames", m_rdf.frames());
  }
  void summarize(io::Summary& sum) const override {
    if (m_rdf.frames() == 0) return;
    const std::vector<double> rr = m_rdf.r(), g = m_rdf.g();
    const std::size_t peak = std::size_t(std::max_element(g.begin(), g.end()) - g.begin());
    sum.set("rdf.frames", m_rdf.frames());
    sum.set("rdf.first_peak_r", rr[peak]);
    sum.set("rdf.first_peak_g", g[peak]);
  }

 private:
  Simulation& m_sim;
  io::H5File* m_file;  // rank 0's; null on the others
  Rdf m_rdf;
  std::int64_t m_equilibrate;
};

}  // namespace

loop::Run make_run(const loop::Setup& setup) {
  const io::Section s = setup.case_file.section("md");
  const Start start = start_of(setup.case_file);
  const MdSettings& settings = start.settings;
  const std::size_t n = start.initial.position.size() / 3;

  // The file exists before the engine starts, so a refused start (overlaps) still leaves it.
  // A restart appends to the run's file, cut back to the frames it had at the checkpoint.
  // Across MPI ranks the box is cut into bricks (md::make_simulation); rank 0 alone opens and
  // writes the file.
  core::Comm& comm = core::world();
  loop::Run run;
  if (comm.root()) run.output = setup.open_output(k_units);
  std::unique_ptr<Simulation> sim;
  try {
    sim = make_simulation(setup.backend, settings, start.initial, &comm);
  } catch (const Fault& f) {
    io::Summary figures;
    figures.set("atoms", std::int64_t(n));
    figures.set("units", k_units);
    figures.set("potential", s.get_string("potential"));
    figures.set("types", std::int64_t(settings.types.size()));
    figures.set("fault.step", f.step());
    figures.set("fault.particle", f.particle());
    throw loop::StartFailure(f.what(), figures);
  }
  auto stepper = std::make_unique<MdStepper>(std::move(sim), s.get_int("steps"),
                                             std::int64_t(n), s.get_string("potential"));
  spdlog::info("{} atoms ({}) in a {:.6g} x {:.6g} x {:.6g} box (density {}), cutoff {}, skin {}",
               n, s.get_string("lattice"), settings.box.edge[0], settings.box.edge[1],
               settings.box.edge[2], s.get_float("density"), settings.lj.cutoff, settings.skin);
  if (comm.size() > 1) {
    spdlog::info("{}", detail::bricks_line(comm.size(), settings.box,
                                           pair_table(settings).max_cutoff + settings.skin,
                                           settings.processors));
  } else if (settings.processors != std::array<int, 3>{0, 0, 0}) {
    spdlog::warn("md.processors asks for {} x {} x {} bricks; this run has one rank: the box is "
                 "whole", settings.processors[0], settings.processors[1], settings.processors[2]);
  }

  // A row at step 0 (a restart has it), every thermo_every steps and at the last step.
  run.add(std::make_unique<ThermoTable>(*stepper, run.output.get(), s),
          loop::Trigger::every(s.get_int("thermo_every")).from_start().at_run_end());
  if (const std::int64_t every = s.get_int("dump_every"); every > 0)
    run.add(std::make_unique<Trajectory>(stepper->sim(), run.output.get(), setup.xmf(), n,
                                         setup.restart != nullptr),
            loop::Trigger::every(every).from_start().on_failure());
  if (const std::int64_t every = s.get_int("rdf_every"); every > 0) {
    const double range = s.get_float("rdf_range") > 0 ? s.get_float("rdf_range")
                                                      : settings.lj.cutoff;
    run.add(std::make_unique<RdfSampler>(stepper->sim(), run.output.get(), range,
                                         int(s.get_int("rdf_bins")), s.get_int("equilibrate")),
            loop::Trigger::every(every));
  }
  run.stepper = std::move(stepper);
  return run;
}

const loop::Kind& kind() {
  static const loop::Kind k{"md",
                            "Lennard-Jones molecular dynamics (NVE velocity Verlet, Langevin "
                            "BAOAB or Nose-Hoover chain NVT)",
                            add_schema,
                            make_run,
                            check,
                            plan,
                            "solver",
                            nullptr,
                            /*splits_across_ranks=*/true,
                            /*restarts_on_other_ranks=*/true,
                            split};
  return k;
}

}  // namespace twinsim::md
