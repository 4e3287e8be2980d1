"""The twinsim program as a user drives it: exit statuses, messages, run folders.

Run by CTest as: /usr/bin/python3 test_cli.py <path to twinsim> <repo root>
"""
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import h5py
import numpy as np

TWINSIM = os.path.abspath(sys.argv[1])
ROOT = sys.argv[2]
DEMO = os.path.join(ROOT, "cases", "demo", "taylor_green.toml")


def twinsim(*args, cwd=None):
    return subprocess.run([TWINSIM, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


class Cli(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="twinsim-cli-")
        self.addCleanup(self.tmp.cleanup)

    def write_case(self, text):
        path = os.path.join(self.tmp.name, "case.toml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_version_and_info(self):
        line = r"^twinsim \d+\.\d+\.\d+ \(commit [0-9a-f]{12}(\+dirty)?, \w+, backends cpu(,gpu)?\)\n$"
        for args in (["version"], ["--version"]):
            r = twinsim(*args)
            self.assertEqual(r.returncode, 0, args)
            self.assertRegex(r.stdout, line)
        r = twinsim("info")
        self.assertEqual(r.returncode, 0)
        for word in ("cpu  OpenMP", "gpu  ", "HDF5", "FFTW", "OpenBLAS", "toml++"):
            self.assertIn(word, r.stdout)
        r = twinsim("info", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        info = json.loads(r.stdout)
        self.assertRegex(info["build"]["commit"], r"^[0-9a-f]{40}$")
        self.assertIn(info["build"]["backends"], ("cpu", "cpu,gpu"))
        for key in ("version", "dirty", "type"):
            self.assertIn(key, info["build"])
        for key in ("host", "device", "command_line", "backend_auto"):
            self.assertTrue(info[key], key)
        self.assertIn("HDF5", info["libraries"])

    def test_a_misspelt_command_gets_a_close_match(self):
        r = twinsim("rn", DEMO)
        self.assertEqual(r.returncode, 2)
        self.assertIn("'rn' is not a twinsim command; did you mean 'run'?", r.stderr)
        r = twinsim("-q", "shcema")
        self.assertEqual(r.returncode, 2)
        self.assertIn("did you mean 'schema'?", r.stderr)

    def test_cases_lists_the_shipped_cases_with_a_line_each(self):
        r = twinsim("cases")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"lbm/cavity_re100\.toml +Lid-driven square cavity")
        self.assertIn("md/lj_melt.toml", r.stdout)
        lines = [l for l in r.stdout.splitlines() if l.startswith("  ")]
        shipped = [f for _, _, files in os.walk(os.path.join(ROOT, "cases"))
                   for f in files if f.endswith(".toml")]
        self.assertEqual(len(lines), len(shipped))

    def test_schema_wraps_and_has_json_and_markdown(self):
        env = dict(os.environ, COLUMNS="80")
        r = subprocess.run([TWINSIM, "schema"], capture_output=True, text=True, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertLessEqual(max(len(l) for l in r.stdout.splitlines()), 80)
        self.assertIn("progress_interval", r.stdout)
        r = twinsim("schema", "--format", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        sections = {s["name"]: s for s in json.loads(r.stdout)["sections"]}
        self.assertIn("lbm", sections)
        self.assertIn("model", sections)  # surrogate cases' sections too
        keys = {k["name"]: k for k in sections["checkpoint"]["keys"]}
        self.assertEqual(keys["every_minutes"]["unit"], "min")
        self.assertEqual(keys["keep"]["default"], "2")
        r = twinsim("schema", "checkpoint", "--format", "markdown")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("### `[checkpoint]`", r.stdout)
        self.assertIn("| `keep` | integer | 2 |", r.stdout)
        r = twinsim("schema", "--format", "yaml")
        self.assertEqual(r.returncode, 2)

    def test_bash_completion_completes_commands_options_values_and_case_files(self):
        script = os.path.join(self.tmp.name, "twinsim.bash")
        with open(script, "w") as f:
            f.write(twinsim("completion").stdout)
        probe = (f'source {script}\n'
                 'c() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _twinsim; '
                 'echo "${COMPREPLY[*]}"; }\n'
                 'c twinsim r\nc twinsim run --dev\nc twinsim run --device ""\n'
                 'c twinsim check cases/lbm/cavity_re1\nc twinsim plot run --format ""\n')
        r = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, cwd=ROOT)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), [
            "run", "--device", "auto cpu gpu",
            "cases/lbm/cavity_re100.toml cases/lbm/cavity_re1000.toml", "png pdf svg"])

    def test_man_page_is_generated_from_the_help(self):
        r = twinsim("man")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith(".\\\" Generated by"))
        self.assertIn(".TH TWINSIM 1", r.stdout)
        for command in ("run", "check", "train", "plot", "cases", "schema"):
            self.assertIn(f'.SS "twinsim {command}', r.stdout)
        self.assertIn("\\-\\-restart", r.stdout)

    def test_no_subcommand_is_a_usage_error(self):
        r = twinsim()
        self.assertEqual(r.returncode, 2)
        self.assertIn("subcommand", r.stderr)

    def test_check_accepts_the_demo(self):
        r = twinsim("check", DEMO)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("ok", r.stdout)

    def test_check_shows_the_split_across_ranks(self):
        # --ranks N: the blocks or bricks `mpirun -n N twinsim run` would log, or its refusal.
        duct = os.path.join(ROOT, "cases", "lbm", "sphere_duct.toml")
        r = twinsim("check", duct, "--ranks", "8", "--set", "lbm.processors=[2, 2, 2]")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("ok (solver lbm, 8 MPI ranks)", r.stdout)
        self.assertIn("lbm: 2 x 2 x 2 blocks of about 48 x 16 x 16 cells (along x, y, z) across "
                      "8 MPI ranks", r.stdout)
        r = twinsim("check", os.path.join(ROOT, "cases", "md", "lj_melt.toml"), "--ranks", "2")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("md: split into 2 x 1 x 1 bricks", r.stdout)
        r = twinsim("check", duct, "--ranks", "8", "--set", "lbm.processors=[2, 2, 1]")
        self.assertEqual(r.returncode, 2, r.stdout)
        self.assertIn("2 x 2 x 1 blocks were asked for", r.stderr)
        r = twinsim("check", DEMO, "--ranks", "2")
        self.assertEqual(r.returncode, 2, r.stdout)
        self.assertIn("runs on one rank", r.stderr)
        r = twinsim("check", duct)  # one rank: nothing to split
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("blocks", r.stdout)

    def test_bad_case_is_refused_with_location_and_nothing_runs(self):
        case = self.write_case('[run]\nname = "x"\nsolver = "taylor_green_check"\n\n'
                               '[taylor_green]\nn = 16\nnu = -1.0\nframez = 3\n')
        out = os.path.join(self.tmp.name, "out")
        r = twinsim("run", case, "--out", out)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn(f"{case}:7:6: taylor_green.nu:", r.stderr)
        self.assertIn(f"{case}:8:1: taylor_green.framez: unknown key; did you mean 'frames'?",
                      r.stderr)
        self.assertFalse(os.path.exists(out), "nothing may run or be written for a bad case")

    def test_settings_a_solver_cannot_run_are_refused_before_the_run_folder(self):
        # Valid by the schema, but tau would be 0.5000: the solver's check refuses it.
        out = os.path.join(self.tmp.name, "out")
        r = twinsim("run", os.path.join(ROOT, "cases", "lbm", "cavity_re100.toml"),
                    "--set", "lbm.domain.viscosity=1e-9", "--out", out)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("relaxation time tau = 0.5000 is too close to 1/2", r.stderr)
        self.assertIn("nothing was run", r.stderr)
        self.assertFalse(os.path.exists(out))

    def test_a_start_that_cannot_run_fails_with_its_figures(self):
        # Random placement without a minimum distance overlaps particles: the engine refuses
        # to start; the run fails (exit 1) and its summary names the fault and the system.
        out = os.path.join(self.tmp.name, "out")
        r = twinsim("run", os.path.join(ROOT, "cases", "md", "lj_melt.toml"), "--set",
                    'md.lattice="random"', "--set", "md.min_distance=0.0", "--set",
                    "md.atoms=500", "--out", out, "--device", "cpu")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("overlaps another particle", r.stderr)
        with open(os.path.join(out, "summary.json")) as f:
            summary = json.load(f)
        self.assertEqual(summary["status"], "failed")
        self.assertEqual(summary["fault"]["step"], 0)
        self.assertEqual(summary["atoms"], 500)
        self.assertIn("particle", summary["fault"])

    def test_each_solver_needs_only_its_own_sections(self):
        for case in ("md/lj_melt", "md/lj_nist", "lbm/cavity_re100", "lbm/cavity_re1000",
                     "lbm/cylinder_2d1", "lbm/cylinder_2d2", "lbm/cylinder_2d2_fine", "spectral/tgv2d",
                     "spectral/tgv3d_re1600"):
            r = twinsim("check", os.path.join(ROOT, "cases", case + ".toml"))
            self.assertEqual(r.returncode, 0, case + ": " + r.stderr)

    def test_surrogate_cases_are_checked_and_documented_but_not_run(self):
        case = os.path.join(ROOT, "cases", "surrogate", "fno_ns2d_small.toml")
        # check opens the data files' headers: the shipped case's data are not made yet.
        r = twinsim("check", case)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("data.files: no file 'runs/ns2d_small_data/ns2d_small_data.h5'", r.stderr)
        data = os.path.join(self.tmp.name, "data.h5")
        with h5py.File(data, "w") as h5:
            h5["/vorticity/value"] = np.zeros((32, 12, 8, 8))
        r = twinsim("check", case, "--set", f'data.files=["{data}"]', "--set", "model.modes=4")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("ok (surrogate", r.stdout)
        r = twinsim("check", case, "--set", "model.widht=3")
        self.assertEqual(r.returncode, 2)
        self.assertIn("did you mean 'width'?", r.stderr)
        r = twinsim("run", case, "--out", os.path.join(self.tmp.name, "out"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("use twinsim train or twinsim predict", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp.name, "out")))
        r = twinsim("schema", "model")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("modes", r.stdout)
        self.assertIn("[optimizer]", twinsim("schema").stdout)

    def test_bad_override_is_refused(self):
        r = twinsim("check", DEMO, "--set", "taylor_green.n=abc")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--set taylor_green.n=abc: taylor_green.n:", r.stderr)

    def test_missing_case_file(self):
        r = twinsim("check", os.path.join(self.tmp.name, "nope.toml"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("nope.toml", r.stderr)

    def test_gpu_request_without_gpu_is_a_clear_error(self):
        info = twinsim("info").stdout
        if "--device auto selects: gpu" in info:
            self.skipTest("a GPU is present")
        out = os.path.join(self.tmp.name, "out")
        r = twinsim("run", DEMO, "--device", "gpu", "--out", out)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--device gpu:", r.stderr)
        self.assertNotIn("terminate", r.stderr)

    def test_schema_documents_keys(self):
        r = twinsim("schema", "taylor_green")
        self.assertEqual(r.returncode, 0, r.stderr)
        for key in ("n", "nu", "t_end", "frames"):
            self.assertIn(key, r.stdout)
        r = twinsim("schema", "nosuchsection")
        self.assertEqual(r.returncode, 2)

    def test_demo_run_writes_a_complete_run_folder(self):
        out = os.path.join(self.tmp.name, "run")
        r = twinsim("run", DEMO, "--set", "taylor_green.n=32", "--set", "taylor_green.frames=5",
                    "--device", "cpu", "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        for name in ("case.toml", "taylor_green.h5", "taylor_green.xmf", "summary.json",
                     "log.txt"):
            self.assertTrue(os.path.isfile(os.path.join(out, name)), name)
        self.assertTrue(os.path.isdir(os.path.join(out, "checkpoints")))
        with open(os.path.join(out, "case.toml")) as f:
            resolved = f.read()
        self.assertRegex(resolved, r"n = 32\b")
        with open(os.path.join(out, "summary.json")) as f:
            summary = json.load(f)
        self.assertEqual(summary["backend"], "cpu")
        self.assertEqual(summary["grid"]["n"], 32)
        # Spectral differentiation of the band-limited vortex is exact up to round-off.
        self.assertLess(summary["vorticity"]["max_relative_error"], 1e-12)
        self.assertLess(summary["kinetic_energy"]["max_relative_error"], 1e-12)
        self.assertGreater(summary["timing"]["total_s"], 0)
        with h5py.File(os.path.join(out, "taylor_green.h5"), "r") as h5:
            self.assertEqual(h5["/fields/vorticity/value"].shape, (5, 32, 32))
            self.assertEqual(h5["/fields/velocity/value"].shape, (5, 32, 32, 3))
            self.assertIn("n = 32", h5.attrs["case"] if isinstance(h5.attrs["case"], str)
                          else h5.attrs["case"].decode())
        # The scalar history as a table with units, in history.csv and in the HDF5 file.
        with open(os.path.join(out, "history.csv")) as f:
            header = f.readline().strip()
        self.assertEqual(header, "step,time [time],kinetic_energy [length^2/time^2],"
                                 "kinetic_energy_exact [length^2/time^2],"
                                 "vorticity_max_error [1/time]")
        table = np.loadtxt(os.path.join(out, "history.csv"), delimiter=",", skiprows=1)
        self.assertEqual(table.shape, (5, 5))
        np.testing.assert_allclose(table[:, 2], table[:, 3], rtol=1e-12)
        self.assertEqual(summary["history"]["rows"], 5)
        with h5py.File(os.path.join(out, "taylor_green.h5"), "r") as h5:
            self.assertEqual([str(c) for c in h5["history"].attrs["columns"]],
                             ["kinetic_energy", "kinetic_energy_exact", "vorticity_max_error"])
            np.testing.assert_array_equal(h5["history/value"][:], table[:, 2:])
            np.testing.assert_array_equal(h5["history/step"][:], table[:, 0])
            # Provenance on the root, as in summary.json.
            attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in h5.attrs.items()}
        for key in ("twinsim_version", "twinsim_commit", "twinsim_dirty", "build_type",
                    "backends_built", "host", "command_line", "device", "start_utc", "end_utc",
                    "status", "backend"):
            self.assertIn(key, attrs)
        self.assertEqual(attrs["status"], "ok")
        self.assertEqual(attrs["twinsim_commit"], summary["build"]["commit"])
        self.assertIn("--set taylor_green.n=32", attrs["command_line"])
        self.assertEqual(attrs["command_line"], summary["command_line"])
        self.assertRegex(attrs["start_utc"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertLessEqual(summary["start_utc"], summary["end_utc"])
        self.assertTrue(summary["device"].startswith("OpenMP"))
        for key in ("version", "commit", "dirty", "type", "backends"):
            self.assertIn(key, summary["build"])
        # A second run into the same folder must not replace the first.
        r = twinsim("run", DEMO, "--out", out)
        self.assertEqual(r.returncode, 2)
        self.assertIn("already holds a run", r.stderr)


CAVITY = os.path.join(ROOT, "cases", "lbm", "cavity_re100.toml")
# A short cavity with a checkpoint every 100 steps: a second of work.
SHORT_CAVITY = ["--set", "lbm.steps=300", "--set", "lbm.output_every=100",
                "--set", "lbm.check_every=100", "--set", "lbm.domain.cells=[32, 32]",
                "--set", "checkpoint.every_steps=100", "--set", "checkpoint.keep=2",
                "--device", "cpu"]


def frames(h5):
    """Whole frames of the velocity series of a running LBM job's file (0 until it exists)."""
    try:
        with h5py.File(h5, "r") as f:
            return int(f["/fields/velocity"].attrs["complete_frames"])
    except Exception:  # a file being written can be caught half-way: not ready yet
        return 0


class Restarts(unittest.TestCase):
    """What every solver's --restart shares: which run and checkpoint it continues, what it
    refuses; the preflight disk check. The bit-for-bit continuation of each solver is tested
    beside the solver."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="twinsim-cli-restart-")
        self.addCleanup(self.tmp.cleanup)
        self.out = os.path.join(self.tmp.name, "run")

    def run_cavity(self, *extra):
        return twinsim("run", CAVITY, "--out", self.out, *SHORT_CAVITY, *extra)

    def test_help_documents_the_exit_statuses(self):
        r = twinsim("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("3 stopped by SIGTERM, SIGINT or SIGUSR1 after writing a checkpoint", r.stdout)

    def test_restart_needs_a_run_folder_and_a_checkpoint(self):
        r = twinsim("run", CAVITY, "--out", self.out, "--restart", "latest")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("holds no run (no case.toml)", r.stderr)
        self.assertFalse(os.path.exists(self.out))
        r = self.run_cavity("--set", "checkpoint.every_steps=0")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.run_cavity("--set", "checkpoint.every_steps=0", "--restart", "latest")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--restart latest: no checkpoint in", r.stderr)

    def test_checkpoints_rotate_and_a_restart_refuses_another_case(self):
        r = self.run_cavity()
        self.assertEqual(r.returncode, 0, r.stderr)
        kept = sorted(os.listdir(os.path.join(self.out, "checkpoints")))
        # Each with its whole-file checksum.
        self.assertEqual(kept, ["step_0000000200.h5", "step_0000000200.h5.sum",
                                "step_0000000300.h5", "step_0000000300.h5.sum"])
        with open(os.path.join(self.out, "summary.json")) as f:
            self.assertEqual(json.load(f)["checkpoints"]["written"], 3)
        r = self.run_cavity("--set", "lbm.tolerance=1e-6", "--restart", "latest")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("was written for another case", r.stderr)
        self.assertIn("tolerance", r.stderr)
        r = self.run_cavity("--restart", os.path.join(self.out, "checkpoints", "nope.h5"))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("no checkpoint file", r.stderr)
        # --overwrite starts afresh: the old run's checkpoints go with it.
        r = self.run_cavity("--set", "checkpoint.every_steps=0", "--overwrite")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(os.listdir(os.path.join(self.out, "checkpoints")), [])

    def test_a_restart_from_the_last_checkpoint_of_a_finished_run_changes_nothing(self):
        r = self.run_cavity()
        self.assertEqual(r.returncode, 0, r.stderr)
        with h5py.File(os.path.join(self.out, "cavity_re100.h5"), "r") as h5:
            before = h5["/fields/velocity/value"][()]
        r = self.run_cavity("--restart", "latest")
        self.assertEqual(r.returncode, 0, r.stderr)
        with h5py.File(os.path.join(self.out, "cavity_re100.h5"), "r") as h5:
            after = h5["/fields/velocity/value"][()]
        self.assertEqual(before.shape[0], 4)  # steps 0, 100, 200, 300
        self.assertTrue((before == after).all())
        with open(os.path.join(self.out, "summary.json")) as f:
            summary = json.load(f)
        self.assertEqual(summary["status"], "ok")
        self.assertEqual(summary["restart"]["step"], 300)

    def test_a_restart_continues_the_history_without_duplicates(self):
        r = self.run_cavity("--set", "checkpoint.keep=3")
        self.assertEqual(r.returncode, 0, r.stderr)
        csv = os.path.join(self.out, "history.csv")
        with open(csv) as f:
            straight = f.read()
        self.assertEqual(straight.splitlines()[0], "step,time [s],velocity_change,mass_change")
        r = self.run_cavity("--set", "checkpoint.keep=3", "--restart",
                            os.path.join(self.out, "checkpoints", "step_0000000100.h5"))
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(csv) as f:
            self.assertEqual(f.read(), straight)
        with h5py.File(os.path.join(self.out, "cavity_re100.h5"), "r") as h5:
            self.assertEqual(list(h5["history/step"][:]), [0, 100, 200, 300])
            self.assertEqual(h5.attrs["status"], "ok")

    def test_a_second_signal_stops_at_once_and_leaves_whole_frames(self):
        args = [TWINSIM, "run", CAVITY, "--out", self.out, *SHORT_CAVITY,
                "--set", "lbm.steps=200000", "--set", "lbm.output_every=50",
                "--set", "checkpoint.every_steps=0"]
        env = dict(os.environ, OMP_NUM_THREADS="1")
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        h5 = os.path.join(self.out, "cavity_re100.h5")
        deadline = time.time() + 60
        while time.time() < deadline and frames(h5) < 3:
            time.sleep(0.02)
        # Two different signals: a second SIGTERM sent while the first is still pending would
        # merge with it (standard signals do not queue). Where both are pending at once (the
        # process was not running), the kernel delivers SIGINT first: either is the second.
        p.send_signal(signal.SIGTERM)
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=60)
        self.assertIn(p.returncode, (128 + signal.SIGINT, 128 + signal.SIGTERM))
        with h5py.File(h5, "r") as f:
            whole = int(f["/fields/velocity"].attrs["complete_frames"])
            self.assertGreaterEqual(whole, 3)
            steps = f["/fields/velocity/step"][:whole]
            self.assertEqual(list(steps), [50 * k for k in range(whole)])
            self.assertFalse(np.isnan(f["/fields/velocity/value"][:whole]).any())

    def test_preflight_refuses_output_that_cannot_fit_on_the_disk(self):
        r = self.run_cavity("--set", "lbm.steps=1000000000", "--set", "lbm.output_every=1")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("not enough disk", r.stderr)
        self.assertIn("planned output", r.stderr)
        self.assertFalse(os.path.exists(self.out))


def file_size_limit(limit_bytes):
    """preexec_fn for a child with a small file-size limit: a write past it fails with EFBIG (as
    on a full disk) instead of raising SIGXFSZ, which is ignored."""
    def apply():
        import resource
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
    return apply


def address_space_limit(limit_bytes):
    """preexec_fn for a child whose address space (ulimit -v) is limit_bytes."""
    def apply():
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    return apply


def leftovers(folder):
    """Temporary files (*.tmp) anywhere under folder."""
    return [os.path.join(d, f) for d, _, names in os.walk(folder) for f in names
            if f.endswith(".tmp")]


class Robustness(unittest.TestCase):
    """Nothing a user types or a machine does crashes, escapes the run folder or reports
    garbage as success: each refusal exits 2 before the folder exists (or leaves it as it was),
    each failure exits 1 with its reason in the summary."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="twinsim-cli-robust-")
        self.addCleanup(self.tmp.cleanup)
        self.out = os.path.join(self.tmp.name, "run")

    def test_run_name_is_a_plain_file_name(self):
        for name in ("../../escape", "", "series/run1", ".hidden", "a b"):
            for command in ("check", "run"):
                r = twinsim(command, DEMO, "--set", f'run.name="{name}"', cwd=self.tmp.name)
                self.assertEqual(r.returncode, 2, f"{command} {name!r}: {r.stderr}")
                self.assertIn("run.name: expected a plain file name", r.stderr)
        self.assertEqual(os.listdir(self.tmp.name), [], "nothing may be written")
        r = twinsim("check", os.path.join(ROOT, "cases", "surrogate", "fno_ns2d_small.toml"),
                    "--set", 'run.name="../x"')
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("run.name: expected a plain file name", r.stderr)

    def test_non_finite_numbers_are_refused_for_every_key(self):
        for case, key in (("demo/taylor_green", "taylor_green.nu"),
                          ("md/lj_melt", "md.temperature"),
                          ("lbm/cavity_re100", "lbm.domain.viscosity"),
                          ("heat/sine", "heat.alpha")):
            for value in ("inf", "-inf", "nan"):
                r = twinsim("run", os.path.join(ROOT, "cases", case + ".toml"),
                            "--set", f"{key}={value}", "--out", self.out)
                self.assertEqual(r.returncode, 2, f"{key}={value}: {r.stderr}")
                self.assertIn(f"{key}: expected a finite float", r.stderr)
                self.assertFalse(os.path.exists(self.out))

    def test_a_full_disk_fails_cleanly(self):
        # Output frames past a 300 KiB file-size limit fail to write: the run fails (exit 1,
        # not a crash at exit), says why, and leaves no temporary file.
        r = subprocess.run([TWINSIM, "run", CAVITY, "--out", self.out, *SHORT_CAVITY,
                            "--set", "lbm.steps=3000", "--set", "lbm.output_every=10"],
                           capture_output=True, text=True, timeout=300,
                           preexec_fn=file_size_limit(300 * 1024))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertNotIn("Segmentation", r.stderr)
        self.assertIn("run failed", r.stderr)
        self.assertEqual(leftovers(self.out), [])
        with open(os.path.join(self.out, "summary.json")) as f:
            self.assertEqual(json.load(f)["status"], "failed")

    @contextlib.contextmanager
    def holding_the_folder(self, *args):
        """`twinsim *args` writing into self.out, running and holding the folder's lock; on
        leaving, SIGTERM ends it (exit 3) and its lock goes with it."""
        p = subprocess.Popen([TWINSIM, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=dict(os.environ, OMP_NUM_THREADS="1"))
        lock = os.path.join(self.out, "twinsim.lock")
        try:
            deadline = time.time() + 60
            while time.time() < deadline and not os.path.exists(os.path.join(self.out, "log.txt")):
                time.sleep(0.02)
            with open(lock) as f:
                self.assertEqual(f.read().split()[1], str(p.pid))
            yield p
        finally:
            p.send_signal(signal.SIGTERM)
            p.communicate(timeout=60)
        self.assertEqual(p.returncode, 3)
        self.assertFalse(os.path.exists(lock), "the lock goes with the run")

    @staticmethod
    def stale_lock(folder):
        """A lock in `folder` left by a process of this host that has ended; returns its pid."""
        dead = subprocess.Popen(["true"])
        dead.wait()
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "twinsim.lock"), "w") as f:
            f.write(f"{socket.gethostname()} {dead.pid}\n")
        return dead.pid

    def test_a_second_process_is_refused_while_a_run_holds_the_folder(self):
        # tolerance 0: the cavity would converge and end in 0.2 s, before the second process.
        with self.holding_the_folder("run", CAVITY, "--out", self.out, *SHORT_CAVITY,
                                     "--set", "lbm.steps=2000000",
                                     "--set", "lbm.output_every=100000",
                                     "--set", "lbm.tolerance=0") as p:
            with open(os.path.join(self.out, "case.toml")) as f:
                before = f.read()
            for extra in (["--overwrite"], ["--restart", "latest"]):
                r = twinsim("run", CAVITY, "--out", self.out, *SHORT_CAVITY, *extra)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(f"is in use by process {p.pid}", r.stderr)
            with open(os.path.join(self.out, "case.toml")) as f:
                self.assertEqual(f.read(), before, "the running run's folder is untouched")

    def test_a_stale_lock_is_taken_over_with_a_warning(self):
        dead = self.stale_lock(self.out)
        r = twinsim("run", DEMO, "--set", "taylor_green.n=16", "--out", self.out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"taking over the lock of run folder '{self.out}' from process {dead}",
                      r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.out, "twinsim.lock")))

    def test_restart_latest_skips_damaged_checkpoints(self):
        r = twinsim("run", CAVITY, "--out", self.out, *SHORT_CAVITY)
        self.assertEqual(r.returncode, 0, r.stderr)
        folder = os.path.join(self.out, "checkpoints")
        newest, older = (os.path.join(folder, f"step_0000000{s}.h5") for s in (300, 200))
        # One flipped value in a state array: the file opens, its checksum does not match.
        with h5py.File(newest, "r+") as h5:
            name = h5["/state"].attrs["arrays"][0]
            name = name.decode() if isinstance(name, bytes) else name
            data = h5["/state/" + name]
            data[0] = data[0] + 1
        r = twinsim("run", CAVITY, "--out", self.out, *SHORT_CAVITY, "--restart", "latest")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("--restart latest: skipped", r.stderr)
        self.assertIn("does not match its checksum", r.stderr)
        self.assertIn("of it written", r.stderr)  # the preflight plans what is left
        with open(os.path.join(self.out, "summary.json")) as f:
            self.assertEqual(json.load(f)["restart"]["step"], 200)
        # A truncated file does not open; with no usable checkpoint left the restart is refused.
        for path in (newest, older):
            with open(path, "r+b") as f:
                f.truncate(os.path.getsize(path) // 2)
        with open(os.path.join(self.out, "summary.json")) as f:
            before = f.read()
        r = twinsim("run", CAVITY, "--out", self.out, *SHORT_CAVITY, "--restart", "latest")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("no usable checkpoint", r.stderr)
        with open(os.path.join(self.out, "summary.json")) as f:
            self.assertEqual(f.read(), before)

    def test_memory_preflight_refuses_what_does_not_fit(self):
        r = twinsim("run", os.path.join(ROOT, "cases", "md", "lj_melt.toml"),
                    "--set", "md.cells=[1000, 1000, 1000]", "--out", self.out)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("of memory and", r.stderr)
        self.assertIn("choose smaller md.cells", r.stderr)
        self.assertFalse(os.path.exists(self.out))

    def test_training_that_diverges_fails_as_diverged(self):
        # A learning rate of 1e30 turns the weights non-finite at the first optimizer steps:
        # the run stops at the next output with status "diverged", the step and the cause. The
        # check runs on the backend (Learner::non_finite), on every backend present.
        files = f'data.files=["{self.small_spectral_data()}"]'
        devices = ["cpu"] + (["gpu"] if "--device auto selects: gpu" in twinsim("info").stdout
                             else [])
        for device in devices:
            with self.subTest(device=device):
                out = os.path.join(self.tmp.name, "diverged-" + device)
                r = twinsim("train", os.path.join(ROOT, "cases", "surrogate",
                                                  "fno_ns2d_small.toml"),
                            "--set", files, "--set", "optimizer.lr=1e30",
                            "--set", "train.epochs=2", "--set", "model.width=4",
                            "--set", "model.modes=2", "--set", "model.projection=4",
                            "--set", "train.batch=4", "--set", "data.train_samples=4",
                            "--set", "data.test_samples=2", "--set", "data.in_frames=2",
                            "--device", device, "--out", out)
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertIn("diverged at step", r.stderr)
                self.assertIn("likely cause: a learning rate (optimizer.lr) too large", r.stderr)
                with open(os.path.join(out, "summary.json")) as f:
                    summary = json.load(f)
                self.assertEqual(summary["status"], "diverged")
                self.assertGreater(summary["diverged_at_step"], 0)
                self.assertFalse(os.path.exists(os.path.join(out, "model.h5")))

    def test_predict_refuses_another_architecture_and_warns_of_unfinished_training(self):
        data = self.small_spectral_data()
        case = os.path.join(ROOT, "cases", "surrogate", "fno_ns2d_small.toml")
        model_dir = os.path.join(self.tmp.name, "model")
        model = os.path.join(model_dir, "model.h5")
        common = ["--set", f'data.files=["{data}"]',
                  "--set", "model.width=4", "--set", "model.modes=2",
                  "--set", "model.projection=4", "--set", "data.train_samples=4",
                  "--set", "data.test_samples=2", "--set", "data.in_frames=2",
                  "--device", "cpu"]
        r = twinsim("train", case, *common, "--set", "train.epochs=1", "--set", "train.batch=4",
                    "--out", model_dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        use = ["--set", f'predict.model="{model}"']
        for extra, message in ((["--set", "model.width=8"], "model.width = 8 (the model file: 4)"),
                               (["--set", "data.in_frames=3"],
                                "data.in_frames = 3 (the model file: 2)")):
            for command in ("check", "predict"):
                out = ["--out", self.out] if command == "predict" else []
                r = twinsim(command, case, *common, *use, *extra, *out)
                self.assertEqual(r.returncode, 2, f"{command} {extra}: {r.stderr}")
                self.assertIn("was trained with another architecture than this case describes",
                              r.stderr)
                self.assertIn(message, r.stderr)
                self.assertFalse(os.path.exists(self.out))
        # A model whose training was stopped early predicts, with a warning.
        with h5py.File(model, "r+") as h5:
            h5["training"].attrs["status"] = "interrupted"
        r = twinsim("predict", case, *common, *use, "--out", self.out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("is from training that did not finish (status interrupted", r.stderr)

    def test_bad_training_inputs_are_refused_before_the_run_folder(self):
        case = os.path.join(ROOT, "cases", "surrogate", "fno_ns2d_small.toml")
        data = os.path.join(self.tmp.name, "data.h5")
        with h5py.File(data, "w") as h5:
            h5["/vorticity/value"] = np.zeros((6, 5, 8, 8))
        text = os.path.join(self.tmp.name, "text.h5")
        with open(text, "w") as f:
            f.write("not HDF5")
        files = f'data.files=["{data}"]'
        small = ["--set", "data.train_samples=4", "--set", "data.test_samples=2",
                 "--set", "data.in_frames=2", "--set", "model.modes=2"]
        for overrides, message in (
                (["--set", 'data.files=[]'], "data.files: no file given"),
                (["--set", f'data.files=["{data}x"]'], f"data.files: no file '{data}x'"),
                (["--set", f'data.files=["{text}"]'], "is not an HDF5 file, or is damaged"),
                (["--set", files, "--set", "data.dataset=/nope"], "data.dataset:"),
                (["--set", files, "--set", "data.train_samples=40"],
                 "data.train_samples + data.test_samples = 42 exceed the 6 samples"),
                (["--set", files, "--set", "data.in_frames=5"],
                 "data.in_frames + data.out_frames = 6 exceed the 5 frames"),
                (["--set", files, "--set", "model.modes=5"], "model.modes = 5 exceeds half"),
                (["--set", files, "--set", f"train.init_from={data}"], "train.init_from:")):
            for command in ("check", "train"):
                out = ["--out", self.out] if command == "train" else []
                r = twinsim(command, case, *small, *overrides, *out)
                self.assertEqual(r.returncode, 2, f"{command} {overrides}: {r.stderr}")
                self.assertIn(message, r.stderr)
                self.assertFalse(os.path.exists(self.out))
        r = twinsim("check", case, *small, "--set", files)
        self.assertEqual(r.returncode, 0, r.stderr)

    def tiny_training(self, values):
        """fno_ns2d_small on a small synthetic data file holding `values` [6][5][8][8]."""
        data = os.path.join(self.tmp.name, "data.h5")
        with h5py.File(data, "w") as h5:
            h5["/vorticity/value"] = values
        return [os.path.join(ROOT, "cases", "surrogate", "fno_ns2d_small.toml"),
                "--set", f'data.files=["{data}"]', "--set", "data.train_samples=4",
                "--set", "data.test_samples=2", "--set", "data.in_frames=2",
                "--set", "model.modes=2", "--set", "model.width=4", "--set", "model.projection=4",
                "--set", "train.batch=2", "--set", "train.epochs=2", "--device", "cpu"]

    def test_a_nan_in_the_training_data_is_named_and_nothing_trains(self):
        values = np.random.default_rng(3).standard_normal((6, 5, 8, 8))
        values[3, 2, 4, 5] = np.nan
        r = twinsim("train", *self.tiny_training(values), "--out", self.out)
        self.assertNotEqual(r.returncode, 0, r.stderr)
        self.assertIn("holds a non-finite value (nan) at sample 3, frame 2, y 4, x 5", r.stderr)
        if os.path.exists(self.out):
            with open(os.path.join(self.out, "summary.json")) as f:
                self.assertNotEqual(json.load(f)["status"], "ok")

    def test_a_full_disk_while_training_fails_cleanly(self):
        # The model and summary cannot be written past a 20 KiB file-size limit: exit 1 with
        # the reason, no crash in HDF5's cleanup at exit, no temporary file left behind.
        values = np.random.default_rng(4).standard_normal((6, 5, 8, 8))
        r = subprocess.run([TWINSIM, "train", *self.tiny_training(values), "--out", self.out],
                           capture_output=True, text=True, timeout=300,
                           preexec_fn=file_size_limit(20 * 1024))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertNotIn("Segmentation", r.stderr)
        self.assertEqual(leftovers(self.out), [])

    def test_unknown_solver_is_the_first_problem(self):
        case = os.path.join(self.tmp.name, "case.toml")
        with open(case, "w") as f:
            f.write('[run]\nname = "x"\nsolver = "mdd"\n\n[md]\nsteps = 1\n')
        r = twinsim("check", case)
        self.assertEqual(r.returncode, 2, r.stderr)
        first = r.stderr.splitlines()[0]
        self.assertIn("run.solver: expected one of", first)
        self.assertIn("got 'mdd'; did you mean 'md'?", first)
        self.assertNotIn("missing required", r.stderr)

    def test_fft_grid_sizes_are_even_and_named(self):
        for case, key, value, most in (("spectral/tgv3d_re1600", "spectral3d.n", 15, 16384),
                                       ("surrogate/ns2d_small_data", "spectral.nx", 33, 65536)):
            r = twinsim("run", os.path.join(ROOT, "cases", case + ".toml"),
                        "--set", f"{key}={value}", "--out", self.out)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(f"{key}: expected an even integer in [4, {most}], got {value}",
                          r.stderr)
            self.assertFalse(os.path.exists(self.out))

    def test_fuzz_findings_and_seeds_are_refused_cleanly(self):
        # Every case kept in tests/fuzz/seeds/cases (past findings and the bad inputs):
        # `check` answers 0 or 2 with a message, never a crash or an uncaught exception.
        folder = os.path.join(ROOT, "tests", "fuzz", "seeds", "cases")
        names = sorted(os.listdir(folder))
        self.assertGreater(len(names), 10)
        for name in names:
            r = twinsim("check", os.path.join(folder, name))
            self.assertIn(r.returncode, (0, 2), f"{name}: {r.stderr}")
            self.assertNotIn("terminate", r.stderr, name)
            if r.returncode == 2:
                self.assertIn("error", r.stderr, name)

    def test_integer_overflow_findings_are_refused_by_run(self):
        # User integers that wrapped (int conversions, int64 sums and products of steps, plans
        # of bytes): `run` refuses each with exit 2 before the folder exists, naming the key.
        folder = os.path.join(ROOT, "tests", "fuzz", "seeds", "cases")
        for name, key in (("spectral_nx_beyond_int", "spectral.nx: expected an integer in"),
                          ("spectral_steps_overflow", "snapshot_interval / dt = 1 / 1e-10"),
                          ("spectral_seed_overflow", "spectral.first_sample: expected an integer"),
                          ("spectral3d_huge_n", "spectral3d.n: expected an integer in"),
                          ("md_check_every_huge", "md.check_every: expected an integer in"),
                          ("md_steps_frames_overflow", "choose smaller md.cells or md.steps"),
                          ("md_cells_product_overflow", "md.cells")):
            out = os.path.join(self.tmp.name, name)
            r = twinsim("run", os.path.join(folder, name + ".toml"), "--device", "cpu",
                        "--out", out)
            self.assertEqual(r.returncode, 2, f"{name}: {r.stderr}")
            self.assertIn(key, r.stderr, name)
            self.assertFalse(os.path.exists(out), name)

    # Issue 20's remaining items: the CUDA libraries' address space, damaged training data, the
    # trainer's memory preflight, the run-folder lock of train / predict / --restart.

    def test_the_cpu_path_needs_no_cuda_libraries_address_space(self):
        # cuFFT and cuBLAS (about 0.9 GiB mapped in a CUDA build) are opened when the GPU backend
        # first uses them, so check, a spectral run (FFTW) and a training (OpenBLAS) on the CPU
        # fit in a 600 MiB address space, as batch systems' ulimit -v may set.
        if "libasan" in subprocess.run(["ldd", TWINSIM], capture_output=True, text=True).stdout:
            self.skipTest("AddressSanitizer reserves terabytes of address space")
        env = dict(os.environ, OMP_NUM_THREADS="2")  # 8 MiB of stack per thread

        def limited(*args):
            return subprocess.run([TWINSIM, *args], capture_output=True, text=True, env=env,
                                  timeout=300, preexec_fn=address_space_limit(600 << 20))
        r = limited("check", DEMO)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = limited("run", DEMO, "--set", "taylor_green.n=16", "--device", "cpu",
                    "--out", self.out)
        self.assertEqual(r.returncode, 0, r.stderr)
        values = np.random.default_rng(5).standard_normal((6, 5, 8, 8))
        r = limited("train", *self.tiny_training(values), "--out",
                    os.path.join(self.tmp.name, "train"))
        self.assertEqual(r.returncode, 0, r.stderr)
        info = twinsim("info").stdout
        if "CUDA" in info:  # a CUDA build names the libraries the GPU backend opens
            self.assertRegex(info, r"cuFFT +\S*libcufft\.so\.\d+|cuFFT +the GPU backend needs")
            self.assertRegex(info, r"cuBLAS +\S*libcublas\.so\.\d+|cuBLAS +the GPU backend needs")

    def small_spectral_data(self):
        """A trajectory file written by twinsim: 6 samples of 5 frames of 16 x 16."""
        data = os.path.join(self.tmp.name, "data")
        r = twinsim("run", os.path.join(ROOT, "cases", "surrogate", "ns2d_small_data.toml"),
                    "--out", data, "--set", "spectral.nx=16", "--set", "spectral.ny=16",
                    "--set", "spectral.samples=6", "--set", "spectral.batch=6",
                    "--set", "spectral.t_end=5", "--device", "cpu")
        self.assertEqual(r.returncode, 0, r.stderr)
        return os.path.join(data, "ns2d_small_data.h5")

    def test_damaged_training_data_is_refused_or_named(self):
        case = os.path.join(ROOT, "cases", "surrogate", "fno_ns2d_small.toml")
        small = ["--set", "data.train_samples=4", "--set", "data.test_samples=2",
                 "--set", "data.in_frames=2", "--set", "model.modes=2", "--device", "cpu"]
        # A file twinsim wrote carries checksums: 2,000 flipped bytes in its trajectories are
        # refused at check and before train's run folder, naming the file, dataset and sample.
        data = self.small_spectral_data()
        r = twinsim("check", case, *small, "--set", f'data.files=["{data}"]')
        self.assertEqual(r.returncode, 0, r.stderr)
        with h5py.File(data, "r") as h5:
            ds = h5["/vorticity/value"]
            chunks = [ds.id.get_chunk_info(i) for i in range(ds.id.get_num_chunks())]
        places = [(c.byte_offset, c.size) for c in chunks]
        rng = np.random.default_rng(7)
        with open(data, "r+b") as f:
            for _ in range(2000):
                offset, size = places[rng.integers(len(places))]
                f.seek(offset + int(rng.integers(size)))
                byte = f.read(1)[0]
                f.seek(-1, os.SEEK_CUR)
                f.write(bytes([byte ^ (1 << int(rng.integers(8)))]))
        for command in ("check", "train"):
            out = ["--out", self.out] if command == "train" else []
            r = twinsim(command, case, *small, "--set", f'data.files=["{data}"]', *out)
            self.assertEqual(r.returncode, 2, f"{command}: {r.stderr}")
            self.assertRegex(r.stderr, r"data\.files: sample \d of /vorticity/value in '" +
                             data + "' does not match its checksum")
            self.assertFalse(os.path.exists(self.out))
        # A file written elsewhere has no checksum: trajectories far larger than the others (a
        # flipped exponent bit) are a warning naming them; the training goes ahead.
        foreign = os.path.join(self.tmp.name, "foreign.h5")
        with h5py.File(foreign, "w") as h5:
            h5["/vorticity/value"] = np.random.default_rng(8).standard_normal((6, 5, 8, 8))
            offset = h5["/vorticity/value"].id.get_offset()
        with open(foreign, "r+b") as f:
            for value in (1 * 320 + 17, 4 * 320 + 100):  # samples 1 and 4: top bytes inverted
                f.seek(offset + 8 * value + 7)
                byte = f.read(1)[0]
                f.seek(-1, os.SEEK_CUR)
                f.write(bytes([byte ^ 0xFF]))
        r = twinsim("check", case, *small, "--set", f'data.files=["{foreign}"]')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("data.files: 2 trajectories are far larger than the median trajectory",
                      r.stderr)
        self.assertIn(f"sample 1 of '{foreign}'", r.stderr)
        self.assertIn(f"sample 4 of '{foreign}'", r.stderr)
        self.assertIn("carry no checksum", r.stderr)

    def test_training_that_does_not_fit_in_memory_is_refused_before_the_run_folder(self):
        # The trainer's plan (parameters and Adam's moments, a batch's activations, the data)
        # against the memory available, here an address-space limit of 1 GiB: a huge width
        # names the model's sizes, a batch of large fields names train.batch.
        env = dict(os.environ, OMP_NUM_THREADS="2")

        def train(values, *extra):
            return subprocess.run([TWINSIM, "train", *self.tiny_training(values), *extra,
                                   "--out", self.out], capture_output=True, text=True, env=env,
                                  timeout=300, preexec_fn=address_space_limit(1 << 30))
        if "libasan" in subprocess.run(["ldd", TWINSIM], capture_output=True, text=True).stdout:
            self.skipTest("AddressSanitizer reserves terabytes of address space")
        rng = np.random.default_rng(9)
        r = train(rng.standard_normal((6, 5, 8, 8)), "--set", "model.width=3000")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("of memory and", r.stderr)
        self.assertIn("choose smaller model.width, model.modes, model.layers, model.projection",
                      r.stderr)
        self.assertFalse(os.path.exists(self.out))
        fields = rng.standard_normal((6, 5, 256, 256))
        r = train(fields, "--set", "train.batch=12", "--set", "model.projection=64")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("choose smaller train.batch", r.stderr)
        self.assertFalse(os.path.exists(self.out))

    def test_table_data_with_an_fno_is_refused_at_check(self):
        case = os.path.join(ROOT, "cases", "surrogate", "fno_ns2d_small.toml")
        for command in ("check", "train"):
            out = ["--out", self.out] if command == "train" else []
            r = twinsim(command, case, "--set", 'data.kind="table"', *out)
            self.assertEqual(r.returncode, 2, f"{command}: {r.stderr}")
            self.assertIn('model.kind = "fno2d" needs trajectories on a grid, and data.kind = '
                          '"table" gives rows', r.stderr)
            self.assertFalse(os.path.exists(self.out))

    def test_the_run_folder_lock_covers_train_predict_and_restart(self):
        values = np.random.default_rng(10).standard_normal((6, 5, 8, 8))
        tiny = self.tiny_training(values)
        model_dir = os.path.join(self.tmp.name, "model")
        r = twinsim("train", *tiny, "--set", "checkpoint.every_steps=1", "--out", model_dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        model = os.path.join(model_dir, "model.h5")
        predict = [*tiny, "--set", f'predict.model="{model}"']
        # A long training holds its folder: train, predict and --restart into it are refused.
        with self.holding_the_folder("train", *tiny, "--set", "train.epochs=1000000",
                                     "--out", self.out) as p:
            for command, extra in (("train", ["--overwrite"]), ("train", ["--restart", "latest"]),
                                   ("predict", ["--overwrite"])):
                args = predict if command == "predict" else tiny
                r = twinsim(command, *args, "--out", self.out, *extra)
                self.assertEqual(r.returncode, 2, f"{command} {extra}: {r.stderr}")
                self.assertIn(f"is in use by process {p.pid}", r.stderr)
        # A lock left by a dead process is taken over with a warning by each of them.
        for command, args, folder in (("train", [*tiny], os.path.join(self.tmp.name, "fresh")),
                                      ("predict", predict, os.path.join(self.tmp.name, "pred")),
                                      ("train", [*tiny, "--set", "checkpoint.every_steps=1",
                                                 "--restart", "latest"], model_dir)):
            dead = self.stale_lock(folder)
            r = twinsim(command, *args, "--out", folder)
            self.assertEqual(r.returncode, 0, f"{command} {args[-2:]}: {r.stderr}")
            self.assertIn(f"taking over the lock of run folder '{folder}' from process "
                          f"{dead}", r.stderr)
            self.assertFalse(os.path.exists(os.path.join(folder, "twinsim.lock")))


def case_text(case, extra=""):
    with open(os.path.join(ROOT, "cases", case + ".toml")) as f:
        return f.read() + "\n" + extra


def put_nan_into_checkpoint(path, array):
    """A NaN in the middle of /state/<array> of a checkpoint, its checksums taken away (a
    checkpoint without them, as written before they existed, is opened unchecked)."""
    with h5py.File(path, "r+") as f:
        values = f["/state/" + array][...]
        values[len(values) // 2] = np.nan
        f["/state/" + array][...] = values
        for name in ("arrays", "checksums"):
            del f["/state"].attrs[name]
    os.remove(path + ".sum")


class Divergence(unittest.TestCase):
    """A NaN put into each solver's state (through a checkpoint) is caught at the next output:
    exit 1, status "diverged", the step, the array and the likely cause."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="twinsim-cli-nan-")
        self.addCleanup(self.tmp.cleanup)
        self.out = os.path.join(self.tmp.name, "run")

    def diverges(self, case, overrides, array, first, last, *phrases):
        args = ["run", os.path.join(ROOT, "cases", case), "--out", self.out, "--device", "cpu"]
        for o in overrides:
            args += ["--set", o]
        r = twinsim(*args)
        self.assertEqual(r.returncode, 0, r.stderr)
        checkpoint = os.path.join(self.out, "checkpoints", f"step_{first:010d}.h5")
        put_nan_into_checkpoint(checkpoint, array)
        r = twinsim(*args, "--restart", checkpoint)
        self.assertEqual(r.returncode, 1, r.stderr)
        for phrase in ("diverged at step",) + phrases:
            self.assertIn(phrase, r.stderr)
        with open(os.path.join(self.out, "summary.json")) as f:
            summary = json.load(f)
        self.assertEqual(summary["status"], "diverged")
        self.assertGreater(summary["diverged_at_step"], first)
        self.assertLessEqual(summary["diverged_at_step"], last)
        return summary

    def test_md_is_checked_by_its_reduction_at_the_next_thermo_row(self):
        # No displacement checks between list builds (rebuild_every): the loop's check at the
        # thermo row of step 40 finds the NaN (one reduction), then names the array.
        self.diverges("md/lj_melt.toml",
                      ["md.cells=[4, 4, 4]", "md.steps=60", "md.thermo_every=20",
                       "md.dump_every=0", "md.rebuild_every=1000", "checkpoint.every_steps=30",
                       "checkpoint.keep=2"],
                      "md/velocity", 30, 40, "diverged at step 40", "= nan; likely cause:",
                      "md.dt too large")

    def test_md_blow_up_found_by_the_displacement_check_is_diverged(self):
        s = self.diverges("md/lj_melt.toml",
                          ["md.cells=[4, 4, 4]", "md.steps=60", "md.thermo_every=20",
                           "md.dump_every=0", "checkpoint.every_steps=30", "checkpoint.keep=2"],
                          "md/velocity", 30, 40, "non-finite position", "reduce md.dt")
        self.assertIn("particle", s["fault"])

    def test_spectral_2d_is_checked_at_the_next_snapshot(self):
        # dt 0.01, a snapshot every 10 steps: the checkpoint at step 80, the snapshot at 90.
        self.diverges("spectral/tgv2d.toml",
                      ["spectral.nx=16", "spectral.ny=16", "spectral.t_end=1",
                       "spectral.snapshot_interval=0.1", "checkpoint.every_steps=20",
                       "checkpoint.keep=5"],
                      "solver/modes", 80, 90, "diverged at step 90", "sample 0",
                      "likely cause: a time step spectral.dt too large")

    def test_spectral_3d_is_checked_at_the_next_record(self):
        self.diverges("spectral/tgv3d_re1600.toml",
                      ["spectral3d.n=16", "spectral3d.t_end=0.5", "spectral3d.snapshot_every=0",
                       "checkpoint.every_steps=20", "checkpoint.keep=5"],
                      "solver/modes", 80, 100, "solver/modes[", "likely cause:")

    def test_lbm_is_checked_at_the_next_output(self):
        self.diverges("lbm/cavity_re100.toml",
                      ["lbm.steps=300", "lbm.output_every=100", "lbm.check_every=100",
                       "lbm.domain.cells=[32, 32]", "checkpoint.every_steps=100", "checkpoint.keep=5"],
                      "lbm/populations", 100, 200, "diverged at step 200", "lbm/populations[",
                      "likely cause:")


class Refusals(unittest.TestCase):
    """Settings that cannot give a sound run are refused by `check` and `run` (exit 2, the key,
    the limit and its unit), before any run folder exists; results that break a conservation
    law are warnings in the log and in summary.json, never a failure."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="twinsim-cli-refusals-")
        self.addCleanup(self.tmp.cleanup)
        self.out = os.path.join(self.tmp.name, "run")

    def write(self, name, text):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def refused(self, case, overrides, *messages, verbose=False):
        for command in ("check", "run"):
            out = ["--out", self.out] if command == "run" else []
            r = twinsim(command, case, *overrides, *out, *(["-v"] if verbose else []))
            self.assertEqual(r.returncode, 2, f"{command} {overrides}: {r.stderr}")
            for message in messages:
                self.assertIn(message, r.stderr)
            self.assertNotIn("terminate", r.stderr)
            self.assertFalse(os.path.exists(self.out), "no run folder for a refused case")
        return r

    def test_settings_that_cannot_run_are_refused_at_check(self):
        melt = os.path.join(ROOT, "cases", "md", "lj_melt.toml")
        self.refused(melt, ["--set", 'md.thermostat="nose_hoover"', "--set", "md.temperature=0"],
                     "md.temperature = 0 epsilon/k_B: a Nose-Hoover chain needs")
        r = self.refused(melt, ["--set", 'md.lattice="random"', "--set", "md.density=1.5",
                                "--set", "md.min_distance=1.0"],
                         "packing fraction pi/6 rho d^3 = 0.785, above the 0.27",
                         "lower md.min_distance to at most 0.7")
        # The default random placement (pi/6 0.8442 0.8^3 = 0.226) is accepted.
        r = twinsim("check", melt, "--set", 'md.lattice="random"')
        self.assertEqual(r.returncode, 0, r.stderr)
        solid = self.write("solid.toml", case_text("lbm/cavity_re100", """
[[lbm.obstacle]]
shape = "rectangle"
center = [0.5, 0.5]
size = [2.0, 2.0]
"""))
        self.refused(solid, [], "lbm.obstacle: all 4096 cells of the lattice are solid")
        tgv = os.path.join(ROOT, "cases", "spectral", "tgv2d.toml")
        self.refused(tgv, ["--set", "spectral.dt=0.5"],
                     "spectral.dt = 0.5 time: the Courant number", "for the Taylor-Green start",
                     "where rk4_if goes unstable")
        self.refused(os.path.join(ROOT, "cases", "spectral", "tgv3d_re1600.toml"),
                     ["--set", "spectral3d.dt=0.5", "--set", "spectral3d.t_end=1",
                      "--set", "spectral3d.diagnostics_interval=0.5"],
                     "spectral3d.dt = 0.5 time: the Courant number")
        # A step under the limit, and an adaptive step, pass.
        for ok in (["--set", "spectral.dt=0.1"], ["--set", "spectral.dt=0.5",
                                                  "--set", "spectral.cfl=0.5"]):
            r = twinsim("check", tgv, *ok)
            self.assertEqual(r.returncode, 0, f"{ok}: {r.stderr}")

    def test_missing_input_files_name_the_key_and_the_file(self):
        missing = os.path.join(self.tmp.name, "nope.h5")
        mask = self.write("mask.toml", case_text("lbm/cavity_re100", f"""
[lbm.mask]
file = "{missing}"
dataset = "/mask"
"""))
        stl = self.write("stl.toml", case_text("lbm/wing_duct").replace(
            'file = "naca0012_wing.stl"', 'file = "nope.stl"'))
        for case, overrides, key in (
                (os.path.join(ROOT, "cases", "spectral", "tgv2d.toml"),
                 ["--set", 'spectral.initial="file"', "--set", f'spectral.initial_file="{missing}"'],
                 "spectral.initial_file"),
                (os.path.join(ROOT, "cases", "spectral", "tgv3d_re1600.toml"),
                 ["--set", 'spectral3d.initial="file"',
                  "--set", f'spectral3d.initial_file="{missing}"'], "spectral3d.initial_file"),
                (os.path.join(ROOT, "cases", "md", "lj_melt.toml"),
                 ["--set", 'md.lattice="file"', "--set", f'md.file="{missing}"'], "md.file"),
                (mask, [], "lbm.mask"),
                (stl, [], "lbm.obstacle")):
            r = self.refused(case, overrides, key, "nope.")
            # Nothing of the build machine (its source paths) without -v.
            self.assertNotIn(".cpp:", r.stderr, key)
            self.assertNotIn(".inl:", r.stderr, key)
            self.assertNotIn(ROOT + "/io", r.stderr, key)

    def test_a_damaged_checkpoint_never_reaches_hdf5(self):
        # The fuzzer's inputs that crash or hang HDF5 1.10.8 inside a checkpoint read
        # (tests/fuzz/library_findings: a selector byte, then the file): in place of the newest
        # checkpoint, its whole-file checksum (.sum) refuses it before HDF5 opens it.
        r = twinsim("run", CAVITY, "--out", self.out, *SHORT_CAVITY)
        self.assertEqual(r.returncode, 0, r.stderr)
        folder = os.path.join(self.out, "checkpoints")
        self.assertEqual(sorted(os.listdir(folder)),
                         ["step_0000000200.h5", "step_0000000200.h5.sum",
                          "step_0000000300.h5", "step_0000000300.h5.sum"])
        findings = os.path.join(ROOT, "tests", "fuzz", "library_findings")
        for name in ("segv_global_heap_vlen_attribute.bin", "hang_global_heap_vlen_attribute.bin"):
            with open(os.path.join(findings, name), "rb") as f:
                damaged = f.read()[1:]
            with open(os.path.join(folder, "step_0000000300.h5"), "wb") as f:
                f.write(damaged)
            r = twinsim("run", CAVITY, "--out", self.out, *SHORT_CAVITY, "--restart", "latest")
            self.assertEqual(r.returncode, 0, f"{name}: {r.stderr}")
            self.assertIn("--restart latest: skipped", r.stderr)
            self.assertIn("does not match its checksum in step_0000000300.h5.sum", r.stderr)
            with open(os.path.join(self.out, "summary.json")) as f:
                self.assertEqual(json.load(f)["restart"]["step"], 200)

    def test_conservation_failures_are_warnings(self):
        # A velocity inlet and no outlet: mass flows in and cannot leave.
        r = twinsim("run", CAVITY, "--out", self.out, *SHORT_CAVITY,
                    "--set", "lbm.steps=1000", "--set", 'lbm.reference="none"',
                    "--set", 'lbm.boundaries.x_min="velocity_inlet"',
                    "--set", "lbm.boundaries.x_min_velocity=[0.5, 0.0]")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("lbm: the fluid's mass changed by", r.stderr)
        self.assertIn("(warned above 10 %)", r.stderr)
        with open(os.path.join(self.out, "summary.json")) as f:
            summary = json.load(f)
        self.assertEqual(summary["status"], "ok")
        self.assertGreater(summary["mass"]["relative_drift"], 0.1)
        self.assertEqual(len(summary["warnings"]), 1)
        self.assertIn("velocity inlet without a pressure outlet", summary["warnings"][0])
        with open(os.path.join(self.out, "log.txt")) as f:
            self.assertIn("the fluid's mass changed by", f.read())
        # NVE at dt = 0.015 tau from the melt's lattice start: the conserved energy moves by
        # about 0.01 epsilon per atom, over a tenth of a tolerance of 0.05 but under the stop.
        md = os.path.join(self.tmp.name, "md")
        r = twinsim("run", os.path.join(ROOT, "cases", "md", "lj_melt.toml"), "--out", md,
                    "--set", "md.cells=[5, 5, 5]", "--set", "md.dump_every=0",
                    "--set", "md.dt=0.015", "--set", "md.energy_tolerance=0.05",
                    "--device", "cpu")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("md: the conserved energy per atom changed by", r.stderr)
        with open(os.path.join(md, "summary.json")) as f:
            summary = json.load(f)
        self.assertEqual(summary["status"], "ok")
        self.assertIn("md.dt may be too large", summary["warnings"][0])
        # A sound closed cavity has no warning.
        r = twinsim("run", CAVITY, "--out", self.out, *SHORT_CAVITY, "--overwrite")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.out, "summary.json")) as f:
            self.assertNotIn("warnings", json.load(f))


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
