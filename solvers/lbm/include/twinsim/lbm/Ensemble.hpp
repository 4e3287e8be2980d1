#pragma once
// A family of 2D lattice Boltzmann flows as one run, for surrogate training: the case's flow at
// each Reynolds number of [lbm.ensemble] reynolds (member i: lbm.domain.viscosity =
// reference_velocity x size[1] / reynolds[i]), run one after another from rest, each for
// lbm.steps steps with a vorticity frame every lbm.output_every steps from step 0. The
// trajectories go to <name>.h5 as /vorticity/value [member][frame][y][x] (1/s, SI; the layout
// of the spectral generator's, so `twinsim train` and `twinsim predict` read them) with
// /snapshot_time and /reynolds, the first member's frames as a field series for ParaView; and,
// as each member completes, to a loop::SampleSink (in-situ training, nn::with_training): the
// frames are recorded in the solver's backend memory (Solver::vorticity_into) and handed over
// there, so on the GPU they reach the trainer without a host copy.
// Across MPI ranks the members run P at a time, one whole member per rank (ensemble
// parallelism; loop::Rounds), every rank's sink gets every trajectory and rank 0 writes the
// file, bit for bit the one-rank file; a restart on another rank count deals the round in flight
// out again. run.solver = "lbm_ensemble".
#include "twinsim/loop/Run.hpp"

namespace twinsim::lbm {

const loop::Kind& ensemble_kind();

}  // namespace twinsim::lbm
