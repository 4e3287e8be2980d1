#!/usr/bin/env pvbatch
"""A `twinsim predict` run side by side: the surrogate's field, the solver's (reference) field
and their difference, three views in one picture on one colour scale (the solver's range).

  ./pvrun surrogate_vs_solver.py RUN_DIR --out side_by_side.png [--time T]

Reads the arrays <field>_predicted, <field>_reference and <field>_error of the run's .xmf.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import twinsim_pv as tp  # noqa: E402
from paraview import simple as pv  # noqa: E402


def render(run_dir, out, time=None, size=(1200, 420)):
    summary, xmf = tp.load_run(run_dir)
    reader = tp.open_xdmf(xmf)
    time = tp.go_to_time(reader, time)
    arrays = tp.array_names(reader)
    fields = [a[:-len("_predicted")] for a in arrays if a.endswith("_predicted")]
    if not fields or fields[0] + "_reference" not in arrays:
        raise tp.RunError(f"{xmf}: no <field>_predicted and <field>_reference arrays (has "
                          f"{arrays}); is this a `twinsim predict` run?")
    field = fields[0]
    info = reader.GetPointDataInformation().GetArray(field + "_reference")
    lo, hi = info.GetRange(0)
    m = max(abs(lo), abs(hi)) or 1.0
    layout = pv.CreateLayout("side by side")
    views = []
    for k, (suffix, label) in enumerate((("_predicted", "surrogate"), ("_reference", "solver"),
                                         ("_error", "difference"))):
        if field + suffix not in arrays:
            continue
        view = tp.new_view((size[0] // 3, size[1]))
        d = pv.Show(reader, view)
        d.SetRepresentationType("Surface")
        lut = tp.colour_by(d, view, ("POINTS", field + suffix), preset="Cool to Warm",
                           title=tp.with_unit(field, tp.units_of(xmf, field + suffix)
                                              or "1/time"))
        lut.RescaleTransferFunction(-m, m)
        d.SetScalarBarVisibility(view, k == 2)
        view.InteractionMode = "2D"
        tp.fit(view)
        tp.label(view, f"{label}, t = {time:.4g}")
        views.append(view)
    # Split the layout into three equal columns: 1/3 | (1/2 of the remaining 2/3).
    layout.SplitHorizontal(0, 1.0 / 3.0)
    layout.SplitHorizontal(2, 0.5)
    for cell, view in zip((1, 5, 6), views):
        layout.AssignView(cell, view)
    os.makedirs(os.path.dirname(os.path.abspath(out)) or ".", exist_ok=True)
    pv.SaveScreenshot(out, layout, ImageResolution=list(size))
    print(out)
    tp.save_state(out)
    return out


if __name__ == "__main__":
    tp.main_for(render, __doc__.splitlines()[0])
