#!/usr/bin/python3
"""Tests of postprocess/ on short runs of every solver and of a train + predict chain (ctest
label io).

  test_postprocess.py TWINSIM SOURCE_DIR RUNS_DIR runs [FAMILY]  make the short runs (fixtures)
  test_postprocess.py TWINSIM SOURCE_DIR RUNS_DIR plot FAMILY    `twinsim plot` writes its files
  test_postprocess.py TWINSIM SOURCE_DIR RUNS_DIR paraview
        for every family: ParaView (pvpython) opens the .xmf with its three XDMF readers: array
        names, components, point counts and time steps as the run's settings imply; pvbatch
        (through postprocess/paraview/pvrun) saves every standard view as a PNG with content
  test_postprocess.py TWINSIM SOURCE_DIR RUNS_DIR not_a_run      clear error, exit status 2
  test_postprocess.py TWINSIM SOURCE_DIR RUNS_DIR mdanalysis FAMILY [--box]
        MDAnalysis (Debian python3-mdanalysis) reads the MD trajectory: positions, velocities,
        forces and times equal what h5py reads; --box: the box too
  test_postprocess.py TWINSIM SOURCE_DIR RUNS_DIR analysis       the figure modules' numerics
        against analytic results (spectra, vorticity, RDF of a lattice, MSD of a drift)

Exit status 0 pass, 1 fail, 77 skipped (a tool is absent; the message says which).
"""
import json
import os
import shutil
import subprocess
import sys

SKIP = 77

# The short runs: solver family -> (case, --set overrides, what ParaView must see).
# Frame counts follow from the overrides: md 200 steps dumped every 20 -> 11 frames; lbm 2000
# steps (tolerance 0: no early stop) output every 500 -> 5 (cylinder every 1000 -> 3);
# tgv2d t_end 2 every 0.5 -> 5;
# spectral3d 10 records of 0.1, velocity every 5 records -> 3; taylor_green frames = 5.
RUNS = {
    "md": ("cases/md/lj_melt.toml",
           ["md.cells=[4,4,4]", "md.steps=200", "md.dump_every=20", "md.thermo_every=10"],
           {"times": 11, "points": 256, "arrays": {"velocity": 3, "force": 3, "species": 1}}),
    # With the solver's own RDF (/analysis/rdf), drawn beside the one from the trajectory.
    "md_rdf": ("cases/md/lj_melt.toml",
               ["md.cells=[4,4,4]", "md.steps=200", "md.dump_every=20", "md.thermo_every=10",
                "md.rdf_every=20"],
               {"times": 11, "points": 256, "arrays": {"velocity": 3, "force": 3, "species": 1}}),
    "lbm": ("cases/lbm/cavity_re100.toml",
            ["lbm.domain.cells=[32,32]", "lbm.steps=2000", "lbm.output_every=500",
             "lbm.tolerance=0"],
            {"times": 5, "points": 32 * 32,
             "arrays": {"velocity": 3, "pressure": 1, "density": 1, "vorticity": 1,
                        "obstacle": 1}}),
    "lbm_poiseuille": ("cases/lbm/poiseuille.toml",
                       ["lbm.steps=2000", "lbm.output_every=1000"],
                       {"times": 3, "points": 8 * 32,
                        "arrays": {"velocity": 3, "pressure": 1, "vorticity": 1}}),
    "lbm_cylinder": ("cases/lbm/cylinder_2d1.toml",
                     ["lbm.domain.cells=[220,41]", "lbm.steps=2000", "lbm.output_every=1000",
                      "lbm.tolerance=0", "lbm.forces.every=100"],
                     {"times": 3, "points": 220 * 41,
                      "arrays": {"velocity": 3, "pressure": 1, "obstacle": 1}}),
    "spectral": ("cases/spectral/tgv2d.toml",
                 ["spectral.nx=32", "spectral.ny=32", "spectral.t_end=2.0"],
                 {"times": 5, "points": 32 * 32, "arrays": {"vorticity": 1}}),
    "spectral3d": ("cases/spectral/tgv3d_re1600.toml",
                   ["spectral3d.n=16", "spectral3d.t_end=1.0", "spectral3d.snapshot_every=5"],
                   {"times": 3, "points": 16 ** 3, "arrays": {"velocity": 3}}),
    "taylor_green_check": ("cases/demo/taylor_green.toml",
                           ["taylor_green.n=32", "taylor_green.frames=5"],
                           {"times": 5, "points": 32 * 32,
                            "arrays": {"velocity": 3, "vorticity": 1, "vorticity_exact": 1}}),
}

