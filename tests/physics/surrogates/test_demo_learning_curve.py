"""The surrogate demo as shipped (slow: minutes on 2 CPU cores): spectral data
(cases/surrogate/ns2d_small_data.toml) -> twinsim train (fno_ns2d_small.toml) -> twinsim
predict. Prints the learning curve and checks that the FNO learns the flow: the one-step test
error falls tenfold from the first epoch and below 5%, and the 8-step rollout stays within
twice the error of persistence ("nothing changes"), computed here from the reference data.

Usage: test_demo_learning_curve.py TWINSIM SOURCE_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

TWINSIM, SOURCE = sys.argv[1], sys.argv[2]
CASES = os.path.join(SOURCE, "cases", "surrogate")

with tempfile.TemporaryDirectory() as tmp:
    def twinsim(*args):
        subprocess.run([TWINSIM, "-q", *args], check=True, cwd=tmp)

    twinsim("run", os.path.join(CASES, "ns2d_small_data.toml"))
    twinsim("train", os.path.join(CASES, "fno_ns2d_small.toml"))
    twinsim("predict", os.path.join(CASES, "fno_ns2d_small.toml"))
    with open(os.path.join(tmp, "runs", "fno_ns2d_small", "history.csv")) as f:
        print(f.read())
    history = np.genfromtxt(os.path.join(tmp, "runs", "fno_ns2d_small", "history.csv"),
                            delimiter=",", names=True)
    with open(os.path.join(tmp, "runs", "fno_ns2d_small_predict", "summary.json")) as f:
        p = json.load(f)
    with h5py.File(os.path.join(tmp, "runs", "ns2d_small_data", "ns2d_small_data.h5"), "r") as d:
        w = d["/vorticity/value"][24:32]
    # Persistence: predict frame 2 for every later frame (the input's last frame).
    persistence = np.mean([np.sqrt(np.sum((w[s, 3:] - w[s, 2]) ** 2) / np.sum(w[s, 3:] ** 2))
                           for s in range(8)])
    full = p["rollout"]["relative_l2_full"]
    print(f"rollout relative L2 {full:.4f} (persistence {persistence:.4f}); "
          f"speed-up vs solver {p['timing'].get('speedup_vs_solver', 0):.3g}x")
    failures = []
    if not history["test_loss"][-1] < 0.1 * history["test_loss"][0]:
        failures.append("test loss did not fall tenfold")
    if not history["test_loss"][-1] < 0.05:
        failures.append(f"final one-step test error {history['test_loss'][-1]:.4f} >= 0.05")
    if not full < 0.5 * persistence:
        failures.append(f"rollout error {full:.4f} not below half of persistence's")
    if failures:
        raise SystemExit("; ".join(failures))
