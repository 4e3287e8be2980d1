"""twinsim run across MPI ranks, as `mpirun -n N twinsim run` and `srun -n N` start it.
The other tests here take its helpers (command, twinsim, datasets, figures).

Run by CTest as: /usr/bin/python3 test_mpi.py <path to twinsim> <mpirun>

Bit for bit across rank counts needs every rank to see the processors a one-rank run sees:
Thrust's OpenMP reductions split their work by omp_get_num_procs(), and Open MPI binds 2 ranks
to one core each by default, so the ranks are started with --bind-to none (and one thread each).
"""
import csv
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import h5py
import numpy as np

TWINSIM = sys.argv[1]
MPIRUN = sys.argv[2]

ENV = dict(os.environ, OMP_NUM_THREADS="1", OMPI_ALLOW_RUN_AS_ROOT="1",
           OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_rmaps_base_oversubscribe="1")

# A spectral ensemble of 7 samples in batches of 2: 4 batches, so 2 ranks run 2 rounds and 4
# ranks one round in which the last batch holds one sample.
ENSEMBLE = """
[run]
name = "ens"
solver = "spectral"
device = "cpu"

[checkpoint]
every_steps = {every}
keep = 20

[spectral]
nx = {n}
ny = {n}
nu = 1e-3
dt = 1e-3
t_end = {t_end}
snapshot_interval = {interval}
scheme = "cn_euler"
precision = "float64"
forcing = "fno"
forcing_amplitude = 0.1
initial = "random"
alpha = 2.5
tau = 7.0
sigma = 26.191601707417593
seed = 3
samples = 7
batch = 2
stored_nx = 16
stored_ny = 16
"""

# Figures that say how the run went rather than what it computed.
RUN_FIGURES = ("timing", "mpi", "restart", "checkpoints", "steps", "command_line", "start_utc",
               "end_utc", "performance")


def command(ranks, *args):
    return [MPIRUN, "-np", str(ranks), "--oversubscribe", "--bind-to", "none", TWINSIM, *args]


def twinsim(ranks, *args, timeout=120):
    return subprocess.run(command(ranks, *args), capture_output=True, text=True, env=ENV,
                          timeout=timeout)


def datasets(path):
    found = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and not name.startswith("xdmf"):
                found[name] = obj[()]
        f.visititems(visit)
    return found


def parameters(folder):
    """A trained model's parameters by name (model.h5)."""
    with h5py.File(os.path.join(folder, "model.h5"), "r") as m:
        return {k: m["parameters"][k][()] for k in m["parameters"]}


def history(folder, columns=None):
    """history.csv's header and rows (an array): the named columns, or every column but the
    wall clock's (seconds)."""
    with open(os.path.join(folder, "history.csv")) as f:
        rows = list(csv.reader(f))
    keep = ([rows[0].index(c) for c in columns] if columns else
            [i for i, name in enumerate(rows[0]) if not name.startswith("seconds")])
    return [rows[0][i] for i in keep], np.array([[float(r[i]) for i in keep] for r in rows[1:]])


def killed_after(whole, cut, at):
    """A copy of the run folder `whole` at `cut` as a kill right after the checkpoint `at` (its
    file name, e.g. step_0000000150.h5) leaves it: model.h5 and the other checkpoints gone.
    Returns the path to pass to --restart and how many ranks' files of `at` there are."""
    shutil.copytree(whole, cut)
    os.remove(os.path.join(cut, "model.h5"))
    for ckpt in glob.glob(os.path.join(cut, "checkpoints", "**", "step_*.h5"), recursive=True):
        if not ckpt.endswith(at):
            os.remove(ckpt)
    kept = glob.glob(os.path.join(cut, "checkpoints", "**", at), recursive=True)
    return os.path.join(cut, "checkpoints", at), len(kept)


def assert_in_situ_refusals(test, out, case, *args):
    """A 2-rank in-situ run with train.batch below the rank count, and one with a wall-clock
    share (which would give the ranks different step counts), exit 2 and write nothing."""
    for extra, message in (
            (["--set", "train.batch=1"], "train.batch = 1 is less than the 2 MPI ranks"),
            (["--set", "samples.share=0.5"], "samples.share = 0.5")):
        r = twinsim(2, "run", case, *args, *extra, "--out", out)
        test.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        test.assertIn(message, r.stderr)
        test.assertFalse(os.path.exists(out))


