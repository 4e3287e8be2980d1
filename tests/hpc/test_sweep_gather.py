"""twinsim sweep and twinsim gather as a job array uses them: task files, refusals, the gathered
file, and a training set twinsim train reads; hpc/slurm/twinsim_job.sh, the batch jobs' logic.

Run by CTest as: /usr/bin/python3 test_sweep_gather.py <path to twinsim> <repo root>
"""
import csv
import os
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
EXAMPLE = os.path.join(ROOT, "cases", "sweep", "ns2d_seeds.toml")

# A spectral dataset small enough for a fraction of a second per run: 16^2, 3 snapshots.
BASE = """[run]
name = "tiny"
solver = "spectral"

[spectral]
nx = 16
ny = 16
dt = 0.01
t_end = 0.2
snapshot_interval = 0.1
forcing = "fno"
samples = 2
batch = 2
"""


def twinsim(*args, cwd=None):
    return subprocess.run([TWINSIM, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


class Sweep(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="twinsim-sweep-")
        self.addCleanup(self.tmp.cleanup)
        self.dir = self.tmp.name

    def case(self, sweep, name="case.toml"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(BASE + "\n" + sweep)
        return path

    def test_grid_writes_one_validated_case_per_task(self):
        case = self.case('[sweep]\n"spectral.seed" = [3, 4]\n"spectral.nu" = [1e-3, 2e-3, 3e-3]\n')
        self.assertEqual(twinsim("sweep", case, "--count").stdout, "6\n")
        out = os.path.join(self.dir, "tasks")
        r = twinsim("sweep", case, "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "tasks.csv")) as f:
            rows = list(csv.reader(f))
        self.assertEqual(rows[0], ["task", "run.name", "spectral.nu", "spectral.seed"])
        # Keys alphabetical, the last fastest: nu 1e-3 with seeds 3, 4; then nu 2e-3 ...
        self.assertEqual(rows[1:3], [["0", "tiny_0", "0.001", "3"], ["1", "tiny_1", "0.001", "4"]])
        self.assertEqual(rows[6], ["5", "tiny_5", "0.003", "4"])
        task = os.path.join(out, "task_5.toml")
        with open(task) as f:
            text = f.read()
        self.assertIn("name = 'tiny_5'", text)
        self.assertIn("nu = 0.003\n", text)
        self.assertIn("seed = 4\n", text)
        self.assertNotIn("sweep", text.split("\n", 1)[1])  # the first line is the comment
        r = twinsim("check", task)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(os.listdir(out)), sorted(["tasks.csv"] + [f"task_{i}.toml" for i in range(6)]))
        # A second sweep into the same folder replaces the first only when asked.
        self.assertEqual(twinsim("sweep", case, "--out", out).returncode, 2)
        zipped = self.case('[sweep]\nmode = "zip"\n"spectral.seed" = [7, 8]\n'
                           '"spectral.nu" = [1e-3, 2e-3]\n', "zip.toml")
        r = twinsim("sweep", zipped, "--out", out, "--overwrite")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(os.listdir(out)), ["task_0.toml", "task_1.toml", "tasks.csv"])
        r = twinsim("sweep", zipped, "--task", "1")
        self.assertEqual(r.stdout.splitlines(),
                         ["--set", "spectral.nu=0.002", "--set", "spectral.seed=8",
                          "--set", "run.name='tiny_1'"])

    def test_check_validates_every_task_and_run_refuses_a_sweep(self):
        case = self.case('[sweep]\n"spectral.seed" = [1, -2]\n')
        r = twinsim("check", case)
        self.assertEqual(r.returncode, 2)
        self.assertIn(
            "--set spectral.seed=-2: spectral.seed: expected an integer in [0, 1e+18], got -2",
            r.stderr)
        self.assertIn(f"error: task 1 of {case} is refused (1 problem)", r.stderr)
        self.assertEqual(twinsim("sweep", case, "--out", os.path.join(self.dir, "t")).returncode, 2)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "t")))
        r = twinsim("check", EXAMPLE)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("ok (sweep of 3 tasks", r.stdout)
        r = twinsim("run", EXAMPLE, "--out", os.path.join(self.dir, "run"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("has a [sweep] section", r.stderr)
        self.assertIn("twinsim sweep", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "run")))

    def test_bad_sweeps_are_refused_with_their_reason(self):
        cases = {
            '"spectral.sed" = [1, 2]':
                'sweep."spectral.sed": a spectral case has no key sed in [spectral]; did you mean '
                "'seed'? (twinsim schema spectral)",
            '"spectrl.seed" = [1]': 'sweep."spectrl.seed": a spectral case has no section [spectrl]',
            'seed = [1]': 'sweep."seed": expected "section.key", e.g. "spectral.seed"',
            '"spectral.seed" = []': 'sweep."spectral.seed" is an empty list: give at least one value',
            '"spectral.seed" = 3': 'sweep."spectral.seed" must be a list of values, e.g. [1, 2, 3]',
            'mode = "zip"\n"spectral.seed" = [1, 2]\n"spectral.nu" = [1e-3]':
                'sweep.mode = "zip" needs lists of one length: "spectral.nu" has 1 value(s), '
                '"spectral.seed" has 2',
            'mode = "lines"\n"spectral.seed" = [1]':
                'sweep.mode = "lines": expected "grid" (every combination) or "zip" (the i-th '
                'value of every list)',
            'mode = "grid"': '[sweep] names no key: add "section.key" = [values]',
            '"run.name" = ["a", "b"]':
                'sweep."run.name": each task is named <run.name>_<i>; run.name cannot be swept',
        }
        for sweep, message in cases.items():
            with self.subTest(sweep=sweep):
                case = self.case("[sweep]\n" + sweep + "\n")
                r = twinsim("sweep", case, "--count")
                self.assertEqual(r.returncode, 2)
                self.assertEqual(r.stdout, "")
                self.assertEqual(r.stderr, f"error: {case}: {message}\n")

    def run_tasks(self, sweep):
        case = self.case(sweep)
        tasks = os.path.join(self.dir, "tasks")
        self.assertEqual(twinsim("sweep", case, "--out", tasks).returncode, 0)
        runs = []
        for i in range(int(twinsim("sweep", case, "--count").stdout)):
            run = os.path.join(self.dir, "runs", f"tiny_{i}")
            r = twinsim("-q", "run", os.path.join(tasks, f"task_{i}.toml"), "--out", run)
            self.assertEqual(r.returncode, 0, r.stderr)
            runs.append(run)
        return runs

    def test_gather_makes_one_training_set_of_a_seed_sweep(self):
        runs = self.run_tasks('[sweep]\n"spectral.first_sample" = [0, 2, 4]\n')
        out = os.path.join(self.dir, "all.h5")
        r = twinsim("gather", out, *runs)
        self.assertEqual(r.returncode, 0, r.stderr)
        with h5py.File(out, "r") as f:
            members = f["members"]
            self.assertEqual(list(members.attrs["names"]), ["tiny_0", "tiny_1", "tiny_2"])
            self.assertEqual(list(members.attrs["swept_keys"]), ["spectral.first_sample"])
            self.assertEqual(list(members.attrs["spectral.first_sample"]), [0, 2, 4])
            self.assertEqual(list(members.attrs["statuses"]), ["ok"] * 3)
            value = f["vorticity/value"][()]
            self.assertEqual(value.shape, (6, 3, 16, 16))
            self.assertEqual(list(f["vorticity"].attrs["seeds"]), [0, 1, 2, 3, 4, 5])
            for i, run in enumerate(runs):
                member = f[f"members/tiny_{i}"]
                self.assertEqual(member.attrs["swept.spectral.first_sample"], 2 * i)
                self.assertEqual(member.attrs["status"], "ok")
                with open(os.path.join(run, "case.toml")) as c:
                    self.assertEqual(member.attrs["case"], c.read())
                self.assertNotIn("xdmf", member)
                with h5py.File(os.path.join(run, f"tiny_{i}.h5"), "r") as g:
                    self.assertEqual(dict(member["vorticity"].attrs)["dt"], g["vorticity"].attrs["dt"])
                    for name in ("vorticity/value", "vorticity/step", "kinetic_energy/value",
                                 "fields/vorticity_first_sample/value"):
                        self.assertTrue(np.array_equal(member[name][()], g[name][()]), name)
                    self.assertTrue(np.array_equal(value[2 * i:2 * i + 2], g["vorticity/value"][()]))
            np.testing.assert_array_equal(f["snapshot_time"][()], [0.0, 0.1, 0.2])
        # twinsim train reads the gathered file as its data set.
        train = twinsim("-q", "train", os.path.join(ROOT, "cases", "surrogate", "fno_ns2d_small.toml"),
                        "--out", os.path.join(self.dir, "train"), "--set", f'data.files=["{out}"]',
                        "--set", "data.train_samples=4", "--set", "data.test_samples=2",
                        "--set", "data.in_frames=1", "--set", "train.epochs=1",
                        "--set", "train.batch=4", "--set", "model.width=4", "--set", "model.modes=4",
                        "--set", "model.layers=1", "--set", "model.projection=8")
        self.assertEqual(train.returncode, 0, train.stderr)
        self.assertEqual(twinsim("gather", out, *runs).returncode, 2)  # exists: --overwrite

    def test_gather_refuses_incomplete_runs_unless_asked(self):
        runs = self.run_tasks('[sweep]\n"spectral.seed" = [0, 10]\n')
        # Run 1 as a killed run leaves it: no summary status "ok", one whole frame of the first
        # sample's field series and a second one partly written.
        with open(os.path.join(runs[1], "summary.json"), "w") as f:
            f.write('{\n  "status": "interrupted"\n}\n')
        with h5py.File(os.path.join(runs[1], "tiny_1.h5"), "r+") as g:
            g["fields/vorticity_first_sample"].attrs["complete_frames"] = 1
            g["vorticity"].attrs["complete_frames"] = 1
            whole = g["fields/vorticity_first_sample/value"][0]
        out = os.path.join(self.dir, "all.h5")
        r = twinsim("gather", out, *runs)
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"error: {runs[1]}: status interrupted; /fields/vorticity_first_sample holds "
                      "3 frames of which 1 are whole; /vorticity holds 2 frames of which 1 are "
                      "whole\n", r.stderr)
        self.assertIn("error: 1 of 2 runs are incomplete; nothing was gathered "
                      "(--allow-incomplete gathers their whole frames)", r.stderr)
        self.assertFalse(os.path.exists(out))
        r = twinsim("gather", out, *runs, "--allow-incomplete")
        self.assertEqual(r.returncode, 0, r.stderr)
        with h5py.File(out, "r") as f:
            m = f["members/tiny_1"]
            self.assertEqual(m["fields/vorticity_first_sample/value"].shape, (1, 16, 16))
            self.assertEqual(m["fields/vorticity_first_sample"].attrs["complete_frames"], 1)
            self.assertTrue(np.array_equal(m["fields/vorticity_first_sample/value"][0], whole))
            self.assertEqual(m["vorticity/value"].shape[0], 1)
            self.assertEqual(f["members/tiny_0/vorticity/value"].shape[0], 2)
            self.assertEqual(list(f["members"].attrs["statuses"]), ["ok", "interrupted"])
            self.assertEqual(list(f["members"].attrs["spectral.seed"]), [0, 10])
            self.assertEqual(f["vorticity/value"].shape, (3, 3, 16, 16))
        r = twinsim("gather", out, runs[0], runs[0], "--overwrite")
        self.assertEqual(r.returncode, 2)
        self.assertIn("a second run named tiny_0", r.stderr)
        r = twinsim("gather", out, os.path.join(self.dir, "tasks"), "--overwrite")
        self.assertEqual(r.returncode, 2)
        self.assertIn("no case.toml: not a run folder", r.stderr)