# The surrogate chain, in RUNS_DIR/surrogate (the surrogate cases name their files relative to
# the working folder): a small dataset (8 trajectories of 7 frames), 3 epochs of training, and
# a rollout on the 2 test trajectories.
SURROGATE = [
    ["run", "cases/surrogate/ns2d_small_data.toml", "--out", "runs/ns2d_small_data",
     "--set", "spectral.samples=8", "--set", "spectral.batch=8", "--set", "spectral.t_end=6.0"],
    ["train", "cases/surrogate/fno_ns2d_small.toml", "--set", "data.train_samples=6",
     "--set", "data.test_samples=2", "--set", "train.epochs=3", "--set", "train.batch=4"],
    ["predict", "cases/surrogate/fno_ns2d_small.toml", "--set", "data.train_samples=6",
     "--set", "data.test_samples=2"],
]
# Run folders of families that do not live at RUNS_DIR/<family>.
FOLDERS = {"train": "surrogate/runs/fno_ns2d_small",
           "predict": "surrogate/runs/fno_ns2d_small_predict"}
PREDICT_VIEW = {"times": 7, "points": 32 * 32,
                "arrays": {"vorticity_predicted": 1, "vorticity_reference": 1,
                           "vorticity_error": 1}}


def folder(runs, family):
    return os.path.join(runs, FOLDERS.get(family, family))


# What `twinsim plot` must write for each family (file names under RUN_DIR/figures).
FIGURES = {
    "md": ["md_thermo", "md_energy_drift", "md_rdf", "md_msd"],
    "md_rdf": ["md_thermo", "md_energy_drift", "md_rdf", "md_msd"],
    "lbm": ["lbm_fields", "lbm_history", "lbm_ghia_centrelines"],
    "lbm_poiseuille": ["lbm_fields", "lbm_history", "lbm_poiseuille_profile"],
    "lbm_cylinder": ["lbm_fields", "lbm_history", "lbm_forces"],
    "spectral": ["spectral_vorticity", "spectral_energy_spectrum", "spectral_energy_enstrophy"],
    "spectral3d": ["spectral3d_dissipation", "spectral3d_energy_spectrum",
                   "spectral3d_vorticity"],
    "taylor_green_check": ["taylor_green_check"],
    "train": ["surrogate_loss"],
    "predict": ["surrogate_rollout_error", "surrogate_vs_solver"],
}

# Field figures: each has at least one colour bar (found by its pixel columns).
COLOUR_BARS = ["lbm_fields", "spectral_vorticity", "spectral3d_vorticity", "taylor_green_check",
               "surrogate_vs_solver"]

# The standard ParaView views postprocess/paraview/views.py saves per family.
VIEWS = {
    "md": ["paraview_particles"],
    "md_rdf": ["paraview_particles"],
    "lbm": ["paraview_velocity", "paraview_vorticity"],
    "lbm_poiseuille": ["paraview_velocity", "paraview_vorticity"],
    "lbm_cylinder": ["paraview_velocity", "paraview_vorticity"],
    "spectral": ["paraview_vorticity"],
    "spectral3d": ["paraview_velocity", "paraview_vorticity"],
    "taylor_green_check": ["paraview_velocity", "paraview_vorticity"],
    "predict": ["paraview_surrogate_vs_solver"],
}

failures = []


def expect(condition, message):
    if not condition:
        failures.append(message)


# Spinning OpenMP threads slow a loaded 2-core machine 10-20x (see the test presets).
ENV = dict(os.environ, OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "passive"))


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, env=ENV, **kw)


def make_surrogate_runs(twinsim, source, runs):
    work = os.path.join(runs, "surrogate")
    os.makedirs(work, exist_ok=True)
    for command, case, *args in SURROGATE:
        cmd = [twinsim, "-q", command, os.path.join(source, case), "--overwrite", "--device",
               "cpu", *args]
        r = run(cmd, cwd=work)
        if r.returncode != 0:
            failures.append(f"(in {work}) {' '.join(cmd)}: exit {r.returncode}\n{r.stderr}")
            return


