#!/usr/bin/env pvbatch
"""Every standard ParaView view that fits a run, as PNGs and ParaView state files (<view>.pvsm:
File > Load State opens the same view in the GUI): particles coloured by speed (MD),
velocity-magnitude slice with the obstacle (LBM, 3D spectral, Taylor-Green check), vorticity
(LBM, spectral), surrogate vs solver side by side (`twinsim predict` runs).
`twinsim plot RUN_DIR --paraview` runs it through ./pvrun.

  ./pvrun views.py RUN_DIR... [--out DIR] [--time T]   (DIR default RUN_DIR/figures)
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import twinsim_pv as tp  # noqa: E402
import particles  # noqa: E402
import velocity_slice  # noqa: E402
import surrogate_vs_solver  # noqa: E402
import vorticity  # noqa: E402
from paraview import simple as pv  # noqa: E402

VIEWS = {
    "md": [("paraview_particles", particles.render)],
    "lbm": [("paraview_velocity", velocity_slice.render), ("paraview_vorticity", vorticity.render)],
    "spectral": [("paraview_vorticity", vorticity.render)],
    "spectral3d": [("paraview_velocity", velocity_slice.render),
                   ("paraview_vorticity", vorticity.render)],
    "taylor_green_check": [("paraview_velocity", velocity_slice.render),
                           ("paraview_vorticity", vorticity.render)],
    "predict": [("paraview_surrogate_vs_solver", surrogate_vs_solver.render)],
}


def reset_session():
    for source in list(pv.GetSources().values()):
        pv.Delete(source)
    for view in list(pv.GetViews()):
        pv.Delete(view)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    parser.add_argument("--out", help="folder for the PNGs (default RUN_DIR/figures); with "
                                      "several runs, OUT/<run folder name>/")
    parser.add_argument("--time", type=float)
    parser.add_argument("--size", type=int, nargs=2, default=(800, 600))
    args = parser.parse_args()
    status = 0
    for run_dir in args.run_dirs:
        try:
            summary, _ = tp.load_run(run_dir)
        except tp.RunError as e:
            print(f"error: {e}", file=sys.stderr)
            status = 2
            continue
        solver = summary.get("solver") or summary.get("command")
        if solver not in VIEWS:
            print(f"error: {run_dir}: no ParaView views for solver '{solver}'", file=sys.stderr)
            status = 2
            continue
        if args.out is None:
            out = os.path.join(os.path.abspath(run_dir), "figures")
        elif len(args.run_dirs) == 1:
            out = args.out
        else:
            out = os.path.join(args.out, os.path.basename(os.path.abspath(run_dir)))
        for name, render in VIEWS[solver]:
            reset_session()
            render(run_dir, os.path.join(out, name + ".png"), time=args.time,
                   size=tuple(args.size))
    return status


if __name__ == "__main__":
    tp.finish(main())
