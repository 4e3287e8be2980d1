// A family of 2D flows over the Reynolds number as one run (Ensemble.hpp): the members one
// after another, each a Solver from rest, their vorticity trajectories into the run's file and
// to an in-situ trainer.
#include "twinsim/lbm/Ensemble.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "twinsim/core/BackendArray.hpp"
#include "twinsim/core/Comm.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/io/Xdmf.hpp"
#include "twinsim/lbm/Case.hpp"
#include "twinsim/loop/Rounds.hpp"

namespace twinsim::lbm {

namespace {

constexpr const char* k_units = "SI: m, s; vorticity 1/s";

// What the case asks of the ensemble.
struct Members {
  std::vector<double> reynolds;  // one member each
  std::int64_t steps = 0;        // per member
  std::int64_t every = 0;        // steps between frames
  std::int64_t frames = 0;       // per member: steps / every + 1, from step 0
  std::int64_t nx = 0, ny = 0;

  explicit Members(const io::Case& c)
      : reynolds(c.get_floats("lbm.ensemble.reynolds")),
        steps(c.get_int("lbm.steps")),
        every(c.get_int("lbm.output_every")),
        frames(every > 0 ? steps / every + 1 : 0),
        nx(c.get_ints("lbm.domain.cells")[0]),
        ny(c.get_ints("lbm.domain.cells").back()) {}
  std::int64_t count() const { return std::int64_t(reynolds.size()); }
  std::int64_t plane() const { return nx * ny; }
};

// Member i's lattice: the case with lbm.domain.viscosity = reference_velocity x size[1] / Re.
CaseLattice member_lattice(const io::Case& c, double reynolds, core::Backend backend) {
  const double viscosity = c.get_float("lbm.domain.reference_velocity") *
                           c.get_floats("lbm.domain.size")[1] / reynolds;
  try {
    return lattice_of(c, backend, viscosity);
  } catch (const core::Error& e) {
    throw core::Error(fmt::format("lbm.ensemble.reynolds = {} (viscosity {:.4g} m^2/s): {}",
                                  reynolds, viscosity, e.what()));
  }
}

void add_ensemble_schema(io::Schema& schema) {
  // The whole schema (twinsim schema) has lbm's sections already.
  if (!schema.find("lbm")) add_schema(schema);
  schema
      .section("lbm.ensemble",
               "A family of 2D flows over the Reynolds number (run.solver = "
               "'lbm_ensemble'): the case's flow once per value, lbm.steps steps from "
               "rest each, a vorticity frame every lbm.output_every steps; "
               "lbm.domain.viscosity is replaced by reference_velocity x size[1] / Re")
      .key_floats("reynolds", "Reynolds numbers reference_velocity x size[1] / viscosity, "
                              "one member each, in the run's order")
      .required();
}

void check_ensemble(const io::Case& c) {
  if (!c.has_section("lbm.ensemble"))
    throw core::Error("run.solver = 'lbm_ensemble' needs an [lbm.ensemble] section with the "
                      "Reynolds numbers of its members (reynolds = [...])");
  const Members m(c);
  if (c.get_string("lbm.lattice") != "d2q9")
    throw core::Error("lbm.lattice: an lbm_ensemble is 2D (d2q9): its trajectories are "
                      "[frame][y][x] vorticity planes");
  if (m.every <= 0 || m.steps % m.every != 0)
    throw core::Error(fmt::format("lbm.output_every = {} must divide lbm.steps = {}: each "
                                  "member's frames are its steps 0, output_every, ..., steps",
                                  m.every, m.steps));
  if (c.get_string("lbm.reference") != "none" || c.has_section("lbm.forces") ||
      c.get_float("lbm.inflow_ramp") > 0)
    throw core::Error("an lbm_ensemble records vorticity trajectories only: leave out "
                      "lbm.reference, lbm.inflow_ramp and [lbm.forces]");
  if (m.reynolds.empty()) throw core::Error("lbm.ensemble.reynolds: no member");
  for (const double re : m.reynolds) {
    if (!(re > 0))
      throw core::Error(fmt::format("lbm.ensemble.reynolds: {} is not > 0", re));
    member_lattice(c, re, core::Backend::Cpu);
  }
}

loop::SampleShape samples_of(const io::Case& c) {
  const Members m(c);
  const double dt = member_lattice(c, m.reynolds.front(), core::Backend::Cpu).units.dt;
  return {m.count(), m.frames, m.ny, m.nx, double(m.every) * dt, "vorticity"};
}

loop::Plan plan_ensemble(const io::Case& c) {
  const Members m(c);
  const std::uint64_t plane = std::uint64_t(m.plane()), frames = std::uint64_t(m.frames);
  const std::uint64_t real = c.get_string("lbm.precision") == "fp64" ? 8 : 4;
  loop::Plan plan;
  plan.output_bytes = io::series_bytes(std::uint64_t(m.count()), frames * plane * 8) +
                      io::series_bytes(frames, plane * 8);
  // A member's populations (9) and last velocity (3), its frames so far, the case text and
  // the file's own bytes.
  plan.checkpoint_bytes =
      plane * 12 * real + frames * plane * 8 + c.resolved_text().size() + 32768;
  plan.size_keys = "lbm.domain.cells, lbm.steps / lbm.output_every or lbm.ensemble.reynolds";
  return plan;
}

// <name>.h5: /vorticity (an H5MD-style series, one row per member: value [member][frame][y][x]),
// /snapshot_time [frame], /reynolds [member]; the first member's frames as the field series
// /fields/vorticity_first_member with the XDMF sidecar.
class Output {
 public:
  Output(io::H5File& file, const Members& m, double dt, double dx,
         const std::filesystem::path& xmf, bool restarted)
      : m_trajectories(file, "/vorticity", spec(m)),
        m_first(file, "vorticity_first_member",
                {std::uint64_t(m.ny), std::uint64_t(m.nx)}, 1, io::DType::f64, "1/s", "s"),
        m_mesh{{1, std::uint64_t(m.ny), std::uint64_t(m.nx)}, {0, 0.5 * dx, 0.5 * dx}, {dx, dx, dx}},
        m_interval(double(m.every) * dt),
        m_end(double(m.steps) * dt) {
    if (!restarted) {
      const std::vector<std::pair<std::string, io::AttributeValue>> attributes = {
          {"axes", std::string("sample time y x")},
          {"description", std::string("vorticity dv/dx - du/dy at cell centres of each member, "
                                      "a 2D lattice Boltzmann flow from rest")},
          {"dt", dt},
          {"dx", dx},
          {"reynolds", m.reynolds},
          {"output_every", m.every}};
      for (const auto& [name, value] : attributes) file.set_attribute("/vorticity", name, value);
      std::vector<double> times(std::size_t(m.frames));
      for (std::size_t k = 0; k < times.size(); ++k) times[k] = double(k) * m_interval;
      file.write("/snapshot_time", times.data(), {times.size()});
      file.write("/reynolds", m.reynolds.data(), {m.reynolds.size()});
    }
    m_xdmf.emplace(io::XdmfWriter::for_run(xmf, file.path(), restarted, m_first.frames()));
  }

