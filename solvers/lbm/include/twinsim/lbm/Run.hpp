#pragma once
// Lattice Boltzmann flow as a run of the loop library: the solver (with the inflow ramp) as a
// Stepper; the field frames (HDF5 + XDMF), the force and probe series and the convergence check
// as operations; summary figures in SI with the comparison the case asks for (Report.hpp).
// `twinsim run` with run.solver = "lbm" is loop::run(lbm::kind(), case, request).
#include "twinsim/loop/Run.hpp"

namespace twinsim::lbm {

// Builds the run of a checked case: solver, output file, operations. Fields every
// lbm.output_every steps from step 0 and at the end (or the end only), forces and probes every
// lbm.forces.every steps from step 0 and at the end, both also at a failure; the convergence
// check every lbm.check_every steps, which ends the run at lbm.tolerance and fails it when the
// flow diverged.
loop::Run make_run(const loop::Setup& setup);

// run.solver = "lbm".
const loop::Kind& kind();

}  // namespace twinsim::lbm
