"""Data-parallel `twinsim train` across MPI ranks (surrogates: Learner::train_across).

Run by CTest as: /usr/bin/python3 test_mpi_train.py <path to twinsim> <mpirun>

- 1, 2 and 4 ranks with the same global batch give the same parameters and losses to round-off.
  Not bit for bit: one rank sums a batch's gradient over its windows in one accumulation, P
  ranks each sum their part and MPI sums the P parts, so the additions are grouped differently
  (a few units of the last place per step, which Adam's update, divided by sqrt(v), carries
  on: over 15-24 steps the parameters differed by 1e-15 .. 7e-15 relative in float64 (tolerance
  1e-11) and 1e-6 .. 5e-6 in float32 (tolerance 1e-4)). On 4 ranks a batch of 6 is cut 2, 2, 1, 1, and with a batch of 4 each
  epoch's last batch (2 of 30 windows) leaves ranks 2 and 3 without windows: the weighting by
  share is checked too, with both losses, and rollout training (train.rollout_steps = 2).
- Every rank holds the same parameters and Adam state (their checkpoints, one per rank, are
  equal bit for bit), and rank 0 alone writes model.h5 and history.csv.
- A 2-rank run stopped at a checkpoint and restarted equals the uninterrupted 2-rank run bit
  for bit; restarted on 1 or 4 ranks (and a 1-rank run on 2) it equals it to round-off.
- A batch smaller than the rank count is refused before anything is written (exit 2).
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

from test_mpi import ENV, history, killed_after, parameters, twinsim

TWINSIM = sys.argv[1]


# 12 vorticity trajectories of 6 frames on 16 x 16 (one rank, a second or two).
DATA = """
[run]
name = "data"
solver = "spectral"
device = "cpu"

[spectral]
nx = 16
ny = 16
nu = 1e-3
dt = 1e-3
t_end = 0.25
snapshot_interval = 0.05
scheme = "cn_euler"
precision = "float64"
forcing = "fno"
forcing_amplitude = 0.1
initial = "random"
alpha = 2.5
tau = 7.0
sigma = 26.191601707417593
seed = 5
samples = 12
batch = 12
"""

# 10 training trajectories x 3 windows = 30 windows: batches of 6 make 5 steps an epoch; with
# train.batch = 4 the last batch holds 2 windows (fewer than 4 ranks).
TRAIN = """
[run]
name = "fno"
device = "cpu"

[data]
files = ["{data}"]
train_samples = 10
test_samples = 2
in_frames = 3

[model]
kind = "fno2d"
width = 6
modes = 4
layers = 2
projection = 12

[optimizer]
kind = "adam"
lr = 1e-2
schedule = "cosine"

[train]
epochs = {epochs}
batch = {batch}
loss = "{loss}"
precision = "{precision}"
rollout_steps = {rollout}
seed = 2