def figures(run):
    with open(os.path.join(run, "summary.json")) as f:
        s = json.load(f)
    return {k: v for k, v in s.items() if k not in RUN_FIGURES}


class Ranks(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="twinsim-mpi-")
        self.addCleanup(self.tmp.cleanup)

    def case(self, every=0, n=32, t_end=0.2, interval=0.05):
        path = os.path.join(self.tmp.name, f"ens_{n}_{every}_{t_end}.toml")
        with open(path, "w") as f:
            f.write(ENSEMBLE.format(every=every, n=n, t_end=t_end, interval=interval))
        return path

    def run_ok(self, ranks, *args):
        r = twinsim(ranks, *args)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def assert_same_run(self, a, b):
        x, y = datasets(os.path.join(a, "ens.h5")), datasets(os.path.join(b, "ens.h5"))
        self.assertEqual(sorted(x), sorted(y))
        for name in x:
            self.assertTrue(np.array_equal(x[name], y[name]), f"{name}: {a} vs {b}")
        with open(os.path.join(a, "ens.xmf")) as f, open(os.path.join(b, "ens.xmf")) as g:
            self.assertEqual(f.read(), g.read())
        self.assertEqual(figures(a), figures(b))

    def test_ensemble_is_the_same_on_1_2_and_4_ranks(self):
        case = self.case()
        runs = {}
        for ranks in (1, 2, 4):
            runs[ranks] = os.path.join(self.tmp.name, f"r{ranks}")
            r = self.run_ok(ranks, "run", case, "--out", runs[ranks])
            if ranks > 1:
                self.assertIn(f"MPI: {ranks} ranks on 1 node", r.stderr)
        with h5py.File(os.path.join(runs[1], "ens.h5"), "r") as f:
            self.assertEqual(f["/vorticity/value"].shape, (7, 5, 16, 16))
        with open(os.path.join(runs[4], "summary.json")) as f:
            self.assertEqual(json.load(f)["mpi"]["ranks"], 4)
        for ranks in (2, 4):
            self.assert_same_run(runs[1], runs[ranks])
            # Only rank 0 writes the run folder's files.
            self.assertEqual(sorted(os.listdir(runs[ranks])), sorted(os.listdir(runs[1])))

    def test_stop_signal_on_one_rank_checkpoints_every_rank_at_one_step(self):
        case = self.case(every=400, n=64, t_end=2.0, interval=0.5)
        reference = os.path.join(self.tmp.name, "reference")
        self.run_ok(2, "run", case, "--out", reference)
        # Every rank checkpoints at the same steps, rank 1 into checkpoints/rank_1.
        steps = sorted(os.path.basename(p) for p in glob.glob(f"{reference}/checkpoints/*.h5"))
        rank1 = sorted(os.path.basename(p) for p in
                       glob.glob(f"{reference}/checkpoints/rank_1/*.h5"))
        self.assertGreater(len(steps), 2)
        self.assertEqual(steps, rank1)

        # A restart from a checkpoint in the middle continues bit for bit.
        middle = os.path.join(self.tmp.name, "middle")
        shutil.copytree(reference, middle)
        self.run_ok(2, "run", case, "--out", middle, "--restart",
                    os.path.join(middle, "checkpoints", steps[1]))
        self.assert_same_run(reference, middle)

        # SIGTERM to rank 1 alone: both ranks checkpoint at the same step and stop (exit 3).
        stopped = os.path.join(self.tmp.name, "stopped")
        p = subprocess.Popen(command(2, "run", case, "--out", stopped), env=ENV,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        rank = self.wait_for_rank(p.pid, 1)
        # After rank 1's first checkpoint, well before the last (a fixed sleep let a fast
        # machine finish the run first).
        deadline = time.time() + 60
        while time.time() < deadline and not glob.glob(f"{stopped}/checkpoints/rank_1/*.h5"):
            time.sleep(0.01)
        os.kill(rank, signal.SIGTERM)
        out, _ = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 3, out)
        with open(os.path.join(stopped, "summary.json")) as f:
            self.assertEqual(json.load(f)["status"], "interrupted")
        last0 = sorted(glob.glob(f"{stopped}/checkpoints/*.h5"))[-1]
        last1 = sorted(glob.glob(f"{stopped}/checkpoints/rank_1/*.h5"))[-1]
        self.assertEqual(os.path.basename(last0), os.path.basename(last1))

        # The same count finishes bit for bit, and so does one rank (the round in flight dealt
        # out again, test_restart_on_another_rank_count).
        alone = os.path.join(self.tmp.name, "alone")
        shutil.copytree(stopped, alone)
        self.run_ok(2, "run", case, "--out", stopped, "--restart", "latest")
        self.assert_same_run(reference, stopped)
        self.run_ok(1, "run", case, "--out", alone, "--restart", "latest")
        self.assert_same_run(reference, alone)

    def test_restart_on_another_rank_count(self):
        # 7 samples in batches of 2, 200 steps a round, a checkpoint every 100 steps (the
        # middle and the start of a round). A checkpoint of 2 ranks continues on 1 (from step
        # 300: round 2's 3 samples on one rank) and on 4 (from step 100: round 1's 4 samples one
        # per rank, then a usual round of 3), one of 1 rank on 2 (step 300: batch 2's 2 samples,
        # one per rank), one of 4 ranks on 2 (step 100: the one round's 7 samples as 4 and 3).
        # Every rank count gives the same dataset bit for bit, so each continued run must be
        # the uninterrupted one-rank run, bit for bit.
        case = self.case(every=100)
        whole = {}
        for ranks in (1, 2, 4):
            whole[ranks] = os.path.join(self.tmp.name, f"whole{ranks}")
            self.run_ok(ranks, "run", case, "--out", whole[ranks])
        for written, ranks, step in ((2, 1, 300), (2, 4, 100), (1, 2, 300), (4, 2, 100)):
            other = os.path.join(self.tmp.name, f"from{written}on{ranks}")
            shutil.copytree(whole[written], other)
            r = self.run_ok(ranks, "run", case, "--out", other, "--restart",
                            os.path.join(other, "checkpoints", f"step_{step:010d}.h5"))
            self.assertIn(f"written by {written} rank(s): its state is split again for {ranks}",
                          r.stderr)
            self.assert_same_run(whole[1], other)

    def test_a_solver_that_is_not_decomposed_is_refused_on_two_ranks(self):
        case = os.path.join(self.tmp.name, "tg.toml")
        with open(case, "w") as f:
            f.write('[run]\nname = "tg"\nsolver = "taylor_green_check"\ndevice = "cpu"\n\n'
                    '[taylor_green]\nn = 16\n')
        out = os.path.join(self.tmp.name, "tg")
        r = twinsim(2, "run", case, "--out", out)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("not decomposed across MPI ranks", r.stderr)
        self.assertFalse(os.path.exists(out))
        self.run_ok(1, "run", case, "--out", out)  # one rank under mpirun: as without it

    def test_info_shows_the_mpi_library_and_the_rank_layout(self):
        r = self.run_ok(2, "info")
        self.assertIn("Open MPI", r.stdout)
        for rank in (0, 1):
            self.assertIn(f"2 ranks on 1 node (this is rank {rank}, local rank {rank} of 2)",
                          r.stdout)
        # --json on each rank: mpirun keeps each rank's output apart.
        apart = os.path.join(self.tmp.name, "info")
        subprocess.run([MPIRUN, "-np", "2", "--oversubscribe", "--output-filename", apart,
                        TWINSIM, "info", "--json"], env=ENV, check=True, timeout=60,
                       capture_output=True)
        for rank in (0, 1):
            with open(glob.glob(f"{apart}/*/rank.{rank}/stdout")[0]) as f:
                mpi = json.load(f)["mpi"]
            self.assertTrue(mpi["built"])
            self.assertIn("Open MPI", mpi["library"])
            self.assertEqual((mpi["ranks"], mpi["nodes"], mpi["rank"], mpi["local_rank"],
                              mpi["local_ranks"]), (2, 1, rank, rank, 2))

    def wait_for_rank(self, mpirun, rank):
        """The pid of the given rank among mpirun's children."""
        deadline = time.time() + 30
        while time.time() < deadline:
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    with open(f"/proc/{pid}/stat") as f:
                        parent = int(f.read().rsplit(")", 1)[1].split()[1])
                    with open(f"/proc/{pid}/environ", "rb") as f:
                        env = f.read().split(b"\0")
                except OSError:
                    continue
                if parent == mpirun and f"OMPI_COMM_WORLD_RANK={rank}".encode() in env:
                    return int(pid)
            time.sleep(0.05)
        self.fail(f"rank {rank} of mpirun {mpirun} did not start")


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
