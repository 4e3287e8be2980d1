#pragma once
// A run's comparison with the reference its case names (lbm.reference): the figures and their
// published values or bands in summary.json, under the reference's name, and a line in the log.
// The figures come from Reference.hpp.
#include "twinsim/io/RunDirectory.hpp"
#include "twinsim/lbm/Reference.hpp"

namespace twinsim::lbm {

// ghia1982.max_u_error, max_v_error: a square cavity's centrelines (lid_velocity in lattice
// units, Reynolds number 100 or 1000).
void report_ghia1982(io::Summary& summary, const Macroscopic& m, double lid_velocity, int reynolds);

// poiseuille.relative_l2_error: a force-driven channel (ax and viscosity in lattice units).
void report_poiseuille(io::Summary& summary, const Macroscopic& m, double ax, double viscosity);

// schafer_turek_2d1.* and schafer_turek_3d1z.*: the steady cylinder's c_D, c_L and dP (Pa)
// against the bands (and for 2D-1, whose values are high-precision ones, the relative errors).
void report_schafer_turek_2d1(io::Summary& summary, double drag, double lift, double dp);
void report_schafer_turek_3d1z(io::Summary& summary, double drag, double lift, double dp);

// schafer_turek_2d2.*: the shedding cylinder's maxima and Strouhal number against the bands.
void report_schafer_turek_2d2(io::Summary& summary, const Shedding& shedding);

}  // namespace twinsim::lbm
