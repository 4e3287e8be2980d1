#pragma once
// The Johnson-Zollweg-Gubbins (1993) equation of state of the full-potential Lennard-Jones fluid
// (reduced LJ units): a modified Benedict-Webb-Rubin form with 33 coefficients (x1..x32 and
// gamma = 3), fitted to simulations over 0.7 <= T <= 6, rho up to about 1.2. The oracle of the
// MLP equation-of-state surrogate (cases/surrogate/mlp_lj_eos.toml). Host code.
//
//   J. K. Johnson, J. A. Zollweg, K. E. Gubbins, "The Lennard-Jones equation of state
//   revisited", Mol. Phys. 78, 591-618 (1993), doi:10.1080/00268979300100411: residual
//   Helmholtz energy eq. 5 (a_i table 5, b_i table 6, G_i table 7), pressure eq. 7, internal
//   energy eq. 9 (c_i, d_i table 8), coefficients table 10.
//
// Compare with MD that includes the long-range corrections (md.tail = true), or add
// lj_tail_energy_per_atom / lj_tail_pressure (Simulation.hpp) to a truncated run's figures.
namespace twinsim::md {

// Pressure P(rho, T) (ideal part rho T included).
double jzg_pressure(double rho, double temperature);
// Configurational energy per particle U/N (no kinetic part).
double jzg_energy_per_particle(double rho, double temperature);
// Residual Helmholtz energy per particle A_res/N (eq. 5).
double jzg_helmholtz_residual(double rho, double temperature);

}  // namespace twinsim::md
