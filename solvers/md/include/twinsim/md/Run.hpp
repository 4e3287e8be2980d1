#pragma once
// Molecular dynamics as a run of the loop library: the engine as a Stepper; the thermo table,
// the H5MD trajectory and the RDF as operations; summary figures with block-averaged errors.
// `twinsim run` with run.solver = "md" is loop::run(md::kind(), case, request).
#include "twinsim/loop/Run.hpp"

namespace twinsim::md {

// Builds the run of a checked case: output file, engine (md::Fault for overlapping particles),
// operations.
loop::Run make_run(const loop::Setup& setup);

// run.solver = "md".
const loop::Kind& kind();

}  // namespace twinsim::md
