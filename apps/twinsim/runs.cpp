#include "runs.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "twinsim/core/Error.hpp"
#include "twinsim/heat/Case.hpp"
#include "twinsim/heat/Run.hpp"
#include "twinsim/loop/Run.hpp"
#include "twinsim/md/Case.hpp"
#include "twinsim/md/Run.hpp"
#include "twinsim/spectral/Case.hpp"
#include "twinsim/spectral/Run.hpp"

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
      {"taylor_green_check", spectral::kind_taylor_green().doc,
       spectral::add_schema_taylor_green,
       [](const RunContext& c) { return run_kind(spectral::kind_taylor_green(), c); }},
      {"md", md::kind().doc, md::add_schema,
       [](const RunContext& c) { return run_kind(md::kind(), c); }, md::check,
       [](const io::Case& c) { return plan_of(md::plan(c)); }},
      {"spectral", spectral::kind_2d().doc, spectral::add_schema_2d,
       [](const RunContext& c) { return run_kind(spectral::kind_2d(), c); }, spectral::check_2d,
       [](const io::Case& c) { return plan_of(spectral::plan_2d(c)); }},
      {"spectral3d", spectral::kind_3d().doc, spectral::add_schema_3d,
       [](const RunContext& c) { return run_kind(spectral::kind_3d(), c); }, spectral::check_3d,
       [](const io::Case& c) { return plan_of(spectral::plan_3d(c)); }},
      {"lbm",
       "lattice Boltzmann flow (D2Q9 or D3Q19, BGK/TRT): cavities, channels, obstacles, walls, "
       "body force",
       add_lbm_schema, run_lbm, check_lbm, plan_lbm},
      {"heat1d", heat::kind().doc, heat::add_schema,
       [](const RunContext& c) { return run_kind(heat::kind(), c); }, heat::check,
       [](const io::Case& c) { return plan_of(heat::plan(c)); }},
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

io::Schema case_schema_of(const io::CaseOutline& outline) {
  const bool known = std::any_of(solvers().begin(), solvers().end(),
                                 [&](const Solver& s) { return s.name == outline.solver; });
  return case_schema(known ? outline.solver : "");
}

void check_case(const io::Case& case_file) {
  const Solver& s = find_solver(case_file.get_string("run.solver"));
  if (s.check) s.check(case_file);
}

}  // namespace twinsim::app
