"""The lattice Boltzmann and MD ensembles across MPI ranks, with in-situ training
(solvers/lbm/src/Ensemble.cpp, solvers/md/src/Ensemble.cpp, surrogates/InSitu.hpp): ensemble
parallelism, each member run whole on one rank (round k: rank r runs member kP + r), every
member's trajectory (LBM) or table row (MD) handed to every rank's sample buffer in member
order, and the training data parallel (Learner::train_across) as test_mpi_in_situ.py checks
for the spectral ensemble.

Run by CTest as: /usr/bin/python3 test_mpi_ensembles.py <path to twinsim> <mpirun> <source dir>

- 2 ranks equal 1 rank (training after the solver, steps_per_sample = 0): the run's file bit
  for bit (every dataset but the history's), the model and the losses to round-off (the batch
  gradient summed in another grouping: float64 within 1e-11 relative); an odd member count, so
  one rank idles in the last round; rank 0 alone writes the run folder's files.
- The LBM ensemble without training (its trajectories gathered to rank 0 for the file) equals
  one rank bit for bit; a 2-rank run restarted from a checkpoint inside a round equals the
  uninterrupted 2-rank run bit for bit (training during the run).
- Restarts on another rank count (loop::Rounds deals the round in flight out again), training
  after the solver, as test_mpi_in_situ.py checks the spectral ensemble's: a 2-rank checkpoint
  inside a round continued on 1 rank (which then runs the round's 2 members at once), that
  run's checkpoint inside the round continued on 2 ranks again, a 1-rank checkpoint inside a
  member continued on 2 ranks (one of them idles through that member's round): the run's file
  bit for bit the uninterrupted run's, the model and losses to round-off, for the LBM and the
  MD ensemble.
- An md_ensemble on 3 ranks whose boxes take no 3 bricks runs (its members are never cut).
- Refused before anything is written (exit 2): train.batch below the rank count, samples.share.
"""
import os
import re
import sys
import tempfile
import unittest

import h5py
import numpy as np

from test_mpi import (assert_in_situ_refusals, datasets, history, killed_after, parameters,
                      twinsim)

SOURCE = sys.argv[3]
LBM = os.path.join(SOURCE, "cases", "surrogate", "lbm_cavity_insitu.toml")
MD = os.path.join(SOURCE, "cases", "surrogate", "mlp_lj_eos_insitu.toml")

# 5 members of 16^2 cells, 120 steps, a frame every 40 (4 frames); the last held out.
LBM_ARGS = ["--set", "lbm.domain.cells=[16, 16]", "--set", "lbm.steps=120",
            "--set", "lbm.output_every=40", "--set", "lbm.ensemble.reynolds=[60, 100, 140, 120, 80]",
            "--set", "samples.test=[4]", "--set", "samples.in_frames=2",
            "--set", "model.width=6", "--set", "model.modes=4", "--set", "model.projection=16",
            "--set", "train.batch=4", "--set", "train.epochs=3",
            "--set", "train.precision=float64", "--device", "cpu"]
# 5 state points of 108 atoms, 200 steps each; the last held out.
MD_ARGS = ["--set", "md.cells=[3, 3, 3]", "--set", "md.cutoff=2.0", "--set", "md.steps=200",
           "--set", "md.equilibrate=100", "--set", "md.ensemble.density=[0.6, 0.9, 0.75, 0.6, 0.8]",
           "--set", "md.ensemble.temperature=[1.5, 2.5, 2.0, 2.5, 1.75]",
           "--set", "samples.test=[4]", "--set", "train.batch=2", "--set", "train.epochs=10",
           "--device", "cpu"]
AFTER = ["--set", "samples.steps_per_sample=0"]
LOSSES = ("epoch", "learning_rate", "train_loss", "test_loss")
TOLERANCE = 1e-11


