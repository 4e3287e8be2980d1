"""Checkpoints and restarts of an LBM run, as a batch system delivers them: a cylinder channel
(parabolic inflow with a ramp, pressure outlet, force and probe series) run uninterrupted;
the same run stopped by SIGTERM mid-run (exit status 3, summary status "interrupted") and
continued with `--restart latest`; and the same run killed by SIGKILL after a checkpoint, with
frames written after it, and continued. The continued runs must end with the uninterrupted
run's HDF5 datasets and attributes bit for bit, its XDMF sidecar and its summary.json physics.

Run by CTest as: /usr/bin/python3 test_lbm_restart.py <path to twinsim> <repo root>
"""
import glob
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
CASE = os.path.join(ROOT, "cases", "lbm", "cylinder_2d1.toml")
STEPS, OUTPUT_EVERY, CHECKPOINT_EVERY = 2400, 240, 480
# Half the benchmark's channel (1.1 m long, 10 cells per diameter), so no benchmark reference;
# on the CPU, so that the run lasts long enough (0.4 s at 30 MLUPS) to be stopped mid-run.
OVERRIDES = ["--device", "cpu", "--set", "lbm.domain.size=[1.1,0.41]",
             "--set", "lbm.domain.cells=[110,41]", "--set", "lbm.reference=none",
             "--set", f"lbm.steps={STEPS}", "--set", f"lbm.output_every={OUTPUT_EVERY}",
             "--set", "lbm.forces.every=20", "--set", "lbm.tolerance=0",
             "--set", "lbm.inflow_ramp=1.0",
             "--set", f"checkpoint.every_steps={CHECKPOINT_EVERY}"]
# Two threads at most, so that the run lasts about as long on a large machine as on a small one.
ENV = dict(os.environ, OMP_NUM_THREADS="2")
# Summary keys that measure the machine or the restart, not the flow.
NOT_PHYSICS = ("status", "timing", "checkpoints", "restart", "performance.mlups",
               "performance.step_s", "performance.output_s", "performance.forces_s",
               "start_utc", "end_utc", "command_line")


def run(out, *extra):
    return subprocess.run([TWINSIM, "run", CASE, "--out", out, *OVERRIDES, *extra],
                          capture_output=True, text=True, timeout=300, env=ENV)


def start(out):
    return subprocess.Popen([TWINSIM, "run", CASE, "--out", out, *OVERRIDES],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV)


def xmf_steps(out):
    """Steps in the sidecar (rewritten whole after each frame; safe to read while running)."""
    try:
        with open(os.path.join(out, "cylinder_2d1.xmf")) as f:
            return f.read().count("<Time ")
    except FileNotFoundError:
        return 0


def wait_for(condition, process, what):
    deadline = time.time() + 120
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"the run ended before {what}: {process.stdout.read()}")
        if time.time() > deadline:
            process.kill()
            raise AssertionError(f"no {what} within 120 s")
        time.sleep(0.01)


def flat(tree, prefix=""):
    items = {}
    for key, value in tree.items():
        name = prefix + key
        if isinstance(value, dict):
            items.update(flat(value, name + "."))
        else:
            items[name] = value
    return items


def physics(out):
    with open(os.path.join(out, "summary.json")) as f:
        summary = flat(json.load(f))
    return {k: v for k, v in summary.items() if not k.startswith(NOT_PHYSICS)}


# Root attributes that tell one run from another (loop/Provenance.hpp), not its results.
RUN_PROVENANCE = {"command_line", "start_utc", "end_utc"}


def contents(path):
    """Every dataset (raw values) and attribute of an HDF5 file, by path."""
    items = {}

    def visit(name, obj):
        for key, value in obj.attrs.items():
            if name == "/" and key in RUN_PROVENANCE:
                continue  # when and how each run was started differ
            items[f"{name}@{key}"] = np.asarray(value)
        if isinstance(obj, h5py.Dataset):
            items[name] = obj[()]

    with h5py.File(path, "r") as f:
        visit("/", f)
        f.visititems(visit)
    return items


