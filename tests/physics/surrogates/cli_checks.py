"""What the surrogate CLI tests share: the program under test (argv[1]), a check that records a
failure and goes on, a run of twinsim that must end with the expected exit status, the closing
verdict, and the readers the in-situ tests compare runs with (a model's parameters, the losses
of its history)."""
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
