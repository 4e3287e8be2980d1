#include "runs.hpp"

#include <fmt/format.h>

#include "twinsim/core/Error.hpp"
#include "twinsim/lbm/Case.hpp"
#include "twinsim/lbm/Run.hpp"
#include "twinsim/loop/Run.hpp"
#include "twinsim/md/Case.hpp"
#include "twinsim/md/Run.hpp"

namespace twinsim::app {

io::H5File open_output(const RunContext& ctx, const std::string& units) {
  const std::filesystem::path path = ctx.run.file(ctx.name + ".h5");
  if (ctx.restart) return ctx.restart->reopen_output(path);
  io::H5File file = io::H5File::create(path);
  io::write_provenance(file, {ctx.case_file.resolved_text(),
                              std::string(core::to_string(ctx.backend)), units});
  return file;
}

namespace {

// A solver ported to the loop library, run through this registry until every solver is.
RunResult run_kind(const loop::Kind& kind, const RunContext& ctx) {
  loop::Result r = loop::execute(kind, {ctx.case_file, ctx.backend, ctx.run, ctx.name,
                                        ctx.restart}, ctx.checkpoints);
  RunResult out;
  out.summary = r.summary;
  out.ok = r.outcome.end != loop::End::failed;
  out.failure = r.outcome.failure;
  out.interrupted = r.outcome.end == loop::End::interrupted;
  return out;
}

OutputPlan plan_of(const loop::Plan& p) { return {p.output_bytes, p.checkpoint_bytes}; }

}  // namespace

const std::vector<Solver>& solvers() {
  static const std::vector<Solver> all = {
      {"taylor_green_check",
       "exact 2D Taylor-Green vortex, vorticity by FFT checked against the analytic one",
       add_taylor_green_schema, run_taylor_green},
      {"md", md::kind().doc, md::add_schema,
       [](const RunContext& c) { return run_kind(md::kind(), c); }, md::check,
       [](const io::Case& c) { return plan_of(md::plan(c)); }},
      {"spectral", "batched 2D pseudo-spectral Navier-Stokes (vorticity form): trajectories "
       "[sample, time, y, x] for surrogate training", add_spectral_schema, run_spectral,
       check_spectral, plan_spectral},
      {"spectral3d", "3D pseudo-spectral Navier-Stokes (velocity form): Taylor-Green, ABC; "
       "energy, enstrophy, dissipation history", add_spectral3d_schema,
       run_spectral3d, check_spectral3d, plan_spectral3d},
      {"lbm", lbm::kind().doc, lbm::add_schema,
       [](const RunContext& c) { return run_kind(lbm::kind(), c); }, lbm::check,
       [](const io::Case& c) { return plan_of(lbm::plan(c)); }},
  };
  return all;
}

const Solver& find_solver(const std::string& name) {
  for (const Solver& s : solvers())
    if (s.name == name) return s;
  throw core::Error(fmt::format("no solver named '{}'", name));  // the schema's choices prevent it
}

io::Schema case_schema(const std::string& solver) {
  std::vector<std::string> names;
  for (const Solver& s : solvers()) names.push_back(s.name);
  io::Schema schema;
  schema.section("run", "What to run").required()
      .key_string("name", "Run name: output files are <name>.h5, <name>.xmf").required()
      .key_string("solver", "What computes the run").required().one_of(names)
      .key_string("device", "Backend: auto (the GPU when one is present), cpu or gpu; "
                            "--device overrides it")
      .default_value("auto").one_of({"auto", "cpu", "gpu"});
  io::add_checkpoint_schema(schema);
  for (const Solver& s : solvers())
    if (solver.empty() || s.name == solver) s.add_schema(schema);
  return schema;
}

}  // namespace twinsim::app
