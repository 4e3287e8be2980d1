"""In-situ training through the program (surrogates/InSitu.hpp): a spectral run with a [train]
section trains an FNO on the trajectories it completes.

- Equivalence: with steps_per_sample = 0 and a buffer that holds every training trajectory,
  the model equals `twinsim train` on the run's own file (same samples, same order), bit for
  bit, and so do the history's losses.
- Restart: training during the solver run (steps after every trajectory, a buffer smaller than
  the training set) restarted from a checkpoint mid-solver and from one after the solver ended
  gives the uninterrupted run's model, history and dataset bit for bit.
- Refusals at check time (exit 2): a test index outside the run, FNO modes beyond the grid,
  in_frames + out_frames (or rollout_steps x out_frames) beyond a trajectory, [model] without
  [train].
- samples.write = false: nothing in the solver's file, the same model; rollout_steps = 2 runs
  in situ.
- Where the loop's chunks end changes nothing: without checkpoints (chunks over several
  batches) the model and history equal those of chunks that end at every batch.

Usage: test_in_situ.py TWINSIM SOURCE_DIR   (Debian's /usr/bin/python3: h5py, numpy)
"""
import json
import os
import shutil
import sys
import tempfile

import h5py
import numpy as np

from cli_checks import check, losses, parameters, same_parameters, twinsim, verdict

SOURCE = sys.argv[2]
CASES = os.path.join(SOURCE, "cases", "surrogate")


# 6 trajectories of 16^2 to t = 5 (6 frames), dt 0.05: 100 steps per batch; 2 held out.
SOLVER = ["--set", "spectral.nx=16", "--set", "spectral.ny=16", "--set", "spectral.samples=6",
          "--set", "spectral.t_end=5", "--set", "spectral.dt=0.05", "--device", "cpu"]
MODEL = ["--set", "model.width=6", "--set", "model.modes=4", "--set", "model.projection=16",
         "--set", "train.batch=4", "--set", "train.epochs=5"]
INSITU = [os.path.join(CASES, "ns2d_insitu.toml"), *SOLVER, *MODEL,
          "--set", "samples.test=[4, 5]", "--set", "samples.in_frames=2"]

