"""The lattice Boltzmann ensemble feeding a surrogate in situ (solvers/lbm/Ensemble.hpp,
surrogates/InSitu.hpp), through the program, on a small version of
cases/surrogate/lbm_cavity_insitu.toml (16 x 16 cells, 4 members of 6 frames, a tiny FNO):

- Each member is the plain lattice Boltzmann run of the case at its Reynolds number: its last
  frame equals the vorticity field a `run.solver = "lbm"` run with that viscosity writes (to
  the float32 the field is stored in).
- Equivalence: with steps_per_sample = 0 the model equals `twinsim train` on the run's file,
  bit for bit, and so do the history's losses.
- Restart: training during the run, restarted from a checkpoint inside a member and from one
  after the solver ended, gives the uninterrupted run's model, history and dataset bit for bit.
- samples.share = 0.5: training takes steps while the solver runs, near half its wall time.
- `twinsim gather` of two of these runs names the one with the smaller test loss as the best
  model, in its printed line and in /members.
- Refusals at check time (exit 2): output_every that does not divide steps, a Reynolds number
  the grid cannot resolve (named by its key), a 3D lattice.

Usage: test_lbm_in_situ.py TWINSIM SOURCE_DIR   (Debian's /usr/bin/python3: h5py, numpy)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

from cli_checks import check, losses, parameters, same_parameters, twinsim, verdict

SOURCE = sys.argv[2]
CASE = os.path.join(SOURCE, "cases", "surrogate", "lbm_cavity_insitu.toml")
OFFLINE = os.path.join(SOURCE, "cases", "surrogate", "fno_lbm_cavity.toml")


# 4 members (Re 40, 70, 100, 55; the last held out) of 200 steps, a frame every 40: 6 frames.
REYNOLDS = [40, 70, 100, 55]
SOLVER = ["--set", "lbm.domain.cells=[16, 16]", "--set", "lbm.steps=200",
          "--set", "lbm.output_every=40", "--set", f"lbm.ensemble.reynolds={REYNOLDS}",
          "--device", "cpu"]
MODEL = ["--set", "model.width=6", "--set", "model.modes=4", "--set", "model.projection=16",
         "--set", "train.batch=4", "--set", "train.epochs=4"]
INSITU = [CASE, *SOLVER, *MODEL, "--set", "samples.test=[3]", "--set", "samples.in_frames=2"]

with tempfile.TemporaryDirectory() as tmp:
    # Equivalence: every member first, then 4 epochs over 3 x 4 windows.
    insitu = os.path.join(tmp, "insitu")
    twinsim("run", *INSITU, "--set", "samples.steps_per_sample=0", "--set", "run.name=eq",
            "--out", insitu)
    with open(os.path.join(insitu, "summary.json")) as f:
        s = json.load(f)
    check(s["status"] == "ok" and s["ensemble"]["members"] == 4 and s["steps"] == 800
          and s["timing"]["sample_steps_per_s"] > 0,
          "lbm_ensemble: 4 members of 200 steps, the solver's rate in summary.json")
    data = os.path.join(insitu, "eq.h5")
    offline = os.path.join(tmp, "offline")
    twinsim("train", OFFLINE, *MODEL, "--set", f'data.files=["{data}"]',
            "--set", "data.train_samples=3", "--set", "data.test_samples=1",
            "--set", "data.in_frames=2", "--set", "predict.model=", "--device", "cpu",
            "--out", offline)
    check(same_parameters(parameters(insitu), parameters(offline)),
          "in situ (steps_per_sample 0) = twinsim train on the run's file: model bit for bit")
    check(losses(insitu) == losses(offline) and len(losses(insitu)) == 5,
          "in situ = twinsim train: history.csv's 4 epochs (train and test loss) equal")

    # Member 1 (Re 70) is the lbm solver's cavity at viscosity U L / Re = 1/70 m^2/s.
    with h5py.File(data, "r") as f:
        w = f["vorticity/value"][()]
        check(w.shape == (4, 6, 16, 16) and list(f["reynolds"][()]) == REYNOLDS,
              f"/vorticity/value [member][frame][y][x] = {w.shape}, /reynolds")
    plain_case = os.path.join(tmp, "plain.toml")
    with open(CASE) as f:
        text = f.read()
    with open(plain_case, "w") as f:  # the lbm sections alone
        f.write(text[:text.index("[lbm.ensemble]")].replace('"lbm_ensemble"', '"lbm"'))
    plain = os.path.join(tmp, "plain")
    twinsim("run", plain_case, *SOLVER[:6], "--set", f"lbm.domain.viscosity={1 / 70!r}",
            "--device", "cpu", "--out", plain)
    with h5py.File(os.path.join(plain, "lbm_cavity_insitu.h5"), "r") as f:
        last = f["fields/vorticity/value"][-1].astype(float)
        steps = f["fields/vorticity/step"][()]
    error = np.abs(w[1, -1] - last).max() / np.abs(last).max()
    check(steps[-1] == 200 and error < 1e-6,
          f"member Re 70 = the lbm run at viscosity 1/70 m^2/s: last frame max rel. diff. "
          f"{error:.2e} (float32 storage)")

    # Training during the run: 3 optimizer steps per training member, a checkpoint every 67
    # steps (solver steps, then optimizer steps after step 800).
    RUN = [*INSITU, "--set", "samples.steps_per_sample=3", "--set", "train.epochs=10",
           "--set", "checkpoint.every_steps=67", "--set", "checkpoint.keep=1000"]
    full = os.path.join(tmp, "full")
    twinsim("run", *RUN, "--out", full)
    with open(os.path.join(full, "summary.json")) as f:
        s = json.load(f)
    check(s["status"] == "ok" and s["in_situ"]["trajectories_trained_on"] == 3
          and s["train"]["epochs_done"] == 10,
          "training during the run: 3 training members, 10 epochs")
    steps = sorted(int(n[5:15]) for n in os.listdir(os.path.join(full, "checkpoints")))
    for at in (335, [k for k in steps if k > 800][0]):
        again = os.path.join(tmp, f"again_{at}")
        shutil.copytree(full, again)
        twinsim("run", *RUN, "--out", again, "--restart",
                os.path.join(again, "checkpoints", f"step_{at:010d}.h5"))
        check(same_parameters(parameters(full), parameters(again)) and
              losses(full) == losses(again),
              f"restart from step {at} ({'inside member 2' if at < 800 else 'after the solver'})"
              f": model and history bit for bit")
        with h5py.File(os.path.join(full, "lbm_cavity_insitu.h5"), "r") as a, \
                h5py.File(os.path.join(again, "lbm_cavity_insitu.h5"), "r") as b:
            check(np.array_equal(a["vorticity/value"][()], b["vorticity/value"][()]) and
                  np.array_equal(a["fields/vorticity_first_member/value"][()],
                                 b["fields/vorticity_first_member/value"][()]),
                  f"restart from step {at}: the trajectories bit for bit")

    # samples.share = 0.5: after each advance of the solver, optimizer steps until training
    # has had half the wall time (or is done).
    share = os.path.join(tmp, "share")
    twinsim("run", *INSITU, "--set", "samples.steps_per_sample=0", "--set", "samples.share=0.5",
            "--set", "train.epochs=40", "--out", share)
    with open(os.path.join(share, "summary.json")) as f:
        s = json.load(f)["in_situ"]
    during = s["train_s_while_solving"] / (s["solver_s"] + s["train_s_while_solving"])
    # With steps_per_sample = 0 every step while solving is the share's doing. The run's fraction
    # is only near 0.5, not at or above it: no step can be taken until the first training member
    # is complete, and the trainer may wait for the next member (it measured 0.46 under ASan).
    check(s["optimizer_steps_while_solving"] > 0 and
          (during >= 0.3 or s["optimizer_steps_while_solving"] == 120),
          f"samples.share 0.5: {s['optimizer_steps_while_solving']} optimizer steps while the "
          f"solver ran, {during:.2f} of that wall time (or all 120 steps)")

    # twinsim gather names the best model of the two (the smaller train.final_test_loss).
    gathered = os.path.join(tmp, "gathered.h5")
    r = subprocess.run([sys.argv[1], "gather", gathered, insitu, full], capture_output=True,
                       text=True)
    best = min((insitu, "eq"), (full, "lbm_cavity_insitu"),
               key=lambda run: json.load(open(os.path.join(run[0], "summary.json")))
               ["train"]["final_test_loss"])
    with h5py.File(gathered, "r") as f:
        table = f["members"].attrs["best"]
    check(r.returncode == 0 and f"best model: {best[1]} (test error" in r.stderr + r.stdout
          and os.path.join(best[0], "model.h5") in r.stderr + r.stdout and table == best[1],
          f"gather names the best model, {best[1]}, in its line and its table")

    # Refusals at check time.
    for args, key in (
        (["--set", "lbm.output_every=30"], "lbm.output_every"),
        (["--set", "lbm.ensemble.reynolds=[40, 400]"], "lbm.ensemble.reynolds = 400"),
        (["--set", "lbm.lattice=d3q19"], "lbm.lattice"),
    ):
        r = twinsim("check", *INSITU, *args, expect=2)
        check(key in r.stderr, f"check refuses {' '.join(args[1::2])}: {r.stderr.strip()}")

verdict()
