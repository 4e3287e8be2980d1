#pragma once
// The [md] section of a case file (reduced Lennard-Jones units): the keys and their checks, and
// what they describe: the engine's settings and its initial particles.
#include "twinsim/io/Case.hpp"
#include "twinsim/io/Schema.hpp"
#include "twinsim/loop/Run.hpp"
#include "twinsim/md/InitialConditions.hpp"
#include "twinsim/md/Simulation.hpp"

namespace twinsim::md {

// Declares [md].
void add_schema(io::Schema& schema);

// Throws core::Error for what the schema cannot judge: per-type arrays of different lengths,
// lattice = "file" without a readable file, a box shorter than 2 (cutoff + skin), an RDF range
// beyond half the box.
void check(const io::Case& case_file);

// A state point in place of the case's md.density and md.temperature (the members of an
// md_ensemble, Ensemble.hpp): check() and start_of() of the case there.
struct StatePoint {
  double density = 0;      // sigma^-3
  double temperature = 0;  // epsilon/k_B
};
StatePoint state_point(const io::Case& case_file);  // the case's own
// ranks: those one run of the system is split over (bricks at least cutoff + skin wide); 1 for
// an md_ensemble's members, each run whole on one rank.
void check(const io::Case& case_file, const StatePoint& at, int ranks);
// The bricks of `ranks` MPI ranks (loop::Kind::split), as the run logs them; throws
// core::Error as check does where they do not fit.
std::string split(const io::Case& case_file, int ranks);

// The engine settings and the initial particles (lattice, random placement or an H5MD file's
// frame; Maxwell-Boltzmann velocities; types mixed at random) of a checked case.
struct Start {
  MdSettings settings;
  HostParticles initial;
};
Start start_of(const io::Case& case_file);
Start start_of(const io::Case& case_file, const StatePoint& at);

// Output (thermo rows, trajectory frames, RDF) and checkpoint bytes of the case.
loop::Plan plan(const io::Case& case_file);

}  // namespace twinsim::md
