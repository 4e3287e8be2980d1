// Lennard-Jones MD over a list of state points as one run (Ensemble.hpp): the members one after
// another, each an md Simulation from its own start, their equation-of-state rows into the
// run's file (the layout of `twinsim gather`) and to an in-situ trainer.
#include "twinsim/md/Ensemble.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "twinsim/core/Error.hpp"
#include "twinsim/core/Statistics.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/io/RunDirectory.hpp"
#include "twinsim/md/Case.hpp"

namespace twinsim::md {

namespace {

constexpr const char* k_units =
    "reduced Lennard-Jones units: density sigma^-3, temperature epsilon/k_B, pressure "
    "epsilon/sigma^3, energies per atom epsilon";

// A member's row: the table's columns (inputs, then outputs) as the sample handed over.
const std::vector<std::string> k_columns = {"md.density", "md.temperature", "pressure.mean",
                                            "potential_energy_per_atom.mean"};

// What the case asks of the ensemble.
struct Members {
  std::vector<double> density, temperature;  // one member each
  std::int64_t steps = 0, every = 0, equilibrate = 0;

  explicit Members(const io::Case& c)
      : density(c.get_floats("md.ensemble.density")),
        temperature(c.get_floats("md.ensemble.temperature")),
        steps(c.get_int("md.steps")),
        every(c.get_int("md.thermo_every")),
        equilibrate(c.get_int("md.equilibrate")) {}
  std::int64_t count() const { return std::int64_t(density.size()); }
  StatePoint at(std::int64_t i) const {
    return {density[std::size_t(i)], temperature[std::size_t(i)]};
  }
  std::string name(std::int64_t i) const { return fmt::format("point_{:03d}", i); }
};

void add_ensemble_schema(io::Schema& schema) {
  // The whole schema (twinsim schema) has md's sections already.
  if (!schema.find("md")) add_schema(schema);
  schema
      .section("md.ensemble",
               "State points of an equation-of-state sweep (run.solver = 'md_ensemble'): the "
               "case's [md] system once per (density, temperature), md.steps steps each, "
               "thermostatted; md.density and md.temperature are replaced by the member's")
      .key_floats("density", "Number densities, one member each, in the run's order")
      .required()
      .unit("sigma^-3")
      .key_floats("temperature", "Temperatures (initial and thermostat target), one per density")
      .required()
      .unit("epsilon/k_B");
}

void check_ensemble(const io::Case& c) {
  if (!c.has_section("md.ensemble"))
    throw core::Error("run.solver = 'md_ensemble' needs an [md.ensemble] section with the "
                      "state points of its members (density = [...], temperature = [...])");
  const Members m(c);
  if (m.density.empty()) throw core::Error("md.ensemble.density: no member");
  if (m.density.size() != m.temperature.size())
    throw core::Error(fmt::format("md.ensemble: {} densities and {} temperatures; give one "
                                  "temperature per density (member i is (density[i], "
                                  "temperature[i]))",
                                  m.density.size(), m.temperature.size()));
  if (c.get_string("md.thermostat") == "none")
    throw core::Error("md.thermostat = \"none\": an md_ensemble samples each member at its "
                      "temperature; use \"langevin\" or \"nose_hoover\"");
  if (c.get_string("md.lattice") == "file")
    throw core::Error("md.lattice = \"file\": an md_ensemble starts each member at its own "
                      "density; use a lattice (fcc, bcc, sc) or random placement");
  if (c.get_int("md.dump_every") > 0 || c.get_int("md.rdf_every") > 0)
    throw core::Error("an md_ensemble records each member's thermo means only: leave out "
                      "md.dump_every and md.rdf_every");
  if (m.equilibrate >= m.steps)
    throw core::Error(fmt::format("md.equilibrate = {} leaves no sampled row of md.steps = {}",
                                  m.equilibrate, m.steps));
  for (std::int64_t i = 0; i < m.count(); ++i) {
    const StatePoint at = m.at(i);
    if (!(at.density > 0) || !(at.temperature > 0))
      throw core::Error(fmt::format("md.ensemble: member {} has density {} and temperature "
                                    "{}; both must be > 0",
                                    i, at.density, at.temperature));
    try {
      check(c, at);
    } catch (const core::Error& e) {
      throw core::Error(fmt::format("md.ensemble member {} (density {}, temperature {}): {}", i,
                                    at.density, at.temperature, e.what()));
    }
  }
}

loop::SampleShape samples_of(const io::Case& c) {
  loop::SampleShape s;
  s.count = Members(c).count();
  s.frames = std::int64_t(k_columns.size());
  s.ny = s.nx = 1;
  s.field = "state points";
  s.columns = k_columns;
  s.inputs = 2;
  return s;
}

loop::Plan plan_ensemble(const io::Case& c) {
  const Members m(c);
  loop::Plan plan = md::plan(c);  // one member's engine state; no thermo table or trajectory
  const std::uint64_t members = std::uint64_t(m.count());
  plan.output_bytes = 64 * 1024 + members * 2048;  // the table and a summary per member
  plan.checkpoint_bytes += members * 8 * 8;
  plan.size_keys = "md.cells or md.atoms";
  return plan;
}

// What a completed member leaves: its row and the figures of its summary.
struct Row {
  double density = 0, temperature = 0;
  double pressure = 0, pressure_error = 0, energy = 0, energy_error = 0, temperature_mean = 0;
  double samples = 0;
  static constexpr std::size_t k_size = 8;
  std::vector<double> values() const {
    return {density,      temperature,  pressure, pressure_error,
            energy,       energy_error, temperature_mean, samples};
  }
  static Row from(const double* v) { return {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]}; }
  // The sample: k_columns' values.
  std::vector<double> sample() const { return {density, temperature, pressure, energy}; }
  std::string summary_json() const {
    io::Summary s;
    s.set("pressure.mean", pressure);
    s.set("pressure.block_error", pressure_error);
    s.set("potential_energy_per_atom.mean", energy);
    s.set("potential_energy_per_atom.block_error", energy_error);
    s.set("temperature.mean", temperature_mean);
    s.set("samples", std::int64_t(samples));
    return s.to_json();
  }
};

// The members one after another as the loop's stepper: step() counts the steps of all members
// (member i's step s is step i x md.steps + s), time() is the current member's clock. A
// checkpoint holds the completed members' rows, the current member's engine and its thermo
// rows so far. The case must outlive the stepper (the run's does).
class EnsembleStepper final : public loop::Stepper, public loop::SampleSource {
 public:
  EnsembleStepper(core::Backend backend, const io::Case& c, io::H5File* file)
      : m_backend(backend), m_case(c), m_m(c), m_file(file) {}

