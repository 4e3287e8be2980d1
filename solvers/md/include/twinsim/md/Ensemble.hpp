#pragma once
// Lennard-Jones MD over a list of state points as one run, for the equation-of-state surrogate:
// the case's [md] system at each (density, temperature) of [md.ensemble] (member i: md.density
// = density[i], md.temperature = temperature[i], the same seed), run one after another, each
// for md.steps steps from its own start, thermo rows every md.thermo_every steps, means over
// the rows after md.equilibrate as the md run's summary takes them. As each member completes,
// its row (density, temperature, pressure.mean, potential_energy_per_atom.mean) goes to
// <name>.h5 in the layout of `twinsim gather` (a /members table with swept keys md.density and
// md.temperature, each member's figures as its summary), so `twinsim train` and `twinsim
// predict` read it as a table, and to a loop::SampleSink (in-situ training of the MLP,
// nn::with_training). Across MPI ranks the members run P at a time, one whole member per rank
// (ensemble parallelism; loop::Rounds), every rank gets every row and rank 0 writes the table,
// bit for bit the one-rank table; a restart on another rank count deals the round in flight out
// again. run.solver = "md_ensemble".
#include "twinsim/loop/Run.hpp"

namespace twinsim::md {

const loop::Kind& ensemble_kind();

}  // namespace twinsim::md
