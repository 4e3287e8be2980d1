#pragma once
// The spectral runs of the loop library; `twinsim run` with run.solver = "<kind name>" is
// loop::run(spectral::kind_...(), case, request).
//   spectral            the batched 2D dataset generator: a stepper that runs the ensemble
//                       batch after batch, records each batch's snapshots as it reaches them and
//                       appends whole samples to the dataset (src/Run2D.cpp)
//   spectral3d          one 3D flow: the solver as a stepper (fixed or adaptive step), the
//                       diagnostics records and the velocity frames as operations (src/Run3D.cpp)
//   taylor_green_check  the exact 2D vortex differentiated spectrally, a frame per step
//                       (src/RunTaylorGreen.cpp)
#include "twinsim/loop/Run.hpp"

namespace twinsim::spectral {

// Each builds the run of a checked case (Case.hpp): output file, stepper, operations.
loop::Run make_run_2d(const loop::Setup& setup);
loop::Run make_run_3d(const loop::Setup& setup);
// Refuses a restart: the check takes seconds and keeps nothing worth continuing.
loop::Run make_run_taylor_green(const loop::Setup& setup);
// The trajectories a `spectral` run produces ([frame][y][x] on the stored grid, one per
// sample): what its stepper hands to a loop::SampleSink (in-situ training).
loop::SampleShape samples_2d(const io::Case& case_file);

const loop::Kind& kind_2d();            // run.solver = "spectral"
const loop::Kind& kind_3d();            // run.solver = "spectral3d"
const loop::Kind& kind_taylor_green();  // run.solver = "taylor_green_check"

}  // namespace twinsim::spectral