[checkpoint]
every_steps = {every}
keep = 50
"""

# Relative to the largest value, see the top of the file: float64 measured 1e-15 .. 7e-15,
# float32 1e-6 .. 5e-6.
TOLERANCE = {"float64": 1e-11, "float32": 1e-4}


def state(checkpoint):
    with h5py.File(checkpoint, "r") as f:
        found = {}
        f["state"].visititems(lambda name, obj: found.__setitem__(name, obj[()])
                              if isinstance(obj, h5py.Dataset) else None)
        return found


class DataParallelTraining(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="twinsim-mpi-train-")
        data_case = os.path.join(cls.tmp.name, "data.toml")
        with open(data_case, "w") as f:
            f.write(DATA)
        out = os.path.join(cls.tmp.name, "data")
        r = subprocess.run([TWINSIM, "run", data_case, "--out", out], capture_output=True,
                           text=True, env=ENV, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        cls.data = os.path.join(out, "data.h5")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def case(self, batch=6, epochs=3, every=0, loss="relative_l2", precision="float64",
             rollout=1):
        path = os.path.join(self.tmp.name,
                            f"train_{batch}_{epochs}_{every}_{loss}_{precision}_{rollout}.toml")
        with open(path, "w") as f:
            f.write(TRAIN.format(data=self.data, batch=batch, epochs=epochs, every=every,
                                 loss=loss, precision=precision, rollout=rollout))
        return path

    def train(self, ranks, case, name, *args, status=0):
        out = os.path.join(self.tmp.name, name)
        r = twinsim(ranks, "train", case, "--out", out, *args)
        self.assertEqual(r.returncode, status, r.stdout + r.stderr)
        return out, r

    def assert_close(self, a, b, precision, what):
        scale = max(np.max(np.abs(a)), 1e-300)
        self.assertLessEqual(np.max(np.abs(a - b)) / scale, TOLERANCE[precision], what)

    def test_1_2_and_4_ranks_train_the_same_model_to_round_off(self):
        for loss, batch, precision, rollout in (
                ("relative_l2", 6, "float64", 1), ("mse", 4, "float64", 1),
                ("mse", 4, "float32", 1), ("relative_l2", 4, "float64", 2)):
            case = self.case(batch=batch, every=5, loss=loss, precision=precision,
                             rollout=rollout)
            runs = {ranks: self.train(ranks, case, f"r{ranks}_{loss}_{precision}_{rollout}")[0]
                    for ranks in (1, 2, 4)}
            one = parameters(runs[1])
            header, losses = history(runs[1])
            self.assertEqual(len(losses), 3)
            column = header.index("train_loss")
            self.assertLess(losses[-1, column], 0.9 * losses[0, column])  # it learns
            for ranks in (2, 4):
                theirs = parameters(runs[ranks])
                self.assertEqual(sorted(theirs), sorted(one))
                for name in one:
                    self.assert_close(one[name], theirs[name], precision,
                                      f"{loss} {precision} {ranks} ranks: {name}")
                their_header, their_losses = history(runs[ranks])
                self.assertEqual(their_header, header)
                self.assert_close(losses, their_losses, precision,
                                  f"{loss} {precision} {ranks} ranks: history")
                # Rank 0 alone writes the run folder's files; each rank checkpoints its state,
                # and every rank's state is the same, bit for bit.
                self.assertEqual(sorted(os.listdir(runs[ranks])), sorted(os.listdir(runs[1])))
                for rank_0 in sorted(glob.glob(os.path.join(runs[ranks], "checkpoints",
                                                            "step_*.h5"))):
                    mine = state(rank_0)
                    for rank in range(1, ranks):
                        other = state(os.path.join(os.path.dirname(rank_0), f"rank_{rank}",
                                                   os.path.basename(rank_0)))
                        learner = [k for k in mine if k.startswith("learner/")]
                        self.assertTrue(learner)
                        for k in learner + ["train/loss_sum"]:
                            self.assertTrue(np.array_equal(mine[k], other[k]),
                                            f"{rank_0}: rank {rank}: {k}")

    def test_a_2_rank_restart_equals_the_uninterrupted_2_rank_run_bit_for_bit(self):
        case = self.case(epochs=3, every=7)
        whole, _ = self.train(2, case, "whole")
        # A copy of the run as a kill after the checkpoint at step 7 (mid-epoch 2) leaves it:
        # the later checkpoints and model.h5 gone; then --restart from step 7 on 2 ranks.
        cut = os.path.join(self.tmp.name, "cut")
        restart, rank_files = killed_after(whole, cut, "step_0000000007.h5")
        self.assertEqual(rank_files, 2)
        _, r = self.train(2, case, "cut", "--restart", restart)
        self.assertIn("restart from", r.stderr)
        a, b = parameters(whole), parameters(cut)
        self.assertEqual(sorted(a), sorted(b))
        for name in a:
            self.assertTrue(np.array_equal(a[name], b[name]), name)
        self.assertTrue(np.array_equal(history(whole)[1], history(cut)[1]))

    def test_a_restart_on_another_rank_count_continues_to_round_off(self):
        # Every rank holds the same parameters, Adam state and place in the epoch, and the
        # window order is a function of (seed, epoch): any rank count continues from rank 0's
        # checkpoint of step 7 (mid-epoch 2), 2 -> 1, 2 -> 4 and 1 -> 2, and ends where the
        # uninterrupted run of the writers' count ends, to round-off (the gradient sums are
        # grouped by the new count, see the top of the file).
        case = self.case(epochs=3, every=7)
        whole = {ranks: self.train(ranks, case, f"whole{ranks}")[0] for ranks in (1, 2)}
        for written, ranks in ((2, 1), (2, 4), (1, 2)):
            cut = os.path.join(self.tmp.name, f"from{written}on{ranks}")
            shutil.copytree(whole[written], cut)
            os.remove(os.path.join(cut, "model.h5"))
            _, r = self.train(ranks, case, f"from{written}on{ranks}", "--restart",
                              os.path.join(cut, "checkpoints", "step_0000000007.h5"))
            self.assertIn(f"written by {written} rank(s)", r.stderr)
            a, b = parameters(whole[written]), parameters(cut)
            self.assertEqual(sorted(a), sorted(b))
            for name in a:
                self.assert_close(a[name], b[name], "float64", f"{written} -> {ranks}: {name}")
            header, losses = history(whole[written])
            their_header, their_losses = history(cut)
            self.assertEqual(header, their_header)
            self.assert_close(losses, their_losses, "float64", f"{written} -> {ranks}: history")

    def test_a_batch_smaller_than_the_rank_count_is_refused(self):
        out = os.path.join(self.tmp.name, "small_batch")
        r = twinsim(4, "train", self.case(batch=3), "--out", out)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("train.batch = 3 is less than the 4 MPI ranks", r.stderr)
        self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