def without_training(case, folder):
    """The case with its [samples] [model] [optimizer] [train] sections left out."""
    kept, skipping = [], False
    with open(case) as f:
        for line in f:
            header = re.match(r"\[([a-z_.]+)\]", line)
            if header:
                skipping = header.group(1) in ("samples", "model", "optimizer", "train")
            if not skipping:
                kept.append(line)
    path = os.path.join(folder, "plain_" + os.path.basename(case))
    with open(path, "w") as f:
        f.write("".join(kept))
    return path


def members(path):
    """An md_ensemble's /members table: its attributes and each member's."""
    with h5py.File(path, "r") as f:
        m = f["members"]
        found = {k: m.attrs[k] for k in m.attrs}
        for name in m.attrs["names"]:
            found.update({f"{name}/{k}": m[name].attrs[k] for k in m[name].attrs})
        return found


class EnsemblesAcrossRanks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="twinsim-mpi-ensembles-")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_case(self, ranks, name, case, *args, status=0):
        out = os.path.join(self.tmp.name, name)
        r = twinsim(ranks, "run", case, *args, "--out", out)
        self.assertEqual(r.returncode, status, r.stdout + r.stderr)
        return out, r

    def assert_same_file(self, one, two, name):
        a = datasets(os.path.join(one, name + ".h5"))
        b = datasets(os.path.join(two, name + ".h5"))
        self.assertEqual(sorted(a), sorted(b))
        for key in a:
            if not key.startswith("history"):  # its seconds column is the wall clock
                self.assertTrue(np.array_equal(a[key], b[key]), key)
        if name.startswith("mlp"):  # an md_ensemble's table is attributes
            ta, tb = members(os.path.join(one, name + ".h5")), members(os.path.join(two, name + ".h5"))
            self.assertEqual(sorted(ta), sorted(tb))
            self.assertGreater(len(ta), 5 * 4)
            for key in ta:
                self.assertTrue(np.array_equal(ta[key], tb[key]), key)

    def assert_close(self, a, b, what):
        scale = max(np.max(np.abs(a)), 1e-300)
        self.assertLessEqual(np.max(np.abs(a - b)) / scale, TOLERANCE, what)

    def assert_same_model(self, one, two, what):
        a, b = parameters(one), parameters(two)
        self.assertEqual(sorted(a), sorted(b))
        for name in a:
            self.assert_close(a[name], b[name], f"{what}: {name}")
        la, lb = history(one, LOSSES)[1], history(two, LOSSES)[1]
        self.assertEqual(la.shape, lb.shape)
        self.assert_close(la, lb, f"{what}: history")

    def one_and_more_ranks(self, case, args, name, ranks=2):
        one, _ = self.run_case(1, f"{name}_against_{ranks}", case, *args)
        more, r = self.run_case(ranks, f"{name}_{ranks}", case, *args)
        self.assertIn(f"in situ: data parallel over {ranks} ranks", r.stderr)
        self.assert_same_file(one, more, name)
        self.assert_same_model(one, more, f"{name}, {ranks} ranks")
        self.assertEqual(sorted(os.listdir(one)), sorted(os.listdir(more)))

    def test_lbm_ensemble_in_situ_on_2_ranks_equals_1_rank(self):
        self.one_and_more_ranks(LBM, LBM_ARGS + AFTER, "lbm_cavity_insitu")

    def test_md_ensemble_in_situ_on_2_ranks_equals_1_rank(self):
        self.one_and_more_ranks(MD, MD_ARGS + AFTER, "mlp_lj_eos_insitu")

    def test_md_ensemble_on_3_ranks_does_not_cut_its_members_boxes(self):
        # No 3 bricks fit the density-0.6 box (5.6 sigma, bricks >= 2.3): a run split across 3
        # ranks is refused, but each member here runs whole on its rank.
        args = MD_ARGS + AFTER + ["--set", "train.batch=3"]
        self.one_and_more_ranks(MD, args, "mlp_lj_eos_insitu", ranks=3)

    def test_lbm_ensemble_without_training_on_2_ranks_equals_1_rank(self):
        case = without_training(LBM, self.tmp.name)
        solver = LBM_ARGS[:8] + ["--device", "cpu"]  # the [lbm] keys and members only
        one, _ = self.run_case(1, "plain_1", case, *solver)
        two, _ = self.run_case(2, "plain_2", case, *solver)
        self.assert_same_file(one, two, "lbm_cavity_insitu")

    def test_a_2_rank_lbm_restart_inside_a_round_equals_the_uninterrupted_run(self):
        args = LBM_ARGS + ["--set", "samples.steps_per_sample=2",
                           "--set", "checkpoint.every_steps=100", "--set", "checkpoint.keep=100"]
        whole, _ = self.run_case(2, "whole", LBM, *args)
        # As a kill after the checkpoint at step 200 (the second round, step 80) leaves it.
        cut = os.path.join(self.tmp.name, "cut")
        restart, rank_files = killed_after(whole, cut, "step_0000000200.h5")
        self.assertEqual(rank_files, 2)
        r = twinsim(2, "run", LBM, *args, "--out", cut, "--restart", restart)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        a, b = parameters(whole), parameters(cut)
        for name in a:
            self.assertTrue(np.array_equal(a[name], b[name]), name)
        self.assertTrue(np.array_equal(history(whole)[1], history(cut)[1]))
        self.assert_same_file(whole, cut, "lbm_cavity_insitu")

    def restarts_on_another_rank_count(self, case, args, name, every, cuts):
        """Uninterrupted runs on 1 and 2 ranks (training after the solver, a checkpoint every
        `every` steps), then for each (source, written, ranks, step) of `cuts` the run `source`
        (1 or 2: those runs; else an earlier cut) cut after its checkpoint at `step`, which
        `written` ranks wrote, and continued on `ranks`: the file bit for bit, the model and
        losses to round-off."""
        args = args + AFTER + ["--set", f"checkpoint.every_steps={every}",
                               "--set", "checkpoint.keep=1000"]
        runs = {ranks: self.run_case(ranks, f"{name}_whole_{ranks}", case, *args)[0]
                for ranks in (1, 2)}
        for source, written, ranks, step in cuts:
            cut = os.path.join(self.tmp.name, f"{name}_{source}_{step}_on_{ranks}")
            restart, rank_files = killed_after(runs[source], cut, f"step_{step:010d}.h5")
            self.assertEqual(rank_files, written)
            r = twinsim(ranks, "run", case, *args, "--out", cut, "--restart", restart)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn(f"written by {written} rank(s): its state is split again for {ranks}",
                          r.stderr)
            self.assert_same_file(runs[1], cut, name)
            self.assert_same_model(runs[written], cut, f"{name}: {source} at {step} on {ranks}")
            runs[f"{source}_{step}_on_{ranks}"] = cut

    def test_lbm_ensemble_restarts_on_another_rank_count(self):
        # 120 steps a member. Step 200 of 2 ranks: members 2 and 3 at their step 80, which the
        # one rank then runs at once (to step 240); its checkpoint at step 220 holds both, and
        # 2 ranks continue them one each. Step 300 of 1 rank: member 2 at its step 60 (rank 1
        # idles through it, then members 3 and 4).
        self.restarts_on_another_rank_count(
            LBM, LBM_ARGS, "lbm_cavity_insitu", 20,
            ((2, 2, 1, 200), ("2_200_on_1", 1, 2, 220), (1, 1, 2, 300)))

    def test_md_ensemble_restarts_on_another_rank_count(self):
        # 200 steps a member: as the LBM ensemble's, steps 300, 350 (the round of members 2 and
        # 3 on one rank runs to step 400) and 500 (member 2 at its step 100).
        self.restarts_on_another_rank_count(
            MD, MD_ARGS, "mlp_lj_eos_insitu", 50,
            ((2, 2, 1, 300), ("2_300_on_1", 1, 2, 350), (1, 1, 2, 500)))

    def test_a_batch_below_the_rank_count_and_a_wall_time_share_are_refused(self):
        for case, args in ((LBM, LBM_ARGS), (MD, MD_ARGS)):
            assert_in_situ_refusals(self, os.path.join(self.tmp.name, "refused"), case, *args)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
