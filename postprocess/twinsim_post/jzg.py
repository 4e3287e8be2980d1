"""The Johnson-Zollweg-Gubbins (1993) equation of state of the full-potential Lennard-Jones
fluid: a modified Benedict-Webb-Rubin form with 33 coefficients (x1..x32 and gamma = 3), fitted
to simulations over 0.7 <= T* <= 6 and rho* up to 1.2. Reduced LJ units throughout.

    J. K. Johnson, J. A. Zollweg, K. E. Gubbins, "The Lennard-Jones equation of state
    revisited", Mol. Phys. 78, 591-618 (1993), doi:10.1080/00268979300100411.
    Residual Helmholtz energy eq. (5) with tables 5 (a_i), 6 (b_i), 7 (G_i); pressure eq. (7),
    internal energy eq. (9) with table 8 (c_i, d_i); coefficients table 10.

The coefficient values below are table 10's as copied, digit for digit identical, in
independent public implementations: NIST's teqp (usnistgov/teqp,
include/teqp/models/mie/lennardjones/johnson.hpp, class LJ126Johnson1993), a C Monte Carlo code
(lj_eos3d, "J. Karl Johnson et al. ... Molecular Physics (1993) Vol. 78") and a Python MBWR class
citing table 10. Checked against NIST's Standard Reference Simulation data by
tests/physics/surrogates/test_jzg.py.

Residual quantities: U/N here is the configurational energy per particle (no kinetic part),
P the full pressure rho T + residual. Both are for the untruncated potential: compare with MD
that adds long-range corrections (md.tail = true), or add the tail terms of a truncated run.
"""
import numpy as np

GAMMA = 3.0
X = (
    None,  # x[1] is x1 as in the paper
    0.8623085097507421,
    2.976218765822098,
    -8.402230115796038,
    0.1054136629203555,
    -0.8564583828174598,
    1.582759470107601,
    0.7639421948305453,
    1.753173414312048,
    2.798291772190376e3,
    -4.8394220260857657e-2,
    0.9963265197721935,
    -3.698000291272493e1,
    2.084012299434647e1,
    8.305402124717285e1,
    -9.574799715203068e2,
    -1.477746229234994e2,
    6.398607852471505e1,
    1.603993673294834e1,
    6.805916615864377e1,
    -2.791293578795945e3,
    -6.245128304568454,
    -8.116836104958410e3,
    1.488735559561229e1,
    -1.059346754655084e4,
    -1.131607632802822e2,
    -8.867771540418822e3,
    -3.986982844450543e1,
    -4.689270299917261e3,
    2.593535277438717e2,
    -2.694523589434903e3,
    -7.218487631550215e2,
    1.721802063863269e2,
)


def _a(T):
    """Table 5: a_1..a_8 (index 0..7)."""
    x = X
    return [x[1] * T + x[2] * np.sqrt(T) + x[3] + x[4] / T + x[5] / T**2,
            x[6] * T + x[7] + x[8] / T + x[9] / T**2,
            x[10] * T + x[11] + x[12] / T,
            x[13] + 0 * T,
            x[14] / T + x[15] / T**2,
            x[16] / T,
            x[17] / T + x[18] / T**2,
            x[19] / T**2]


def _b(T):
    """Table 6: b_1..b_6."""
    x = X
    return [x[20] / T**2 + x[21] / T**3,
            x[22] / T**2 + x[23] / T**4,
            x[24] / T**2 + x[25] / T**3,
            x[26] / T**2 + x[27] / T**4,
            x[28] / T**2 + x[29] / T**3,
            x[30] / T**2 + x[31] / T**3 + x[32] / T**4]


def _c(T):
    """Table 8: c_i = a_i - T da_i/dT (U = A - T dA/dT term by term)."""
    x = X
    return [x[2] * np.sqrt(T) / 2 + x[3] + 2 * x[4] / T + 3 * x[5] / T**2,
            x[7] + 2 * x[8] / T + 3 * x[9] / T**2,
            x[11] + 2 * x[12] / T,
            x[13] + 0 * T,
            2 * x[14] / T + 3 * x[15] / T**2,
            2 * x[16] / T,
            2 * x[17] / T + 3 * x[18] / T**2,
            3 * x[19] / T**2]


def _d(T):
    """Table 8: d_i = b_i - T db_i/dT."""
    x = X
    return [3 * x[20] / T**2 + 4 * x[21] / T**3,
            3 * x[22] / T**2 + 5 * x[23] / T**4,
            3 * x[24] / T**2 + 4 * x[25] / T**3,
            3 * x[26] / T**2 + 5 * x[27] / T**4,
            3 * x[28] / T**2 + 4 * x[29] / T**3,
            3 * x[30] / T**2 + 4 * x[31] / T**3 + 5 * x[32] / T**4]


def _G(rho):
    """Table 7: G_1 = (1 - F) / (2 gamma), G_k = -(F rho^(2(k-1)) - 2 (k-1) G_(k-1)) / (2 gamma)."""
    F = np.exp(-GAMMA * rho**2)
    G = [(1 - F) / (2 * GAMMA)]
    for k in range(2, 7):
        G.append(-(F * rho**(2 * (k - 1)) - 2 * (k - 1) * G[-1]) / (2 * GAMMA))
    return G


def helmholtz_residual(rho, T):
    """A_res/N (eq. 5): sum a_i rho^i / i + sum b_i G_i."""
    rho, T = np.asarray(rho, float), np.asarray(T, float)
    a, b, G = _a(T), _b(T), _G(rho)
    return sum(a[i] * rho**(i + 1) / (i + 1) for i in range(8)) + sum(b[i] * G[i] for i in range(6))


def pressure(rho, T):
    """P (eq. 7): rho T + sum a_i rho^(i+1) + F sum b_i rho^(2i+1)."""
    rho, T = np.asarray(rho, float), np.asarray(T, float)
    a, b = _a(T), _b(T)
    F = np.exp(-GAMMA * rho**2)
    return (rho * T + sum(a[i] * rho**(i + 2) for i in range(8))
            + F * sum(b[i] * rho**(2 * i + 3) for i in range(6)))


def energy_per_particle(rho, T):
    """Configurational U/N (eq. 9): sum c_i rho^i / i + sum d_i G_i."""
    rho, T = np.asarray(rho, float), np.asarray(T, float)
    c, d, G = _c(T), _d(T), _G(rho)
    return sum(c[i] * rho**(i + 1) / (i + 1) for i in range(8)) + sum(d[i] * G[i] for i in range(6))


def tail_energy(rho, rc):
    """U_tail/N of an LJ potential truncated (not shifted) at rc: (8/3) pi rho (rc^-9/3 - rc^-3)."""
    return 8.0 / 3.0 * np.pi * rho * (rc**-9 / 3.0 - rc**-3)


def tail_pressure(rho, rc):
    """P_tail of the truncated potential: (16/3) pi rho^2 ((2/3) rc^-9 - rc^-3)."""
    return 16.0 / 3.0 * np.pi * rho**2 * (2.0 / 3.0 * rc**-9 - rc**-3)
