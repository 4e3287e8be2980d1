"""Molecular dynamics feeding the equation-of-state MLP in situ (solvers/md/Ensemble.hpp,
surrogates/InSitu.hpp), through the program, on a small version of
cases/surrogate/mlp_lj_eos_insitu.toml (108 atoms, rc 2.0, 300 steps per state point, 6 state
points of which the last 2 are held out, an MLP 2-8-8-2):

- Each member is the plain md run of the case at its state point: its pressure.mean and
  potential_energy_per_atom.mean equal, bit for bit, those of a `run.solver = "md"` run with
  md.density and md.temperature set to the member's.
- The run's file is a table in `twinsim gather`'s layout (/members: names, swept keys md.density
  and md.temperature, a summary per member).
- Equivalence: with steps_per_sample = 0 the model equals `twinsim train` (data.kind = "table")
  on the run's file, bit for bit, and so do the history's losses.
- Restart: training during the run, restarted from a checkpoint inside a member and from one
  after the solver ended, gives the uninterrupted run's model, history and table bit for bit.
- `twinsim predict` with cases/surrogate/mlp_lj_eos.toml and predict.reference = "lj_jzg" reads
  the in-situ model and the run's file (the Johnson-Zollweg-Gubbins check of the offline MLP).
  These runs are too short for physics bounds: the shipped case's figures are in
  cases/surrogate/README.md, and `test_md_in_situ.py TWINSIM SOURCE --full` (label slow) runs
  the shipped case and checks it against JZG with the bounds of test_mlp_lj_eos.py.
- Refusals at check time (exit 2): lists of different lengths, an FNO on table rows, a
  rollout on table rows, an NVE ensemble, a test index outside the run.

Usage: test_md_in_situ.py TWINSIM SOURCE_DIR [--full]   (Debian's /usr/bin/python3: h5py, numpy)
"""
import csv
import json
import os
import shutil
import sys
import tempfile

import h5py
import numpy as np

from cli_checks import (check, check_eos_points, losses, parameters, same_parameters, summary,
                        twinsim, verdict)

SOURCE = sys.argv[2]
CASE = os.path.join(SOURCE, "cases", "surrogate", "mlp_lj_eos_insitu.toml")
OFFLINE = os.path.join(SOURCE, "cases", "surrogate", "mlp_lj_eos.toml")
P, U = "pressure.mean", "potential_energy_per_atom.mean"


def table(path):  # /members: names, the two swept columns, each member's summary
    with h5py.File(path, "r") as f:
        m = f["members"]
        names = list(m.attrs["names"])
        return (names, list(m.attrs["swept_keys"]), m.attrs["md.density"][()],
                m.attrs["md.temperature"][()],
                [json.loads(m[n].attrs["summary"]) for n in names])


def full_case(tmp):
    """The shipped case end to end against JZG (minutes: label slow)."""
    run = os.path.join(tmp, "full")
    twinsim("run", CASE, "--device", "cpu", "--out", run)
    out = os.path.join(tmp, "predict")
    twinsim("predict", OFFLINE, "--set",
            f'data.files=["{os.path.join(run, "mlp_lj_eos_insitu.h5")}"]',
            "--set", f'predict.model="{os.path.join(run, "model.h5")}"', "--device", "cpu",
            "--out", out)
    pts = summary(out)["points"]
    # The bounds of test_mlp_lj_eos.py (the offline MLP on the same 25 + 8 state points).
    check_eos_points(pts)


DENSITY = [0.6, 0.6, 0.9, 0.9, 0.75, 0.75]
TEMPERATURE = [1.5, 2.5, 1.5, 2.5, 2.0, 1.75]
SOLVER = ["--set", "md.cells=[3, 3, 3]", "--set", "md.cutoff=2.0", "--set", "md.steps=300",
          "--set", "md.equilibrate=100", "--set", f"md.ensemble.density={DENSITY}",
          "--set", f"md.ensemble.temperature={TEMPERATURE}", "--device", "cpu"]
MODEL = ["--set", "train.batch=2", "--set", "train.epochs=30"]
INSITU = [CASE, *SOLVER, *MODEL, "--set", "samples.test=[4, 5]"]

