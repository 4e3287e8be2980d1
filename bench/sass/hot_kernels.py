#!/usr/bin/env python3
"""Registers, spills and SASS instruction counts of Twinsim's hot CUDA kernels, from a build.

Usage: python3 bench/sass/hot_kernels.py [BUILD_DIR]   (default: build, the `release` preset)

Reads the sm_90 code in the CUDA object files of the solvers (cuobjdump, no GPU needed) and
prints one row per hot kernel: registers per thread, local memory (spill space) bytes, spill
stores/loads (bytes, ptxas -v on the object's PTX), stack bytes, and the SASS instruction count. Every kernel
of the exec layer is for_each_index_kernel<lambda>; the lambda's enclosing function names it.
Record the table in bench/RESULTS.md with the date and commit (before and after a change).
Standard library only; needs cuobjdump and ptxas (CUDA toolkit; cuobjdump also comes in the
nvidia-cuda-cuobjdump wheel), readelf and c++filt (binutils) on PATH.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

# (label, object file under BUILD_DIR, pattern in the demangled kernel name)
HOT = [
    ("MD forces + kick (full lists)", "solvers/md", r"full_list_forces_and_kick<twinsim::md::LjEvaluator, true>"),
    ("MD Verlet list build (full)", "solvers/md", r"build_verlet_lists<false>"),
    ("MD thermo tally", "solvers/md", r"tally_pairs<twinsim::md::LjEvaluator, true>"),
    ("spectral 3D nonlinear (u x omega)", "solvers/spectral", r"cross_product<float>"),
    ("spectral 2D nonlinear modes", "solvers/spectral", r"nonlinear_modes<float>"),
    ("spectral 2D advection product", "solvers/spectral", r"advection_product<float>"),
    ("NN spectral mix (FNO forward)", "surrogates", r"spectral_mix<float>"),
    ("NN spectral mix adjoint", "surrogates", r"spectral_mix_adjoint<float>"),
    ("NN spectral weight gradient", "surrogates", r"spectral_weight_gradient<float>"),
    ("NN GELU + derivative (forward)", "surrogates",
     "activation_forward<(twinsim::nn::Activation)2, false, float>"),
    ("NN activation backward (product)", "surrogates", r"multiply<float>"),
]


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def cuda_objects(build, folder):
    root = os.path.join(build, folder)
    for dirpath, _, files in os.walk(root):
        for f in files:
            if f.endswith(".cu.o"):
                yield os.path.join(dirpath, f)


def demangle(names):
    if not names:
        return {}
    out = subprocess.run(["c++filt"], input="\n".join(names), capture_output=True,
                         text=True, check=True).stdout.splitlines()
    return dict(zip(names, out))


def kernels(obj):
    """{mangled name: {regs, stack, local, spill_stores, spill_loads, instructions}} of the sm_90
    code in obj: cuobjdump's resource usage; ptxas -v on the object's PTX for the spills; the
    size of each kernel's .text section in the cubin / 16 bytes for the instruction count
    (every Hopper instruction is 128 bits; no nvdisasm needed)."""
    info = {}
    name = None
    for line in run(["cuobjdump", "--dump-resource-usage", obj]).splitlines():
        m = re.match(r"\s*Function (\S+):", line)
        if m:
            name = m.group(1)
            continue
        m = re.search(r"REG:(\d+) STACK:(\d+) SHARED:\d+ LOCAL:(\d+)", line)
        if m and name:
            info[name] = {"regs": int(m.group(1)), "stack": int(m.group(2)),
                          "local": int(m.group(3)), "spill_stores": 0, "spill_loads": 0,
                          "instructions": 0}
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["cuobjdump", "-xelf", "all", os.path.abspath(obj)], cwd=tmp, check=True,
                       capture_output=True)
        subprocess.run(["cuobjdump", "-xptx", "all", os.path.abspath(obj)], cwd=tmp, check=True,
                       capture_output=True)
        for f in os.listdir(tmp):
            path = os.path.join(tmp, f)
            if f.endswith(".cubin"):
                for line in run(["readelf", "-SW", path]).splitlines():
                    m = re.search(r"\.text\.(\S+)\s+PROGBITS\s+\S+\s+\S+\s+([0-9a-f]+)", line)
                    if m and m.group(1) in info:
                        info[m.group(1)]["instructions"] = int(m.group(2), 16) // 16
            elif f.endswith(".ptx"):
                out = subprocess.run(["ptxas", "-arch=sm_90", "-O3", "-v", path, "-o", os.devnull],
                                     capture_output=True, text=True).stderr
                name = None
                for line in out.splitlines():
                    m = re.search(r"Compiling entry function '(\S+)'", line)
                    if m:
                        name = m.group(1)
                    m = re.search(r"(\d+) bytes spill stores, (\d+) bytes spill loads", line)
                    if m and name in info:
                        info[name]["spill_stores"] = int(m.group(1))
                        info[name]["spill_loads"] = int(m.group(2))
    return info


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    for tool in ("cuobjdump", "ptxas", "readelf", "c++filt"):
        if not shutil.which(tool):
            sys.exit(f"hot_kernels.py: {tool} not found on PATH")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "?"
    print(f"# hot kernels of {build} (commit {commit}), sm_90")
    print(f"| kernel | registers | local bytes | spill stores / loads (bytes) | stack bytes | SASS instructions |")
    print(f"|---|---|---|---|---|---|")
    cache = {}
    for label, folder, pattern in HOT:
        found = []
        for obj in cuda_objects(build, folder):
            if obj not in cache:
                k = kernels(obj)
                cache[obj] = (k, demangle(list(k)))
            info, names = cache[obj]
            found += [(names[m], info[m]) for m in info if pattern in names[m]]
        if not found:
            print(f"| {label} | not found in {folder} | | | | |")
            continue
        # Several instances (e.g. template arguments): the largest stands for the kernel.
        _, k = max(found, key=lambda f: f[1]["instructions"])
        print(f"| {label} | {k['regs']} | {k['local']} | {k['spill_stores']} / {k['spill_loads']} | "
              f"{k['stack']} | {k['instructions']} |")


if __name__ == "__main__":
    main()
