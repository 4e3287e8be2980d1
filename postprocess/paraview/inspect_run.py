#!/usr/bin/env pvpython
"""What ParaView sees in a run folder, as JSON: the reader's time steps and, at the first and
the last step, the point and cell counts and every array with its number of components.
Reads only (no rendering): plain pvpython, no display needed.

  pvpython inspect_run.py RUN_DIR [--reader XDMFReader|Xdmf3ReaderS|Xdmf3ReaderT]
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir")
    parser.add_argument("--reader", default="XDMFReader",
                        choices=("XDMFReader", "Xdmf3ReaderS", "Xdmf3ReaderT"))
    args = parser.parse_args()
    try:
        summary, xmf = tp.load_run(args.run_dir)
    except tp.RunError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    make = getattr(pv, args.reader)
    # XDMFReader takes FileNames, the Xdmf3 readers FileName (ParaView 5.11).
    try:
        reader = make(FileNames=[xmf])
    except AttributeError:
        reader = make(FileName=[xmf])
    reader.UpdatePipelineInformation()
    times = tp.timesteps(reader)
    steps = [describe(reader, t) for t in (times[:1] + times[-1:])] if times else \
        [describe(reader, 0.0)]
    print(json.dumps({"run": summary.get("name"), "solver": summary.get("solver"),
                      "reader": args.reader, "times": times, "steps": steps}, indent=1))
    return 0


if __name__ == "__main__":
    tp.finish(main())