def make_runs(twinsim, source, runs, families):
    os.makedirs(runs, exist_ok=True)
    for family in families:
        if family == "surrogate":
            make_surrogate_runs(twinsim, source, runs)
            continue
        case, overrides, _ = RUNS[family]
        cmd = [twinsim, "-q", "run", os.path.join(source, case), "--out",
               os.path.join(runs, family), "--overwrite", "--device", "cpu"]
        for o in overrides:
            cmd += ["--set", o]
        r = run(cmd)
        expect(r.returncode == 0, f"{' '.join(cmd)}: exit {r.returncode}\n{r.stderr}")


def png_content(path):
    """(width, height, fraction of pixels unlike the corner pixel, distinct colours)."""
    import numpy as np
    from PIL import Image
    image = np.asarray(Image.open(path).convert("RGB"))
    background = image[0, 0]
    differs = np.any(image != background, axis=-1).mean()
    colours = len(np.unique(image.reshape(-1, 3), axis=0))
    return image.shape[1], image.shape[0], float(differs), colours


def expect_picture(path, min_fraction=0.03, min_colours=32):
    if not os.path.isfile(path):
        failures.append(f"{path}: not written")
        return
    w, h, fraction, colours = png_content(path)
    expect(w >= 200 and h >= 150, f"{path}: {w}x{h} pixels")
    expect(fraction >= min_fraction, f"{path}: only {100 * fraction:.1f} % of the pixels differ "
                                     "from the background (blank picture?)")
    expect(colours >= min_colours, f"{path}: {colours} colours (blank or flat picture?)")
    print(f"{os.path.basename(path)}: {w}x{h}, {100 * fraction:.0f} % drawn, {colours} colours")


def colour_bar_columns(path):
    """Pixel columns that look like a colour bar: at least 100 distinct colours down the
    column, changing in small steps from one row to the next (a colormap gradient; a field
    panel of up to 64 cells shows fewer colours, a line plot no gradient)."""
    import numpy as np
    from PIL import Image
    image = np.asarray(Image.open(path).convert("RGB")).astype(int)
    columns = []
    for x in range(image.shape[1]):
        column = image[:, x]
        drawn = np.any(column != column[0], axis=-1) & np.any(column < 235, axis=-1)
        rows = np.flatnonzero(drawn)
        if len(rows) < 100:
            continue
        run = column[rows[0]:rows[-1] + 1]
        distinct = len(np.unique(run, axis=0))
        steps = np.abs(np.diff(run, axis=0)).max(axis=-1)
        if distinct >= 100 and np.percentile(steps, 98) <= 12:
            columns.append(x)
    return columns


def plot(twinsim, runs, family):
    run_dir = folder(runs, family)
    out = os.path.join(run_dir, "figures")
    shutil.rmtree(out, ignore_errors=True)
    r = run([twinsim, "plot", run_dir])
    expect(r.returncode == 0, f"twinsim plot {run_dir}: exit {r.returncode}\n{r.stderr}")
    listed = [line for line in r.stdout.splitlines() if line.strip()]
    for name in FIGURES[family]:
        path = os.path.join(out, name + ".png")
        expect(path in listed, f"{path} not listed on stdout ({listed})")
        expect_picture(path)
        if name in COLOUR_BARS and os.path.isfile(path):
            bars = colour_bar_columns(path)
            expect(len(bars) >= 3, f"{path}: no colour bar found")
            print(f"{name}: colour bar in pixel columns {bars[:1]}..{bars[-1:]}")
    if family == "taylor_green_check":  # one figure: the quickest family to draw thrice more
        formats(twinsim, run_dir, FIGURES[family][0])


