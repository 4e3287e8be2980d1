"""The surrogate chain through the program: spectral data -> twinsim train -> twinsim predict,
and training resumed from a checkpoint equals uninterrupted training (bit for bit).

Usage: test_surrogate_cases.py TWINSIM SOURCE_DIR   (Debian's /usr/bin/python3: h5py, numpy)
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


def summary(folder):
    with open(os.path.join(folder, "summary.json")) as f:
        return json.load(f)


# A small model on small data, so the whole chain runs in seconds.
SMALL = ["--set", "model.width=6", "--set", "model.modes=4", "--set", "model.projection=16",
         "--set", "train.batch=4", "--set", "data.train_samples=4", "--set", "data.test_samples=2",
         "--set", "data.in_frames=2", "--device", "cpu"]

with tempfile.TemporaryDirectory() as tmp:
    data_dir = os.path.join(tmp, "data")
    twinsim("run", os.path.join(CASES, "ns2d_small_data.toml"), "--out", data_dir,
            "--set", "spectral.nx=16", "--set", "spectral.ny=16", "--set", "spectral.samples=6",
            "--set", "spectral.batch=6", "--set", "spectral.t_end=5", "--device", "cpu")
    files = f'data.files=["{os.path.join(data_dir, "ns2d_small_data.h5")}"]'
    case = os.path.join(CASES, "fno_ns2d_small.toml")

    # Train, then predict on the test split.
    full = os.path.join(tmp, "full")
    twinsim("train", case, "--out", full, "--set", files, "--set", "train.epochs=4",
            "--set", "train.checkpoint_every=2", *SMALL)
    s = summary(full)
    check(s["status"] == "ok", "train: status ok")
    check(s["train"]["epochs"] == 4 and s["data"]["train_windows"] == 4 * 4,
          "train: 4 epochs over 4 samples x 4 windows (6 frames, 2 in, 1 out)")
    check(np.isfinite(s["train"]["final_train_loss"]) and s["timing"]["epoch_s"] > 0,
          "train: finite loss and a time per epoch")
    with open(os.path.join(full, "history.csv")) as f:
        rows = f.read().strip().splitlines()
    check(len(rows) == 5 and rows[0].startswith("epoch,"), "train: history.csv has 4 epochs")
    with h5py.File(os.path.join(full, "model.h5"), "r") as m:
        check(m["/model"].attrs["kind"] == "fno2d" and m["/model"].attrs["in_channels"] == 2,
              "model file: architecture")
        check("mean" in m["/normalisation"].attrs and "files" in m["/data"].attrs,
              "model file: normalisation and data provenance")
        check(m["/model"].attrs["parameter_count"] == s["model"]["parameters"],
              "model file: parameter count as trained")

    pred = os.path.join(tmp, "pred")
    twinsim("predict", case, "--out", pred, "--set", files,
            "--set", f"predict.model={os.path.join(full, 'model.h5')}", *SMALL)
    p = summary(pred)
    check(p["status"] == "ok", "predict: status ok")
    check(p["rollout"]["samples"] == 2 and p["rollout"]["steps"] == 4, "predict: 2 samples x 4 steps")
    steps = p["rollout"]["relative_l2_by_step"]
    check(len(steps) == 4 and all(np.isfinite(v) and v > 0 for v in steps.values()),
          "predict: an error per rollout step")
    check(p["timing"]["speedup_vs_solver"] > 0, "predict: speed-up against the solver's timing")
    with h5py.File(os.path.join(pred, "fno_ns2d_small.h5"), "r") as h, \
            h5py.File(os.path.join(data_dir, "ns2d_small_data.h5"), "r") as d:
        v = h["/vorticity/value"][...]
        ref = d["/vorticity/value"][4:6]
        check(v.shape == (2, 6, 16, 16), "predict: dataset [sample][frame][y][x]")
        check(np.array_equal(v[:, :2], ref[:, :2]), "predict: input frames are the reference's")
        # The per-step error in summary.json is the relative L2 of the stored prediction.
        e1 = np.mean([np.linalg.norm(v[s, 2] - ref[s, 2]) / np.linalg.norm(ref[s, 2])
                      for s in range(2)])
        check(abs(e1 - steps["001"]) < 1e-5 * max(e1, 1e-12) + 1e-7,
              "predict: step-1 error recomputed from the files")
    check(os.path.isfile(os.path.join(pred, "fno_ns2d_small.xmf")), "predict: XDMF sidecar")

    # Resume from the checkpoint after epoch 2: the final weights equal the uninterrupted run's.
    resumed = os.path.join(tmp, "resumed")
    twinsim("train", case, "--out", resumed, "--set", files, "--set", "train.epochs=4",
            "--set", f"train.resume_from={os.path.join(full, 'checkpoints', 'latest.h5')}",
            *SMALL)
    with h5py.File(os.path.join(full, "model.h5"), "r") as a, \
            h5py.File(os.path.join(resumed, "model.h5"), "r") as b:
        names = list(a["/parameters"].attrs["names"])
        same = all(np.array_equal(a["/parameters"][n][...], b["/parameters"][n][...])
                   for n in names)
        check(same and len(names) > 0, f"resume: all {len(names)} arrays bit-identical")
        check(b["/training"].attrs["epoch"] == 4, "resume: epoch count continues")

    # A bad case is refused before anything runs.
    r = twinsim("train", case, "--set", "model.widht=3", expect=2)
    check("model.widht" in r.stderr, "bad key: named in the message")

if failures:
    raise SystemExit(f"{len(failures)} check(s) failed")
