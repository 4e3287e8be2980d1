#pragma once
// The [lbm] sections of a case file (physical units: m, s, kg/m^3, Pa): the keys, the refusals
// the schema cannot make, the disk a run takes, and what they describe: a lattice in lattice
// units plus what turns its results back into SI (units, force coefficients, probe points).
#include <array>
#include <string>
#include <vector>

#include "twinsim/core/Backend.hpp"
#include "twinsim/io/Case.hpp"
#include "twinsim/io/Schema.hpp"
#include "twinsim/lbm/Solver.hpp"
#include "twinsim/lbm/Units.hpp"
#include "twinsim/loop/Run.hpp"

namespace twinsim::lbm {

// Declares [lbm], [lbm.domain], [lbm.boundaries], [[lbm.obstacle]], [lbm.mask], [lbm.forces].
void add_schema(io::Schema& schema);

// The case as a lattice, with what a run needs to report in SI.
struct CaseLattice {
  LatticeConfig config;   // lattice units: tau, sides, body force, obstacle mask, wall fractions
  LatticeUnits units;     // dx, dt, density, lattice viscosity, tau, Mach number
  int dims = 2;           // 2 (D2Q9) or 3 (D3Q19)
  std::string reference;  // lbm.reference: none, ghia1982, poiseuille, schafer_turek_*
  // Reference velocity x domain height / viscosity, or the benchmark's Reynolds number.
  double reynolds = 0;
  int obstacle_count = 0;  // largest obstacle number: mask numbers, then the shapes
  // Of the force coefficients c = 2 F / (rho U^2 L) (2D, per unit depth) or 2 F / (rho U^2 A)
  // (3D): U [m/s], L [m] and A [m^2].
  double coefficient_velocity = 0, coefficient_length = 0, coefficient_area = 0;
  std::vector<std::array<double, 3>> probes;  // pressure probe points, m (2D: z = 0)
};

// Converts the case to lattice units (lbm::to_lattice_units: tau, Mach and cell Reynolds
// bounds), rasterises its obstacles, reads its mask file, and refuses (core::Error, saying what
// to change) what the solver cannot run or the reference cannot compare, naming the case's
// keys. Meshes (shape = 'stl') are voxelised on `backend`. viscosity > 0 [m^2/s]: in place of
// lbm.domain.viscosity (the members of an ensemble over the Reynolds number, Ensemble.hpp).
CaseLattice lattice_of(const io::Case& case_file, core::Backend backend = core::Backend::Cpu,
                       double viscosity = 0);

// lattice_of's refusals, before the run folder exists.
void check(const io::Case& case_file);

// Output (field frames, force and probe series) and checkpoint bytes of the case.
loop::Plan plan(const io::Case& case_file);

}  // namespace twinsim::lbm
