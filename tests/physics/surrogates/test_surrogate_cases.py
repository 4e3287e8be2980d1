"""The surrogate chain through the program: spectral data -> twinsim train -> twinsim predict,
and training stopped mid-epoch (SIGTERM, SIGKILL, or cut back to an earlier checkpoint) and
continued with --restart equals uninterrupted training bit for bit: model.h5, history.csv
(but for the seconds column) and the final losses.

Usage: test_surrogate_cases.py TWINSIM SOURCE_DIR   (Debian's /usr/bin/python3: h5py, numpy)
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

from cli_checks import TWINSIM, check, twinsim, verdict

SOURCE = sys.argv[2]
CASES = os.path.join(SOURCE, "cases", "surrogate")


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

    # Train, then predict on the test split. 4 x 4 = 16 windows in batches of 4: 4 optimizer
    # steps per epoch; a checkpoint every 3 steps falls mid-epoch.
    EPOCHS = 12
    TRAIN = [case, "--set", files, "--set", f"train.epochs={EPOCHS}",
             "--set", "checkpoint.every_steps=3", "--set", "checkpoint.keep=100", *SMALL]
    full = os.path.join(tmp, "full")
    twinsim("train", *TRAIN, "--out", full)
    s = summary(full)
    check(s["status"] == "ok", "train: status ok")
    check(s["train"]["epochs"] == EPOCHS and s["data"]["train_windows"] == 4 * 4,
          f"train: {EPOCHS} epochs over 4 samples x 4 windows (6 frames, 2 in, 1 out)")
    check(s["train"]["steps"] == 4 * EPOCHS, "train: 4 optimizer steps per epoch")
    check(np.isfinite(s["train"]["final_train_loss"]) and s["timing"]["epoch_s"] > 0,
          "train: finite loss and a time per epoch")
    with open(os.path.join(full, "history.csv")) as f:
        rows = f.read().strip().splitlines()
    check(len(rows) == EPOCHS + 1 and rows[0].startswith("step,time [epoch],epoch,"),
          f"train: history.csv has {EPOCHS} epochs")
    steps_saved = sorted(n for n in os.listdir(os.path.join(full, "checkpoints"))
                         if n.endswith(".h5"))
    # The run loop checkpoints the last step too when every_steps divides it, as for the
    # solvers: --restart latest of a finished run changes nothing (checked below).
    check(steps_saved == [f"step_{k:010d}.h5" for k in range(3, 4 * EPOCHS + 1, 3)],
          "train: a checkpoint every 3 steps, the last step's included")
    with h5py.File(os.path.join(full, "model.h5"), "r") as m:
        check(m["/model"].attrs["kind"] == "fno2d" and m["/model"].attrs["in_channels"] == 2,
              "model file: architecture")
        check("mean" in m["/normalisation"].attrs and "files" in m["/data"].attrs,
              "model file: normalisation and data provenance")
        check(m["/model"].attrs["parameter_count"] == s["model"]["parameters"],
              "model file: parameter count as trained")
        check(m["/training"].attrs["status"] == "complete" and
              m["/training"].attrs["epoch"] == EPOCHS, "model file: complete after all epochs")

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

    def same_training(folder, what, reference=full):
        """model.h5 parameters bit for bit, history.csv but for seconds, final losses."""
        with h5py.File(os.path.join(reference, "model.h5"), "r") as a, \
                h5py.File(os.path.join(folder, "model.h5"), "r") as b:
            names = list(a["/parameters"].attrs["names"])
            same = all(np.array_equal(a["/parameters"][n][...], b["/parameters"][n][...])
                       for n in names) and list(b["/parameters"].attrs["names"]) == names
            check(same and len(names) > 0, f"{what}: all {len(names)} parameter arrays bit-identical")
            check(b["/training"].attrs["status"] == "complete" and
                  b["/training"].attrs["epoch"] == EPOCHS and
                  b["/training"].attrs["optimizer_steps"] == 4 * EPOCHS,
                  f"{what}: model file complete after {EPOCHS} epochs, {4 * EPOCHS} steps")

        def rows(f):
            with open(os.path.join(f, "history.csv")) as h:
                return [r.rsplit(",", 1)[0] for r in h.read().splitlines()]
        check(rows(folder) == rows(reference), f"{what}: history.csv equal but for seconds")
        a, b = summary(reference)["train"], summary(folder)["train"]
        check(a["final_train_loss"] == b["final_train_loss"] and
              a["final_test_loss"] == b["final_test_loss"], f"{what}: final losses equal")
        check(summary(folder)["status"] == "ok", f"{what}: status ok")

    # Back to the checkpoint after step 6 (epoch 2, batch 2) of a finished run's copy: the rows
    # and model written after it are replaced, none duplicated.
    again = os.path.join(tmp, "again")
    shutil.copytree(full, again)
    twinsim("train", *TRAIN, "--out", again, "--restart",
            os.path.join(again, "checkpoints", "step_0000000006.h5"))
    same_training(again, "restart mid-epoch from step 6")
    check(summary(again)["train"]["first_step"] == 6, "restart: continued at step 6")
    full64, again64 = os.path.join(tmp, "full64"), os.path.join(tmp, "again64")
    twinsim("train", *TRAIN, "--set", "train.precision=float64", "--out", full64)
    shutil.copytree(full64, again64)
    twinsim("train", *TRAIN, "--set", "train.precision=float64", "--out", again64, "--restart",
            os.path.join(again64, "checkpoints", "step_0000000006.h5"))
    same_training(again64, "float64: restart mid-epoch from step 6", full64)

    # A finished run restarted from its last checkpoint (step 48) trains nothing more and
    # writes the same model.h5 and history.csv.
    done = os.path.join(tmp, "done")
    shutil.copytree(full, done)
    twinsim("train", *TRAIN, "--out", done, "--restart", "latest")
    same_training(done, "restart of a finished run from its last checkpoint")
    check(summary(done)["train"]["first_step"] == 4 * EPOCHS, "finished run: nothing trained")

    # SIGTERM once the checkpoint of step 6 exists: a checkpoint where the run loop's chunk of
    # batches ends (an epoch's end or a checkpoint step: step 8 or 9), model.h5 and summary say
    # interrupted, exit 3; --restart latest finishes it. SIGKILL after step 3: no word from the run; --restart latest continues from the newest
    # checkpoint on disk.
    def stopped_run(name, sig, after_step):
        folder = os.path.join(tmp, name)
        p = subprocess.Popen([TWINSIM, "-q", "train", *TRAIN, "--out", folder],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = os.path.join(folder, "checkpoints", f"step_{after_step:010d}.h5")
        while not os.path.exists(first) and p.poll() is None:
            time.sleep(0.002)
        p.send_signal(sig)
        out, err = p.communicate()
        return folder, p.returncode, out + err

    stopped, rc, output = stopped_run("sigterm", signal.SIGTERM, 6)
    check(rc == 3, f"SIGTERM: exit status 3 (got {rc}; a run that ended first exits 0)")
    if rc == 3:
        st = summary(stopped)
        latest = sorted(n for n in os.listdir(os.path.join(stopped, "checkpoints"))
                        if n.endswith(".h5"))[-1]
        check(st["status"] == "interrupted" and st["train"]["steps"] < 4 * EPOCHS and
              latest == f"step_{st['train']['steps']:010d}.h5",
              f"SIGTERM: interrupted after step {st['train']['steps']}, its checkpoint written")
        with h5py.File(os.path.join(stopped, "model.h5"), "r") as m:
            check(m["/training"].attrs["status"] == "interrupted", "SIGTERM: model.h5 interrupted")
        twinsim("train", *TRAIN, "--out", stopped, "--restart", "latest")
        same_training(stopped, f"SIGTERM at step {st['train']['steps']} + restart")

    killed, rc, _ = stopped_run("sigkill", signal.SIGKILL, 3)
    check(rc == -signal.SIGKILL, f"SIGKILL: killed (got {rc})")
    twinsim("train", *TRAIN, "--out", killed, "--restart", "latest")
    same_training(killed, f"SIGKILL at step {summary(killed)['restart']['step']} + restart")

    # Fine-tuning: train.init_from starts from a model file's parameters, with a fresh
    # optimizer and epoch count; its first epoch is far better than one from random weights.
    tuned = os.path.join(tmp, "tuned")
    twinsim("train", case, "--set", files, "--set", "train.epochs=1", *SMALL, "--out", tuned,
            "--set", f"train.init_from={os.path.join(full, 'model.h5')}")
    first = lambda f: np.genfromtxt(os.path.join(f, "history.csv"), delimiter=",",
                                    names=True)["train_loss"].flat[0]
    print(f"     first-epoch train loss: from scratch {first(full):.4f}, "
          f"fine-tuned {first(tuned):.4f}; after {EPOCHS} epochs "
          f"{summary(full)['train']['final_train_loss']:.4f}")
    check(first(tuned) < 0.75 * first(full), "init_from: starts from the trained weights")
    r = twinsim("train", case, "--set", files, "--set", "model.width=7", *SMALL[2:],
                "--out", os.path.join(tmp, "wide"),
                "--set", f"train.init_from={os.path.join(full, 'model.h5')}", expect=1)
    check("another architecture" in r.stderr, "init_from: another architecture refused")

    # A restart continues the same case only.
    r = twinsim("train", *TRAIN, "--out", killed, "--set", "train.epochs=13", "--restart",
                "latest", expect=2)
    check("another case" in r.stderr, "restart with another case: refused")

    # A bad case is refused before anything runs.
    r = twinsim("train", case, "--set", "model.widht=3", expect=2)
    check("model.widht" in r.stderr, "bad key: named in the message")

verdict()
