"""The MLP equation of state end to end through the program, small: an MD ensemble of
cases/sweep/lj_eos.toml on a 3 x 3 grid (rho 0.6..0.9, T 1.5..2.5) and 3 held-out state points
between them, 256 atoms, 2,000 steps each (Langevin, rc 2.5 + tail corrections) -> twinsim
gather -> twinsim train cases/surrogate/mlp_lj_eos.toml -> twinsim predict (reference lj_jzg).

Checks, with bounds stated for these short runs of 256 atoms (measured deviations from JZG up
to 0.9 % in U and 0.3 in P at P = 11.6, depending on the thread count's trajectory):
- the MD itself against the Johnson-Zollweg-Gubbins equation of state at every state point:
  |dU/N| < 2 %, |dP| < max(0.25, 4 % of P) (the MD is the data; JZG is independent of it);
- the MLP against the held-out MD points: mean relative error < 2 % in U/N and < 10 % in P
  (9 training points interpolating two smooth surfaces);
- the MLP against JZG at the held-out points is comparable with the MD's own deviation from
  JZG there: at most 2x it plus 1 % (U) / 5 % (P);
- predictions.csv: the grid and the test rows, and the model file's per-column normalisation;
- training on a table restarted from a mid-run checkpoint equals uninterrupted training.

Usage: test_mlp_lj_eos.py TWINSIM SOURCE_DIR   (Debian's /usr/bin/python3: h5py, numpy)
"""
import csv
import glob
import os
import re
import sys
import tempfile
import time

import h5py
import numpy as np

from cli_checks import check, check_eos_points, summary, twinsim, verdict

SOURCE = sys.argv[2]


def ensemble(tmp, name, mode, rhos, temps):
    """cases/sweep/lj_eos.toml shortened, with this [sweep]; runs every task, gathers them."""
    with open(os.path.join(SOURCE, "cases", "sweep", "lj_eos.toml")) as f:
        text = f.read()
    text = text[:text.index("[sweep]")]
    text = re.sub(r'name = "lj_eos"', f'name = "{name}"', text)
    text = re.sub(r"cells = \[5, 5, 5\]", "cells = [4, 4, 4]", text)
    text = re.sub(r"steps = 5000", "steps = 2000", text)
    text = re.sub(r"equilibrate = 1000", "equilibrate = 500", text)
    text += f'[sweep]\nmode = "{mode}"\n"md.density" = {rhos}\n"md.temperature" = {temps}\n'
    case = os.path.join(tmp, name + ".toml")
    with open(case, "w") as f:
        f.write(text)
    tasks = os.path.join(tmp, name + "_tasks")
    twinsim("sweep", case, "--out", tasks, "--device", "cpu")
    runs = []
    for task in sorted(glob.glob(os.path.join(tasks, "task_*.toml"))):
        out = os.path.join(tmp, "runs", os.path.basename(task)[:-5] + "_" + name)
        twinsim("run", task, "--out", out)
        runs.append(out)
    gathered = os.path.join(tmp, name + ".h5")
    twinsim("gather", gathered, *runs)
    return gathered, runs


P, U = "pressure.mean", "potential_energy_per_atom.mean"


def read_predictions(folder):
    with open(os.path.join(folder, "predictions.csv"), newline="") as f:
        return list(csv.DictReader(f))


