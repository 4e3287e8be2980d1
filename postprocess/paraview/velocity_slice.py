#!/usr/bin/env pvbatch
"""Velocity magnitude on a slice (the mid-plane z for 3D fields, the plane itself for 2D
runs), with the obstacle mask in grey when the run has one.

  ./pvrun velocity_slice.py RUN_DIR --out velocity.png [--time T]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import twinsim_pv as tp  # noqa: E402
from paraview import simple as pv  # noqa: E402


def render(run_dir, out, time=None, size=(800, 600)):
    summary, xmf = tp.load_run(run_dir)
    reader = tp.open_xdmf(xmf)
    time = tp.go_to_time(reader, time)
    arrays = tp.array_names(reader)
    if "velocity" not in arrays:
        raise tp.RunError(f"{xmf}: no point array 'velocity' (has {arrays})")
    view = tp.new_view(size)
    flat = tp.is_flat(reader)
    if flat:
        source = reader
    else:
        source = tp.mid_z_slice(reader, reader)
    d = pv.Show(source, view)
    d.SetRepresentationType("Surface")
    tp.colour_by(d, view, ("POINTS", "velocity"), component="Magnitude",
                 preset="Viridis (matplotlib)",
                 title=tp.with_unit("velocity magnitude", tp.units_of(xmf, "velocity")))
    if "obstacle" in arrays:
        solid = pv.Threshold(Input=reader, Scalars=["POINTS", "obstacle"])
        try:  # ParaView >= 5.10
            solid.LowerThreshold, solid.UpperThreshold = 0.5, 1.5
        except AttributeError:
            solid.ThresholdRange = [0.5, 1.5]
        solid.UpdatePipeline(time)
        if solid.GetDataInformation().GetNumberOfCells() > 0:
            ds = pv.Show(solid, view)
            pv.ColorBy(ds, None)
            ds.DiffuseColor = ds.AmbientColor = [0.55, 0.55, 0.55]
    view.InteractionMode = "2D" if flat else "3D"
    view.CameraPosition = [0, 0, 1]
    view.CameraFocalPoint = [0, 0, 0]
    view.CameraViewUp = [0, 1, 0]
    tp.fit(view)
    where = "" if flat else ", mid-plane z"
    tp.label(view, f"{summary.get('name')}: velocity magnitude{where}, t = {time:.4g}")
    return tp.save(view, out, size)


if __name__ == "__main__":
    tp.main_for(render, __doc__.splitlines()[0])
