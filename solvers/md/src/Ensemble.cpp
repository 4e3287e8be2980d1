// Lennard-Jones MD over a list of state points as one run (Ensemble.hpp): the members one after
// another, each an md Simulation from its own start, their equation-of-state rows into the
// run's file (the layout of `twinsim gather`) and to an in-situ trainer.
#include "twinsim/md/Ensemble.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "twinsim/core/Comm.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/Statistics.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/io/RunDirectory.hpp"
#include "twinsim/loop/Rounds.hpp"
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
      check(c, at, 1);  // each member runs whole on one rank
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

// The members as the loop's stepper, in rounds (loop::Rounds): across P MPI ranks
// (core::world()) round k runs members kP .. kP + P - 1 at once, rank r member kP + r, each an
// undivided md Simulation (ensemble parallelism: a member's box is not split); a rank without a
// member in the last round only counts its steps. Every member takes md.steps steps, so the
// ranks stay in step. One rank: the members one after another. step() counts the rounds' steps
// (one rank: member steps), time() is the round's clock. At a round's end every rank gets every
// member's row (in member order); rank 0 writes the table. A checkpoint holds the completed
// members' rows, the round, this rank's members' engines and their thermo rows so far; a restart
// on another rank count deals the round in flight out again (a rank may then run several members
// at once, or none). The case must outlive the stepper (the run's does).
class EnsembleStepper final : public loop::Stepper,
                              public loop::SampleSource,
                              private loop::RoundWork {
 public:
  // file: rank 0's output; null on the other ranks.
  EnsembleStepper(core::Backend backend, const io::Case& c, io::H5File* file)
      : m_backend(backend),
        m_case(c),
        m_m(c),
        m_file(file),
        m_rounds(m_m.count(), 1, m_m.steps,
                 {"ensemble/member", "ensemble/round_step", "ensemble/steps",
                  "ensemble/round_members", "ensemble/round_width", "md/step"}) {}

  void set_sink(loop::SampleSink* sink, bool write) override {
    m_sink = sink;
    m_write = write;
  }

  std::int64_t step() const override { return m_rounds.steps(); }
  double time() const override {
    return finished() ? 0.0 : double(m_rounds.round_step()) * m_case.get_float("md.dt");
  }
  bool finished() const override { return m_rounds.finished(); }
  loop::Position position() const override { return m_rounds.position(); }

  // `until` is not used: the members' clocks restart.
  void advance(std::int64_t steps, double /*until*/) override { m_rounds.advance(steps, *this); }

  void save(io::StateWriter& out) const override {
    m_rounds.save(out);
    out.put("ensemble/rows", m_rows);
    if (finished()) return;
    for (std::size_t k = 0; k < m_members.size(); ++k)
      out.under(loop::Rounds::slot_prefix(std::int64_t(k)), [&] {
        const Member& m = m_members[k];
        save_state(*m.sim, out);
        out.put("ensemble/pressure", m.p);
        out.put("ensemble/energy", m.u);
        out.put("ensemble/temperature", m.t);
      });
  }
  void load(const io::StateReader& in) override {
    m_rounds.load(in);
    m_rows = in.get<double>("ensemble/rows");
    if (m_write) write_table();  // drops the members completed after the checkpoint
    m_members.clear();
    if (finished()) return;
    start_members();
    for (std::size_t k = 0; k < m_members.size(); ++k) {
      const io::StateReader state = m_rounds.member_state(in, m_members[k].index);
      Member& m = m_members[k];
      load_state(*m.sim, state);
      m.p = state.get<double>("ensemble/pressure");
      m.u = state.get<double>("ensemble/energy");
      m.t = state.get<double>("ensemble/temperature");
    }
  }

  // timing.solver_s: the loop's "advance" phase; timing.sample_steps_per_s: member steps per
  // second, over every rank.
  void summarize(io::Summary& sum, const core::Timers& timers) const override {
    const double seconds = timers.seconds("advance");
    const std::int64_t member_steps = m_rounds.member_units(m_m.steps, m_rounds.round_step());
    sum.set("units", k_units);
    sum.set("atoms", m_atoms);
    sum.set("ensemble.members", m_m.count());
    sum.set("ensemble.completed", std::int64_t(m_rows.size() / Row::k_size));
    sum.set("steps", member_steps);
    sum.set("timing.solver_s", seconds);
    sum.set("timing.sample_steps_per_s", seconds > 0 ? double(member_steps) / seconds : 0.0);
    sum.set("timing.atom_steps_per_s",
            seconds > 0 ? double(m_atoms) * double(member_steps) / seconds : 0.0);
    spdlog::info("md ensemble: {} state points x {} steps in {:.3g} s", m_m.count(), m_m.steps,
                 seconds);
  }

 private:
  // One of this rank's members of the round: its engine and its sampled thermo rows.
  struct Member {
    std::int64_t index = 0;
    std::unique_ptr<Simulation> sim;
    std::vector<double> p, u, t;  // pressure, U/N, temperature
  };

  // The round from its start: this rank's members' engines and their thermo rows at step 0.
  void start_round() override {
    start_members();
    for (Member& m : m_members) sample(m);
  }
  // To the next thermo row at most.
  std::int64_t take(std::int64_t most) override {
    const std::int64_t now = m_rounds.round_step();
    const std::int64_t next = std::min(m_m.steps, (now / m_m.every + 1) * m_m.every);
    const std::int64_t n = std::min(most, next - now);
    for (Member& m : m_members) m.sim->run(n);
    return n;
  }
  bool reached() override {
    const std::int64_t now = m_rounds.round_step();
    if (now % m_m.every != 0 && now != m_m.steps) return false;
    for (Member& m : m_members) sample(m);
    return now == m_m.steps;
  }

  // This rank's members' engines at their start (none past the last member).
  void start_members() {
    m_members.clear();
    for (std::int64_t i = m_rounds.first(); i < m_rounds.first() + m_rounds.held(); ++i) {
      const StatePoint at = m_m.at(i);
      Start start = start_of(m_case, at);
      m_atoms = std::int64_t(start.initial.position.size() / 3);
      m_members.push_back(
          {i, make_simulation(m_backend, start.settings, start.initial), {}, {}, {}});
      spdlog::info("md ensemble: member {} of {}, density {} sigma^-3, temperature {} epsilon/k_B",
                   i + 1, m_m.count(), at.density, at.temperature);
    }
  }

  // A thermo row; rows after md.equilibrate (and after step 0) are sampled, as the md run's
  // summary takes them.
  void sample(Member& m) {
    const Thermo t = m.sim->thermo();
    const double n = double(t.atoms);
    if (!std::isfinite(t.potential) || !std::isfinite(t.pressure))
      throw core::Error(fmt::format(
          "md ensemble member {} (density {}, temperature {}): step {}: the energy or pressure "
          "is not finite (time step md.dt too large, or particles overlapping)",
          m.index, m_m.at(m.index).density, m_m.at(m.index).temperature, t.step));
    if (t.step == 0 || t.step <= m_m.equilibrate) return;
    m.p.push_back(t.pressure);
    m.u.push_back(t.potential / n);
    m.t.push_back(t.temperature);
  }

  // The round's members' rows, every rank's shared (collective; one rank: its own), added in
  // member order on every rank; rank 0 writes the table; every row to the sink.
  void complete_round() override {
    std::vector<double> mine;
    for (const Member& m : m_members) {
      const StatePoint at = m_m.at(m.index);
      const Row row{
          at.density,      at.temperature,         core::mean(m.p), core::block_error(m.p),
          core::mean(m.u), core::block_error(m.u), core::mean(m.t), double(m.p.size())};
      spdlog::info("md ensemble: member {}: pressure {:.5g}, U/N {:.5g}, T {:.4g} ({} rows)",
                   m.index + 1, row.pressure, row.energy, row.temperature_mean, m.p.size());
      const std::vector<double> values = row.values();
      mine.insert(mine.end(), values.begin(), values.end());
    }
    const std::size_t first = m_rows.size();
    const std::vector<double> round = m_rounds.share(mine, Row::k_size);
    m_rows.insert(m_rows.end(), round.begin(), round.end());
    if (m_write) write_table();
    if (!m_sink) return;
    const loop::Round r = m_rounds.round();
    for (std::int64_t q = 0; q < r.size; ++q)
      m_sink->add(r.begin + q, {Row::from(m_rows.data() + first + q * Row::k_size).sample().data(),
                                core::Backend::Cpu});
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
  io::H5File* m_file;  // rank 0's; null on the other ranks
  loop::Rounds m_rounds;
  std::vector<Member> m_members;  // this rank's in the round (none: idle, or before the first)
  std::int64_t m_atoms = 0;
  std::vector<double> m_rows;  // the completed members' Rows
  loop::SampleSink* m_sink = nullptr;
  bool m_write = true;
};

loop::Run make_ensemble(const loop::Setup& setup) {
  loop::Run run;
  if (core::world().root()) run.output = setup.open_output(k_units);
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
                            samples_of,
                            /*splits_across_ranks=*/true,
                            /*restarts_on_other_ranks=*/true};
  return k;
}

}  // namespace twinsim::md