  void first_member_frame(const double* h_w, std::int64_t k, std::int64_t step) {
    const double t = double(k) * m_interval;
    m_xdmf->add_step(t, m_mesh, {{"vorticity", m_first.append(h_w, step, t)}});
  }
  void append(const double* h_trajectory, std::int64_t member) {
    m_trajectories.append(h_trajectory, member, m_end);
  }

 private:
  static io::TimeSeries::Spec spec(const Members& m) {
    io::TimeSeries::Spec s;
    s.frame_shape = {std::uint64_t(m.frames), std::uint64_t(m.ny), std::uint64_t(m.nx)};
    s.units = "1/s";
    s.time_units = "s";
    s.frame_views = false;  // not a field the sidecar shows
    return s;
  }

  io::TimeSeries m_trajectories;
  io::FieldSeries m_first;
  io::CoRectMesh m_mesh;
  double m_interval, m_end;
  std::optional<io::XdmfWriter> m_xdmf;
};

// The members as the loop's stepper, in rounds (loop::Rounds): across P MPI ranks
// (core::world()) round k runs members kP .. kP + P - 1 at once, rank r member kP + r, each a
// one-rank Solver (ensemble parallelism: a member's lattice is not split); a rank without a
// member in the last round only counts its steps. Every member takes lbm.steps steps, so the
// ranks stay in step. One rank: the members one after another. step() counts the rounds' steps
// (one rank: member steps), time() is the round's clock (its first member's). A checkpoint
// holds the round, this rank's members' solvers and the frames they have recorded; a restart on
// another rank count deals the round in flight out again (a rank may then run several members
// at once, or none).
class EnsembleStepper final : public loop::Stepper,
                              public loop::SampleSource,
                              private loop::RoundWork {
 public:
  // output: rank 0's; null on the other ranks.
  EnsembleStepper(core::Backend backend, Members members, std::vector<CaseLattice> lattices,
                  std::unique_ptr<Output> output)
      : m_backend(backend),
        m_m(std::move(members)),
        m_lattices(std::move(lattices)),
        m_out(std::move(output)),
        m_comm(core::world()),
        m_rounds(m_m.count(), 1, m_m.steps,
                 {"ensemble/member", "ensemble/round_step", "ensemble/steps",
                  "ensemble/round_members", "ensemble/round_width", "lbm/steps"}) {}

  void set_sink(loop::SampleSink* sink, bool write) override {
    m_sink = sink;
    m_write = write;
  }

  std::int64_t step() const override { return m_rounds.steps(); }
  double time() const override {
    return finished() ? 0.0
                      : m_lattices[std::size_t(m_rounds.round().begin)].units.time(
                            double(m_rounds.round_step()));
  }
  bool finished() const override { return m_rounds.finished(); }
  loop::Position position() const override { return m_rounds.position(); }

  // `until` is not used: the members' clocks restart, so the run has no time triggers.
  void advance(std::int64_t steps, double /*until*/) override { m_rounds.advance(steps, *this); }
  void synchronize() override {
    for (const auto& solver : m_solvers) solver->synchronize();
  }

  void save(io::StateWriter& out) const override {
    m_rounds.save(out);
    out.put("ensemble/recorded", m_recorded);
    out.put("ensemble/fluid_steps", m_fluid_steps);
    if (finished()) return;
    for (std::size_t k = 0; k < m_solvers.size(); ++k)
      out.under(loop::Rounds::slot_prefix(std::int64_t(k)), [&] {
        m_solvers[k]->save(out);
        out.put("ensemble/record",
                m_record->to_host(k * frames_size(), std::size_t(m_recorded * m_m.plane())));
      });
  }
  void load(const io::StateReader& in) override {
    m_rounds.load(in);
    m_recorded = in.get_int("ensemble/recorded");
    m_fluid_steps = in.get_double("ensemble/fluid_steps");
    m_solvers.clear();
    if (finished()) return;
    make_members();
    for (std::size_t k = 0; k < m_solvers.size(); ++k) {
      const io::StateReader member = m_rounds.member_state(in, m_rounds.first() + std::int64_t(k));
      m_solvers[k]->load(member);
      std::vector<double> h(std::size_t(m_recorded * m_m.plane()));
      member.get("ensemble/record", h.data(), h.size());
      m_record->from_host(h, k * frames_size());
    }
  }

  // timing.solver_s: the loop's "advance" phase (the frames' recording and writing included);
  // timing.sample_steps_per_s: member steps per second (twinsim predict's speed-up), over
  // every rank.
  void summarize(io::Summary& sum, const core::Timers& timers) const override {
    const double seconds = timers.seconds("advance");
    const LatticeUnits& u = m_lattices.front().units;
    const auto [re_min, re_max] = std::minmax_element(m_m.reynolds.begin(), m_m.reynolds.end());
    const std::int64_t member_steps = m_rounds.member_units(m_m.steps, m_rounds.round_step());
    sum.set("lattice.cells_x", m_m.nx);
    sum.set("lattice.cells_y", m_m.ny);
    sum.set("lattice.dx_m", u.dx);
    sum.set("lattice.dt_s", u.dt);
    sum.set("lattice.mach", u.mach);
    sum.set("ensemble.members", m_m.count());
    sum.set("ensemble.frames", m_m.frames);
    sum.set("ensemble.reynolds_min", *re_min);
    sum.set("ensemble.reynolds_max", *re_max);
    sum.set("steps", member_steps);
    sum.set("timing.solver_s", seconds);
    sum.set("timing.sample_steps_per_s", seconds > 0 ? double(member_steps) / seconds : 0.0);
    sum.set("performance.mlups", seconds > 0 ? m_fluid_steps / seconds / 1e6 : 0.0);
    spdlog::info("lbm ensemble: {} members x {} steps in {:.3g} s ({:.1f} MLUPS)", m_m.count(),
                 m_m.steps, seconds, seconds > 0 ? m_fluid_steps / seconds / 1e6 : 0.0);
  }

 private:
  // A member's frames [frame][y][x] in the record.
  std::size_t frames_size() const { return std::size_t(m_m.frames * m_m.plane()); }

  // This rank's members' solvers from rest and their record (none past the last member).
  void make_members() {
    m_solvers.clear();
    const std::size_t record = std::size_t(m_rounds.held()) * frames_size();
    if (record > 0 && (!m_record || m_record->size() != record))
      m_record = std::make_unique<core::BackendArray<double>>(m_backend, record);
    for (std::int64_t i = m_rounds.first(); i < m_rounds.first() + m_rounds.held(); ++i)
      m_solvers.push_back(make_solver(m_backend, m_lattices[std::size_t(i)].config));
  }

  // This rank's members from rest, and their frames at step 0.
  void start_round() override {
    make_members();
    for (std::int64_t i = m_rounds.first(); i < m_rounds.first() + m_rounds.held(); ++i) {
      const CaseLattice& l = m_lattices[std::size_t(i)];
      spdlog::info("lbm ensemble: member {} of {}, Re {:.4g} (tau {:.4f})", i + 1, m_m.count(),
                   l.reynolds, l.units.tau);
    }
    m_recorded = 0;
    record();
  }
  // To the next frame at most.
  std::int64_t take(std::int64_t most) override {
    const std::int64_t n = std::min(most, m_recorded * m_m.every - m_rounds.round_step());
    for (const auto& solver : m_solvers) solver->step(n);
    return n;
  }
  bool reached() override {
    if (m_rounds.round_step() < m_recorded * m_m.every) return false;
    record();
    return m_recorded == m_m.frames;
  }

  // Each member's frame in 1/s into the record, where the solver's state lives (one kernel, no
  // host copy); the host's copy only for the file's frames of the first member (rank 0's).
  void record() {
    const std::size_t plane = std::size_t(m_m.plane());
    for (std::size_t k = 0; k < m_solvers.size(); ++k) {
      const std::int64_t member = m_rounds.first() + std::int64_t(k);
      const std::size_t at = k * frames_size() + std::size_t(m_recorded) * plane;
      m_solvers[k]->vorticity_into(m_record->data() + at, m_lattices[std::size_t(member)].units.dt);
      if (member == 0 && m_write)
        m_out->first_member_frame(m_record->to_host(at, plane).data(), m_recorded,
                                  m_rounds.steps());
    }
    ++m_recorded;
  }

  // The round's members complete: their fluid cell updates (every rank adds all, in member
  // order), their trajectories into rank 0's file and to the sink, in member order.
  void complete_round() override {
    const loop::Round r = m_rounds.round();
    for (std::int64_t i = r.begin; i < r.begin + r.size; ++i) {
      const LatticeConfig& l = m_lattices[std::size_t(i)].config;
      const double fluid =
          double(m_m.plane()) - double(std::count_if(l.solid.begin(), l.solid.end(),
                                                     [](std::uint8_t s) { return s != 0; }));
      m_fluid_steps += fluid * double(m_m.steps);
    }
    if (m_write) write_round();
    if (m_sink)
      m_rounds.hand_over(*m_sink, m_solvers.empty() ? nullptr : m_record.get(), frames_size());
  }

  // Rank 0 appends the round's trajectories, gathered from their ranks (collective).
  void write_round() {
    const std::vector<double> mine = m_solvers.empty()
                                         ? std::vector<double>()
                                         : m_record->to_host(0, m_solvers.size() * frames_size());
    const loop::Round r = m_rounds.round();
    const auto append = [&](const std::vector<double>& held, int q) {
      for (std::int64_t b = 0; b < r.held(q); ++b)
        m_out->append(held.data() + std::size_t(b) * frames_size(), r.first(q) + b);
    };
    if (m_comm.size() == 1) return append(mine, 0);
    const auto all = m_comm.gather(mine, 0);
    if (!m_comm.root()) return;
    for (int q = 0; q < r.ranks; ++q) append(all[std::size_t(q)], q);
  }

  core::Backend m_backend;
  Members m_m;
  std::vector<CaseLattice> m_lattices;  // one per member
  std::unique_ptr<Output> m_out;        // rank 0's; null on the other ranks
  core::Comm& m_comm;
  loop::Rounds m_rounds;
  std::vector<std::unique_ptr<Solver>> m_solvers;  // this rank's members' in the round
  // Their frames [member][frame][y][x], 1/s, in the solvers' backend memory (read there by an
  // in-situ trainer; copied to the host for the file and checkpoints).
  std::unique_ptr<core::BackendArray<double>> m_record;
  std::int64_t m_recorded = 0;  // frames each member of the round has recorded
  double m_fluid_steps = 0;     // fluid cell updates of the completed members
  loop::SampleSink* m_sink = nullptr;
  bool m_write = true;
};

loop::Run make_ensemble(const loop::Setup& setup) {
  const io::Case& c = setup.case_file;
  const Members m(c);
  std::vector<CaseLattice> lattices;
  for (const double re : m.reynolds) lattices.push_back(member_lattice(c, re, setup.backend));
  const LatticeUnits& u = lattices.front().units;
  loop::Run run;
  std::unique_ptr<Output> output;
  if (core::world().root()) {
    run.output = setup.open_output(k_units);
    output =
        std::make_unique<Output>(*run.output, m, u.dt, u.dx, setup.xmf(), setup.restart != nullptr);
  }
  run.stepper =
      std::make_unique<EnsembleStepper>(setup.backend, m, std::move(lattices), std::move(output));
  return run;
}

}  // namespace

const loop::Kind& ensemble_kind() {
  static const loop::Kind k{"lbm_ensemble",
                            "2D lattice Boltzmann flows over a range of Reynolds numbers: "
                            "vorticity trajectories [member, time, y, x] for surrogate training",
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

}  // namespace twinsim::lbm
