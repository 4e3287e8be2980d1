"""The Johnson-Zollweg-Gubbins equation of state (postprocess/twinsim_post/jzg.py), the oracle of
the MLP equation-of-state surrogate, against independent data and against thermodynamics:

- NIST's Monte Carlo (N = 500, full potential) at T* = 0.85, rho 0.776..0.9
  (tests/data/nist_lj_srs_T0.85.csv): U/N within 0.5 %, P within 0.01 absolute (JZG's own
  stated accuracy is a few 0.01 in P in the dense liquid; P is near zero at rho 0.776).
- U/N = d(beta A)/d(beta) and P = rho T + rho^2 dA/drho by central differences of the Helmholtz
  energy (eq. 5), so the transcribed c_i, d_i (eq. 9) and pressure (eq. 7) agree with a_i, b_i.
- The ideal-gas limit P -> rho T as rho -> 0.

Usage: test_jzg.py SOURCE_DIR   (Debian's /usr/bin/python3: numpy)
"""
import csv
import os
import sys

import numpy as np

SOURCE = sys.argv[1]
sys.path.insert(0, os.path.join(SOURCE, "postprocess"))
from twinsim_post import jzg  # noqa: E402

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


with open(os.path.join(SOURCE, "tests", "data", "nist_lj_srs_T0.85.csv")) as f:
    rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
for r in rows:
    rho, u, p = float(r["rho"]), float(r["u_per_n"]), float(r["p"])
    U, P = jzg.energy_per_particle(rho, 0.85), jzg.pressure(rho, 0.85)
    check(abs(U - u) / abs(u) < 0.005, f"T 0.85 rho {rho}: U/N {U:.4f} vs NIST {u} "
          f"({100 * (U - u) / abs(u):+.2f} %)")
    check(abs(P - p) < 0.01, f"T 0.85 rho {rho}: P {P:.4f} vs NIST {p} ({P - p:+.4f})")

h = 1e-5
for rho, T in [(0.1, 2.0), (0.5, 1.3), (0.7, 1.5), (0.9, 1.0), (1.0, 3.0)]:
    beta_a = lambda b: b * jzg.helmholtz_residual(rho, 1 / b)  # noqa: E731
    b = 1 / T
    u_fd = (beta_a(b + h) - beta_a(b - h)) / (2 * h)
    p_fd = rho * T + rho**2 * (jzg.helmholtz_residual(rho + h, T)
                               - jzg.helmholtz_residual(rho - h, T)) / (2 * h)
    U, P = jzg.energy_per_particle(rho, T), jzg.pressure(rho, T)
    check(abs(U - u_fd) < 1e-6 * max(1, abs(U)), f"rho {rho} T {T}: U/N {U:.8f} = d(bA)/db {u_fd:.8f}")
    check(abs(P - p_fd) < 1e-6 * max(1, abs(P)), f"rho {rho} T {T}: P {P:.8f} = rho T + rho^2 dA/drho {p_fd:.8f}")

P = jzg.pressure(1e-6, 2.0)
check(abs(P / (1e-6 * 2.0) - 1) < 1e-4, f"ideal-gas limit: P / (rho T) = {P / 2e-6:.6f}")

if failures:
    sys.exit(f"{len(failures)} check(s) failed")
print("all checks passed")
