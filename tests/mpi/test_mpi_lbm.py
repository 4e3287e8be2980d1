"""The lattice Boltzmann solver split across MPI ranks: results bit for bit equal on 1, 2 and 4
ranks (and 2 x 2 x 2 blocks on 8), and restarts that continue bit for bit on 2 ranks, on other
rank counts and on other blocks (lbm.processors).

Run by CTest as: /usr/bin/python3 test_mpi_lbm.py <path to twinsim> <mpirun> [TestName]

The lattice is cut into blocks along one or more axes (solvers/lbm/include/twinsim/lbm/Block.hpp:
slabs by default on up to 4 ranks, `lbm.processors` for others); sums (mass, velocity change,
forces) are exact, so every figure is the same on any rank count and cut. The cases are small (a few thousand cells, tens of steps): each exercises
one kind of split: walls across it (cavity), an obstacle with forces and probes, an inflow and an
outlet across it (cylinder), an outlet along it with a parabolic inflow across the split axis
(tall channel), a periodic axis split (3D box), a sphere and an STL mesh in a 3D duct.
"""
import glob
import json
import os
import shutil
import sys
import tempfile
import time
import unittest

import h5py
import numpy as np

from test_mpi import datasets, figures, twinsim

CASES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "cases", "lbm")


# A 2D channel taller than long: split along y, so the outlet at x_max lies along the split (its
# extrapolation reads whole ghost cells) and the parabolic inflow's profile runs across ranks.
TALL_CHANNEL = """
[run]
name = "tall"
solver = "lbm"
device = "cpu"

[checkpoint]
every_steps = {every}
keep = 20

[lbm]
steps = {steps}
output_every = 40
check_every = 20

[lbm.domain]
size = [0.2, 0.4]
cells = [20, 40]
viscosity = 0.002
reference_velocity = 0.1

[lbm.boundaries]
x_min = "velocity_inlet"
x_min_velocity = [0.1, 0.0]
x_min_profile = "parabolic"
x_max = "pressure_outlet"

[[lbm.obstacle]]
shape = "rectangle"
center = [0.08, 0.15]
size = [0.04, 0.06]
"""


