"""twinsim run of an MD case split across MPI ranks (bricks; slabs along x for this box), as
`mpirun -n N twinsim run`.

Run by CTest as: /usr/bin/python3 test_md_mpi.py <path to twinsim> <mpirun>

The split run equals the one-rank run to round-off (pair forces summed in another order, then
amplified by the chaotic dynamics: see test_md_mpi.cpp for the tolerance), its output is one file
written by rank 0 in global atom order, and a restart on the same rank count continues bit for
bit; on another rank count (2 -> 1, 2 -> 4, 1 -> 2) or other bricks (md.processors, a layout key
a restart may change) the atoms are dealt out again by position and the run continues to
round-off. Ranks start with --bind-to none and one OpenMP thread each (see test_mpi.py).
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


# 512 atoms, 13.4 sigma along x: 2 slabs of 6.7 sigma (cutoff + skin = 2.8). Langevin, so the
# noise (keyed by the atom's global id) is part of what must not depend on the rank count.
CASE = """
[run]
name = "lj"
solver = "md"
device = "cpu"

[checkpoint]
every_steps = 60
keep = 20

[md]
lattice = "fcc"
density = 0.8442
cells = [8, 4, 4]
temperature = 1.5
seed = 5
dt = 0.005
steps = 180
cutoff = 2.5
skin = 0.3
thermostat = "langevin"
friction = 1.0
thermo_every = 30
dump_every = 60
rdf_every = 30
"""


class MdRanks(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="twinsim-md-mpi-")
        self.addCleanup(self.tmp.cleanup)
        self.case = os.path.join(self.tmp.name, "lj.toml")
        with open(self.case, "w") as f:
            f.write(CASE)

    def run_ok(self, ranks, *args):
        r = twinsim(ranks, *args)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def test_two_ranks_equal_one_to_round_off_and_restart_bit_for_bit(self):
        one = os.path.join(self.tmp.name, "one")
        two = os.path.join(self.tmp.name, "two")
        self.run_ok(1, "run", self.case, "--out", one)
        r = self.run_ok(2, "run", self.case, "--out", two)
        self.assertIn("split into 2 x 1 x 1 bricks", r.stderr)  # slabs: the least halo
        # Rank 0 alone writes the run folder's files (checkpoints of rank 1 in rank_1/).
        self.assertEqual(sorted(os.listdir(one)), sorted(os.listdir(two)))
        a, b = datasets(os.path.join(one, "lj.h5")), datasets(os.path.join(two, "lj.h5"))
        self.assertEqual(sorted(a), sorted(b))
        for name in a:
            if a[name].dtype.kind in "iu":
                self.assertTrue(np.array_equal(a[name], b[name]), name)
            else:
                np.testing.assert_allclose(b[name], a[name], rtol=0, atol=1e-9, err_msg=name)
        with h5py.File(os.path.join(two, "lj.h5"), "r") as f:
            self.assertEqual(f["/particles/all/position/value"].shape, (4, 512, 3))
        fa, fb = figures(one), figures(two)
        self.assertEqual(fb["atoms"], 512)
        self.assertEqual(fa["neighbor_list"], fb["neighbor_list"])
        for key in ("temperature", "potential_energy_per_atom", "pressure"):
            for stat, value in fa[key].items():
                self.assertAlmostEqual(fb[key][stat], value, delta=1e-9, msg=f"{key}.{stat}")

        # A restart from the checkpoint in the middle continues bit for bit on 2 ranks.
        steps = sorted(os.path.basename(p) for p in glob.glob(f"{two}/checkpoints/*.h5"))
        self.assertEqual(steps, sorted(os.path.basename(p) for p in
                                       glob.glob(f"{two}/checkpoints/rank_1/*.h5")))
        middle = os.path.join(self.tmp.name, "middle")
        shutil.copytree(two, middle)
        self.assertGreaterEqual(len(steps), 3)  # steps 60, 120, 180
        self.run_ok(2, "run", self.case, "--out", middle, "--restart",
                    os.path.join(middle, "checkpoints", steps[0]))
        c = datasets(os.path.join(middle, "lj.h5"))
        self.assertEqual(sorted(b), sorted(c))
        for name in b:
            self.assertTrue(np.array_equal(b[name], c[name]), name)
        self.assertEqual(figures(two), figures(middle))

    def test_a_restart_on_another_rank_count_continues_to_round_off(self):
        # 2 -> 1 and 2 -> 4 from the 2-rank run's checkpoint of step 60, 1 -> 2 from the 1-rank
        # run's: every rank reads the atoms of every writer and keeps those whose build position
        # lies in its slab, in cell order; the pair sums then add in another order, so the run
        # equals the uninterrupted one to round-off (the tolerance of 1 against 2 ranks above).
        # md.processors is a layout key: 2 x 1 x 1 slabs continue as 1 x 2 x 1 on 2 ranks.
        whole = {}
        for ranks in (1, 2):
            whole[ranks] = os.path.join(self.tmp.name, f"whole{ranks}")
            self.run_ok(ranks, "run", self.case, "--out", whole[ranks])
        for written, ranks, layout in ((2, 1, []), (2, 4, []), (1, 2, []),
                                       (2, 2, ["--set", "md.processors=[1, 2, 1]"])):
            other = os.path.join(self.tmp.name, f"from{written}on{ranks}")
            shutil.copytree(whole[written], other)
            r = self.run_ok(ranks, "run", self.case, "--out", other, *layout, "--restart",
                            os.path.join(other, "checkpoints", "step_0000000060.h5"))
            if layout:
                self.assertIn("split into 1 x 2 x 1 bricks", r.stderr)
            self.assertIn(f"written by {written} rank(s): its state is split again for {ranks}",
                          r.stderr)
            a, b = datasets(os.path.join(whole[written], "lj.h5")), \
                datasets(os.path.join(other, "lj.h5"))
            self.assertEqual(sorted(a), sorted(b))
            for name in a:
                if a[name].dtype.kind in "iu":
                    self.assertTrue(np.array_equal(a[name], b[name]), f"{written} -> {ranks}: "
                                    f"{name}")
                else:
                    np.testing.assert_allclose(b[name], a[name], rtol=0, atol=1e-9,
                                               err_msg=f"{written} -> {ranks}: {name}")
            fa, fb = figures(whole[written]), figures(other)
            for key in ("temperature", "potential_energy_per_atom", "pressure"):
                for stat, value in fa[key].items():
                    self.assertAlmostEqual(fb[key][stat], value, delta=1e-9,
                                           msg=f"{written} -> {ranks}: {key}.{stat}")

    def test_bricks_narrower_than_cutoff_plus_skin_are_refused_before_the_folder_exists(self):
        # The 6.7 sigma box takes 2 cuts along each axis (cutoff + skin = 2.8): 2, 4 or 8 ranks
        # fit, 3 do not.
        out = os.path.join(self.tmp.name, "narrow")
        r = twinsim(3, "run", self.case, "--out", out, "--set", "md.cells=[4, 4, 4]")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("no 3 bricks fit", r.stderr)
        self.assertIn("use 2 or 4 ranks", r.stderr)
        self.assertFalse(os.path.exists(out))

    def test_the_processors_key_sets_the_bricks_and_is_checked(self):
        # md.processors = [2, 2, 1] on 4 ranks: those bricks (the chooser takes 4 x 1 x 1 slabs
        # of the 13.4 sigma box). [4, 1, 1] on the 6.7 sigma box is refused before the folder
        # exists, naming what fits, also by a one-rank `twinsim check` (judged for its own 4
        # ranks); a product other than the rank count is refused.
        out = os.path.join(self.tmp.name, "bricks")
        r = self.run_ok(4, "run", self.case, "--out", out, "--set", "md.processors=[2, 2, 1]",
                        "--set", "md.steps=30")
        self.assertIn("split into 2 x 2 x 1 bricks", r.stderr)
        narrow = os.path.join(self.tmp.name, "narrow")
        for ranks, command in ((4, ["run", self.case, "--out", narrow]), (1, ["check", self.case])):
            r = twinsim(ranks, *command, "--set", "md.cells=[4, 4, 4]",
                        "--set", "md.processors=[4, 1, 1]")
            self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
            self.assertIn("4 x 1 x 1 bricks were asked for", r.stderr)
            self.assertIn("2 x 2 x 1 bricks fit", r.stderr)
            self.assertFalse(os.path.exists(narrow))
        r = twinsim(2, "run", self.case, "--out", narrow, "--set", "md.processors=[2, 2, 1]")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("MD across 2 ranks: 2 x 2 x 1 bricks were asked for", r.stderr)
        self.assertFalse(os.path.exists(narrow))


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
