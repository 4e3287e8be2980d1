#!/usr/bin/env python3
"""Checkpoints and restarts of the spectral runs through the program: a run stopped by SIGTERM
(exit status 3, summary status "interrupted") or killed by SIGKILL and continued with
`--restart latest` ends with the same HDF5 datasets (bit for bit, step and time included), the
same .xmf and the same summary.json figures as the run left alone.

Usage: test_spectral_restart.py TWINSIM_BINARY SOURCE_DIR
"""
import glob
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import h5py
import numpy as np

TWINSIM, ROOT = sys.argv[1], sys.argv[2]
CASES = os.path.join(ROOT, "cases", "spectral")
EXIT_INTERRUPTED = 3

# 2D: two batches (2 + 1 samples) of the small FNO case, 5 snapshots; 10^3 to 10^4 batch steps.
FNO = ["spectral.samples=3", "spectral.batch=2", "spectral.t_end=1.2",
       "spectral.snapshot_interval=0.3", "checkpoint.every_steps=1000"]
# The CFL bound (dt ~ 7e-4) binds below the cap and does not divide the snapshot interval.
FNO_ADAPTIVE = FNO + ["spectral.cfl=0.002", "spectral.dt=1e-3"]
FNO_FIXED = FNO + ["spectral.dt=4e-4"]  # 750 steps per snapshot, 3000 per batch
# 3D: Taylor-Green on 16^3, adaptive steps (dt ~ 0.008), 40 records, 5 velocity frames.
TGV = ["spectral3d.n=16", "spectral3d.t_end=4", "spectral3d.diagnostics_interval=0.1",
       "spectral3d.snapshot_every=10", "spectral3d.cfl=0.02", "spectral3d.dt=0.05",
       "checkpoint.every_steps=100"]


def command(case, out, sets, *extra):
    args = [TWINSIM, "run", os.path.join(CASES, case), "--out", out, *extra]
    for s in sets:
        args += ["--set", s]
    return args