class JobScript(unittest.TestCase):
    """hpc/slurm/twinsim_job.sh outside Slurm: what a batch job does on each of its starts."""

    def test_signal_checkpoint_restart_and_finished(self):
        with tempfile.TemporaryDirectory(prefix="twinsim-job-") as tmp:
            tasks = os.path.join(tmp, "tasks")
            self.assertEqual(twinsim("sweep", os.path.join(ROOT, "cases", "sweep",
                                                            "cavity_reynolds.toml"),
                                     "--out", tasks).returncode, 0)
            run = os.path.join(tmp, "run")
            # 32^2 cells, 30,000 steps: about a second, 7 frames.
            job = [os.path.join(ROOT, "hpc", "slurm", "twinsim_job.sh"),
                   os.path.join(tasks, "task_0.toml"), run, "--set", "lbm.steps=30000",
                   "--set", "lbm.domain.cells=[32, 32]"]
            env = dict(os.environ, TWINSIM=TWINSIM)
            env.pop("SLURM_JOB_ID", None)
            p = subprocess.Popen(job, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True)
            h5 = os.path.join(run, "cavity_reynolds_0.h5")
            while not os.path.exists(h5) and p.poll() is None:
                time.sleep(0.02)
            p.send_signal(signal.SIGUSR1)  # to the script, as --signal=B:USR1 does
            out = p.communicate(timeout=120)[0]
            self.assertEqual(p.returncode, 3, out)
            self.assertIn("USR1 received: forwarded to twinsim", out)
            self.assertIn("interrupted after a checkpoint: requeued", out)
            with open(os.path.join(run, "summary.json")) as f:
                self.assertIn('"status": "interrupted"', f.read())
            r = subprocess.run(job, env=env, capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("restarting from the newest checkpoint", r.stdout)
            with h5py.File(h5, "r") as f:
                for name, g in f["fields"].items():
                    self.assertEqual(g.attrs["complete_frames"], 7, name)
                    self.assertEqual(g["value"].shape[0], 7, name)
            with open(os.path.join(run, "log.txt")) as f:
                log = f.read()
            r = subprocess.run(job, env=env, capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("has already finished", r.stdout)
            with open(os.path.join(run, "log.txt")) as f:
                self.assertEqual(f.read(), log)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
