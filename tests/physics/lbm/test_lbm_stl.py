"""An obstacle from an STL file, run as users run it: cases/lbm/wing_duct.toml (a NACA 0012 wing
written by cases/lbm/naca0012_wing.py, scaled, turned 8 degrees nose up and placed by the case)
at 120 x 48 x 48 cells for a few steps: the shipped STL is what the script writes, the voxelised
wing in /fields/obstacle holds the mesh's volume where the placement puts it, forces are
written; an open mesh, a missing file and a mesh moved out of the domain are refused by
`twinsim check` (exit 2) naming the key and the file.

Run by CTest as: /usr/bin/python3 test_lbm_stl.py <path to twinsim> <repo root>
"""
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

TWINSIM = sys.argv[1]
ROOT = sys.argv[2]
CASES = os.path.join(ROOT, "cases", "lbm")
CASE = os.path.join(CASES, "wing_duct.toml")
STL = os.path.join(CASES, "naca0012_wing.stl")
NX, NY, NZ, DX = 120, 48, 48, 0.16 / 120
SCALE, ANGLE, SHIFT = 0.04, math.radians(-8.0), (0.04, 0.032, 0.032)  # the case's placement


def twinsim(*args):
    return subprocess.run([TWINSIM, *args], capture_output=True, text=True, timeout=300)


def triangles(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack_from("<I", data, 80)[0]
    return np.array([struct.unpack_from("<9f", data, 84 + 50 * i + 12) for i in range(n)],
                    dtype=np.float64).reshape(n, 3, 3)


def placed(tri):
    c, s = math.cos(ANGLE), math.sin(ANGLE)
    x, y, z = tri[..., 0] * SCALE, tri[..., 1] * SCALE, tri[..., 2] * SCALE
    return np.stack([c * x - s * y + SHIFT[0], s * x + c * y + SHIFT[1], z + SHIFT[2]], axis=-1)


class LbmStl(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="twinsim-lbm-stl-")
        cls.out = os.path.join(cls.tmp.name, "run")
        r = twinsim("run", CASE, "--out", cls.out, "--set", f"lbm.domain.cells=[{NX},{NY},{NZ}]",
                    "--set", "lbm.steps=40", "--set", "lbm.output_every=40",
                    "--set", "lbm.forces.every=20", "--set", "lbm.tolerance=0")
        assert r.returncode == 0, r.stdout + r.stderr
        cls.h5 = os.path.join(cls.out, "wing_duct.h5")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_the_script_writes_the_shipped_stl(self):
        out = os.path.join(self.tmp.name, "wing.stl")
        subprocess.run([sys.executable, os.path.join(CASES, "naca0012_wing.py"), out],
                       check=True, capture_output=True)
        with open(out, "rb") as a, open(STL, "rb") as b:
            self.assertEqual(a.read(), b.read())

    def test_the_voxelised_wing_holds_the_mesh_volume_where_it_is_placed(self):
        tri = placed(triangles(STL))
        # Divergence theorem: volume and centroid of the closed mesh.
        a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
        v6 = np.einsum("ij,ij->i", a, np.cross(b, c))
        volume = v6.sum() / 6
        centroid = (v6[:, None] * (a + b + c)).sum(axis=0) / (4 * v6.sum())
        with h5py.File(self.h5, "r") as f:
            mask = f["/fields/obstacle/value"][-1]
        self.assertEqual(mask.shape, (NZ, NY, NX))
        solid = np.argwhere(mask > 0)  # z, y, x
        cells = len(solid)
        # 3.6 cells across the thickest section: the count is within a few % of the volume.
        self.assertLess(abs(cells * DX ** 3 / volume - 1), 0.05, (cells, volume / DX ** 3))
        voxel_centroid = (solid[:, ::-1] + 0.5).mean(axis=0) * DX
        np.testing.assert_allclose(voxel_centroid, centroid, atol=0.3 * DX)

    def test_the_shipped_case_checks(self):
        r = twinsim("check", CASE)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_forces_are_written(self):
        with h5py.File(self.h5, "r") as f:
            force = f["/observables/obstacle_1/force/value"][:]
        self.assertEqual(force.shape[1], 3)
        self.assertTrue(np.all(np.isfinite(force)))
        self.assertGreater(force[-1, 0], 0)  # drag along the inflow

    def test_an_open_mesh_is_refused_at_check(self):
        folder = os.path.join(self.tmp.name, "open")
        os.makedirs(folder)
        shutil.copy(CASE, folder)
        with open(STL, "rb") as f:
            data = bytearray(f.read())
        n = struct.unpack_from("<I", data, 80)[0] - 1  # drop the last triangle: a hole
        struct.pack_into("<I", data, 80, n)
        with open(os.path.join(folder, "naca0012_wing.stl"), "wb") as f:
            f.write(data[:84 + 50 * n])
        r = twinsim("check", os.path.join(folder, "wing_duct.toml"))
        self.assertEqual(r.returncode, 2, r.stderr)
        for text in ("lbm.obstacle[0].file", "naca0012_wing.stl", "the surface is open"):
            self.assertIn(text, r.stderr)
        # Overrides cannot reach a repeated section's entries: edited copies of the case.
        folder = os.path.join(self.tmp.name, "edited")
        os.makedirs(folder)
        shutil.copy(STL, folder)
        with open(CASE) as f:
            text = f.read()
        for name, old, new, messages in (
                ("missing", 'file = "naca0012_wing.stl"', 'file = "missing.stl"',
                 ("lbm.obstacle[0].file", "missing.stl", "cannot open")),
                ("outside", "translation = [0.04,", "translation = [1.0,",
                 ("a mesh spanning x", "covers no cell centre"))):
            self.assertIn(old, text)
            path = os.path.join(folder, name + ".toml")
            with open(path, "w") as f:
                f.write(text.replace(old, new))
            r = twinsim("check", path)
            self.assertEqual(r.returncode, 2, r.stderr)
            for message in messages:
                self.assertIn(message, r.stderr)

if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
