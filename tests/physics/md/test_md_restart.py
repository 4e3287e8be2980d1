"""MD checkpoints and restarts through the command line: a run stopped by SIGTERM (exit 3,
status "interrupted") or killed by SIGKILL, then continued with `--restart latest`, ends with
the same HDF5 file (every dataset and attribute bit for bit), the same XDMF sidecar and the
same summary physics as a run that was never interrupted; NVE and Nose-Hoover.

Run by CTest as: /usr/bin/python3 test_md_restart.py <path to twinsim> <repo root>
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import h5py
import numpy as np

TWINSIM = sys.argv[1]
ROOT = sys.argv[2]
CASE = os.path.join(ROOT, "cases", "md", "lj_melt.toml")
STEPS = 1500
# 864 atoms (6^3 fcc cells) melting from T = 3: about two seconds of MD on two cores. Thermo
# rows, frames and RDF samples on their own intervals; a checkpoint every 300 steps.
SETTINGS = ["md.cells=[6,6,6]", f"md.steps={STEPS}", "md.thermo_every=50", "md.dump_every=100",
            "md.rdf_every=100", "md.rdf_bins=50", "md.equilibrate=100",
            "checkpoint.every_steps=300"]
# Summary entries that say how the run went rather than what it computed.
NOT_PHYSICS = ("timing", "checkpoints", "restart", "status", "wall_s", "started", "finished",
               "host", "version", "twinsim_version", "start_utc", "end_utc", "command_line")


def command(out, extra, *args):
    sets = [a for s in SETTINGS + extra for a in ("--set", s)]
    return [TWINSIM, "run", CASE, "--out", out, *sets, *args]


def run(out, extra, *args):
    return subprocess.run(command(out, extra, *args), capture_output=True, text=True,
                          timeout=300)


def xmf_steps(out):
    try:
        with open(os.path.join(out, "lj_melt.xmf")) as f:
            return len(re.findall(r"<Time ", f.read()))
    except FileNotFoundError:
        return 0


def checkpoints(out):
    folder = os.path.join(out, "checkpoints")
    return sorted(f for f in os.listdir(folder) if f.endswith(".h5")) if os.path.isdir(folder) \
        else []


def interrupted(out, extra, sig, ready):
    """Starts a run, waits until ready(out), sends sig; returns the exit status and the seconds
    from the signal to the exit."""
    p = subprocess.Popen(command(out, extra), stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not ready(out) and p.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    if p.poll() is not None:
        raise AssertionError(f"the run ended (status {p.returncode}) before it was interrupted")
    p.send_signal(sig)
    t0 = time.time()
    status = p.wait(timeout=120)
    return status, time.time() - t0


# Root attributes that tell one run from another (loop/Provenance.hpp), not its results.
RUN_PROVENANCE = {"command_line", "start_utc", "end_utc"}


def contents(path):
    """Every dataset's raw array and every attribute of the HDF5 file, by path."""
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            for key, value in obj.attrs.items():
                if name == "/" and key in RUN_PROVENANCE:
                    continue  # when and how each run was started differ
                out[f"{name}@{key}"] = np.asarray(value)
            if isinstance(obj, h5py.Dataset):
                out[name] = obj[()]
        visit("/", f)
        f.visititems(visit)
    return out


def physics(summary_path):
    with open(summary_path) as f:
        summary = json.load(f)
    return {k: v for k, v in summary.items() if k not in NOT_PHYSICS}


class MdRestart(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="twinsim-md-restart-")
        cls.reference = {}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def straight(self, label, extra):
        """The uninterrupted run (once per variant)."""
        if label not in self.reference:
            out = os.path.join(self.tmp.name, label + "-straight")
            t0 = time.time()
            r = run(out, extra)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            print(f"{label}: uninterrupted run {time.time() - t0:.2f} s", file=sys.stderr)
            self.reference[label] = out
        return self.reference[label]

    def assert_same_run(self, out, reference):
        a = contents(os.path.join(reference, "lj_melt.h5"))
        b = contents(os.path.join(out, "lj_melt.h5"))
        self.assertEqual(sorted(a), sorted(b))
        for name in a:
            self.assertEqual(a[name].dtype, b[name].dtype, name)
            self.assertTrue(np.array_equal(a[name], b[name], equal_nan=a[name].dtype.kind == "f"),
                            name)
        steps = a["particles/all/position/step"]
        self.assertEqual(list(steps), list(range(0, STEPS + 1, 100)))
        with open(os.path.join(reference, "lj_melt.xmf")) as x, \
                open(os.path.join(out, "lj_melt.xmf")) as y:
            self.assertEqual(x.read(), y.read())
        self.assertEqual(physics(os.path.join(reference, "summary.json")),
                         physics(os.path.join(out, "summary.json")))
        with open(os.path.join(out, "summary.json")) as f:
            self.assertEqual(json.load(f)["status"], "ok")

    def stop_and_restart(self, label, extra):
        reference = self.straight(label, extra)
        out = os.path.join(self.tmp.name, label + "-sigterm")
        # Mid-run, with thermo rows and RDF samples after equilibration: the frame of step 200
        # is out (frame 0 is written at the start).
        status, answered = interrupted(out, extra, signal.SIGTERM, lambda o: xmf_steps(o) >= 3)
        self.assertEqual(status, 3)
        with open(os.path.join(out, "summary.json")) as f:
            summary = json.load(f)
        self.assertEqual(summary["status"], "interrupted")
        self.assertLess(summary["steps"], STEPS)
        # The checkpoint written on the signal is the newest.
        self.assertEqual(checkpoints(out)[-1], f"step_{summary['steps']:010d}.h5")
        t0 = time.time()
        r = run(out, extra, "--restart", "latest")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        print(f"{label}: SIGTERM at step {summary['steps']} (exit {answered:.2f} s after it), "
              f"restart {time.time() - t0:.2f} s", file=sys.stderr)
        self.assert_same_run(out, reference)

    def test_sigterm_then_restart_nve(self):
        self.stop_and_restart("nve", [])

    def test_sigterm_then_restart_nose_hoover(self):
        self.stop_and_restart("nose_hoover", ["md.thermostat=\"nose_hoover\"",
                                              "md.temperature=1.5"])

    def test_sigkill_then_restart(self):
        reference = self.straight("nve", [])
        out = os.path.join(self.tmp.name, "nve-sigkill")
        # After the first checkpoint (step 300), some frames later.
        status, _ = interrupted(out, [], signal.SIGKILL,
                             lambda o: len(checkpoints(o)) >= 1 and xmf_steps(o) >= 5)
        self.assertEqual(status, -signal.SIGKILL)
        # The killed run's file opens and its series hold whole frames.
        with h5py.File(os.path.join(out, "lj_melt.h5"), "r") as f:
            series = f["particles/all/position"]
            frames = int(series.attrs["complete_frames"])
            self.assertGreaterEqual(frames, 4)
            self.assertGreaterEqual(series["value"].shape[0], frames)
            self.assertTrue(np.all(np.isfinite(series["value"][:frames])))
            self.assertEqual(list(series["step"][:frames]), list(range(0, 100 * frames, 100)))
        r = run(out, [], "--restart", "latest")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assert_same_run(out, reference)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
