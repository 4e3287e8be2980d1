#!/usr/bin/python3
"""Reads a Twinsim XDMF sidecar and its HDF5 file with real readers and checks them against
an expectations file (tests/io/data/xdmf/*.json).

  read_xdmf.py FILE.xmf EXPECTATIONS.json --check h5|vtk

--check h5   h5py: the layout (shapes, types, units, provenance, H5MD), every DataItem of the
             .xmf resolves to a per-frame virtual dataset in the same directory that reads the
             same numbers as its slice of the appendable series.
--check vtk  every XDMF reader this VTK has (vtkXdmfReader = ParaView's XDMFReader,
             vtkXdmf3Reader = Xdmf3ReaderS/T): times, point/cell counts, geometry, array names,
             components and sample values at every step. Fails if VTK or its readers are absent.
Exit status 0 only if every check ran and passed.
"""
import argparse
import json
import os
import sys
import xml.etree.ElementTree as ET

failures = []


def expect(condition, message):
    if not condition:
        failures.append(message)


def close(a, b):
    return abs(float(a) - float(b)) <= 1e-12 * max(1.0, abs(float(b)))


def numpy_dtype_name(item):
    kind = item.get("NumberType", "Float")
    precision = int(item.get("Precision", "4"))
    return {"Float": "float", "Int": "int"}[kind] + str(8 * precision)


def check_h5(xmf, expected):
    import h5py
    import numpy as np

    directory = os.path.dirname(os.path.abspath(xmf))
    root = ET.parse(xmf).getroot()
    expect(root.get("Version") == "2.0", f"Xdmf Version is {root.get('Version')}")
    collection = root.find("Domain/Grid")
    expect(collection is not None and collection.get("CollectionType") == "Temporal",
           "no temporal collection")
    times = [float(g.find("Time").get("Value")) for g in collection.findall("Grid")]
    expect(times == expected["times"], f"times {times} != {expected['times']}")

    files = {}
    for item in root.iter("DataItem"):
        if item.get("Format") != "HDF":
            continue
        name, path = item.text.strip().split(":", 1)
        expect(os.path.basename(name) == name, f"{name}: not a bare file name")
        if name not in files:
            files[name] = h5py.File(os.path.join(directory, name), "r")
        dataset = files[name].get(path)
        if dataset is None:
            failures.append(f"{name}:{path} missing")
            continue
        dims = [int(d) for d in item.get("Dimensions").split()]
        expect(list(dataset.shape) == dims, f"{path}: shape {dataset.shape} != {dims}")
        expect(dataset.dtype == np.dtype(numpy_dtype_name(item)),
               f"{path}: {dataset.dtype} but the .xmf says {numpy_dtype_name(item)}")
        expect(dataset.is_virtual, f"{path}: not a virtual dataset")
        if dataset.is_virtual:
            for source in dataset.virtual_sources():
                expect(source.file_name == ".", f"{path}: source file {source.file_name}")
                # The view reads what the series holds at the mapped block.
                block = source.src_space.get_select_bounds()
                index = tuple(slice(lo, hi + 1) for lo, hi in zip(*block))
                original = files[name][source.dset_name][index]
                expect(np.array_equal(np.asarray(dataset[...]).ravel(), original.ravel(),
                                      equal_nan=True), f"{path}: differs from its source")

    with h5py.File(os.path.join(directory, os.path.splitext(os.path.basename(xmf))[0] + ".h5"),
                   "r") as f:
        for attribute in ("twinsim_version", "case", "backend", "units"):
            expect(isinstance(f.attrs.get(attribute), str), f"root attribute {attribute} missing")
        for path, want in expected["h5"].items():
            if path not in f:
                failures.append(f"{path} missing")
                continue
            d = f[path]
            expect(list(d.shape) == want["shape"], f"{path}: shape {d.shape} != {want['shape']}")
            expect(d.dtype == np.dtype(want["dtype"]), f"{path}: dtype {d.dtype}")
            expect(d.chunks is not None, f"{path}: not chunked")
            for key, value in want.get("attrs", {}).items():  # null: no such attribute
                expect(d.attrs.get(key) == value, f"{path}: {key}={d.attrs.get(key)!r}")
        if "h5md" in expected:
            check_h5md(f, expected["h5md"])
    for f in files.values():
        f.close()


def check_h5md(f, want):
    """The parts of H5MD 1.1 that readers such as MDAnalysis rely on."""
    expect(list(f["h5md"].attrs.get("version", [])) == [1, 1], "h5md version is not [1, 1]")
    for group in ("creator", "author"):
        expect(isinstance(f.get(f"h5md/{group}", {}).attrs.get("name"), str),
               f"h5md/{group} has no name")
    expect(f["h5md/author"].attrs.get("name") == want["author"], "h5md author")
    expect("version" in f["h5md/creator"].attrs, "h5md/creator has no version")
    for name, g in want["groups"].items():
        box = f[f"particles/{name}/box"]
        expect(box.attrs.get("dimension") == 3, "box dimension")
        expect(list(box.attrs.get("boundary", [])) == g["boundary"], "box boundary")
        expect(box["edges/value"][...].tolist() == g["edges"], "box edges")
        elements = [item for key, item in f[f"particles/{name}"].items() if key != "box"]
        for item in elements + [box["edges"]]:
            frames = item["value"].shape[0]
            expect(item["step"].shape == (frames,) and item["time"].shape == (frames,),
                   f"{item.name}: value, step and time differ in length")