  void set_sink(loop::SampleSink* sink, bool write) override {
    m_sink = sink;
    m_write = write;
  }

  std::int64_t step() const override {
    return m_member * m_m.steps + (m_sim && !finished() ? m_sim->step() : 0);
  }
  double time() const override {
    return m_sim && !finished() ? double(m_sim->step()) * m_sim->settings().dt : 0.0;
  }
  bool finished() const override { return m_member >= m_m.count(); }
  loop::Position position() const override {
    return {step(), m_m.count() * m_m.steps, "member steps"};
  }

  // `until` is not used: the members' clocks restart. An advance ends where a member
  // completes, so an in-situ trainer takes its steps right after each member.
  void advance(std::int64_t steps, double /*until*/) override {
    if (!m_sim && !finished()) start_member();
    for (std::int64_t taken = 0; taken < steps && !finished();) {
      const std::int64_t now = m_sim->step();
      const std::int64_t next = std::min(m_m.steps, (now / m_m.every + 1) * m_m.every);
      const std::int64_t n = std::min(steps - taken, next - now);
      m_sim->run(n);
      taken += n;
      if (m_sim->step() < next) continue;
      sample();
      if (m_sim->step() < m_m.steps) continue;
      complete_member();
      if (++m_member < m_m.count()) start_member();
      return;
    }
  }

  void save(io::StateWriter& out) const override {
    out.put("ensemble/member", m_member);
    out.put("ensemble/rows", m_rows);
    if (finished()) return;
    save_state(*m_sim, out);
    out.put("ensemble/pressure", m_p);
    out.put("ensemble/energy", m_u);
    out.put("ensemble/temperature", m_t);
  }
  void load(const io::StateReader& in) override {
    m_member = in.get_int("ensemble/member");
    m_rows = in.get<double>("ensemble/rows");
    m_sim.reset();
    if (m_write) write_table();  // drops the members completed after the checkpoint
    if (finished()) return;
    start_member();
    load_state(*m_sim, in);
    m_p = in.get<double>("ensemble/pressure");
    m_u = in.get<double>("ensemble/energy");
    m_t = in.get<double>("ensemble/temperature");
  }

  // timing.solver_s: the loop's "advance" phase; timing.sample_steps_per_s: member steps per
  // second.
  void summarize(io::Summary& sum, const core::Timers& timers) const override {
    const double seconds = timers.seconds("advance");
    sum.set("units", k_units);
    sum.set("atoms", m_atoms);
    sum.set("ensemble.members", m_m.count());
    sum.set("ensemble.completed", std::int64_t(m_rows.size() / Row::k_size));
    sum.set("steps", step());
    sum.set("timing.solver_s", seconds);
    sum.set("timing.sample_steps_per_s", seconds > 0 ? double(step()) / seconds : 0.0);
    sum.set("timing.atom_steps_per_s",
            seconds > 0 ? double(m_atoms) * double(step()) / seconds : 0.0);
    spdlog::info("md ensemble: {} state points x {} steps in {:.3g} s", m_m.count(), m_m.steps,
                 seconds);
  }

