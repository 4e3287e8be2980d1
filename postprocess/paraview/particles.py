#!/usr/bin/env pvbatch
"""Particles of an MD run coloured by speed |v| (pvbatch; headless through ./pvrun).

  ./pvrun particles.py RUN_DIR --out particles.png [--time T]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import twinsim_pv as tp  # noqa: E402
from paraview import simple as pv  # noqa: E402


def speed_unit(summary):
    """MD runs are in reduced Lennard-Jones units: speed in sigma/tau."""
    return "sigma/tau" if "Lennard-Jones" in str(summary.get("units", "")) else ""


def render(run_dir, out, time=None, size=(800, 600)):
    summary, xmf = tp.load_run(run_dir)
    reader = tp.open_xdmf(xmf)
    time = tp.go_to_time(reader, time)
    if "velocity" not in tp.array_names(reader):
        raise tp.RunError(f"{xmf}: no point array 'velocity' (not a particle run?)")
    speed = pv.Calculator(Input=reader, ResultArrayName="speed", Function="mag(velocity)")
    view = tp.new_view(size)
    d = pv.Show(speed, view)
    d.SetRepresentationType("Points")
    d.PointSize = 6
    d.RenderPointsAsSpheres = 1
    tp.colour_by(d, view, ("POINTS", "speed"), preset="Turbo" if "Turbo" in
                 pv.GetLookupTableNames() else "Viridis (matplotlib)",
                 title=tp.with_unit("speed", speed_unit(summary)))
    view.CameraPosition = [1.8, -1.4, 1.2]
    view.CameraViewUp = [0, 0, 1]
    tp.fit(view, 1.2)
    tp.label(view, f"{summary.get('name')}: t = {time:.4g}")
    return tp.save(view, out, size)


if __name__ == "__main__":
    tp.main_for(render, __doc__.splitlines()[0])
