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


def shell_spectrum_2d(w, lx, ly):
    """Plain numpy reference: E_s = sum of 1/2 |w_k|^2 / |k|^2 over round(|k| / dk) = s."""
    ny, nx = w.shape
    w_hat = np.fft.fft2(w) / (nx * ny)
    kx = 2 * np.pi * np.fft.fftfreq(nx, d=lx / nx)
    ky = 2 * np.pi * np.fft.fftfreq(ny, d=ly / ny)
    k2 = kx[None, :] ** 2 + ky[:, None] ** 2
    density = 0.5 * np.abs(w_hat) ** 2 / np.where(k2 > 0, k2, np.inf)
    shells = np.rint(np.sqrt(k2) / (2 * np.pi / max(lx, ly))).astype(int).ravel()
    return np.bincount(shells, weights=density.ravel())


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

    def test_restart_from_a_snapshot_continues_at_round_off(self):
        # rk4_if, 32^2 stored at the solver's grid in float64: a run to t = 0.2 against one to
        # t = 0.1 continued from its last snapshot (initial = file) for 0.1. The restart goes
        # through grid values and back (two FFTs): round-off, bound 1e-13 of the field.
        common = ["spectral.snapshot_interval=0.1", "spectral.nx=32", "spectral.ny=32",
                  "spectral.stored_nx=0", "spectral.stored_ny=0", "spectral.scheme=rk4_if",
                  "spectral.samples=3", "spectral.batch=2"]
        whole, first, second = (os.path.join(self.tmp.name, n) for n in ("w", "f", "s"))
        run("ns2d_fno_small.toml", whole, *common, "spectral.t_end=0.2", "run.name=w")
        run("ns2d_fno_small.toml", first, *common, "spectral.t_end=0.1", "run.name=f")
        # Rows 1, 2 of the first run seed samples 0, 1 of the second (initial_sample = 1).
        run("ns2d_fno_small.toml", second, *common, "spectral.t_end=0.1", "run.name=s",
            "spectral.samples=2", "spectral.initial=file", "spectral.initial_sample=1",
            f"spectral.initial_file={os.path.join(first, 'f.h5')}")
        with h5py.File(os.path.join(whole, "w.h5"), "r") as fw, \
                h5py.File(os.path.join(second, "s.h5"), "r") as fs:
            ww, ws = fw["vorticity/value"][...], fs["vorticity/value"][...]
            self.assertEqual(ws.shape, (2, 2, 32, 32))
            scale = np.abs(ww).max()
            err = np.abs(ws[:, 1] - ww[1:3, 2]).max() / scale
            print(f"[ figure ] restart vs uninterrupted rk4_if run: {err:.2e} of max |w|")
            self.assertLess(err, 1e-13)
            self.assertEqual(fs["vorticity"].attrs["initial"], "file")
            self.assertEqual(fs["vorticity"].attrs["initial_sample"], 1)

    def test_restart_errors_name_the_problem(self):
        out = os.path.join(self.tmp.name, "a")
        run("ns2d_fno_small.toml", out, "spectral.t_end=0.1", "spectral.snapshot_interval=0.1",
            "spectral.nx=32", "spectral.ny=32", "spectral.stored_nx=16", "spectral.stored_ny=16",
            "spectral.samples=1", "run.name=a")
        args = [TWINSIM, "run", os.path.join(CASES, "ns2d_fno_small.toml"), "--out",
                os.path.join(self.tmp.name, "b"), "--set", "spectral.nx=32", "--set",
                "spectral.ny=32", "--set", "spectral.initial=file", "--set",
                f"spectral.initial_file={os.path.join(out, 'a.h5')}"]
        r = subprocess.run(args, capture_output=True, text=True)
        # Refused by the solver's check before the run folder exists (exit status 2).
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("expected [sample, time, 32, 32]", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp.name, "b")))

    def test_energy_spectrum_is_written_per_sample_and_snapshot(self):
        out = os.path.join(self.tmp.name, "spec")
        run("ns2d_fno_small.toml", out, "spectral.t_end=0.2", "spectral.snapshot_interval=0.1",
            "spectral.nx=32", "spectral.ny=32", "spectral.stored_nx=0", "spectral.stored_ny=0",
            "spectral.samples=3", "spectral.batch=2", "run.name=spec")
        with h5py.File(os.path.join(out, "spec.h5"), "r") as f:
            e = f["energy_spectrum/value"][...]
            w = f["vorticity/value"][...]
            self.assertEqual(e.shape, (3, 3, 24))  # [sample, time, shell]: 16 sqrt 2 -> 0..23
            self.assertEqual(f["energy_spectrum/value"].attrs["units"], "length^2/time^2")
            np.testing.assert_allclose(f["energy_spectrum_wavenumber"][...],
                                       2 * np.pi * np.arange(24), rtol=1e-15)
            np.testing.assert_allclose(e.sum(-1), f["kinetic_energy/value"][...], rtol=1e-12)
            for s in range(3):
                for t in range(3):
                    ref = shell_spectrum_2d(w[s, t], 1.0, 1.0)
                    np.testing.assert_allclose(e[s, t, :len(ref)], ref, rtol=1e-10,
                                               atol=1e-14 * ref.sum())
            self.assertEqual(list(f["steps/value"][0]), [0, 100, 200])

    def test_adaptive_step_lands_on_the_snapshots(self):
        out = os.path.join(self.tmp.name, "cfl")
        s = run("tgv2d.toml", out, "spectral.t_end=2.0", "spectral.nx=32", "spectral.ny=32",
                "spectral.cfl=0.3", "spectral.dt=0.1", "spectral.snapshot_interval=0.5")
        # |u|max = u0 F = 1 at most: dt <= 0.3 (2 pi / 32) = 0.059 < the cap 0.1.
        self.assertLess(s["taylor_green"]["max_relative_error"], 1e-12)
        self.assertLessEqual(s["time_step"]["max"], 0.3 * 2 * np.pi / 32 / np.exp(-0.02 * 2))
        with h5py.File(os.path.join(out, "tgv2d.h5"), "r") as f:
            np.testing.assert_array_equal(f["snapshot_time"][...], [0, 0.5, 1.0, 1.5, 2.0])
            steps = f["steps/value"][0]
            self.assertTrue(np.all(np.diff(steps) >= 9))  # 0.5 / 0.059 = 8.5

    def test_tgv3d_restart_and_spectrum(self):
        a, b = (os.path.join(self.tmp.name, n) for n in ("a", "b"))
        common = ["spectral3d.n=16", "spectral3d.snapshot_every=1"]
        run("tgv3d_re1600.toml", a, *common, "spectral3d.t_end=0.2", "run.name=a")
        run("tgv3d_re1600.toml", b, *common, "spectral3d.t_end=0.1", "run.name=b",
            "spectral3d.initial=file", "spectral3d.initial_frame=1",
            f"spectral3d.initial_file={os.path.join(a, 'a.h5')}")
        with h5py.File(os.path.join(a, "a.h5"), "r") as fa, \
                h5py.File(os.path.join(b, "b.h5"), "r") as fb:
            ua, ub = fa["fields/velocity/value"][...], fb["fields/velocity/value"][...]
            err = np.abs(ub[-1] - ua[-1]).max()
            print(f"[ figure ] 3D restart vs uninterrupted run: max |du| {err:.2e} (|u| <= 1)")
            self.assertLess(err, 1e-13)
            e = fa["energy_spectrum/value"][...]
            self.assertEqual(e.shape, (3, 15))  # |k| up to 8 sqrt 3: shells 0..14
            np.testing.assert_allclose(e.sum(-1), fa["kinetic_energy/value"][:, 0], rtol=1e-13)
            self.assertAlmostEqual(e[0, 2], 0.125, delta=1e-15)  # TG: |k| = sqrt 3 only
            self.assertEqual(fa["time_step/value"].shape, (3, 1))

    def test_tgv3d_peak_dissipation_between_records(self):
        # Taylor-Green at Re = 100 on 16^3 (cheap; the peak is near t = 4.85): the peak
        # interpolated from records 0.5 apart against the largest record of a run sampled every
        # 0.05 (same steps): within 0.01 in time and 1e-4 relative in value, while the coarse
        # record alone is off by 0.15 in time.
        common = ["spectral3d.n=16", "spectral3d.nu=0.01", "spectral3d.t_end=10",
                  "spectral3d.dt=0.01", "spectral3d.snapshot_every=0"]
        fine = run("tgv3d_re1600.toml", os.path.join(self.tmp.name, "fine"), *common,
                   "spectral3d.diagnostics_interval=0.05")["dissipation"]
        coarse = run("tgv3d_re1600.toml", os.path.join(self.tmp.name, "coarse"), *common,
                     "spectral3d.diagnostics_interval=0.5")["dissipation"]
        print(f"[ figure ] TG Re 100 16^3: peak {fine['peak']:.7f} at {fine['t_peak']:.2f} "
              f"(records 0.05); interpolated from records 0.5: {coarse['peak_interpolated']:.7f}"
              f" at {coarse['t_peak_interpolated']:.4f}")
        self.assertAlmostEqual(coarse["t_peak_interpolated"], fine["t_peak"], delta=0.01)
        self.assertAlmostEqual(coarse["peak_interpolated"], fine["peak"],
                               delta=1e-4 * fine["peak"])
        self.assertGreater(abs(coarse["t_peak"] - fine["t_peak"]), 0.1)

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