class LbmRanks(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="twinsim-mpi-lbm-")
        self.addCleanup(self.tmp.cleanup)

    def run_ok(self, ranks, *args):
        r = twinsim(ranks, *args, timeout=180)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def assert_same_run(self, a, b, name):
        x, y = datasets(os.path.join(a, name + ".h5")), datasets(os.path.join(b, name + ".h5"))
        self.assertEqual(sorted(x), sorted(y))
        for key in x:
            u, v = np.asarray(x[key]), np.asarray(y[key])
            # Bits: NaN (a history column nobody set) equals itself.
            self.assertTrue(u.shape == v.shape and u.tobytes() == v.tobytes(),
                            f"{key}: {a} vs {b}")
        for text in (name + ".xmf", "history.csv"):
            with open(os.path.join(a, text)) as f, open(os.path.join(b, text)) as g:
                self.assertEqual(f.read(), g.read(), text)
        self.assertEqual(figures(a), figures(b))

    def same_on_1_2_and_4_ranks(self, case, name, *settings):
        runs = {}
        for ranks in (1, 2, 4):
            runs[ranks] = os.path.join(self.tmp.name, f"r{ranks}")
            r = self.run_ok(ranks, "run", case, "--out", runs[ranks], "--set", "run.device=cpu",
                            *[a for s in settings for a in ("--set", s)])
            if ranks > 1:
                self.assertIn(f"MPI: {ranks} ranks", r.stderr)
        for ranks in (2, 4):
            self.assert_same_run(runs[1], runs[ranks], name)
            self.assertEqual(sorted(os.listdir(runs[ranks])), sorted(os.listdir(runs[1])))
        return runs

    def same_across_blocks(self, case, name, splits, *settings):
        """The run on one rank and on each (ranks, lbm.processors) of `splits`: equal bit for bit."""
        runs = {}
        for ranks, processors in [(1, None)] + splits:
            key = f"r{ranks}_{'x'.join(map(str, processors or []))}"
            runs[key] = os.path.join(self.tmp.name, key)
            extra = [f"lbm.processors=[{','.join(map(str, processors))}]"] if processors else []
            r = self.run_ok(ranks, "run", case, "--out", runs[key], "--set", "run.device=cpu",
                            *[a for s in list(settings) + extra for a in ("--set", s)])
            if processors:
                self.assertIn(" x ".join(map(str, processors + [1] * (3 - len(processors)))) +
                              " blocks", r.stderr)
        first = runs.pop("r1_")
        for other in runs.values():
            self.assert_same_run(first, other, name)
        return runs

    def tall_channel(self, steps=120, every=0):
        path = os.path.join(self.tmp.name, f"tall_{steps}_{every}.toml")
        with open(path, "w") as f:
            f.write(TALL_CHANNEL.format(steps=steps, every=every))
        return path

    def test_cavity(self):
        runs = self.same_on_1_2_and_4_ranks(
            os.path.join(CASES, "cavity_re100.toml"), "cavity_re100", "lbm.domain.cells=[32,32]",
            "lbm.steps=200", "lbm.output_every=100", "lbm.check_every=50")
        with h5py.File(os.path.join(runs[4], "cavity_re100.h5"), "r") as f:
            self.assertEqual(f["fields/velocity/value"].shape, (3, 32, 32, 3))
            self.assertGreater(np.abs(f["fields/velocity/value"][-1]).max(), 0.1)  # the lid moved it

    def test_cylinder_forces_and_probes(self):
        runs = self.same_on_1_2_and_4_ranks(
            os.path.join(CASES, "cylinder_2d1.toml"), "cylinder_2d1", "lbm.domain.cells=[220,41]",
            "lbm.steps=200", "lbm.output_every=100", "lbm.forces.every=20", "lbm.inflow_ramp=0.5")
        with open(os.path.join(runs[2], "summary.json")) as f:
            self.assertGreater(json.load(f)["forces"]["obstacle_1"]["drag_coefficient"], 0)

    def test_tall_channel_outlet_along_the_split(self):
        self.same_on_1_2_and_4_ranks(self.tall_channel(), "tall")

    def test_periodic_box_3d(self):
        self.same_on_1_2_and_4_ranks(
            os.path.join(CASES, "periodic_box.toml"), "periodic_box",
            "lbm.domain.cells=[12,12,16]", "lbm.domain.size=[0.75,0.75,1]",
            "lbm.domain.viscosity=2e-3", "lbm.steps=40", "lbm.output_every=20",
            "lbm.check_every=10")

    def test_sphere_duct_3d(self):
        self.same_on_1_2_and_4_ranks(
            os.path.join(CASES, "sphere_duct.toml"), "sphere_duct", "lbm.domain.cells=[48,16,16]",
            "lbm.steps=40", "lbm.output_every=20", "lbm.forces.every=10", "lbm.check_every=20")

    def test_stl_wing(self):
        self.same_on_1_2_and_4_ranks(
            os.path.join(CASES, "wing_duct.toml"), "wing_duct", "lbm.domain.cells=[60,24,24]",
            "lbm.domain.viscosity=5e-5", "lbm.steps=20", "lbm.output_every=10",
            "lbm.forces.every=5", "lbm.check_every=10")

    # Blocks cut along several axes: faces, edges (D2Q9's and D3Q19's diagonals cross them) and
    # the ghost cells of both, walls and a lid across the cuts.
    def test_cavity_blocks(self):
        self.same_across_blocks(
            os.path.join(CASES, "cavity_re100.toml"), "cavity_re100", [(4, [2, 2]), (2, [1, 2])],
            "lbm.domain.cells=[32,32]", "lbm.steps=200", "lbm.output_every=100",
            "lbm.check_every=50")

    def test_cylinder_blocks(self):
        # Forces on a cylinder that four blocks share, the inflow and the outlet cut in two.
        self.same_across_blocks(
            os.path.join(CASES, "cylinder_2d1.toml"), "cylinder_2d1", [(4, [2, 2])],
            "lbm.domain.cells=[220,41]", "lbm.steps=200", "lbm.output_every=100",
            "lbm.forces.every=20", "lbm.inflow_ramp=0.5")

    def test_periodic_box_blocks_3d(self):
        self.same_across_blocks(
            os.path.join(CASES, "periodic_box.toml"), "periodic_box",
            [(4, [2, 2, 1]), (4, [1, 2, 2])], "lbm.domain.cells=[12,12,16]",
            "lbm.domain.size=[0.75,0.75,1]", "lbm.domain.viscosity=2e-3", "lbm.steps=40",
            "lbm.output_every=20", "lbm.check_every=10")

    def test_sphere_duct_blocks_3d(self):
        self.same_across_blocks(
            os.path.join(CASES, "sphere_duct.toml"), "sphere_duct", [(4, [2, 2, 1]), (4, [1, 2, 2])],
            "lbm.domain.cells=[48,16,16]", "lbm.steps=40", "lbm.output_every=20",
            "lbm.forces.every=10", "lbm.check_every=20")

    # 2 x 2 x 2 blocks on 8 ranks: every block has face, edge and corner neighbours (no D3Q19
    # link crosses a corner, so no corner message is sent: the runs show none is missing).
    def test_periodic_box_2x2x2(self):
        settings = ["lbm.domain.cells=[12,12,16]", "lbm.domain.size=[0.75,0.75,1]",
                    "lbm.domain.viscosity=2e-3", "lbm.steps=40", "lbm.output_every=20",
                    "lbm.check_every=10"]
        case = os.path.join(CASES, "periodic_box.toml")
        runs = self.same_across_blocks(case, "periodic_box", [(8, [2, 2, 2])], *settings)
        # `twinsim check --ranks 8` shows the split before a job is submitted: the run's line.
        r = self.run_ok(1, "check", case, "--ranks", "8",
                        *[a for s in settings + ["lbm.processors=[2,2,2]"] for a in ("--set", s)])
        line = r.stdout.splitlines()[-1]
        self.assertTrue(line.startswith("lbm: 2 x 2 x 2 blocks"), r.stdout)
        with open(os.path.join(runs["r8_2x2x2"], "log.txt")) as f:
            self.assertIn(line, f.read())

    def test_sphere_duct_2x2x2(self):
        # The sphere on all 8 blocks (its centre on the corner they share), the inflow and the
        # outlet each cut into 4, forces and probes.
        self.same_across_blocks(
            os.path.join(CASES, "sphere_duct.toml"), "sphere_duct", [(8, [2, 2, 2])],
            "lbm.domain.size=[0.15,0.1,0.1]", "lbm.domain.cells=[24,16,16]", "lbm.steps=40",
            "lbm.output_every=20", "lbm.forces.every=10", "lbm.check_every=20")

    def test_restart_across_blocks(self):
        # lbm.processors is a layout key (it decides only the split): a restart may change it.
        # A 2 x 2 checkpoint continued as 4 x 1 and on one rank without the key, and the one-rank
        # run's later checkpoint as 1 x 4: each rank takes its cells from the blocks that held
        # them (the writers' cuts are in the checkpoint), bit for bit the uninterrupted run.
        case = self.tall_channel(steps=160, every=40)
        blocks = os.path.join(self.tmp.name, "blocks")
        self.run_ok(4, "run", case, "--out", blocks, "--set", "lbm.processors=[2,2]")
        step80 = os.path.join("checkpoints", "step_0000000080.h5")
        slabs = os.path.join(self.tmp.name, "slabs")
        shutil.copytree(blocks, slabs)
        r = self.run_ok(4, "run", case, "--out", slabs, "--set", "lbm.processors=[4,1]",
                        "--restart", os.path.join(slabs, step80))
        self.assertIn("4 x 1 x 1 blocks", r.stderr)
        self.assertIn("differs from this one in layout keys only", r.stderr)
        self.assertIn("written by 4 rank(s): its state is split again for 4", r.stderr)
        self.assert_same_run(blocks, slabs, "tall")
        one = os.path.join(self.tmp.name, "one")
        shutil.copytree(blocks, one)
        r = self.run_ok(1, "run", case, "--out", one, "--restart", os.path.join(one, step80))
        self.assertIn("written by 4 rank(s): its state is split again for 1", r.stderr)
        self.assert_same_run(blocks, one, "tall")
        self.run_ok(4, "run", case, "--out", one, "--set", "lbm.processors=[1,4]", "--restart",
                    os.path.join(one, "checkpoints", "step_0000000120.h5"))
        self.assert_same_run(blocks, one, "tall")
        # Any other key is still another case.
        r = twinsim(1, "run", case, "--out", one, "--set", "lbm.processors=[4,1]", "--set",
                    "lbm.domain.viscosity=0.003", "--restart", os.path.join(one, step80))
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("checkpoint has 'viscosity = 0.002', this case has 'viscosity = 0.003'",
                      r.stderr)

    def test_blocks_that_do_not_fit_are_refused(self):
        r = twinsim(4, "run", os.path.join(CASES, "cavity_re100.toml"), "--out",
                    os.path.join(self.tmp.name, "narrow"), "--set", "lbm.domain.cells=[32,32]",
                    "--set", "lbm.processors=[1,2]")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("1 x 2 x 1 blocks were asked for (lbm.processors)", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp.name, "narrow")))

    def test_restart_on_two_ranks(self):
        case = self.tall_channel(steps=160, every=40)
        reference = os.path.join(self.tmp.name, "reference")
        self.run_ok(2, "run", case, "--out", reference)
        steps = sorted(os.path.basename(p) for p in glob.glob(f"{reference}/checkpoints/*.h5"))
        rank1 = sorted(os.path.basename(p) for p in
                       glob.glob(f"{reference}/checkpoints/rank_1/*.h5"))
        self.assertGreater(len(steps), 2)
        self.assertEqual(steps, rank1)
        middle = os.path.join(self.tmp.name, "middle")
        shutil.copytree(reference, middle)
        self.run_ok(2, "run", case, "--out", middle, "--restart",
                    os.path.join(middle, "checkpoints", steps[1]))
        self.assert_same_run(reference, middle, "tall")
        # The same run on one rank: the same results (bit for bit across rank counts).
        one = os.path.join(self.tmp.name, "one")
        self.run_ok(1, "run", case, "--out", one)
        self.assert_same_run(reference, one, "tall")

    def test_restart_on_another_rank_count(self):
        # A checkpoint of 2 ranks (each its own block) continued on 1 and on 4: each rank takes
        # its layers from the blocks that held them; bit for bit the uninterrupted run.
        case = self.tall_channel(steps=160, every=40)
        reference = os.path.join(self.tmp.name, "reference")
        self.run_ok(2, "run", case, "--out", reference)
        for ranks in (1, 4):
            other = os.path.join(self.tmp.name, f"on{ranks}")
            shutil.copytree(reference, other)
            r = self.run_ok(ranks, "run", case, "--out", other, "--restart",
                            os.path.join(other, "checkpoints", "step_0000000080.h5"))
            self.assertIn(f"written by 2 rank(s): its state is split again for {ranks}", r.stderr)
            self.assert_same_run(reference, other, "tall")
        # The 4-rank checkpoint of step 120 continues on 2 ranks.
        again = os.path.join(self.tmp.name, "on4")
        self.run_ok(2, "run", case, "--out", again, "--restart",
                    os.path.join(again, "checkpoints", "step_0000000120.h5"))
        self.assert_same_run(reference, again, "tall")

    def test_a_failure_on_one_rank_ends_every_rank(self):
        # Rank 1 alone cannot write its checkpoint of step 80 (a folder stands where the file
        # goes) while rank 0 writes its own and steps on into the next halo exchange, where it
        # would wait for rank 1 forever. Both must end within seconds, exit 1, with rank 1's
        # message in rank 0's summary (status failed, written once) and log.
        case = self.tall_channel(steps=400, every=40)
        reference = os.path.join(self.tmp.name, "reference")
        self.run_ok(2, "run", case, "--out", reference)
        broken = os.path.join(self.tmp.name, "broken")
        shutil.copytree(reference, broken)
        os.remove(os.path.join(broken, "summary.json"))
        step80 = os.path.join(broken, "checkpoints", "rank_1", "step_0000000080.h5")
        for name in glob.glob(step80 + "*"):
            os.remove(name)
        os.makedirs(os.path.join(step80, "in_the_way"))
        started = time.monotonic()
        r = twinsim(2, "run", case, "--out", broken, "--restart",
                    os.path.join(broken, "checkpoints", "step_0000000040.h5"), timeout=60)
        self.assertLess(time.monotonic() - started, 30, "the ranks waited for the failed one")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("rank 1 failed: cannot rename", r.stderr)
        with open(os.path.join(broken, "summary.json")) as f:
            summary = json.load(f)
        self.assertEqual(summary["status"], "failed")
        self.assertTrue(summary["failure"].startswith("rank 1 failed: cannot rename"),
                        summary["failure"])
        with open(os.path.join(broken, "log.txt")) as f:
            self.assertIn("error: rank 1 failed: cannot rename", f.read())
        with h5py.File(os.path.join(broken, "tall.h5"), "r") as f:
            self.assertEqual(f.attrs["status"], "failed")


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1] + sys.argv[3:], verbosity=2)
