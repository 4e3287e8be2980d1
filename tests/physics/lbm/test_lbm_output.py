"""Output of an LBM run with an obstacle, read back as users read it: the HDF5 file with h5py
(fields, force and probe time series, provenance), summary.json, and the XDMF sidecar with the
XDMF readers of ParaView's VTK (vtkXdmfReader, vtkXdmf3Reader); an obstacle mask read from
HDF5; the refusals of obstacle, mask and open-boundary settings by `twinsim check`, before
anything runs.

Run by CTest as: /usr/bin/python3 test_lbm_output.py <path to twinsim> <repo root>
"""
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

TWINSIM = sys.argv[1]
ROOT = sys.argv[2]
CASE = os.path.join(ROOT, "cases", "lbm", "cylinder_2d1.toml")
NX, NY, STEPS, EVERY = 220, 41, 600, 100  # 10 cells per diameter, 600 steps


def twinsim(*args):
    return subprocess.run([TWINSIM, *args], capture_output=True, text=True, timeout=300)


class LbmOutput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="twinsim-lbm-")
        cls.out = os.path.join(cls.tmp.name, "run")
        r = twinsim("run", CASE, "--out", cls.out, "--set", f"lbm.domain.cells=[{NX},{NY}]",
                     "--set", f"lbm.steps={STEPS}", "--set", "lbm.output_every=300",
                     "--set", f"lbm.forces.every={EVERY}", "--set", "lbm.tolerance=0")
        assert r.returncode == 0, r.stdout + r.stderr
        cls.h5 = os.path.join(cls.out, "cylinder_2d1.h5")
        cls.xmf = os.path.join(cls.out, "cylinder_2d1.xmf")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_fields_in_hdf5(self):
        with h5py.File(self.h5, "r") as f:
            self.assertIn("case", f.attrs)
            self.assertIn("N/m", f.attrs["units"])
            v = f["/fields/velocity/value"]
            self.assertEqual(v.shape, (3, NY, NX, 3))  # frames at steps 0, 300, 600
            self.assertEqual(list(f["/fields/velocity/step"][:]), [0, 300, 600])
            for name in ("pressure", "density", "vorticity", "obstacle"):
                self.assertEqual(f[f"/fields/{name}/value"].shape, (3, NY, NX), name)
            mask = f["/fields/obstacle/value"][-1]
            # The cylinder: radius 5 cells, area 25 pi = 78.5 cells; cell centres inside it.
            solid = int(mask.sum())
            self.assertLess(abs(solid - 25 * math.pi), 4, solid)
            u = f["/fields/velocity/value"][-1]
            self.assertTrue(np.all(u[mask > 0] == 0))
            # Inlet column: shaped as the parabola (its level still rises after 600 steps).
            y = (np.arange(NY) + 0.5) / NY
            self.assertGreater(np.corrcoef(u[:, 0, 0], y * (1 - y))[0, 1], 0.999)
            self.assertTrue(np.all(np.abs(u[:, 0, 1]) < 0.01 * 0.3))

    def test_force_and_probe_series(self):
        with h5py.File(self.h5, "r") as f:
            force = f["/observables/obstacle_1/force/value"]
            coeff = f["/observables/obstacle_1/coefficients/value"]
            steps = f["/observables/obstacle_1/force/step"][:]
            self.assertEqual(list(steps), list(range(0, STEPS + 1, EVERY)))
            self.assertEqual(force.shape, (len(steps), 2))
            self.assertEqual(force.attrs.get("units"), "N m-1")
            # c = 2 F / (rho Ubar^2 D), rho = 1, Ubar = 0.2 m/s, D = 0.1 m.
            np.testing.assert_allclose(coeff[:], force[:] * 2 / (0.2 ** 2 * 0.1), rtol=1e-12)
            self.assertEqual(f["/observables/probe_2/pressure/value"].shape, (len(steps), 1))
            # Tables, not fields: no frame views for the .xmf (one virtual dataset per sample).
            self.assertNotIn("observables", f["/xdmf"])
            last_cd = coeff[-1][0]
            last_dp = (f["/observables/probe_1/pressure/value"][-1, 0] -
                       f["/observables/probe_2/pressure/value"][-1, 0])
        with open(os.path.join(self.out, "summary.json")) as s:
            summary = json.load(s)
        self.assertAlmostEqual(summary["forces"]["obstacle_1"]["drag_coefficient"], last_cd)
        self.assertIn("pressure_difference_Pa", summary["schafer_turek_2d1"])
        # The case's probes are the cylinder's front and rear points (given in m): the same dP.
        self.assertAlmostEqual(summary["schafer_turek_2d1"]["pressure_difference_Pa"], last_dp,
                               places=12)
        self.assertGreater(summary["performance"]["mlups"], 0)
        self.assertEqual(summary["lattice"]["smagorinsky"], 0.0)  # the default: off

    def test_xdmf_readers(self):
        import vtk
        for reader_type in ("vtkXdmfReader", "vtkXdmf3Reader"):
            reader = getattr(vtk, reader_type)()
            reader.SetFileName(self.xmf)
            reader.UpdateInformation()
            reader.UpdateTimeStep(reader.GetOutputInformation(0).Get(
                vtk.vtkStreamingDemandDrivenPipeline.TIME_STEPS())[-1])
            out = reader.GetOutputDataObject(0)
            if out.IsA("vtkMultiBlockDataSet"):
                out = out.GetBlock(0)
            self.assertEqual(out.GetNumberOfPoints(), NX * NY, reader_type)
            data = out.GetPointData()
            self.assertEqual(data.GetArray("velocity").GetNumberOfComponents(), 3, reader_type)
            for name in ("pressure", "density", "vorticity", "obstacle"):
                self.assertIsNotNone(data.GetArray(name), f"{reader_type}: {name}")
            lo, hi = data.GetArray("obstacle").GetRange()
            self.assertEqual((lo, hi), (0.0, 1.0), reader_type)

    def test_refusals(self):
        cases = [
            (["--set", "lbm.boundaries.x_min_velocity=[-0.3, 0]"],
             "a velocity inlet needs a velocity component into the domain"),
            (["--set", "lbm.boundaries.x_max=periodic"], "periodic sides come in pairs"),
            (["--set", "lbm.domain.reference_velocity=0.2"],
             "is below the inflow speed 0.3 m/s"),
            (["--set", "lbm.boundaries.y_min_pressure=10"],
             "only a pressure_outlet holds a pressure"),
            (["--set", "lbm.smagorinsky=-0.1"], "lbm.smagorinsky: expected a float >= 0"),
            # Re = 200 on 20 cells per diameter: 1.5 times the cell Reynolds number allowed.
            (["--set", "lbm.domain.viscosity=1e-4"],
             "Reynolds number per cell U dx / nu = 15 exceeds 10"),
        ]
        for overrides, message in cases:
            r = twinsim("check", CASE, *overrides)
            self.assertEqual(r.returncode, 2, overrides)
            self.assertIn(message, r.stderr, overrides)
        # The same grid as a large-eddy simulation is accepted.
        r = twinsim("check", CASE, "--set", "lbm.domain.viscosity=1e-4",
                    "--set", "lbm.smagorinsky=0.15", "--set", "lbm.reference=none")
        self.assertEqual(r.returncode, 0, r.stderr)
        # Obstacles: a circle smaller than a cell, a circle given a size, a rectangle's size.
        with open(CASE) as f:
            text = f.read()
        bad = [("radius = 0.05", "radius = 0.001", "covers no cell centre"),
               ("radius = 0.05", "radius = 0.05\nsize = [0.1, 0.1]",
                "a circle takes radius (m) and no size"),
               ('shape = "circle"', 'shape = "rectangle"', "a rectangle takes size")]
        for old, new, message in bad:
            path = os.path.join(self.tmp.name, "bad.toml")
            with open(path, "w") as f:
                f.write(text.replace(old, new))
            r = twinsim("check", path)
            self.assertEqual(r.returncode, 2, overrides)
            self.assertIn(message, r.stderr, overrides)

    def test_inflow_ramp(self):
        # dt = 0.1 dx / 0.3 m/s = 1/300 s: a ramp over 400 steps is at sin^2(pi/4) = 1/2 at step
        # 200 and complete from step 400.
        out = os.path.join(self.tmp.name, "ramp")
        r = twinsim("run", CASE, "--out", out, "--set", f"lbm.domain.cells=[{NX},{NY}]",
                    "--set", "lbm.steps=600", "--set", "lbm.output_every=200",
                    "--set", f"lbm.inflow_ramp={400 / 300}", "--set", "lbm.tolerance=0")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with h5py.File(os.path.join(out, "cylinder_2d1.h5"), "r") as f:
            inlet = f["/fields/velocity/value"][:, :, 0, 0].max(axis=1) / 0.3
        # The first cell follows the inflow imposed half a cell upstream with a lag (the fluid
        # next to it must be accelerated too): 0.41 of the peak at step 200, 0.88 at step 600.
        self.assertLess(inlet[0], 1e-6)        # at rest at the start
        self.assertTrue(0.3 < inlet[1] < 0.5, inlet)
        self.assertTrue(inlet[1] < inlet[2] <= inlet[3] < 1.05, inlet)
        self.assertGreater(inlet[3], 0.85)

    def test_mask_from_hdf5(self):
        with open(CASE) as f:
            text = f.read()
        # The case without its circle and reference, with a square block from a mask file.
        text = text.split("[[lbm.obstacle]]")[0].replace('"schafer_turek_2d1"', '"none"')
        text += ('[lbm.mask]\nfile = "mask.h5"\ndataset = "/mask"\n\n'
                 '[lbm.forces]\nreference_length = 0.1\n')
        mask = np.zeros((NY, NX), dtype=np.int32)
        mask[15:25, 15:25] = 1
        folder = os.path.join(self.tmp.name, "mask")
        os.makedirs(folder)
        with h5py.File(os.path.join(folder, "mask.h5"), "w") as f:
            f["/mask"] = mask
            f["/wrong"] = mask[:, :100]
        case = os.path.join(folder, "case.toml")
        with open(case, "w") as f:
            f.write(text)
        out = os.path.join(folder, "run")
        r = twinsim("run", case, "--out", out, "--set", f"lbm.domain.cells=[{NX},{NY}]",
                    "--set", "lbm.steps=100", "--set", "lbm.output_every=0")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with h5py.File(os.path.join(out, "cylinder_2d1.h5"), "r") as f:
            np.testing.assert_array_equal(f["/fields/obstacle/value"][-1], mask)
            self.assertGreater(f["/observables/obstacle_1/force/value"][-1][0], 0)
        r = twinsim("check", case, "--set", "lbm.mask.dataset=/wrong",
                    "--set", f"lbm.domain.cells=[{NX},{NY}]")
        self.assertEqual(r.returncode, 2)
        self.assertIn("has shape [41, 100], the lattice needs [41, 220]", r.stderr)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
