"""Helpers shared by the pvpython scripts in this folder: open a Twinsim run folder's XDMF
sidecar with a named reader, pick a time, set up a view, save a PNG and the ParaView state
that rebuilds the view (File > Load State).

Facts these rely on (checked with Debian 12's ParaView 5.11, reference/paraview-and-slurm.md):
- name the reader (XDMFReader); OpenDataFile picks a different one per version;
- give the .xmf as an absolute path (the Xdmf3 readers misresolve bare file names);
- set the animation time before rescaling colours; image data starts as Outline;
- rendering needs GLX: under no display run through ./pvrun (xvfb-run).
"""
import json
import os
import sys

from paraview import simple as pv


class RunError(Exception):
    pass


def load_run(run_dir):
    """(summary dict, absolute .xmf path) of a run folder; RunError when it is not one."""
    run_dir = os.path.abspath(run_dir)
    summary_path = os.path.join(run_dir, "summary.json")
    if not os.path.isfile(summary_path):
        raise RunError(f"{run_dir}: not a run folder (no summary.json); give a folder written "
                       "by `twinsim run CASE.toml --out DIR`")
    with open(summary_path) as f:
        summary = json.load(f)
    xmf = os.path.join(run_dir, summary.get("name", "") + ".xmf")
    if not os.path.isfile(xmf):
        raise RunError(f"{run_dir}: no {os.path.basename(xmf)}: this run wrote no fields or "
                       "trajectory for ParaView (e.g. md.dump_every = 0)")
    return summary, xmf


def units_of(xmf, name):
    """The unit of field `name` as the run's HDF5 file states it ("m/s", "1/time"), "" when it
    states none (reduced units) or the file cannot be read."""
    try:
        import h5py
        with h5py.File(os.path.splitext(xmf)[0] + ".h5", "r", locking=False) as f:
            for path in (f"fields/{name}/value", f"{name}/value"):
                if path in f:
                    unit = f[path].attrs.get("units", "")
                    return unit.decode() if isinstance(unit, bytes) else str(unit)
    except (ImportError, OSError):
        pass
    return ""


def with_unit(title, unit):
    """ "vorticity [1/s]" (the colour bar's title), or the title alone without a unit."""
    return f"{title} [{unit}]" if unit else title


def open_xdmf(xmf):
    reader = pv.XDMFReader(registrationName=os.path.basename(xmf),
                           FileNames=[os.path.abspath(xmf)])
    reader.UpdatePipelineInformation()
    return reader


def timesteps(reader):
    t = reader.TimestepValues
    if t is None:
        return []
    return list(t) if hasattr(t, "__len__") else [t]


def go_to_time(reader, time=None):
    """Sets the animation (and the view) to `time`, default the last step; returns it."""
    steps = timesteps(reader)
    if time is None:
        time = steps[-1] if steps else 0.0
    scene = pv.GetAnimationScene()
    scene.UpdateAnimationUsingDataTimeSteps()
    scene.AnimationTime = time
    reader.UpdatePipeline(time)
    return time


def array_names(source, association="POINTS"):
    info = source.GetPointDataInformation() if association == "POINTS" else \
        source.GetCellDataInformation()
    return [info.GetArray(i).Name for i in range(info.GetNumberOfArrays())]


def is_flat(source):
    """True for the 1-point-thick meshes 2D runs write (z extent zero)."""
    bounds = source.GetDataInformation().GetBounds()
    return abs(bounds[5] - bounds[4]) < 1e-12 * max(1.0, abs(bounds[1] - bounds[0]))


def mid_z_slice(source, bounds_of):
    """A slice of source through the middle of bounds_of's box, normal to z."""
    bounds = bounds_of.GetDataInformation().GetBounds()
    s = pv.Slice(Input=source)
    s.SliceType = "Plane"
    s.SliceType.Origin = [0.5 * (bounds[0] + bounds[1]), 0.5 * (bounds[2] + bounds[3]),
                          0.5 * (bounds[4] + bounds[5])]
    s.SliceType.Normal = [0, 0, 1]
    return s


def new_view(size=(800, 600)):
    view = pv.CreateView("RenderView")
    view.ViewSize = list(size)
    view.OrientationAxesVisibility = 0
    try:  # ParaView >= 5.10 draws the palette's background unless told otherwise
        view.UseColorPaletteForBackground = 0
    except AttributeError:
        pass
    view.Background = [1.0, 1.0, 1.0]
    return view


def colour_by(display, view, array, component=None, preset="Viridis (matplotlib)",
              symmetric=False, title=None):
    association = array[0]
    if component is None:
        pv.ColorBy(display, array)
    else:
        pv.ColorBy(display, (association, array[1], component))
    display.RescaleTransferFunctionToDataRange(True, False)
    lut = pv.GetColorTransferFunction(array[1])
    lut.ApplyPreset(preset, True)
    if symmetric:
        lo, hi = lut.RGBPoints[0], lut.RGBPoints[-4]
        m = max(abs(lo), abs(hi)) or 1.0
        lut.RescaleTransferFunction(-m, m)
    display.SetScalarBarVisibility(view, True)
    bar = pv.GetScalarBar(lut, view)
    bar.Title = title or array[1]
    bar.ComponentTitle = ""  # ColorBy's "Magnitude" would follow the title
    bar.TitleColor = bar.LabelColor = [0.1, 0.1, 0.1]
    return lut


def label(view, text):
    t = pv.Text(Text=text)
    d = pv.Show(t, view)
    d.WindowLocation = "Upper Left Corner"
    d.FontSize = 14
    d.Color = [0.1, 0.1, 0.1]


def fit(view, zoom=1.12):
    """Camera on the whole data set, then closer (ResetCamera leaves a wide margin)."""
    view.ResetCamera()
    pv.Render(view)
    if view.CameraParallelProjection:  # 2D interaction mode: the scale is a view property
        view.CameraParallelScale = view.CameraParallelScale / zoom
    else:
        view.GetActiveCamera().Zoom(zoom)


def save_state(path):
    """The session as a ParaView state file beside the picture (<name>.pvsm): File > Load
    State in the GUI rebuilds the same view (reader, filters, colours, camera) from the run's
    .xmf, named by its absolute path."""
    state = os.path.splitext(path)[0] + ".pvsm"
    pv.SaveState(state)
    print(state)
    return state


def save(view, path, size=(800, 600)):
    os.makedirs(os.path.dirname(os.path.abspath(path)) or ".", exist_ok=True)
    pv.Render(view)
    pv.SaveScreenshot(path, view, ImageResolution=list(size))
    print(path)
    save_state(path)
    return path


def finish(code):
    """Ends a pvbatch script with an exit status. sys.exit with views still alive makes
    Debian's ParaView 5.11 fail at exit (GLXBadContext, status 1) under xvfb: delete them first."""
    sys.stdout.flush()
    for view in list(pv.GetViews()):
        pv.Delete(view)
    sys.exit(code)


def main_for(render, description):
    """Command line shared by the view scripts: RUN_DIR --out PNG [--time T]."""
    import argparse
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("run_dir")
    parser.add_argument("--out", required=True, help="PNG to write")
    parser.add_argument("--time", type=float, help="time to show (default: the last step)")
    parser.add_argument("--size", type=int, nargs=2, default=(800, 600))
    args = parser.parse_args()
    try:
        render(args.run_dir, args.out, time=args.time, size=tuple(args.size))
    except RunError as e:
        print(f"error: {e}", file=sys.stderr)
        finish(2)
    finish(0)
