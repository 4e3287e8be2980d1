"""What the surrogate CLI tests share: the program under test (argv[1]), a check that records a
failure and goes on, a run of twinsim that must end with the expected exit status, the closing
verdict, the readers the tests compare runs with (summary.json, a model's parameters, the losses
of its history), and the equation-of-state MLP's bounds against held-out MD and JZG."""
import json
import os
import subprocess
import sys

import h5py
import numpy as np

TWINSIM = sys.argv[1]
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def twinsim(*args, expect=0):
    r = subprocess.run([TWINSIM, "-q", *args], capture_output=True, text=True)
    if r.returncode != expect:
        print(r.stdout, r.stderr)
        raise SystemExit(f"twinsim {' '.join(args)}: exit {r.returncode}, expected {expect}")
    return r


def verdict():
    if failures:
        raise SystemExit(f"{len(failures)} check(s) failed: {failures}")
    print("all passed")


def parameters(folder):
    with h5py.File(os.path.join(folder, "model.h5"), "r") as m:
        return {k: m["parameters"][k][()] for k in m["parameters"]}


def same_parameters(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def losses(folder):  # history.csv without the seconds column
    with open(os.path.join(folder, "history.csv")) as f:
        return [row.rsplit(",", 1)[0] for row in f.read().strip().splitlines()]


def summary(folder):
    with open(os.path.join(folder, "summary.json")) as f:
        return json.load(f)


def check_eos_points(points):
    """The LJ equation-of-state MLP (twinsim predict with reference lj_jzg: summary.json's
    "points") against the held-out MD points and against JZG, whether trained offline or in
    situ."""
    for col, key, bound, slack in (
            ("potential_energy_per_atom.mean", "potential_energy_per_atom_mean", 0.02, 0.01),
            ("pressure.mean", "pressure_mean", 0.10, 0.05)):
        e = points[key]
        check(e["mlp_vs_data"]["mean_relative"] < bound,
              f"{col}: MLP vs held-out MD mean relative error "
              f"{e['mlp_vs_data']['mean_relative']:.4f} < {bound}")
        check(e["mlp_vs_reference"]["mean_relative"]
              < 2 * e["data_vs_reference"]["mean_relative"] + slack,
              f"{col}: MLP vs JZG {e['mlp_vs_reference']['mean_relative']:.4f} within 2 x the "
              f"MD's own {e['data_vs_reference']['mean_relative']:.4f} + {slack}")
