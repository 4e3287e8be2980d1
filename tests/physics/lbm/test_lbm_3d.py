"""A 3D (D3Q19) run from a case file, read back as users read it: cases/lbm/sphere_duct.toml at
48 x 16 x 16 cells (a sphere of radius 2 cells on the axis of a square duct, uniform inflow,
pressure outlet): fields [t][z][y][x] in HDF5 and a 3D XDMF mesh, the force on the sphere in N
with coefficients over its frontal area, the mirror symmetries of the flow (y, z and y <-> z),
pressure probes on the sphere's surface (x, y, z triples), the vorticity vector (the curl of the
velocity, 1/s) as an XDMF Vector that VTK reads, summary.json; the 3D cases pass `twinsim check`,
and settings that are 2D only are refused.

Run by CTest as: /usr/bin/python3 test_lbm_3d.py <path to twinsim> <repo root>
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
CASE = os.path.join(ROOT, "cases", "lbm", "sphere_duct.toml")
NX, NY, NZ, STEPS, EVERY = 48, 16, 16, 600, 20
U, R = 0.05, 0.0125  # inflow (m/s) and sphere radius (m) of the case
X0, Y0 = 0.075, 0.05  # the sphere's centre (m), y = z on the duct's axis
# Probes on the sphere's surface: front, rear, then the four side points at +-y and +-z.
PROBES = [(X0 - R, Y0, Y0), (X0 + R, Y0, Y0), (X0, Y0 - R, Y0), (X0, Y0 + R, Y0),
          (X0, Y0, Y0 - R), (X0, Y0, Y0 + R)]


def twinsim(*args):
    return subprocess.run([TWINSIM, *args], capture_output=True, text=True, timeout=300)


class Lbm3d(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="twinsim-lbm3d-")
        cls.out = os.path.join(cls.tmp.name, "run")
        r = twinsim("run", CASE, "--out", cls.out, "--set", f"lbm.domain.cells=[{NX},{NY},{NZ}]",
                    "--set", f"lbm.steps={STEPS}", "--set", "lbm.output_every=300",
                    "--set", f"lbm.forces.every={EVERY}", "--set", "lbm.tolerance=0",
                    "--set", "lbm.inflow_ramp=0.5", "--set",
                    "lbm.forces.probes=[" + ", ".join(str(c) for p in PROBES for c in p) + "]")
        assert r.returncode == 0, r.stdout + r.stderr
        cls.h5 = os.path.join(cls.out, "sphere_duct.h5")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_fields_are_3d_and_symmetric(self):
        with h5py.File(self.h5, "r") as f:
            v = f["/fields/velocity/value"]
            self.assertEqual(v.shape, (3, NZ, NY, NX, 3))  # frames at steps 0, 300, 600
            for name in ("pressure", "density", "obstacle"):
                self.assertEqual(f[f"/fields/{name}/value"].shape, (3, NZ, NY, NX), name)
            self.assertEqual(f["/fields/vorticity/value"].shape, (3, NZ, NY, NX, 3))
            mask = f["/fields/obstacle/value"][-1]
            solid = int(mask.sum())  # a sphere of radius 2 cells: 4/3 pi 8 = 33.5 cells
            self.assertLess(abs(solid - 4 / 3 * math.pi * 8), 4, solid)
            u = f["/fields/velocity/value"][-1]
        self.assertTrue(np.all(u[mask > 0] == 0))
        # The inflow (full after the 0.5 s ramp) enters the first plane away from the walls.
        self.assertLess(abs(u[2:-2, 2:-2, 0, 0].mean() / U - 1), 0.03)
        # Sphere on the axis of a square duct: u_x is mirror symmetric in y and z and unchanged
        # by swapping y and z, up to FP32 round-off.
        ux = u[..., 0]
        scale = np.abs(ux).max()
        self.assertGreater(scale, U)
        for mirrored in (ux[:, ::-1, :], ux[::-1, :, :], ux.transpose(1, 0, 2)):
            self.assertLess(np.abs(ux - mirrored).max(), 1e-4 * scale)

    def test_vorticity_is_the_curl_of_the_velocity_in_per_second(self):
        # The vorticity vector against the curl of the written velocity by central differences
        # (np.gradient, spacing dx in m) at cells whose six neighbours are fluid: the same
        # differences, so equal up to FP32 round-off; a unit error (per step instead of 1/s)
        # would be a factor dt off.
        dx = 0.1 / NY
        with h5py.File(self.h5, "r") as f:
            u = f["/fields/velocity/value"][-1].astype(np.float64)
            w = f["/fields/vorticity/value"][-1].astype(np.float64)
            mask = f["/fields/obstacle/value"][-1]
            self.assertEqual(f["/fields/vorticity/value"].attrs.get("units"), "s-1")
        # Axes of the arrays: [z][y][x], component c: x, y, z.
        d = [[np.gradient(u[..., c], dx, axis=2 - a) for a in range(3)] for c in range(3)]
        curl = np.stack([d[2][1] - d[1][2], d[0][2] - d[2][0], d[1][0] - d[0][1]], axis=-1)
        inner = np.zeros(mask.shape, dtype=bool)
        inner[1:-1, 1:-1, 1:-1] = True
        for axis in range(3):
            for shift in (1, -1):
                inner &= np.roll(mask, shift, axis=axis) == 0
        inner &= mask == 0
        scale = np.abs(curl[inner]).max()
        self.assertGreater(scale, U / R)  # the sphere sheds vorticity of order U / r
        np.testing.assert_allclose(w[inner], curl[inner], rtol=0, atol=1e-4 * scale)

    def test_force_on_the_sphere(self):
        with h5py.File(self.h5, "r") as f:
            force = f["/observables/obstacle_1/force/value"][:]
            coeff = f["/observables/obstacle_1/coefficients/value"][:]
            self.assertEqual(f["/observables/obstacle_1/force/value"].attrs.get("units"), "N")
            self.assertEqual(list(f["/observables/obstacle_1/force/step"][:]),
                             list(range(0, STEPS + 1, EVERY)))
        self.assertEqual(force.shape, (STEPS // EVERY + 1, 3))
        # Drag along the flow, no lift or side force (the sphere sits on the duct's axis), once
        # the inflow ramp has started (it holds the first 20 steps at rest).
        self.assertTrue(np.all(force[2:, 0] > 0))
        for a in (1, 2):
            self.assertTrue(np.all(np.abs(force[2:, a]) < 1e-3 * force[2:, 0]), a)
        # c = 2 F / (rho U^2 A), rho = 1 kg/m^3, A = pi r^2.
        np.testing.assert_allclose(coeff, force * 2 / (U ** 2 * math.pi * R ** 2), rtol=1e-12)

    def test_pressure_probes_on_the_sphere(self):
        with h5py.File(self.h5, "r") as f:
            p = [f[f"/observables/probe_{i + 1}/pressure/value"][-1, 0] for i in range(6)]
        # Front minus rear: at least the dynamic pressure rho U^2 / 2 (rho = 1 kg/m^3); at this
        # Reynolds number (12.5) viscous stresses add to the front's stagnation pressure.
        self.assertGreater(p[0] - p[1], 0.5 * U ** 2)
        # The four side points are mirror images of each other (y, z and y <-> z), up to FP32
        # round-off of the density (20 ulps of rho = 1; p = c_s^2 rho (dx / dt)^2 with dx / dt =
        # reference velocity / lattice velocity = 0.12 / 0.05 m/s), and lie below the front's
        # stagnation pressure by more than half the dynamic pressure (the flow is fastest there).
        # Whether they lie above the rear's depends on how much pressure the wake recovers: with
        # the anti-bounce-back outlet they lay just above it, with the extrapolating one below.
        sides = np.array(p[2:])
        self.assertLess(np.ptp(sides), 20 * np.finfo(np.float32).eps * (0.12 / 0.05) ** 2 / 3,
                        sides)
        self.assertTrue(np.all(sides < p[0] - 0.5 * U ** 2), (p, sides))

    def test_summary_and_xdmf(self):
        with open(os.path.join(self.out, "summary.json")) as f:
            s = json.load(f)
        self.assertEqual(s["lattice"]["lattice"], "d3q19")
        self.assertEqual((s["lattice"]["cells_x"], s["lattice"]["cells_y"],
                          s["lattice"]["cells_z"]), (NX, NY, NZ))
        self.assertAlmostEqual(s["forces"]["reference_area_m2"], math.pi * R ** 2, places=12)
        self.assertGreater(s["forces"]["obstacle_1"]["force_x_N"], 0)
        self.assertIn("force_z_N", s["forces"]["obstacle_1"])
        self.assertEqual(s["performance"]["bytes_per_cell_update"], 152)
        with open(os.path.join(self.out, "sphere_duct.xmf")) as f:
            xmf = f.read()
        self.assertIn(f'TopologyType="3DCoRectMesh" Dimensions="{NZ} {NY} {NX}"', xmf)
        self.assertIn('Attribute Name="vorticity" AttributeType="Vector"', xmf)

    def test_xdmf_readers(self):
        # ParaView's readers: the vorticity as a 3-component array on the 3D mesh.
        import vtk
        xmf = os.path.join(self.out, "sphere_duct.xmf")
        for reader_type in ("vtkXdmfReader", "vtkXdmf3Reader"):
            reader = getattr(vtk, reader_type)()
            reader.SetFileName(xmf)
            reader.UpdateInformation()
            reader.UpdateTimeStep(reader.GetOutputInformation(0).Get(
                vtk.vtkStreamingDemandDrivenPipeline.TIME_STEPS())[-1])
            out = reader.GetOutputDataObject(0)
            if out.IsA("vtkMultiBlockDataSet"):
                out = out.GetBlock(0)
            self.assertEqual(out.GetNumberOfPoints(), NX * NY * NZ, reader_type)
            data = out.GetPointData()
            for name in ("velocity", "vorticity"):
                self.assertEqual(data.GetArray(name).GetNumberOfComponents(), 3,
                                 f"{reader_type}: {name}")

    def test_cases_check_and_2d_only_settings_are_refused(self):
        for case in ("sphere_duct", "periodic_box", "cylinder_3d1z"):
            r = twinsim("check", os.path.join(ROOT, "cases", "lbm", case + ".toml"))
            self.assertEqual(r.returncode, 0, case + ": " + r.stderr)
        refusals = [
            (CASE, ["--set", "lbm.forces.probes=[0.1, 0.05]"], "give x, y, z triples"),
            (CASE, ["--set", "lbm.forces.probes=[0.1, 0.05, 0.2]"], "lies outside the domain"),
            (CASE, ["--set", "lbm.boundaries.x_min_profile=parabolic"]
             + [f"--set=lbm.boundaries.{s}=periodic" for s in ("y_min", "y_max", "z_min", "z_max")],
             "every axis across it is periodic"),
            (CASE, ["--set", "lbm.lattice=d2q9"], "lattice 'd2q9' is 2D"),
            (CASE, ["--set", "lbm.domain.cells=[96, 32, 30]"], "lattice cells are cubes"),
            (CASE, ["--set", "lbm.reference=poiseuille"], "is a 2D benchmark"),
            (CASE, ["--set", "lbm.reference=schafer_turek_3d1z"],
             "needs the Schafer-Turek 3D duct"),
            (os.path.join(ROOT, "cases", "lbm", "cavity_re100.toml"),
             ["--set", "lbm.boundaries.z_min=wall"], "has periodic z sides"),
        ]
        for case, overrides, message in refusals:
            r = twinsim("check", case, *overrides)
            self.assertEqual(r.returncode, 2, overrides)
            self.assertIn(message, r.stderr, overrides)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
