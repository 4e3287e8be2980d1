"""`spectral3d` across MPI ranks through the program: the grid split in slabs.

Run by CTest as: /usr/bin/python3 test_spectral3d_mpi.py <path to twinsim> <mpirun>

- Taylor-Green on 1, 2 and 4 ranks: every dataset equal to round-off (1e-12 of its largest
  value; the slab transform adds in another order than the 3D one), the .xmf the same, and the
  analytic initial figures E(0) = 0.125, Z(0) = 0.375 on every rank count.
- A 2-rank restart from a checkpoint in the middle equals the uninterrupted 2-rank run bit for
  bit (datasets, .xmf, summary figures).
- A checkpoint of 2 ranks continues on 1 and 4, one of 1 rank on 2: each rank's modes come from
  the old slabs, the run equals the uninterrupted one to round-off.
- A grid the rank count does not divide is refused before the run folder exists (exit 2,
  naming spectral3d.n).
"""
import glob
import os
import shutil
import sys
import tempfile
import unittest

import h5py
import numpy as np

from test_mpi import datasets, figures, twinsim

CASE = """
[run]
name = "tgv"
solver = "spectral3d"
device = "cpu"

[checkpoint]
every_steps = 5
keep = 20

[spectral3d]
n = {n}
nu = 0.01
dt = 0.01
t_end = 0.2
diagnostics_interval = 0.05
snapshot_every = 1
initial = "taylor_green"
precision = "float64"
"""


class Slabs(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="twinsim-mpi3d-")
        self.addCleanup(self.tmp.cleanup)

    def case(self, n=16):
        path = os.path.join(self.tmp.name, f"tgv_{n}.toml")
        with open(path, "w") as f:
            f.write(CASE.format(n=n))
        return path

    def run_ok(self, ranks, *args):
        r = twinsim(ranks, *args)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def test_taylor_green_is_the_same_on_1_2_and_4_ranks(self):
        case = self.case()
        runs = {}
        for ranks in (1, 2, 4):
            runs[ranks] = os.path.join(self.tmp.name, f"r{ranks}")
            self.run_ok(ranks, "run", case, "--out", runs[ranks])
        reference = datasets(os.path.join(runs[1], "tgv.h5"))
        self.assertEqual(reference["fields/velocity/value"].shape, (5, 16, 16, 16, 3))
        for ranks in (2, 4):
            found = datasets(os.path.join(runs[ranks], "tgv.h5"))
            self.assertEqual(sorted(found), sorted(reference))
            for name, want in reference.items():
                got = found[name]
                if np.issubdtype(want.dtype, np.floating):
                    scale = max(float(np.max(np.abs(want))), 1e-300)
                    diff = float(np.max(np.abs(got - want))) / scale if want.size else 0.0
                    self.assertLess(diff, 1e-12, f"{name}, {ranks} ranks")
                else:
                    self.assertTrue(np.array_equal(got, want), f"{name}, {ranks} ranks")
            with open(os.path.join(runs[1], "tgv.xmf")) as f, \
                    open(os.path.join(runs[ranks], "tgv.xmf")) as g:
                self.assertEqual(f.read(), g.read())
            # Rank r > 0 checkpoints into checkpoints/rank_r, at rank 0's steps.
            steps = sorted(map(os.path.basename, glob.glob(f"{runs[ranks]}/checkpoints/*.h5")))
            last = sorted(map(os.path.basename,
                              glob.glob(f"{runs[ranks]}/checkpoints/rank_{ranks - 1}/*.h5")))
            self.assertEqual(steps, last)
        for ranks in (1, 2, 4):
            with h5py.File(os.path.join(runs[ranks], "tgv.h5"), "r") as f:
                self.assertAlmostEqual(f["/kinetic_energy/value"][0, 0], 0.125, delta=1e-15)
                self.assertAlmostEqual(f["/enstrophy/value"][0, 0], 0.375, delta=1e-14)

    def test_restart_on_two_ranks_is_bit_for_bit(self):
        case = self.case()
        reference = os.path.join(self.tmp.name, "reference")
        self.run_ok(2, "run", case, "--out", reference)
        steps = sorted(map(os.path.basename, glob.glob(f"{reference}/checkpoints/*.h5")))
        self.assertGreater(len(steps), 2)
        middle = os.path.join(self.tmp.name, "middle")
        shutil.copytree(reference, middle)
        self.run_ok(2, "run", case, "--out", middle, "--restart",
                    os.path.join(middle, "checkpoints", steps[1]))
        x, y = datasets(os.path.join(reference, "tgv.h5")), datasets(os.path.join(middle, "tgv.h5"))
        self.assertEqual(sorted(x), sorted(y))
        for name in x:
            self.assertTrue(np.array_equal(x[name], y[name]), name)
        with open(os.path.join(reference, "tgv.xmf")) as f, \
                open(os.path.join(middle, "tgv.xmf")) as g:
            self.assertEqual(f.read(), g.read())
        self.assertEqual(figures(reference), figures(middle))

    def test_restart_on_another_rank_count(self):
        # 2 -> 1 and 2 -> 4 from the 2-rank run's checkpoint of step 10, 1 -> 2 from the 1-rank
        # run's: each rank takes its modes from the slabs that held them (copied exactly), and
        # the run continues to round-off: its transforms add in the new rank count's order
        # (measured: 1e-16 of values of order 1 at t = 0.2, never bit for bit, 2 -> 4 included).
        case = self.case()
        whole = {}
        for ranks in (1, 2):
            whole[ranks] = os.path.join(self.tmp.name, f"whole{ranks}")
            self.run_ok(ranks, "run", case, "--out", whole[ranks])
        for written, ranks in ((2, 1), (2, 4), (1, 2)):
            other = os.path.join(self.tmp.name, f"from{written}on{ranks}")
            shutil.copytree(whole[written], other)
            r = self.run_ok(ranks, "run", case, "--out", other, "--restart",
                            os.path.join(other, "checkpoints", "step_0000000010.h5"))
            if written != ranks:
                self.assertIn(f"written by {written} rank(s): its state is split again for "
                              f"{ranks}", r.stderr)
            x = datasets(os.path.join(whole[written], "tgv.h5"))
            y = datasets(os.path.join(other, "tgv.h5"))
            self.assertEqual(sorted(x), sorted(y))
            for name, want in x.items():
                got = y[name]
                self.assertEqual(got.shape, want.shape, name)
                if np.issubdtype(want.dtype, np.floating):
                    scale = max(float(np.max(np.abs(want))), 1e-300)
                    diff = float(np.max(np.abs(got - want))) / scale if want.size else 0.0
                    self.assertLess(diff, 1e-12, f"{name}, {written} -> {ranks} ranks")
                else:
                    self.assertTrue(np.array_equal(got, want), f"{name}, {written} -> {ranks}")
            with open(os.path.join(whole[written], "tgv.xmf")) as f, \
                    open(os.path.join(other, "tgv.xmf")) as g:
                self.assertEqual(f.read(), g.read())

    def test_a_grid_the_ranks_do_not_divide_is_refused(self):
        case = self.case(n=18)
        out = os.path.join(self.tmp.name, "uneven")
        r = twinsim(4, "run", case, "--out", out)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("spectral3d.n = 18", r.stderr)
        self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
