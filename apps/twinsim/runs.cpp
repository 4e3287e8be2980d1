#include "runs.hpp"

#include <fmt/format.h>

#include "twinsim/core/Error.hpp"

namespace twinsim::app {

const std::vector<Solver>& solvers() {
  static const std::vector<Solver> all = {
      {"taylor_green_check",
       "exact 2D Taylor-Green vortex, vorticity by FFT checked against the analytic one",
       add_taylor_green_schema, run_taylor_green},
  };
  return all;
}

const Solver& find_solver(const std::string& name) {
  for (const Solver& s : solvers())
    if (s.name == name) return s;
  throw core::Error(fmt::format("no solver named '{}'", name));  // the schema's choices prevent it
}

io::Schema case_schema() {
  std::vector<std::string> names;
  for (const Solver& s : solvers()) names.push_back(s.name);
  io::Schema schema;
  schema.section("run", "What to run").required()
      .key_string("name", "Run name: output files are <name>.h5, <name>.xmf").required()
      .key_string("solver", "What computes the run").required().one_of(names)
      .key_string("device", "Backend: auto (the GPU when one is present), cpu or gpu; "
                            "--device overrides it")
      .default_value("auto").one_of({"auto", "cpu", "gpu"});
  for (const Solver& s : solvers()) s.add_schema(schema);
  return schema;
}

}  // namespace twinsim::app
