"""In-situ training across MPI ranks (surrogates/InSitu.hpp with Learner::train_across): the
spectral 2D ensemble's ranks each run their batches, every rank's sample buffer gets every
trajectory (the generator broadcasts each batch from its rank), and the training is data
parallel as `twinsim train`'s: each rank its part of every batch, the gradients averaged.

Run by CTest as: /usr/bin/python3 test_mpi_in_situ.py <path to twinsim> <mpirun> <source dir>

- Training after the solver (steps_per_sample = 0): 2 ranks equal 1 rank to round-off (the
  batch's gradient summed in another grouping, as test_mpi_train.py measures: float64
  parameters within 1e-11 relative), the history's losses too; the solver's dataset equal bit
  for bit; rank 0 alone writes the run folder's files.
- Training during the run (steps_per_sample = 2): a round of 2 ranks x 2 samples hands over
  what one rank's batch of 4 does, so 2 ranks with spectral.batch = 2 equal 1 rank with
  spectral.batch = 4 to round-off.
- A 2-rank run restarted from a checkpoint while the solver runs equals the uninterrupted 2-rank
  run bit for bit; restarted on 1 or 4 ranks (training after the solver), the dataset is bit
  for bit and the model equal to round-off.
- Refused before anything is written (exit 2): train.batch below the rank count, and
  samples.share (a wall-clock share would give the ranks different step counts).
"""
import os
import sys
import tempfile
import unittest

import h5py
import numpy as np

from test_mpi import assert_in_situ_refusals, history, killed_after, parameters, twinsim

SOURCE = sys.argv[3]
CASE = os.path.join(SOURCE, "cases", "surrogate", "ns2d_insitu.toml")

# 8 trajectories of 16^2 to t = 5 (6 frames), 100 steps each; 6 train, 2 held out; float64.
ARGS = ["--set", "spectral.nx=16", "--set", "spectral.ny=16", "--set", "spectral.samples=8",
        "--set", "spectral.t_end=5", "--set", "spectral.dt=0.05", "--device", "cpu",
        "--set", "model.width=6", "--set", "model.modes=4", "--set", "model.projection=16",
        "--set", "train.batch=4", "--set", "train.epochs=6", "--set", "samples.test=[6, 7]",
        "--set", "samples.in_frames=2", "--set", "train.precision=float64"]
TOLERANCE = 1e-11


def losses(folder):
    """history.csv's epoch, learning rate, train and test loss columns (its step column counts
    the solver's steps, which differ between rank counts)."""
    return history(folder, ("epoch", "learning_rate", "train_loss", "test_loss"))[1]


def vorticity(folder):
    with h5py.File(os.path.join(folder, "ns2d_insitu.h5"), "r") as f:
        return f["vorticity/value"][()]


class InSituAcrossRanks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="twinsim-mpi-in-situ-")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_case(self, ranks, name, *args, status=0):
        out = os.path.join(self.tmp.name, name)
        r = twinsim(ranks, "run", CASE, *ARGS, *args, "--out", out)
        self.assertEqual(r.returncode, status, r.stdout + r.stderr)
        return out, r

    def assert_close(self, a, b, what):
        scale = max(np.max(np.abs(a)), 1e-300)
        self.assertLessEqual(np.max(np.abs(a - b)) / scale, TOLERANCE, what)

    def assert_same_model(self, one, two, what):
        a, b = parameters(one), parameters(two)
        self.assertEqual(sorted(a), sorted(b))
        for name in a:
            self.assert_close(a[name], b[name], f"{what}: {name}")
        self.assertEqual(losses(one).shape, losses(two).shape)
        self.assert_close(losses(one), losses(two), f"{what}: history")

    def test_training_after_the_solver_on_2_ranks_equals_1_rank_to_round_off(self):
        after = ["--set", "spectral.batch=2", "--set", "samples.steps_per_sample=0"]
        one, _ = self.run_case(1, "after_1", *after)
        two, r = self.run_case(2, "after_2", *after)
        self.assertIn("in situ: data parallel over 2 ranks", r.stderr)
        self.assertEqual(len(losses(one)), 6)
        self.assert_same_model(one, two, "steps_per_sample 0, 2 ranks")
        self.assertTrue(np.array_equal(vorticity(one), vorticity(two)))
        self.assertEqual(sorted(os.listdir(one)), sorted(os.listdir(two)))

    def test_training_during_the_run_on_2_ranks_equals_1_rank_with_their_round(self):
        during = ["--set", "samples.steps_per_sample=2"]
        one, _ = self.run_case(1, "during_1", *during, "--set", "spectral.batch=4")
        two, _ = self.run_case(2, "during_2", *during, "--set", "spectral.batch=2")
        self.assert_same_model(one, two, "steps_per_sample 2, a round of 2 x 2 against 4")

    def test_a_2_rank_restart_while_the_solver_runs_equals_the_uninterrupted_run(self):
        args = ["--set", "spectral.batch=2", "--set", "samples.steps_per_sample=2",
                "--set", "checkpoint.every_steps=50", "--set", "checkpoint.keep=100"]
        whole, _ = self.run_case(2, "whole", *args)
        # As a kill after the checkpoint at solver step 150 (mid second round) leaves it.
        cut = os.path.join(self.tmp.name, "cut")
        restart, rank_files = killed_after(whole, cut, "step_0000000150.h5")
        self.assertEqual(rank_files, 2)
        r = twinsim(2, "run", CASE, *ARGS, *args, "--out", cut, "--restart", restart)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        a, b = parameters(whole), parameters(cut)
        for name in a:
            self.assertTrue(np.array_equal(a[name], b[name]), name)
        self.assertTrue(np.array_equal(losses(whole), losses(cut)))
        self.assertTrue(np.array_equal(vorticity(whole), vorticity(cut)))

    def test_a_2_rank_run_restarted_on_1_and_4_ranks_equals_the_uninterrupted_run(self):
        # Training after the solver, whose result does not depend on the rank count: the round
        # in flight is dealt out again (solver bit for bit), the buffer and trainer from rank 0.
        args = ["--set", "spectral.batch=2", "--set", "samples.steps_per_sample=0",
                "--set", "checkpoint.every_steps=50", "--set", "checkpoint.keep=100"]
        whole, _ = self.run_case(2, "whole_after", *args)
        for ranks in (1, 4):
            cut = os.path.join(self.tmp.name, f"cut_after_{ranks}")
            restart, _ = killed_after(whole, cut, "step_0000000150.h5")
            r = twinsim(ranks, "run", CASE, *ARGS, *args, "--out", cut, "--restart", restart)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertTrue(np.array_equal(vorticity(whole), vorticity(cut)), ranks)
            self.assert_same_model(whole, cut, f"2 ranks restarted on {ranks}")

    def test_a_batch_below_the_rank_count_and_a_wall_time_share_are_refused(self):
        assert_in_situ_refusals(self, os.path.join(self.tmp.name, "refused"), CASE, *ARGS)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