with tempfile.TemporaryDirectory() as tmp:
    # Equivalence: all trajectories first (one batch of 6), then 5 epochs over 4 x 4 windows.
    insitu = os.path.join(tmp, "insitu")
    twinsim("run", *INSITU, "--set", "spectral.batch=6", "--set", "samples.steps_per_sample=0",
            "--out", insitu)
    files = f'data.files=["{os.path.join(insitu, "ns2d_insitu.h5")}"]'
    offline = os.path.join(tmp, "offline")
    twinsim("train", os.path.join(CASES, "fno_ns2d_small.toml"), *MODEL, "--set", files,
            "--set", "data.train_samples=4", "--set", "data.test_samples=2",
            "--set", "data.in_frames=2", "--device", "cpu", "--out", offline)
    check(same_parameters(parameters(insitu), parameters(offline)),
          "in situ (steps_per_sample 0) = twinsim train on the run's file: model bit for bit")
    check(losses(insitu) == losses(offline) and len(losses(insitu)) == 6,
          "in situ = twinsim train: history.csv's 5 epochs (train and test loss) equal")
    with h5py.File(os.path.join(insitu, "model.h5"), "r") as m:
        check(m["data"].attrs["train_samples"] == 4 and m["data"].attrs["test_samples"] == 2,
              "model.h5: 4 training and 2 test trajectories")

    # samples.write = false: the trajectories reach the training only; the model is the same.
    nofile = os.path.join(tmp, "nofile")
    twinsim("run", *INSITU, "--set", "spectral.batch=6", "--set", "samples.steps_per_sample=0",
            "--set", "samples.write=false", "--out", nofile)
    with h5py.File(os.path.join(nofile, "ns2d_insitu.h5"), "r") as f:
        check(f["vorticity/value"].shape[0] == 0,
              "samples.write = false: no trajectory in the solver's file")
    check(same_parameters(parameters(insitu), parameters(nofile)),
          "samples.write = false: the same model bit for bit")

    # Rollout training in situ (2 steps per window): trains, and differs from one-step.
    rollout = os.path.join(tmp, "rollout")
    twinsim("run", *INSITU, "--set", "spectral.batch=6", "--set", "train.rollout_steps=2",
            "--out", rollout)
    with open(os.path.join(rollout, "summary.json")) as f:
        s2 = json.load(f)
    check(s2["status"] == "ok" and s2["data"]["train_windows"] == 4 * 3
          and not same_parameters(parameters(insitu), parameters(rollout)),
          "rollout_steps 2: 4 x 3 windows of 2 + 2 frames, another model")

    # Training during the run: batches of 2 (3 outputs), 2 optimizer steps per trajectory, a
    # buffer of 3 training trajectories (the 4th replaces the 1st): epochs 1-2 over 8 windows
    # (2 steps each), epoch 3 and a step of epoch 4 over 12 when the solver ends at step 300,
    # then 20 more steps to epoch 10. A checkpoint every 7 steps (solver steps, then optimizer
    # steps).
    RUN = [*INSITU, "--set", "spectral.batch=2", "--set", "samples.steps_per_sample=2",
           "--set", "train.epochs=10",
           "--set", "samples.capacity=3", "--set", "checkpoint.every_steps=7",
           "--set", "checkpoint.keep=1000"]
    full = os.path.join(tmp, "full")
    twinsim("run", *RUN, "--out", full)
    with open(os.path.join(full, "summary.json")) as f:
        s = json.load(f)
    check(s["status"] == "ok" and s["in_situ"]["trajectories_trained_on"] == 4
          and s["train"]["epochs_done"] == 10 and s["train"]["steps"] == 2 * 2 + 3 * 8,
          "training during the run: 4 training trajectories through a buffer of 3, 10 epochs "
          "in 28 optimizer steps")
    steps = sorted(int(n[5:15]) for n in os.listdir(os.path.join(full, "checkpoints"))
                   if n.endswith(".h5"))
    for at in (steps[steps.index(154)], [k for k in steps if k > 300][1]):
        again = os.path.join(tmp, f"again_{at}")
        shutil.copytree(full, again)
        twinsim("run", *RUN, "--out", again, "--restart",
                os.path.join(again, "checkpoints", f"step_{at:010d}.h5"))
        check(same_parameters(parameters(full), parameters(again)) and
              losses(full) == losses(again),
              f"restart from step {at} ({'solver running' if at < 300 else 'after the solver'}):"
              f" model and history bit for bit")
        with h5py.File(os.path.join(full, "ns2d_insitu.h5"), "r") as a, \
                h5py.File(os.path.join(again, "ns2d_insitu.h5"), "r") as b:
            check(np.array_equal(a["vorticity/value"][()], b["vorticity/value"][()]),
                  f"restart from step {at}: the solver's dataset bit for bit")

    # Where the loop's chunks end changes nothing: batches of one trajectory (100 steps each),
    # run with a checkpoint every 100 steps (every batch's end is a chunk's end) and without
    # checkpoints, where the chunks double from 1 step (steps 256-511 are one chunk with three
    # batch ends): the trainer takes each trajectory's steps right after it, so model and
    # history are the same. (Before an advance of the generator ended at a batch's end, the
    # steps owed for batches 3 and 4 were taken together after batch 4, in an epoch over both.)
    CHUNKS = [*INSITU, "--set", "spectral.batch=1", "--set", "samples.steps_per_sample=2",
              "--set", "train.epochs=10"]
    short, long = os.path.join(tmp, "short_chunks"), os.path.join(tmp, "long_chunks")
    twinsim("run", *CHUNKS, "--set", "checkpoint.every_steps=100", "--out", short)
    twinsim("run", *CHUNKS, "--out", long)
    check(same_parameters(parameters(short), parameters(long)) and losses(short) == losses(long),
          "batches of one: without checkpoints (chunks over several batches) the model and "
          "history of chunks that end at every batch")

    # Refusals at check time.
    for args, what in (
        (["--set", "samples.test=[6]"], "a test index outside the run's 6"),
        (["--set", "model.modes=9"], "modes 9 on a 16^2 grid"),
        (["--set", "samples.in_frames=6"], "6 + 1 frames of 6"),
        (["--set", "train.rollout_steps=5"], "2 + 5 x 1 frames of 6"),
    ):
        r = twinsim("check", *INSITU, *args, expect=2)
        check("samples" in r.stderr or "model.modes" in r.stderr,
              f"check refuses {what}: {r.stderr.strip()}")
    plain = os.path.join(tmp, "plain.toml")
    with open(os.path.join(CASES, "ns2d_insitu.toml")) as f:
        text = f.read()
    with open(plain, "w") as f:
        f.write(text[:text.index("[train]")])
    r = twinsim("check", plain, expect=2)
    check("[train]" in r.stderr, f"check refuses [samples]/[model] without [train]: "
          f"{r.stderr.strip()}")

verdict()