class LbmRestart(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="twinsim-lbm-restart-")
        cls.reference = os.path.join(cls.tmp.name, "reference")
        started = time.time()
        r = run(cls.reference)
        cls.seconds = time.time() - started
        assert r.returncode == 0, r.stdout + r.stderr
        cls.log = r.stdout + r.stderr

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def assert_same_as_reference(self, out):
        ref = contents(os.path.join(self.reference, "cylinder_2d1.h5"))
        got = contents(os.path.join(out, "cylinder_2d1.h5"))
        self.assertEqual(sorted(ref), sorted(got))
        for name, value in ref.items():
            self.assertEqual(value.dtype, got[name].dtype, name)
            self.assertTrue(np.array_equal(value, got[name], equal_nan=value.dtype.kind == "f"),
                            name)
        self.assertEqual(len(ref["fields/velocity/step"]), STEPS // OUTPUT_EVERY + 1)
        with open(os.path.join(self.reference, "cylinder_2d1.xmf")) as a, \
                open(os.path.join(out, "cylinder_2d1.xmf")) as b:
            self.assertEqual(a.read(), b.read())
        ref_summary, summary = physics(self.reference), physics(out)
        self.assertIn("forces.obstacle_1.strouhal", ref_summary)
        self.assertEqual(ref_summary, summary)

    def test_plan_bounds_the_files(self):
        # The preflight estimate: at least what was written, at most half as much again.
        m = re.search(r"planned output ([0-9.]+) MiB \+ \d+ checkpoint\(s\) of ([0-9.]+) MiB",
                      self.log)
        self.assertIsNotNone(m, self.log)
        output, checkpoint = (float(x) * 2 ** 20 for x in m.groups())
        written = os.path.getsize(os.path.join(self.reference, "cylinder_2d1.h5"))
        half = 0.05 * 2 ** 20  # the log rounds to 0.1 MiB
        self.assertTrue(written <= output + half and output - half <= 1.5 * written,
                        (output, written))
        for path in glob.glob(os.path.join(self.reference, "checkpoints", "step_*.h5")):
            size = os.path.getsize(path)
            self.assertTrue(size <= checkpoint + half and checkpoint - half <= 1.5 * size,
                            (checkpoint, size))

    def test_sigterm_then_restart(self):
        out = os.path.join(self.tmp.name, "term")
        p = start(out)
        # Mid-run: a field frame after step 0 is out.
        wait_for(lambda: xmf_steps(out) >= 2, p, "a second field frame")
        p.send_signal(signal.SIGTERM)
        log = p.communicate(timeout=60)[0]
        self.assertEqual(p.returncode, 3, log)
        with open(os.path.join(out, "summary.json")) as f:
            summary = json.load(f)
        self.assertEqual(summary["status"], "interrupted")
        self.assertLess(summary["steps"], STEPS)
        self.assertTrue(glob.glob(os.path.join(out, "checkpoints", "step_*.h5")))
        r = run(out, "--restart", "latest")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assert_same_as_reference(out)

    def test_sigkill_then_restart(self):
        out = os.path.join(self.tmp.name, "kill")
        first = os.path.join(out, "checkpoints", f"step_{CHECKPOINT_EVERY:010d}.h5")
        p = start(out)
        # Killed after the first checkpoint, once frames were written after it.
        wait_for(lambda: os.path.exists(first) and
                 xmf_steps(out) >= CHECKPOINT_EVERY // OUTPUT_EVERY + 2, p,
                 "frames after the first checkpoint")
        p.kill()
        p.communicate(timeout=60)
        # Readable, and each series holds complete_frames whole frames: those of the
        # uninterrupted run.
        with h5py.File(os.path.join(out, "cylinder_2d1.h5"), "r") as f, \
                h5py.File(os.path.join(self.reference, "cylinder_2d1.h5"), "r") as ref:
            frames = f["/fields/velocity"].attrs["complete_frames"]
            self.assertGreater(frames, CHECKPOINT_EVERY // OUTPUT_EVERY + 1)
            for group in ("/fields/velocity", "/fields/pressure",
                          "/observables/obstacle_1/coefficients", "/observables/probe_1/pressure"):
                n = f[group].attrs["complete_frames"]
                self.assertLessEqual(n, f[group + "/value"].shape[0], group)
                self.assertTrue(np.array_equal(f[group + "/value"][:n], ref[group + "/value"][:n]),
                                group)
        r = run(out, "--restart", "latest")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assert_same_as_reference(out)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
