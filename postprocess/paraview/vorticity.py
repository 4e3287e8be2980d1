#!/usr/bin/env pvbatch
"""The vorticity field: the run's own `vorticity` array where it has one (2D runs, a
diverging colour map centred on zero); for 3D velocity fields the vorticity magnitude from
ParaView's Gradient filter on the mid-plane z.

  ./pvrun vorticity.py RUN_DIR --out vorticity.png [--time T]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import twinsim_pv as tp  # noqa: E402
from paraview import simple as pv  # noqa: E402


def gradient_filter(source):
    """ParaView 5.10+ calls it Gradient; older versions GradientOfUnstructuredDataSet."""
    if hasattr(pv, "GradientOfUnstructuredDataSet") and not hasattr(pv, "Gradient"):
        g = pv.GradientOfUnstructuredDataSet(Input=source)
    else:
        g = pv.Gradient(Input=source)
    try:
        g.ScalarArray = ["POINTS", "velocity"]
    except AttributeError:
        g.InputArray = ["POINTS", "velocity"]
    g.ComputeVorticity = 1
    g.ComputeGradient = 0
    return g


def per_time(velocity_unit):
    """The unit of a velocity gradient: "m/s" -> "1/s", "m s-1" -> "s-1", "length/time" ->
    "1/time"; "" when the velocity has none."""
    if "/" in velocity_unit:
        return "1/" + velocity_unit.split("/", 1)[1]
    return velocity_unit.split()[-1] if velocity_unit.endswith("-1") else ""


def render(run_dir, out, time=None, size=(800, 600)):
    summary, xmf = tp.load_run(run_dir)
    reader = tp.open_xdmf(xmf)
    time = tp.go_to_time(reader, time)
    arrays = tp.array_names(reader)
    view = tp.new_view(size)
    flat = tp.is_flat(reader)
    if "vorticity" in arrays:
        d = pv.Show(reader, view)
        d.SetRepresentationType("Surface")
        tp.colour_by(d, view, ("POINTS", "vorticity"), preset="Cool to Warm", symmetric=True,
                     title=tp.with_unit("vorticity", tp.units_of(xmf, "vorticity")))
        text = "vorticity"
        if not flat:
            d.SetRepresentationType("Outline")
    elif "velocity" in arrays and not flat:
        s = tp.mid_z_slice(gradient_filter(reader), reader)
        d = pv.Show(s, view)
        d.SetRepresentationType("Surface")
        tp.colour_by(d, view, ("POINTS", "Vorticity"), component="Magnitude",
                     preset="Inferno (matplotlib)",
                     title=tp.with_unit("vorticity magnitude",
                                        per_time(tp.units_of(xmf, "velocity"))))
        text = "vorticity magnitude (Gradient filter), mid-plane z"
    else:
        raise tp.RunError(f"{xmf}: neither a 'vorticity' array nor a 3D 'velocity' field "
                          f"(has {arrays})")
    view.InteractionMode = "2D" if flat else "3D"
    view.CameraPosition = [0, 0, 1]
    view.CameraFocalPoint = [0, 0, 0]
    view.CameraViewUp = [0, 1, 0]
    tp.fit(view)
    tp.label(view, f"{summary.get('name')}: {text}, t = {time:.4g}")
    return tp.save(view, out, size)


if __name__ == "__main__":
    tp.main_for(render, __doc__.splitlines()[0])