def readers():
    """The XDMF readers this VTK has: (label, factory)."""
    found = []
    try:
        from vtkmodules.vtkIOXdmf2 import vtkXdmfReader
        found.append(("vtkXdmfReader (ParaView XDMFReader)", vtkXdmfReader))
    except ImportError:
        pass
    try:
        from vtkmodules.vtkIOXdmf3 import vtkXdmf3Reader

        def series_as_time():
            r = vtkXdmf3Reader()
            r.SetFileSeriesAsTime(True)
            return r

        found.append(("vtkXdmf3Reader (ParaView Xdmf3ReaderS)", vtkXdmf3Reader))
        found.append(("vtkXdmf3Reader FileSeriesAsTime (ParaView Xdmf3ReaderT)", series_as_time))
    except ImportError:
        pass
    return found


def first_leaf(data):
    if not data.IsA("vtkCompositeDataSet"):
        return data
    iterator = data.NewIterator()
    iterator.InitTraversal()
    return None if iterator.IsDoneWithTraversal() else iterator.GetCurrentDataObject()


def check_arrays(label, where, data, want):
    for name, spec in want.items():
        array = data.GetArray(name)
        if array is None:
            failures.append(f"{where}: array {name} missing")
            continue
        expect(array.GetNumberOfComponents() == spec["components"],
               f"{where} {name}: {array.GetNumberOfComponents()} components")
        expect(array.GetNumberOfTuples() == spec["tuples"],
               f"{where} {name}: {array.GetNumberOfTuples()} tuples != {spec['tuples']}")
        for index, values in spec["samples"].items():
            got = array.GetTuple(int(index))
            expect(all(close(g, v) for g, v in zip(got, values)),
                   f"{where} {name}[{index}] = {got} != {values}")


def check_vtk(xmf, expected):
    try:
        from vtkmodules.vtkCommonExecutionModel import vtkStreamingDemandDrivenPipeline
    except ImportError:
        sys.exit(f"FAIL: {sys.executable} has no VTK (Debian: python3-paraview); the XDMF "
                 "files cannot be read back.")
    found = readers()
    if len(found) < 3:
        sys.exit(f"FAIL: the VTK of {sys.executable} lacks ParaView's XDMF readers (found "
                 f"{[label for label, _ in found]}); install Debian's python3-paraview, whose "
                 "VTK has vtkIOXdmf2 and vtkIOXdmf3 (python3-vtk9 has neither).")
    path = os.path.abspath(xmf)  # the Xdmf3 readers misresolve a bare file name
    for label, make in found:
        reader = make()
        reader.SetFileName(path)
        reader.UpdateInformation()
        times = reader.GetOutputInformation(0).Get(vtkStreamingDemandDrivenPipeline.TIME_STEPS())
        expect(times is not None and list(times) == expected["times"],
               f"{label}: times {times} != {expected['times']}")
        for time, step in zip(expected["times"], expected["steps"]):
            where = f"{label} t={time}"
            reader.UpdateTimeStep(time)
            data = first_leaf(reader.GetOutputDataObject(0))
            if data is None:
                failures.append(f"{where}: no data set")
                continue
            expect(data.GetNumberOfPoints() == step["points"],
                   f"{where}: {data.GetNumberOfPoints()} points != {step['points']}")
            expect(data.GetNumberOfCells() == step["cells"],
                   f"{where}: {data.GetNumberOfCells()} cells != {step['cells']}")
            if expected["kind"] == "image":
                expect(data.IsA("vtkImageData"), f"{where}: {data.GetClassName()}")
                for key, get in (("dimensions", data.GetDimensions), ("origin", data.GetOrigin),
                                 ("spacing", data.GetSpacing)):
                    expect(all(close(g, w) for g, w in zip(get(), step[key])),
                           f"{where}: {key} {get()} != {step[key]}")
            for index, xyz in step.get("coordinates", {}).items():
                got = data.GetPoint(int(index))
                expect(all(close(g, w) for g, w in zip(got, xyz)),
                       f"{where}: point {index} at {got} != {xyz}")
            check_arrays(label, where, data.GetPointData(), step["point_arrays"])
            check_arrays(label, where, data.GetCellData(), step["cell_arrays"])
        print(f"read with {label}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("xmf")
    parser.add_argument("expectations")
    parser.add_argument("--check", choices=("h5", "vtk"), required=True)
    args = parser.parse_args()
    with open(args.expectations) as f:
        expected = json.load(f)
    (check_h5 if args.check == "h5" else check_vtk)(args.xmf, expected)
    for message in failures:
        print("FAIL:", message)
    print(f"{args.xmf} ({args.check}): {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