def run(case, out, sets, *extra):
    r = subprocess.run(command(case, out, sets, *extra), capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError(f"twinsim run {case} {' '.join(extra)} exited {r.returncode}:\n"
                             f"{r.stdout}\n{r.stderr}")


def summary(out):
    with open(os.path.join(out, "summary.json")) as f:
        return json.load(f)


def checkpoint_steps(out):
    names = glob.glob(os.path.join(out, "checkpoints", "step_*.h5"))
    return [int(os.path.basename(n)[5:-3]) for n in names]


def interrupt(case, out, sets, sig, ready, delay=0.0):
    """Starts the run, sends sig `delay` seconds after ready(out) holds; the exit status."""
    p = subprocess.Popen(command(case, out, sets), stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not ready(out):
        if p.poll() is not None:
            raise AssertionError(f"the run ended (status {p.returncode}) before it could be "
                                 f"interrupted:\n{p.stderr.read()}")
        if time.monotonic() > deadline:
            p.kill()
            raise AssertionError("the run never reached the point to interrupt it at")
        time.sleep(0.005)
    time.sleep(delay)
    p.send_signal(sig)
    p.communicate(timeout=120)
    return p.returncode


def datasets(f):
    found = {}
    f.visititems(lambda name, obj: found.__setitem__(name, obj)
                 if isinstance(obj, h5py.Dataset) else None)
    return found


def physics(s):
    """summary.json less what differs between an interrupted and a whole run by design."""
    return {k: v for k, v in s.items()
            if k not in ("timing", "checkpoints", "restart", "start_utc", "end_utc",
                         "command_line")}


class SpectralRestart(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.references = tempfile.TemporaryDirectory()
        cls.runs = {}

    @classmethod
    def tearDownClass(cls):
        cls.references.cleanup()

    def reference(self, case, sets):
        """The run left alone, made once per case and settings."""
        key = (case, tuple(sets))
        if key not in self.runs:
            self.runs[key] = os.path.join(self.references.name, str(len(self.runs)))
            run(case, self.runs[key], sets)
        return self.runs[key]

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def assert_same_run(self, whole, restarted, name):
        with h5py.File(os.path.join(whole, name + ".h5"), "r") as fw, \
                h5py.File(os.path.join(restarted, name + ".h5"), "r") as fr:
            dw, dr = datasets(fw), datasets(fr)
            self.assertEqual(sorted(dw), sorted(dr))
            for key in dw:
                self.assertEqual(dw[key].shape, dr[key].shape, key)
                self.assertTrue(np.array_equal(dw[key][()], dr[key][()]), key)
            for group in ("vorticity", "fields/vorticity_first_sample", "fields/velocity"):
                if group in fw:
                    self.assertEqual(fw[group].attrs["complete_frames"],
                                     fr[group].attrs["complete_frames"], group)
        with open(os.path.join(whole, name + ".xmf")) as a, \
                open(os.path.join(restarted, name + ".xmf")) as b:
            self.assertEqual(a.read(), b.read())
        sw, sr = summary(whole), summary(restarted)
        self.assertEqual(sr["status"], "ok")
        self.assertIn("restart", sr)
        self.assertEqual(physics(sw), physics(sr))

    def assert_whole_frames(self, out, name):
        """A killed run's file opens, and every series holds its complete_frames whole."""
        with h5py.File(os.path.join(out, name + ".h5"), "r") as f:
            for key, d in datasets(f).items():
                group = f[key].parent
                if key.endswith("/value") and "complete_frames" in group.attrs:
                    n = int(group.attrs["complete_frames"])
                    self.assertGreaterEqual(d.shape[0], n, key)
                    self.assertEqual(d[:n].shape[0], n)

    def sigterm_then_restart(self, case, sets, name, ready):
        whole, stopped = self.reference(case, sets), self.path("stopped")
        status = interrupt(case, stopped, sets, signal.SIGTERM, ready)
        self.assertEqual(status, EXIT_INTERRUPTED)
        s = summary(stopped)
        self.assertEqual(s["status"], "interrupted")
        self.assertGreaterEqual(s["checkpoints"]["written"], 1)
        run(case, stopped, sets, "--restart", "latest")
        self.assert_same_run(whole, stopped, name)

    def sigkill_then_restart(self, case, sets, name, after_step, delay):
        """Killed `delay` s after the checkpoint at after_step: frames written since are cut."""
        whole, killed = self.reference(case, sets), self.path("killed")
        status = interrupt(case, killed, sets, signal.SIGKILL,
                           lambda out: any(s >= after_step for s in checkpoint_steps(out)), delay)
        self.assertEqual(status, -signal.SIGKILL)
        self.assertFalse(os.path.exists(os.path.join(killed, "summary.json")))
        self.assert_whole_frames(killed, name)
        run(case, killed, sets, "--restart", "latest")
        self.assert_same_run(whole, killed, name)

    def test_dataset_generator_sigterm_in_the_second_batch(self):
        # Adaptive steps, ~1700 per batch: stopped in the second batch, mid-interval, while the
        # file holds the first batch's samples.
        self.sigterm_then_restart("ns2d_fno_small.toml", FNO_ADAPTIVE, "ns2d_fno_small",
                                  lambda out: any(s >= 2000 for s in checkpoint_steps(out)))

    def test_dataset_generator_sigkill_in_the_first_batch(self):
        # Fixed steps, snapshots every 750: killed after the checkpoint at step 2000, around
        # step 2700, past the first sample's ParaView frame of step 2250 (cut by the restart).
        self.sigkill_then_restart("ns2d_fno_small.toml", FNO_FIXED, "ns2d_fno_small", 2000, 0.1)

    def test_tgv3d_sigterm(self):
        xmf = "tgv3d_re1600.xmf"  # written once the first velocity frame is whole
        self.sigterm_then_restart("tgv3d_re1600.toml", TGV, "tgv3d_re1600",
                                  lambda out: os.path.exists(os.path.join(out, xmf)))

    def test_tgv3d_sigkill(self):
        # Records every ~12 steps, checkpoints every 100: a few records written after the
        # checkpoint at step 300 are cut by the restart.
        self.sigkill_then_restart("tgv3d_re1600.toml", TGV, "tgv3d_re1600", 300, 0.05)

    def test_taylor_green_check_refuses_a_restart(self):
        # It writes no checkpoints; one of its kind and case made by hand gets past the run
        # command's checks to the solver, which must refuse it.
        out = self.path("tg")
        case = os.path.join(ROOT, "cases", "demo", "taylor_green.toml")
        sets = ["--set", "taylor_green.n=16"]
        subprocess.run([TWINSIM, "run", case, "--out", out, *sets], check=True,
                       capture_output=True)
        with open(os.path.join(out, "case.toml")) as f:
            case_text = f.read()
        os.makedirs(os.path.join(out, "checkpoints"), exist_ok=True)
        with h5py.File(os.path.join(out, "checkpoints", "step_0000000001.h5"), "w") as f:
            for key, value in (("kind", "taylor_green_check"), ("backend", "cpu"),
                               ("case", case_text), ("twinsim_version", "0")):
                f.attrs[key] = value
            f.attrs["step"], f.attrs["time"] = np.int64(1), 0.0
            f.create_group("state")
            f.create_group("output").attrs["count"] = np.int64(0)
        r = subprocess.run([TWINSIM, "run", case, "--out", out, *sets, "--restart", "latest"],
                           capture_output=True, text=True)
        self.assertNotIn(r.returncode, (0, EXIT_INTERRUPTED))
        self.assertIn("taylor_green_check has no state to continue", r.stdout + r.stderr)

if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
