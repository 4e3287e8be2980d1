"""Published reference data the figures are drawn against, with their sources.

Copied from the papers (and cross-checked against shared/reference/fluids.md and
solvers/lbm/include/twinsim/lbm/Reference.hpp, which hold the same numbers).
"""

# Ghia, U., Ghia, K. N. & Shin, C. T. (1982). High-Re solutions for incompressible flow using
# the Navier-Stokes equations and a multigrid method. J. Comput. Phys. 48, 387-411.
# Lid-driven unit square cavity, lid at y = 1 moving with u = 1.
# Table I: u on the vertical centreline x = 0.5, against y.
GHIA_U = {
    "position": [1.0000, 0.9766, 0.9688, 0.9609, 0.9531, 0.8516, 0.7344, 0.6172, 0.5000,
                 0.4531, 0.2813, 0.1719, 0.1016, 0.0703, 0.0625, 0.0547, 0.0000],
    100: [1.00000, 0.84123, 0.78871, 0.73722, 0.68717, 0.23151, 0.00332, -0.13641, -0.20581,
          -0.21090, -0.15662, -0.10150, -0.06434, -0.04775, -0.04192, -0.03717, 0.00000],
    1000: [1.00000, 0.65928, 0.57492, 0.51117, 0.46604, 0.33304, 0.18719, 0.05702, -0.06080,
           -0.10648, -0.27805, -0.38289, -0.29730, -0.22220, -0.20196, -0.18109, 0.00000],
}
# Table II: v on the horizontal centreline y = 0.5, against x.
GHIA_V = {
    "position": [1.0000, 0.9688, 0.9609, 0.9531, 0.9453, 0.9063, 0.8594, 0.8047, 0.5000,
                 0.2344, 0.2266, 0.1563, 0.0938, 0.0781, 0.0703, 0.0625, 0.0000],
    100: [0.00000, -0.05906, -0.07391, -0.08864, -0.10313, -0.16914, -0.22445, -0.24533,
          0.05454, 0.17527, 0.17507, 0.16077, 0.12317, 0.10890, 0.10091, 0.09233, 0.00000],
    1000: [0.00000, -0.21388, -0.27669, -0.33714, -0.39188, -0.51550, -0.42665, -0.31966,
           0.02526, 0.32235, 0.33075, 0.37095, 0.32627, 0.30353, 0.29012, 0.27485, 0.00000],
}
GHIA_CITATION = "Ghia, Ghia & Shin (1982), J. Comput. Phys. 48, 387-411"

# 3D Taylor-Green vortex at Re = 1600 (nu = 1/1600, V0 = L = 1, [0, 2 pi)^3): spectral DNS at
# 512^3 and 1024^3, the reference data of the International Workshop on High-Order CFD Methods
# (as recorded in the project's reference/fluids.md), peaks in the dissipation rate
# eps = 2 nu <enstrophy> = 0.012855 at t = 9.0.
TGV_RE1600_PEAK = {"t": 9.0, "dissipation": 0.012855}
TGV_CITATION = "spectral DNS, 512^3 and 1024^3"

# Schafer, M. & Turek, S. (1996). Benchmark computations of laminar flow around a cylinder.
# In: Flow Simulation with High-Performance Computers II, Notes on Numerical Fluid Mechanics 52,
# 547-566. Test case 2D-1 (steady, Re = 20): channel 2.2 x 0.41 m, cylinder D = 0.1 m at
# (0.2, 0.2), Ubar = 0.2 m/s; c = 2 F / (rho Ubar^2 D); dP = p(0.15, 0.2) - p(0.25, 0.2).
# Bands (lower, upper) from the paper; high-precision values as in reference/fluids.md.
SCHAFER_TUREK_2D1 = {
    "drag_coefficient": (5.57, 5.59, 5.57953523384),
    "lift_coefficient": (0.0104, 0.0110, 0.010618948146),
    "pressure_difference": (0.1172, 0.1176, 0.11752016697),
}
SCHAFER_TUREK_CITATION = "Schafer & Turek (1996), benchmark 2D-1"