with tempfile.TemporaryDirectory() as tmp:
    if "--full" in sys.argv:
        full_case(tmp)
        verdict()
        sys.exit()

    # Equivalence: every member first, then 30 epochs over 4 rows.
    insitu = os.path.join(tmp, "insitu")
    twinsim("run", *INSITU, "--set", "samples.steps_per_sample=0", "--set", "run.name=eq",
            "--out", insitu)
    s = summary(insitu)
    check(s["status"] == "ok" and s["ensemble"]["members"] == 6 and s["steps"] == 1800
          and s["atoms"] == 108 and s["train"]["epochs_done"] == 30,
          "md_ensemble: 6 members of 300 steps, 108 atoms; 30 epochs")
    data = os.path.join(insitu, "eq.h5")
    names, swept, rho, temp, summaries = table(data)
    check(names == [f"point_{i:03d}" for i in range(6)]
          and swept == ["md.density", "md.temperature"] and list(rho) == DENSITY
          and list(temp) == TEMPERATURE and all(x["samples"] == 20 for x in summaries),
          "the run's file: /members as twinsim gather writes it (names, swept keys, a summary "
          "of 20 sampled rows per member)")
    offline = os.path.join(tmp, "offline")
    twinsim("train", OFFLINE, *MODEL, "--set", f'data.files=["{data}"]',
            "--set", "data.train_samples=4", "--set", "data.test_samples=2",
            "--device", "cpu", "--out", offline)
    check(same_parameters(parameters(insitu), parameters(offline)),
          "in situ (steps_per_sample 0) = twinsim train on the run's file: model bit for bit")
    check(losses(insitu) == losses(offline) and len(losses(insitu)) == 31,
          "in situ = twinsim train: history.csv's 30 epochs (train and test loss) equal")
    with h5py.File(os.path.join(insitu, "model.h5"), "r") as m:
        check(m["data"].attrs["kind"] == "table"
              and list(m["data"].attrs["outputs"]) == [P, U]
              and np.array_equal(m["normalisation"].attrs["column_mean"][:2],
                                 [np.mean(DENSITY[:4]), np.mean(TEMPERATURE[:4])]),
              "model.h5: a table model, outputs pressure and U/N, the training rows' column "
              "means")

    # Member 3 (rho 0.9, T 2.5) is the md solver's run at that state point.
    plain_case = os.path.join(tmp, "plain.toml")
    with open(CASE) as f:
        text = f.read()
    with open(plain_case, "w") as f:  # the md sections alone
        f.write(text[:text.index("[md.ensemble]")].replace('"md_ensemble"', '"md"'))
    plain = os.path.join(tmp, "plain")
    twinsim("run", plain_case, *SOLVER[:8], "--set", "md.density=0.9", "--set",
            "md.temperature=2.5", "--device", "cpu", "--out", plain)
    sp = summary(plain)
    check(sp["pressure"]["mean"] == summaries[3]["pressure"]["mean"]
          and sp["potential_energy_per_atom"]["mean"]
          == summaries[3]["potential_energy_per_atom"]["mean"],
          f"member 3 = the md run at rho 0.9, T 2.5: P {sp['pressure']['mean']:.6g}, U/N "
          f"{sp['potential_energy_per_atom']['mean']:.6g} bit for bit")

    # Training during the run: 5 optimizer steps per training member, a checkpoint every 100
    # steps (member steps, then optimizer steps after step 1800).
    RUN = [*INSITU, "--set", "samples.steps_per_sample=5", "--set", "train.epochs=80",
           "--set", "checkpoint.every_steps=100", "--set", "checkpoint.keep=1000"]
    full = os.path.join(tmp, "full")
    twinsim("run", *RUN, "--out", full)
    s = summary(full)
    check(s["status"] == "ok" and s["in_situ"]["trajectories_trained_on"] == 4
          and s["in_situ"]["optimizer_steps_while_solving"] == 20
          and s["train"]["epochs_done"] == 80,
          "training during the run: 4 training members, 20 optimizer steps while solving, "
          "80 epochs")
    steps = sorted(int(n[5:15]) for n in os.listdir(os.path.join(full, "checkpoints")))
    for at in (700, [k for k in steps if k > 1800][0]):
        again = os.path.join(tmp, f"again_{at}")
        shutil.copytree(full, again)
        twinsim("run", *RUN, "--out", again, "--restart",
                os.path.join(again, "checkpoints", f"step_{at:010d}.h5"))
        check(same_parameters(parameters(full), parameters(again)) and
              losses(full) == losses(again) and
              table(os.path.join(full, "mlp_lj_eos_insitu.h5"))[4] ==
              table(os.path.join(again, "mlp_lj_eos_insitu.h5"))[4],
              f"restart from step {at} ({'inside member 3' if at < 1800 else 'after the solver'})"
              f": model, history and table bit for bit")

    # The offline MLP's prediction and JZG check, on the in-situ model and file.
    out = os.path.join(tmp, "predict")
    twinsim("predict", OFFLINE, "--set", f'data.files=["{data}"]',
            "--set", f'predict.model="{os.path.join(insitu, "model.h5")}"',
            "--set", "data.train_samples=4", "--set", "data.test_samples=2",
            "--device", "cpu", "--out", out)
    pts = summary(out)["points"]
    with open(os.path.join(out, "predictions.csv"), newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["set"] == "test"]
    check(len(rows) == 2 and all(np.isfinite(float(r[P + ":reference"])) for r in rows)
          and all(np.isfinite(pts[k]["mlp_vs_reference"]["mean_relative"])
                  for k in ("pressure_mean", "potential_energy_per_atom_mean")),
          "twinsim predict (reference lj_jzg) on the in-situ model: the held-out rows against "
          "the MD and JZG")

    # Refusals at check time.
    for args, key in (
        (["--set", "md.ensemble.temperature=[1.5, 2.0]"], "md.ensemble"),
        (["--set", 'model.kind="fno2d"'], "model.kind"),
        (["--set", "train.rollout_steps=2"], "train.rollout_steps"),
        (["--set", 'md.thermostat="none"'], "md.thermostat"),
        (["--set", "samples.test=[6]"], "samples.test"),
        (["--set", "md.ensemble.density=[0.6, 0.6, 0.9, 0.9, 0.75, 2.5]"], "member 5"),
    ):
        r = twinsim("check", *INSITU, *args, expect=2)
        check(key in r.stderr, f"check refuses {' '.join(args[1::2])}: {r.stderr.strip()}")

verdict()