def formats(twinsim, run_dir, name):
    """--format pdf and svg write valid files; --dpi scales the PNGs."""
    import xml.etree.ElementTree as ElementTree
    from PIL import Image
    for fmt in ("pdf", "svg"):
        out = os.path.join(run_dir, "figures_" + fmt)
        shutil.rmtree(out, ignore_errors=True)
        r = run([twinsim, "plot", run_dir, "--format", fmt, "--out", out])
        expect(r.returncode == 0, f"twinsim plot --format {fmt}: exit {r.returncode}\n{r.stderr}")
        path = os.path.join(out, f"{name}.{fmt}")
        if not os.path.isfile(path):
            failures.append(f"{path}: not written")
            continue
        with open(path, "rb") as f:
            data = f.read()
        if fmt == "pdf":
            expect(data.startswith(b"%PDF-1.") and data.rstrip().endswith(b"%%EOF")
                   and b"/Type /Page" in data, f"{path}: not a complete PDF")
        else:
            root = ElementTree.fromstring(data)
            expect(root.tag == "{http://www.w3.org/2000/svg}svg", f"{path}: root {root.tag}")
        print(f"{os.path.basename(path)}: {len(data)} bytes, valid")
    out = os.path.join(run_dir, "figures_dpi")
    shutil.rmtree(out, ignore_errors=True)
    r = run([twinsim, "plot", run_dir, "--dpi", "75", "--out", out])
    expect(r.returncode == 0, f"twinsim plot --dpi 75: exit {r.returncode}\n{r.stderr}")
    small = Image.open(os.path.join(out, name + ".png")).size[0]
    full = Image.open(os.path.join(run_dir, "figures", name + ".png")).size[0]
    expect(abs(small / full - 0.5) < 0.05, f"--dpi 75: {small} pixels wide, {full} at 150 dpi")


def not_a_run(twinsim, runs):
    empty = os.path.join(runs, "not_a_run")
    os.makedirs(empty, exist_ok=True)
    for folder, words in ((empty, "not a run folder"),
                          (os.path.join(runs, "no_such_folder"), "no such folder")):
        r = run([twinsim, "plot", folder])
        expect(r.returncode == 2, f"twinsim plot {folder}: exit {r.returncode}, want 2")
        expect(words in r.stderr and folder in r.stderr,
               f"twinsim plot {folder}: message {r.stderr!r} lacks '{words}' and the folder")
    # The Python side refuses the same way when run directly.
    script = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__))))), "postprocess", "plot.py")
    r = run([sys.executable, script, empty])
    expect(r.returncode == 2 and "not a run folder" in r.stderr,
           f"plot.py {empty}: exit {r.returncode}, {r.stderr!r}")


def paraview(source, runs):
    """Every family in one pvpython and one pvbatch process (each starts in seconds)."""
    pvpython = shutil.which("pvpython")
    if pvpython is None:
        print("SKIP: pvpython not found (Debian: paraview python3-paraview); the ParaView "
              "checks did not run")
        sys.exit(SKIP)
    scripts = os.path.join(source, "postprocess", "paraview")
    families = list(RUNS) + ["predict"]
    run_dirs = [folder(runs, family) for family in families]
    family_of = {os.path.abspath(d): f for d, f in zip(run_dirs, families)}
    r = run([pvpython, os.path.join(scripts, "inspect_run.py"), *run_dirs, "--reader", "all"],
            timeout=300)
    if r.returncode != 0:
        failures.append(f"inspect_run.py: exit {r.returncode}\n{r.stderr[-3000:]}")
        return
    for seen in json.loads(r.stdout[r.stdout.index("["):]):
        family = family_of[seen["run_dir"]]
        want = PREDICT_VIEW if family == "predict" else RUNS[family][2]
        reader = seen["reader"]
        expect(len(seen["times"]) == want["times"],
               f"{family} {reader}: {len(seen['times'])} time steps, want {want['times']}")
        expect(seen["times"] == sorted(seen["times"]), f"{family} {reader}: times not sorted")
        for step in seen["steps"]:
            where = f"{family} {reader} t={step['time']}"
            expect(step["points"] == want["points"],
                   f"{where}: {step['points']} points, want {want['points']}")
            for name, components in want["arrays"].items():
                got = step["point_arrays"].get(name)
                expect(got == components, f"{where}: array {name} has {got} components, "
                                          f"want {components} (arrays: {step['point_arrays']})")
        print(f"{family} {reader}: {len(seen['times'])} steps, {seen['steps'][-1]['points']} "
              f"points, arrays {seen['steps'][-1]['point_arrays']}")
    if shutil.which("pvbatch") is None or (not os.environ.get("DISPLAY")
                                           and shutil.which("xvfb-run") is None):
        print("SKIP: the reading checks ran, but pvbatch or (with no DISPLAY) xvfb-run is "
              "missing, so no picture was rendered (Debian: python3-paraview xvfb xauth)")
        if not failures:
            sys.exit(SKIP)
        return
    out = os.path.join(runs, "paraview_views")
    shutil.rmtree(out, ignore_errors=True)
    r = run([os.path.join(scripts, "pvrun"), os.path.join(scripts, "views.py"), *run_dirs,
             "--out", out, "--size", "400", "300"], timeout=300)
    expect(r.returncode == 0, f"pvrun views.py: exit {r.returncode}\n{r.stderr[-3000:]}")
    for family, run_dir in zip(families, run_dirs):
        for name in VIEWS[family]:
            expect_picture(os.path.join(out, os.path.basename(run_dir), name + ".png"))
            expect_state(os.path.join(out, os.path.basename(run_dir), name + ".pvsm"), run_dir)


