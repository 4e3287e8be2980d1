#!/usr/bin/python3
"""Draws the figures that fit a Twinsim run folder (what `twinsim plot RUN_DIR` runs).

  plot.py RUN_DIR [--out DIR] [--format png|pdf|svg] [--dpi N] [--list]

Reads RUN_DIR/summary.json to tell the solver, then RUN_DIR/<name>.h5 and case.toml, and
writes figures (PNG at 150 dpi by default) into DIR (default RUN_DIR/figures), one path per
line on stdout.
Needs numpy, h5py and matplotlib (Debian: python3-numpy python3-h5py python3-matplotlib).
Exit status: 0 figures written, 2 not a run folder (or nothing to draw for it), 1 failure.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from twinsim_post.run import NotARun, Run  # noqa: E402


def plotters():
    """Solver name (summary.json's `solver`) -> (what it draws, function(run, out))."""
    from twinsim_post import lbm, md, spectral, surrogate
    return {
        "md": ("thermo, energy drift, RDF, MSD", md.plot),
        "lbm": ("flow fields, history, Ghia centrelines / Poiseuille profile, forces",
                lbm.plot),
        "lbm_ensemble": ("every member's last vorticity frame (+ training history in situ)",
                         lbm.plot_ensemble),
        "spectral": ("vorticity snapshots, energy spectrum, energy and enstrophy",
                     spectral.plot_2d),
        "spectral3d": ("dissipation and energy vs time, energy spectrum, vorticity slices",
                       spectral.plot_3d),
        "taylor_green_check": ("vorticity and its error", spectral.plot_taylor_green_check),
        # Surrogate runs: summary.json's `command` (twinsim train / predict).
        "train": ("train and test loss vs epoch, learning rate", surrogate.plot),
        "predict": ("error vs rollout step, surrogate vs solver side by side",
                    surrogate.plot),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", nargs="?",
                        help="a folder written by `twinsim run` (or train/predict)")
    parser.add_argument("--out", help="folder for the figures (default RUN_DIR/figures)")
    parser.add_argument("--format", default="png", choices=("png", "pdf", "svg"),
                        help="file format of the figures (default png)")
    parser.add_argument("--dpi", type=int, default=150,
                        help="resolution of PNG figures in dots per inch (default 150)")
    parser.add_argument("--list", action="store_true",
                        help="print which figures each solver gets and exit")
    args = parser.parse_args()
    try:
        table = plotters()
    except ImportError as e:
        print(f"error: {sys.executable} lacks a module the figures need ({e.name}); install "
              "numpy, h5py and matplotlib for it (Debian: python3-h5py python3-matplotlib) or "
              "point TWINSIM_PYTHON at a python that has them", file=sys.stderr)
        return 1
    from twinsim_post import figures
    figures.configure(args.format, args.dpi)
    if args.list:
        for solver, (what, _) in table.items():
            print(f"{solver}: {what}")
        return 0
    if args.run_dir is None:
        parser.error("give a run folder (or --list)")
    try:
        run = Run(args.run_dir)
    except NotARun as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if run.solver not in table:
        print(f"error: {run.path}: no figures for solver '{run.solver}' (known: "
              f"{', '.join(table)})", file=sys.stderr)
        return 2
    out = os.path.abspath(args.out or run.file("figures"))
    os.makedirs(out, exist_ok=True)
    try:
        written = table[run.solver][1](run, out)
        if run.solver not in ("train", "predict") and os.path.isfile(run.file("history.csv")):
            from twinsim_post import surrogate  # a solver run that trained in situ
            surrogate.plot_history(run, out, written)
    except NotARun as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (ValueError, KeyError, OSError) as e:
        print(f"error: {run.path} ({run.solver}): {e}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