with tempfile.TemporaryDirectory() as tmp:
    t0 = time.time()
    train_h5, train_runs = ensemble(tmp, "eos_train", "grid", [0.6, 0.75, 0.9], [1.5, 2.0, 2.5])
    test_h5, test_runs = ensemble(tmp, "eos_test", "zip", [0.675, 0.825, 0.75], [1.75, 2.25, 2.0])
    print(f"MD: {len(train_runs) + len(test_runs)} runs in {time.time() - t0:.1f} s")

    case = os.path.join(SOURCE, "cases", "surrogate", "mlp_lj_eos.toml")
    args = ["--set", f'data.files=["{train_h5}", "{test_h5}"]', "--set", "data.train_samples=9",
            "--set", "data.test_samples=3", "--set", "train.batch=9", "--set", "train.epochs=1500",
            "--device", "cpu"]
    model_dir = os.path.join(tmp, "train")
    model = f'predict.model="{os.path.join(model_dir, "model.h5")}"'
    t0 = time.time()
    twinsim("train", case, "--out", model_dir, *args)
    test_dir, train_dir = os.path.join(tmp, "predict_test"), os.path.join(tmp, "predict_train")
    twinsim("predict", case, "--out", test_dir, "--set", model, *args)
    twinsim("predict", case, "--out", train_dir, "--set", model, "--set",
            'predict.samples="train"', *args)
    print(f"train + 2 x predict: {time.time() - t0:.1f} s")
    s = summary(test_dir)
    check(s["status"] == "ok" and summary(model_dir)["status"] == "ok", "train, predict: ok")
    with h5py.File(os.path.join(model_dir, "model.h5"), "r") as m:
        check(m["/data"].attrs["kind"] == "table" and len(m["/normalisation"].attrs["column_mean"])
              == 4, "model file: a table model with a normalisation per column (2 in, 2 out)")
        check(abs(m["/normalisation"].attrs["column_mean"][0] - 0.75) < 1e-12,
              "model file: the density column's mean is the training grid's, 0.75")

    # Checkpoints and --restart on a table: cut back to the step-700 checkpoint of a copy and
    # continue; the parameters equal the uninterrupted run's bit for bit.
    cut = os.path.join(tmp, "train_cut")
    twinsim("train", case, "--out", cut, "--set", "checkpoint.every_steps=700", *args)
    for name in os.listdir(os.path.join(cut, "checkpoints")):
        if name != "step_0000000700.h5":
            os.remove(os.path.join(cut, "checkpoints", name))
    twinsim("train", case, "--out", cut, "--set", "checkpoint.every_steps=700", "--restart",
            os.path.join(cut, "checkpoints", "step_0000000700.h5"), *args)
    with h5py.File(os.path.join(model_dir, "model.h5"), "r") as a, \
            h5py.File(os.path.join(cut, "model.h5"), "r") as b:
        names = list(a["/parameters"].attrs["names"])
        check(len(names) == 6 and all(np.array_equal(a["/parameters/" + n][()],
                                                     b["/parameters/" + n][()]) for n in names),
              "restart from step 700 of 1500: all 6 parameter arrays bit-identical")

    test = [r for r in read_predictions(test_dir) if r["set"] == "test"]
    grid = [r for r in read_predictions(test_dir) if r["set"] == "grid"]
    train = [r for r in read_predictions(train_dir) if r["set"] == "train"]
    check(len(test) == 3 and len(grid) == 81 and len(train) == 9,
          "predictions.csv: 3 test rows, the 9 x 9 grid; 9 training rows")

    # The MD (data) against JZG at every state point.
    for r in train + test:
        du = float(r[U + ":data"]) / float(r[U + ":reference"]) - 1
        dp = float(r[P + ":data"]) - float(r[P + ":reference"])
        p_jzg = float(r[P + ":reference"])
        check(abs(du) < 0.02 and abs(dp) < max(0.25, 0.04 * p_jzg),
              f"MD vs JZG at rho {r['md.density']}, T {r['md.temperature']}: "
              f"U/N {100 * du:+.2f} %, P {dp:+.3f}")

    # The MLP against the held-out MD points and against JZG.
    pts = s["points"]
    check_eos_points(pts)
    # The errors in summary.json recomputed from predictions.csv.
    mean_rel = np.mean([abs(float(r[U + ":mlp"]) / float(r[U + ":data"]) - 1) for r in test])
    check(abs(mean_rel - pts["potential_energy_per_atom_mean"]["mlp_vs_data"]["mean_relative"])
          < 1e-9, "summary.json's MLP vs data error equals the one recomputed from the csv")

verdict()