 private:
  // The current member's engine at its start, and its thermo row at step 0.
  void start_member() {
    const StatePoint at = m_m.at(m_member);
    Start start = start_of(m_case, at);
    m_atoms = std::int64_t(start.initial.position.size() / 3);
    m_sim = make_simulation(m_backend, start.settings, start.initial);
    m_p.clear();
    m_u.clear();
    m_t.clear();
    spdlog::info("md ensemble: member {} of {}, density {} sigma^-3, temperature {} epsilon/k_B",
                 m_member + 1, m_m.count(), at.density, at.temperature);
    sample();
  }

  // A thermo row; rows after md.equilibrate (and after step 0) are sampled, as the md run's
  // summary takes them.
  void sample() {
    const Thermo t = m_sim->thermo();
    const double n = double(t.atoms);
    if (!std::isfinite(t.potential) || !std::isfinite(t.pressure))
      throw core::Error(fmt::format(
          "md ensemble member {} (density {}, temperature {}): step {}: the energy or pressure "
          "is not finite (time step md.dt too large, or particles overlapping)",
          m_member, m_m.at(m_member).density, m_m.at(m_member).temperature, t.step));
    if (t.step == 0 || t.step <= m_m.equilibrate) return;
    m_p.push_back(t.pressure);
    m_u.push_back(t.potential / n);
    m_t.push_back(t.temperature);
  }

  void complete_member() {
    const StatePoint at = m_m.at(m_member);
    const Row row{at.density,        at.temperature,
                  core::mean(m_p),   core::block_error(m_p),
                  core::mean(m_u),   core::block_error(m_u),
                  core::mean(m_t),   double(m_p.size())};
    spdlog::info("md ensemble: member {}: pressure {:.5g}, U/N {:.5g}, T {:.4g} ({} rows)",
                 m_member + 1, row.pressure, row.energy, row.temperature_mean, m_p.size());
    const std::vector<double> v = row.values();
    m_rows.insert(m_rows.end(), v.begin(), v.end());
    if (m_write) write_table();
    if (m_sink) m_sink->add(m_member, {row.sample().data(), core::Backend::Cpu});
  }

  // /members as `twinsim gather` writes it, for the completed members: names, swept_keys
  // (md.density, md.temperature) with their columns, and a group per member with its summary.
  void write_table() {
    if (!m_file) return;
    const std::int64_t done = std::int64_t(m_rows.size() / Row::k_size);
    std::vector<std::string> names;
    std::vector<double> density, temperature;
    for (std::int64_t i = 0; i < done; ++i) {
      const Row row = Row::from(m_rows.data() + std::size_t(i) * Row::k_size);
      names.push_back(m_m.name(i));
      density.push_back(row.density);
      temperature.push_back(row.temperature);
      const std::string group = "/members/" + names.back();
      m_file->create_group(group);
      m_file->set_attribute(group, "summary", row.summary_json());
      m_file->set_attribute(group, "status", std::string("ok"));
      m_file->set_attribute(group, "swept.md.density", row.density);
      m_file->set_attribute(group, "swept.md.temperature", row.temperature);
    }
    m_file->create_group("/members");
    m_file->set_attribute("/members", "names", names);
    m_file->set_attribute("/members", "swept_keys",
                          std::vector<std::string>{k_columns[0], k_columns[1]});
    m_file->set_attribute("/members", k_columns[0], density);
    m_file->set_attribute("/members", k_columns[1], temperature);
  }

  core::Backend m_backend;
  const io::Case& m_case;
  Members m_m;
  io::H5File* m_file;
  std::unique_ptr<Simulation> m_sim;  // the current member's (null before the first)
  std::int64_t m_atoms = 0;
  std::vector<double> m_p, m_u, m_t;  // its sampled rows: pressure, U/N, temperature
  std::vector<double> m_rows;         // the completed members' Rows
  std::int64_t m_member = 0;
  loop::SampleSink* m_sink = nullptr;
  bool m_write = true;
};

loop::Run make_ensemble(const loop::Setup& setup) {
  loop::Run run;
  run.output = setup.open_output(k_units);
  run.stepper = std::make_unique<EnsembleStepper>(setup.backend, setup.case_file,
                                                  run.output.get());
  return run;
}

}  // namespace

const loop::Kind& ensemble_kind() {
  static const loop::Kind k{"md_ensemble",
                            "Lennard-Jones MD over a list of state points (density, "
                            "temperature): an equation-of-state table for surrogate training",
                            add_ensemble_schema,
                            make_ensemble,
                            check_ensemble,
                            plan_ensemble,
                            "solver",
                            samples_of};
  return k;
}

}  // namespace twinsim::md