def expect_state(path, run_dir):
    """A ParaView state file that loads the run's .xmf and titles its colour bar with a unit."""
    import xml.etree.ElementTree as ElementTree
    if not os.path.isfile(path):
        failures.append(f"{path}: no ParaView state written")
        return
    root = ElementTree.parse(path).getroot()
    values = [e.get("value", "") for e in root.iter("Element")]
    expect(root.tag in ("ParaView", "GenericParaViewApplication"),
           f"{path}: root element {root.tag}, not a ParaView state")
    expect(any(v.endswith(".xmf") and os.path.dirname(v) == os.path.abspath(run_dir)
               for v in values), f"{path}: does not open the .xmf of {run_dir}")
    titles = [e.get("value") for p in root.iter("Property") if p.get("name") == "Title"
              for e in p.iter("Element")]
    expect(any("[" in (t or "") for t in titles),
           f"{path}: no colour bar title with a unit ({titles})")
    print(f"{os.path.basename(path)}: state of {os.path.basename(run_dir)}, colour bar {titles}")


def mdanalysis(runs, family, box):
    import warnings
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Debian's MDAnalysis imports the deprecated xdrlib
            import MDAnalysis as mda
    except ImportError:
        print("SKIP: MDAnalysis is not installed for this python (Debian: python3-mdanalysis)")
        sys.exit(SKIP)
    import h5py
    import numpy as np
    run_dir = os.path.join(runs, family)
    with open(os.path.join(run_dir, "summary.json")) as f:
        summary = json.load(f)
    path = os.path.join(run_dir, summary["name"] + ".h5")
    with h5py.File(path, "r") as f:
        atoms = f["particles/all/position/value"].shape[1]
        u = mda.Universe.empty(atoms, trajectory=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # Reduced LJ units carry no unit names, so MDAnalysis must not convert.
            u.load_new(path, format="H5MD", convert_units=False)
        frames = f["particles/all/position/value"].shape[0]
        expect(len(u.trajectory) == frames, f"MDAnalysis: {len(u.trajectory)} frames, h5py "
                                            f"{frames}")
        for ts in u.trajectory:
            k = ts.frame
            for name, got in (("position", ts.positions), ("velocity", ts.velocities),
                              ("force", ts.forces)):
                ref = f[f"particles/all/{name}/value"][k]
                # MDAnalysis holds float32: compare to float32 round-off of the stored values.
                expect(np.allclose(got, ref, rtol=1e-6, atol=1e-6 * np.abs(ref).max()),
                       f"frame {k}: MDAnalysis {name} differs from the file")
            expect(abs(ts.time - f["particles/all/position/time"][k]) < 1e-9,
                   f"frame {k}: time {ts.time} != {f['particles/all/position/time'][k]}")
            if box:
                edges = np.asarray(f["particles/all/box/edges/value"][min(k, len(
                    f["particles/all/box/edges/value"]) - 1)])
                lengths = np.diag(edges) if edges.ndim == 2 else edges
                dims = ts.dimensions
                if dims is None or not (np.allclose(dims[:3], lengths)
                                        and np.allclose(dims[3:], 90.0)):
                    failures.append(
                        f"frame {k}: MDAnalysis box {dims}, file edges {edges.tolist()}: "
                        "MDAnalysis 2.4's H5MD reader takes box/edges/value[frame] as a 3x3 "
                        "matrix (triclinic_box(*edges)); a [3] vector reads as no box")
                    break
        print(f"MDAnalysis {mda.__version__}: {frames} frames of {atoms} atoms: positions, "
              "velocities, forces and times" + (", box" if box else "") + " checked")


def analysis(source):
    """The numerics behind the figures, against analytic results."""
    import numpy as np
    sys.path.insert(0, os.path.join(source, "postprocess"))
    from twinsim_post import md, spectral

    # 3D Taylor-Green u = (sin x cos y cos z, -cos x sin y cos z, 0) on [0, 2 pi)^3: mean kinetic
    # energy 1/8, mean enstrophy 3/8, all energy in the shell |k| = sqrt(3).
    n, l = 16, 2 * np.pi
    x = np.arange(n) * l / n
    z, y, xx = np.meshgrid(x, x, x, indexing="ij")
    u = np.stack([np.sin(xx) * np.cos(y) * np.cos(z), -np.cos(xx) * np.sin(y) * np.cos(z),
                  0 * xx], axis=-1)
    k, e = spectral.spectrum_3d(u, l)
    expect(abs(e.sum() - 0.125) < 1e-12, f"3D spectrum sums to {e.sum()}, not 1/8")
    expect(abs(e[2] - 0.125) < 1e-12, f"3D TGV energy not in shell 2 (sqrt 3 -> 2): {e[:4]}")
    w = spectral.vorticity_3d(u, l)
    expect(abs(0.5 * (w ** 2).sum(axis=-1).mean() - 0.375) < 1e-12, "3D TGV enstrophy != 3/8")
    # omega_z = dv/dx - du/dy = 2 sin x sin y cos z for this field.
    expect(np.allclose(w[..., 2], 2 * np.sin(xx) * np.sin(y) * np.cos(z), atol=1e-12),
           "3D vorticity z component differs from 2 sin x sin y cos z")

    # 2D: w = 2 k sin(kx) sin(ky) with k = 3 on [0, 2 pi)^2 has mean kinetic energy 1/4 in the
    # shell |k| = 3 sqrt 2 (-> 4).
    n2 = 32
    x2 = np.arange(n2) * l / n2
    yy2, xx2 = np.meshgrid(x2, x2, indexing="ij")
    k2, e2 = spectral.spectrum_2d(6 * np.sin(3 * xx2) * np.sin(3 * yy2), l, l)
    expect(abs(e2.sum() - 0.25) < 1e-12, f"2D spectrum sums to {e2.sum()}, not 1/4")
    expect(abs(e2[4] - 0.25) < 1e-12, f"2D energy not in shell 4: {e2[:6]}")

    # RDF of a simple cubic lattice (spacing 1, 10^3 sites): 6 neighbours at r = 1, 12 at
    # sqrt 2; the running coordination number 4 pi rho int g r^2 dr counts them.
    m = 10
    sites = np.stack(np.meshgrid(*(np.arange(m, dtype=float),) * 3, indexing="ij"),
                     -1).reshape(-1, 3)
    r, g = md.rdf(sites, np.full(3, float(m)), bins=200, max_reference_atoms=200)
    half = 0.5 * (r[1] - r[0])
    shell = 4 / 3 * np.pi * ((r + half) ** 3 - (r - half) ** 3)
    count = np.cumsum(g * shell)  # rho = 1
    for within, neighbours in ((0.9, 0), (1.2, 6), (1.6, 18), (1.8, 26)):
        got = count[np.searchsorted(r, within)]
        expect(abs(got - neighbours) < 1e-9, f"RDF: {got} neighbours within {within}, want "
                                             f"{neighbours}")
    print("spectra, vorticity and RDF agree with the analytic values")


def main():
    twinsim, source, runs, what = sys.argv[1:5]
    rest = sys.argv[5:]
    if what == "runs":
        make_runs(twinsim, source, runs, rest or list(RUNS) + ["surrogate"])
    elif what == "plot":
        plot(twinsim, runs, rest[0])
    elif what == "paraview":
        paraview(source, runs)
    elif what == "not_a_run":
        not_a_run(twinsim, runs)
    elif what == "mdanalysis":
        mdanalysis(runs, rest[0], "--box" in rest)
    elif what == "analysis":
        analysis(source)
    else:
        sys.exit(f"unknown check {what}")
    for message in failures:
        print("FAIL:", message)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
