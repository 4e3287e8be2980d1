#!/usr/bin/env pvpython
"""What ParaView sees in a run folder, as JSON: the reader's time steps and, at the first and
the last step, the point and cell counts and every array with its number of components.
Reads only (no rendering): plain pvpython, no display needed.

  pvpython inspect_run.py RUN_DIR... [--reader XDMFReader|Xdmf3ReaderS|Xdmf3ReaderT|all]

One run and one reader print one JSON object; otherwise a list of them, runs by readers.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import twinsim_pv as tp  # noqa: E402
from paraview import simple as pv  # noqa: E402


def arrays(info):
    return {info.GetArray(i).Name: info.GetArray(i).GetNumberOfComponents()
            for i in range(info.GetNumberOfArrays())}


def describe(reader, time):
    reader.UpdatePipeline(time)
    data = reader.GetDataInformation()
    return {"time": time, "points": data.GetNumberOfPoints(), "cells": data.GetNumberOfCells(),
            "bounds": list(data.GetBounds()),
            "point_arrays": arrays(reader.GetPointDataInformation()),
            "cell_arrays": arrays(reader.GetCellDataInformation())}


READERS = ("XDMFReader", "Xdmf3ReaderS", "Xdmf3ReaderT")


def inspect(run_dir, reader_name):
    summary, xmf = tp.load_run(run_dir)
    make = getattr(pv, reader_name)
    # XDMFReader takes FileNames, the Xdmf3 readers FileName (ParaView 5.11).
    try:
        reader = make(FileNames=[xmf])
    except AttributeError:
        reader = make(FileName=[xmf])
    reader.UpdatePipelineInformation()
    times = tp.timesteps(reader)
    steps = [describe(reader, t) for t in (times[:1] + times[-1:])] if times else \
        [describe(reader, 0.0)]
    pv.Delete(reader)
    return {"run_dir": os.path.abspath(run_dir), "run": summary.get("name"),
            "solver": summary.get("solver"), "reader": reader_name, "times": times,
            "steps": steps}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    parser.add_argument("--reader", default="XDMFReader", choices=READERS + ("all",),
                        help="all: every XDMF reader in turn")
    args = parser.parse_args()
    readers = READERS if args.reader == "all" else (args.reader,)
    try:
        found = [inspect(d, r) for d in args.run_dirs for r in readers]
    except tp.RunError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(found[0] if len(found) == 1 else found, indent=1))
    return 0


if __name__ == "__main__":
    tp.finish(main())
