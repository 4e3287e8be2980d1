#!/usr/bin/env python3
"""The spectral cases as users run them: `twinsim run` on cases/spectral/*.toml (shortened with
--set), checked against the exact Taylor-Green decay and for the dataset layout: shards of
[sample, time, y, x] with one seed per sample, equal rows for equal seeds whatever the batch.

Usage: test_spectral_cases.py TWINSIM_BINARY SOURCE_DIR
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

TWINSIM, ROOT = sys.argv[1], sys.argv[2]
CASES = os.path.join(ROOT, "cases", "spectral")


def run(case, out, *sets):
    args = [TWINSIM, "run", os.path.join(CASES, case), "--out", out]
    for s in sets:
        args += ["--set", s]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed:\n{r.stdout}\n{r.stderr}")
    with open(os.path.join(out, "summary.json")) as f:
        return json.load(f)


class SpectralCases(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def test_tgv2d_follows_the_exact_decay(self):
        out = os.path.join(self.tmp.name, "tgv")
        s = run("tgv2d.toml", out, "spectral.t_end=2.0", "spectral.nx=32", "spectral.ny=32")
        self.assertEqual(s["status"], "ok")
        # rk4_if with an exact solution whose nonlinear term vanishes: round-off only.
        self.assertLess(s["taylor_green"]["max_relative_error"], 1e-12)
        nu, t = 0.01, 2.0
        self.assertAlmostEqual(s["kinetic_energy"]["final_mean"], 0.25 * np.exp(-4 * nu * t),
                               delta=1e-12)
        for name in ("tgv2d.h5", "tgv2d.xmf", "case.toml", "log.txt"):
            self.assertTrue(os.path.exists(os.path.join(out, name)), name)

    def test_fno_shards_form_one_dataset(self):
        a = os.path.join(self.tmp.name, "a")
        b = os.path.join(self.tmp.name, "b")
        common = ["spectral.t_end=0.2", "spectral.snapshot_interval=0.1", "spectral.nx=32",
                  "spectral.ny=32", "spectral.stored_nx=16", "spectral.stored_ny=16"]
        run("ns2d_fno_small.toml", a, *common, "run.name=a", "spectral.first_sample=5",
            "spectral.samples=3", "spectral.batch=2")
        run("ns2d_fno_small.toml", b, *common, "run.name=b", "spectral.first_sample=6",
            "spectral.samples=1")
        with h5py.File(os.path.join(a, "a.h5"), "r") as fa, \
                h5py.File(os.path.join(b, "b.h5"), "r") as fb:
            wa, wb = fa["vorticity/value"][...], fb["vorticity/value"][...]
            self.assertEqual(wa.shape, (3, 3, 16, 16))  # [sample, time, y, x]
            self.assertEqual(list(fa["vorticity"].attrs["seeds"]), [5, 6, 7])
            self.assertEqual(list(fa["vorticity/step"][...]), [5, 6, 7])
            self.assertEqual(list(fb["vorticity"].attrs["seeds"]), [6])
            np.testing.assert_allclose(fa["snapshot_time"][...], [0.0, 0.1, 0.2], atol=1e-15)
            # Sample 6 solved in a batch of 2 and alone: the same trajectory.
            scale = np.abs(wb).max()
            self.assertLess(np.abs(wa[1] - wb[0]).max(), 1e-12 * scale)
            self.assertGreater(np.abs(wa[0] - wa[1]).max(), 0.1 * scale)
            # The ParaView copy of the first sample is its row of the dataset.
            np.testing.assert_array_equal(fa["fields/vorticity_first_sample/value"][...], wa[0])

    def test_tgv3d_starts_from_the_published_figures(self):
        out = os.path.join(self.tmp.name, "tgv3d")
        s = run("tgv3d_re1600.toml", out, "spectral3d.n=16", "spectral3d.t_end=0.2",
                "spectral3d.snapshot_every=1")
        self.assertEqual(s["status"], "ok")
        self.assertAlmostEqual(s["kinetic_energy"]["initial"], 0.125, delta=1e-14)
        self.assertLess(s["divergence"]["max_relative"], 1e-13)
        with h5py.File(os.path.join(out, "tgv3d_re1600.h5"), "r") as f:
            eps = f["dissipation/value"][...]
            self.assertEqual(eps.shape, (3, 1))
            # 2 nu Z(0) with Z(0) = 0.375 (reference/fluids.md), nu = 1/1600.
            self.assertAlmostEqual(eps[0, 0], 2 * 0.375 / 1600, delta=1e-15)
            self.assertEqual(f["fields/velocity/value"].shape, (3, 16, 16, 16, 3))


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
