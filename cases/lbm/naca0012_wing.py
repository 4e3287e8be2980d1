#!/usr/bin/env python3
"""Writes naca0012_wing.stl: a NACA 0012 wing of chord 1 and span 1 (STL units: chords),
leading edge on the z axis at x = 0, trailing edge at x = 1, span from z = -0.5 to 0.5, flat
tips; a closed binary STL (every edge shared by two triangles) for cases/lbm/wing_duct.toml.

    python3 cases/lbm/naca0012_wing.py [output.stl] [--points N]

Thickness y_t = 0.6 (0.2969 sqrt(x) - 0.1260 x - 0.3516 x^2 + 0.2843 x^3 - 0.1036 x^4) (the
closed-trailing-edge form of the NACA four-digit series), N points per side on cosine spacing.
Only the standard library: the same bytes on every machine.
"""
import math
import os
import struct
import sys


def thickness(x):
    return 0.6 * (0.2969 * math.sqrt(x) - 0.1260 * x - 0.3516 * x ** 2 + 0.2843 * x ** 3
                  - 0.1036 * x ** 4)


def wing(points):
    xs = [0.5 * (1 - math.cos(math.pi * i / (points - 1))) for i in range(points)]
    # Upper and lower surfaces share the leading and trailing edge points.
    upper = [(x, thickness(x)) for x in xs]
    lower = [(x, -thickness(x)) for x in xs]
    upper[0] = lower[0] = (0.0, 0.0)
    upper[-1] = lower[-1] = (1.0, 0.0)
    tris = []
    zs = (-0.5, 0.5)
    for i in range(points - 1):
        for side, sign in ((upper, 1), (lower, -1)):
            a0 = (*side[i], zs[0]); a1 = (*side[i + 1], zs[0])
            b0 = (*side[i], zs[1]); b1 = (*side[i + 1], zs[1])
            # Outward: upper faces point +y, lower faces -y.
            if sign > 0:
                tris += [(a0, b0, b1), (a0, b1, a1)]
            else:
                tris += [(a0, a1, b1), (a0, b1, b0)]
    for z, sign in ((zs[0], -1), (zs[1], 1)):  # tips: strips between upper and lower
        for i in range(points - 1):
            u0, u1 = (*upper[i], z), (*upper[i + 1], z)
            l0, l1 = (*lower[i], z), (*lower[i + 1], z)
            for t in ((u0, l1, u1), (u0, l0, l1)):
                if len(set(t)) < 3:
                    continue  # at the leading or trailing edge the strip closes in a point
                tris.append(t if sign > 0 else (t[0], t[2], t[1]))
    return tris


def normal(t):
    (ax, ay, az), (bx, by, bz), (cx, cy, cz) = t
    u = (bx - ax, by - ay, bz - az)
    v = (cx - ax, cy - ay, cz - az)
    n = (u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])
    length = math.sqrt(sum(c * c for c in n)) or 1.0
    return tuple(c / length for c in n)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--points")]
    points = 81
    for a in sys.argv[1:]:
        if a.startswith("--points="):
            points = int(a.split("=", 1)[1])
    out = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                            "naca0012_wing.stl")
    tris = wing(points)
    with open(out, "wb") as f:
        f.write(b"NACA 0012 wing, chord 1, span 1 (cases/lbm/naca0012_wing.py)".ljust(80, b" "))
        f.write(struct.pack("<I", len(tris)))
        for t in tris:
            f.write(struct.pack("<12fH", *normal(t), *t[0], *t[1], *t[2], 0))
    print(f"{out}: {len(tris)} triangles")


if __name__ == "__main__":
    main()
