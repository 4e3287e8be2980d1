#!/usr/bin/env python3
"""Registers, local memory (spills) and SASS instructions per interior cell update of the LBM
stream-collide kernels, read with cuobjdump from a CUDA object of solvers/lbm/src/solver_impl.hpp
(solver_<lattice>_fp32.cu.o). No GPU is needed. Usage:

    bench/lbm/sass_count.py OBJECT [--lattice d3q19|d2q9] [--precision float|double]
        [--storage same|fp16s] [--step two_lattice|in_place] [--take K ...] [--list]

OBJECT is the nvcc object (or a static library holding it); sass_count.sh builds and finds it.
For each matching interior kernel (the first lambda of stream_collide, one thread per cell,
Subgrid none, with and without the body force) it prints the registers, the stack and local
memory (spilled registers land there: 0 bytes means no spills), and the instructions on the
path an interior cell takes.

Counting: the kernel's SASS is walked from its first instruction along the fall-through path:
unconditional BRA jumps are followed, conditional ones (@P BRA, @P EXIT) are taken as not
taken (for an interior cell the kind test falls through into the update), except a short
forward branch (at most 8 instructions) over a CALL: IEEE division's rare slow path (taken
only for denormal or huge operands) is skipped. The walk ends at the first unconditional EXIT.
Every instruction met counts once, NOPs excepted; CALL targets are not entered. The
conditional branches met are listed with --list, so the reading can be checked; --take K reads
the K-th conditional branch met (from 1) as taken instead, to walk the other side of a uniform
branch (the in-place kernel's step parity: one side per parity).
"""
import argparse
import re
import shutil
import subprocess
import sys

INSTR = re.compile(r"^\s*/\*([0-9a-f]{4,})\*/\s+(.*?)\s*;")


def demangle(names):
    tool = shutil.which("cu++filt") or shutil.which("c++filt")
    out = subprocess.run([tool], input="\n".join(names), capture_output=True, text=True,
                         check=True).stdout.splitlines()
    return dict(zip(names, out))


def functions(sass):
    """{mangled name: [lines]} from cuobjdump -sass output."""
    funcs, name = {}, None
    for line in sass.splitlines():
        m = re.match(r"\s*Function : (\S+)", line)
        if m:
            name = m.group(1)
            funcs[name] = []
        elif name:
            funcs[name].append(line)
    return funcs


def resources(obj):
    """{mangled name: {'REG': n, 'STACK': n, 'LOCAL': n, ...}} from cuobjdump -res-usage."""
    out = subprocess.run(["cuobjdump", "-res-usage", obj], capture_output=True, text=True,
                         check=True).stdout
    res, name = {}, None
    for line in out.splitlines():
        m = re.match(r"\s*Function (\S+):", line)
        if m:
            name = m.group(1)
        elif name and "REG:" in line:
            res[name] = {k: int(v) for k, v in re.findall(r"(\w+(?:\[\d+\])?):(\d+)", line)}
            name = None
    return res


def walk(lines, take=()):
    """Instructions on the fall-through path (see the module's docstring); the conditional
    branches numbered in `take` (from 1) are taken."""
    code, at = [], {}  # [(address, instruction)], address -> index
    for line in lines:
        m = INSTR.match(line)
        if m:
            at[int(m.group(1), 16)] = len(code)
            code.append(m.group(2))
    count, branches, i, seen = 0, [], 0, set()
    while i < len(code) and i not in seen:
        seen.add(i)
        ins = code[i]
        predicated = ins.startswith("@")
        op = ins.split()[1] if predicated else ins.split()[0]
        if op.startswith("NOP"):
            i += 1
            continue
        count += 1
        if op == "EXIT" and not predicated:
            break
        if op.startswith("BRA"):
            target = at[int(ins.split()[-1], 16)]
            if not predicated:
                i = target
                continue
            over_call = i < target <= i + 8 and any(c.split()[0].startswith("CALL")
                                                    for c in code[i + 1:target])
            taken = len(branches) + 1 in take
            branches.append((ins, "taken (--take)" if taken else
                             "taken (skips a CALL)" if over_call else "not taken"))
            i = target if over_call or taken else i + 1
            continue
        if predicated and op == "EXIT":
            branches.append((ins, "not taken"))
        i += 1
    return count, branches, len(code)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("object")
    ap.add_argument("--lattice", default="d3q19", choices=["d3q19", "d2q9"])
    ap.add_argument("--precision", default="float", choices=["float", "double"])
    ap.add_argument("--storage", default="same", choices=["same", "fp16s"],
                    help="stored populations: the arithmetic's type, or FP16S")
    ap.add_argument("--step", default="two_lattice", choices=["two_lattice", "in_place"],
                    help="kind of step (lbm::Step): two lattices, or in place (AA pattern)")
    ap.add_argument("--take", type=int, nargs="*", default=[],
                    help="conditional branches (numbered from 1 as met) to read as taken")
    ap.add_argument("--list", action="store_true", help="list the conditional branches met")
    args = ap.parse_args()
    sass = subprocess.run(["cuobjdump", "-sass", args.object], capture_output=True, text=True,
                          check=True).stdout
    funcs = functions(sass)
    res = resources(args.object)
    names = demangle(list(funcs))
    lattice = "D3Q19" if args.lattice == "d3q19" else "D2Q9"
    # main before the fast path: stream_collide<L, Subgrid, Real>; then <L, Subgrid, Force,
    # Real>; now <L, Step, Subgrid, Force, Real, Store>.
    step = ["two_lattice", "in_place"].index(args.step)
    step_re = r"\(twinsim::lbm::Step\)" + str(step) + ", "
    if step == 0:
        step_re = "(?:" + step_re + ")?"
    store_re = (", twinsim::lbm::Fp16s" if args.storage == "fp16s"
                else "(?:, " + args.precision + ")?")
    pattern = re.compile(r"stream_collide<twinsim::lbm::" + lattice + ", " + step_re +
                         r"\(twinsim::lbm::Subgrid\)0, (?:\(twinsim::lbm::Force\)(\d), )?" +
                         args.precision + store_re + r">.*\{lambda\(long\)#1\}")
    found = 0
    for mangled, lines in funcs.items():
        m = pattern.search(names[mangled])
        if not m:
            continue
        found += 1
        force = {None: "force as data (before the switch)", "0": "no body force",
                 "1": "Guo body force"}[m.group(1)]
        r = res.get(mangled, {})
        count, branches, total = walk(lines, args.take)
        per_pop = count / (19 if lattice == "D3Q19" else 9)
        stored = "" if args.storage == "same" else f" stored {args.storage}"
        print(f"{lattice} {args.precision}{stored} stream_collide interior kernel "
              f"({args.step}), {force}:")
        clean = r.get("STACK") == 0 and r.get("LOCAL") == 0
        print(f"  registers {r.get('REG', '?')}, stack {r.get('STACK', '?')} B, "
              f"local {r.get('LOCAL', '?')} B "
              f"({'no spills' if clean else 'stack in use: see ptxas -v for spills'})")
        print(f"  SASS instructions per interior cell update: {count} ({per_pop:.1f} per "
              f"population); the kernel has {total}")
        if args.list:
            for ins, how in branches:
                print(f"    {how:22s} {ins}")
    if not found:
        sys.exit(f"no {lattice} {args.precision} stream_collide kernel in {args.object}")


if __name__ == "__main__":
    main()
