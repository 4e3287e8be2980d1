#!/usr/bin/env python3
"""A paper model of Twinsim across 8 to 1,024 H100s: bytes each GPU sends per step (LBM halo,
MD ghost shell, spectral all-to-all, FNO gradient all-reduce) against NVLink and InfiniBand
bandwidth, and the parallel efficiency that follows. See bench/mpi/README.md.

The single-GPU rates are TARGETS, not measurements (no GPU figure of Twinsim exists yet); every
input is a command-line option, so measured figures replace them when they exist. Python 3
standard library only.

    python3 bench/mpi/scaling_model.py                   # the table
    python3 bench/mpi/scaling_model.py --lbm-mlups 12000 --ib-gbs 25   # other inputs
"""
import argparse
import math

GPUS = (8, 16, 32, 64, 128, 256, 512, 1024)


def inputs():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a = p.add_argument
    # Machine: DGX/HGX H100 style nodes, one NDR port per GPU.
    a("--gpus-per-node", type=int, default=8)
    a("--nvlink-gbs", type=float, default=450.0,
      help="NVLink 4 per GPU and direction, GB/s (900 GB/s is both directions together)")
    a("--ib-gbs", type=float, default=50.0,
      help="InfiniBand NDR 400 Gb/s per GPU (one port each) and direction, GB/s")
    a("--achieved", type=float, default=0.8,
      help="fraction of the link bandwidth a transfer achieves (assumed, both links)")
    a("--nvlink-latency-us", type=float, default=3.0)
    a("--ib-latency-us", type=float, default=5.0)
    a("--message-overhead-us", type=float, default=1.0,
      help="per extra message of an all-to-all posted at once (injection, not a round trip)")
    # LBM: D3Q19 FP32, weak scaling, a cube of lbm-block^3 cells per GPU.
    a("--lbm-mlups", type=float, default=18000.0, help="one H100, target")
    a("--lbm-block", type=int, default=512, help="cells per GPU along each axis")
    # MD: Lennard-Jones, weak scaling.
    a("--md-rate", type=float, default=5e8, help="atom-steps/s on one H100, target")
    a("--md-atoms", type=float, default=2e6, help="atoms per GPU")
    a("--md-density", type=float, default=0.8442, help="sigma^-3")
    a("--md-ghost", type=float, default=2.8, help="cutoff + skin, sigma")
    a("--md-ghost-bytes", type=float, default=24.0, help="per ghost atom and step (x, y, z FP64)")
    # Spectral 3D Navier-Stokes, weak scaling: 256^3 points per GPU, RK4.
    a("--spectral-step-ms", type=float, default=5.0, help="256^3 RK4 step on one H100, target")
    a("--spectral-value-bytes", type=float, default=4.0, help="FP32")
    a("--spectral-ffts", type=int, default=36,
      help="distributed 3D FFTs per RK4 step (per stage: u and omega inverse, u x omega forward)")
    # FNO-2D data-parallel training (Li et al.: width 20, 12 modes, 4 layers, batch 20, 64^2).
    a("--fno-width", type=int, default=20)
    a("--fno-modes", type=int, default=12)
    a("--fno-layers", type=int, default=4)
    a("--fno-projection", type=int, default=128)
    a("--fno-in", type=int, default=10, help="input frames (+ 2 grid channels)")
    a("--fno-step-ms", type=float, default=4.0,
      help="one optimizer step of a per-GPU batch on one H100: ASSUMED (the only measured FNO "
           "rate is the CPU's, bench/RESULTS.md)")
    return p.parse_args()


class Links:
    """Effective bandwidths (bytes/s) and latencies (s) of the two links."""

    def __init__(self, a):
        self.nvl = a.nvlink_gbs * 1e9 * a.achieved
        self.ib = a.ib_gbs * 1e9 * a.achieved
        self.a_nvl = a.nvlink_latency_us * 1e-6
        self.a_ib = a.ib_latency_us * 1e-6
        self.o = a.message_overhead_us * 1e-6
        self.per_node = a.gpus_per_node


def grid3(p):
    """The most cubic px * py * pz = p (px >= py >= pz)."""
    best = None
    for pz in range(1, round(p ** (1 / 3)) + 2):
        for py in range(pz, round(math.sqrt(p / pz)) + 2):
            if p % (pz * py) == 0:
                px = p // (pz * py)
                if px >= py:
                    key = (px - pz, px)
                    if best is None or key < best[0]:
                        best = (key, (px, py, pz))
    return best[1]


def faces_off_node(p_axis):
    """Of a GPU's two faces along an axis split p_axis ways, how many cross to another node, when
    a node holds a 2 x 2 x 2 block of GPUs (8 per node): none when the axis has 2 (both
    neighbours are in the node) or 1 (no exchange), one of two otherwise."""
    return 0 if p_axis <= 2 else 1


def face_time(links, face_bytes, off_node):
    """Both faces of one axis, sent at once: the slower of the in-node and off-node parts."""
    t_in = (2 - off_node) * face_bytes / links.nvl + links.a_nvl
    t_off = off_node * face_bytes / links.ib + links.a_ib if off_node else 0.0
    return max(t_in, t_off)


def lbm(a, links, p):
    """D3Q19 FP32 block per GPU: 5 populations cross each face (4 bytes each). All six faces are
    sent at once, each axis' in-node faces over NVLink, off-node ones through the GPU's NIC."""
    n = a.lbm_block
    t_compute = n ** 3 / (a.lbm_mlups * 1e6)
    face = 5 * 4 * n * n
    dims = grid3(p)
    sent = sum(2 * face for d in dims if d > 1)
    off = sum(faces_off_node(d) for d in dims)
    on = sum(2 - faces_off_node(d) for d in dims if d > 1)
    t_nvl = on * face / links.nvl + (links.a_nvl if on else 0)
    t_ib = off * face / links.ib + (links.a_ib if off else 0)
    t_comm = max(t_nvl, t_ib)
    return t_compute, t_comm, sent


def md(a, links, p):
    """A cube of md-atoms per GPU; ghosts within the cutoff + skin, exchanged axis by axis
    (LAMMPS' three stages: later axes carry the earlier axes' ghosts); positions every step."""
    t_compute = a.md_atoms / a.md_rate
    side = (a.md_atoms / a.md_density) ** (1 / 3)
    r = a.md_ghost
    dims = grid3(p)
    areas = (side * side, (side + 2 * r) * side, (side + 2 * r) ** 2)
    sent, t_comm = 0.0, 0.0
    for d, area in zip(dims, areas):
        if d == 1:
            continue
        face = area * r * a.md_density * a.md_ghost_bytes
        sent += 2 * face
        t_comm += face_time(links, face, faces_off_node(d))
    return t_compute, t_comm, sent


def spectral(a, links, p, pencil):
    """256^3 points per GPU (global N^3 = 256^3 p); each distributed 3D FFT moves the GPU's whole
    half spectrum (N^3/2 complex = 4 bytes per point in FP32) once (slabs: one all-to-all over all
    ranks) or twice (pencils: rows of 8 GPUs in a node, then columns across nodes)."""
    local = 256 ** 3
    n = 256 * p ** (1 / 3)
    t_compute = a.spectral_step_ms * 1e-3 * math.log(n ** 3) / math.log(256 ** 3)
    volume = local * a.spectral_value_bytes
    g = links.per_node
    if not pencil:
        if p > n:
            return t_compute, float("inf"), 0.0  # fewer planes than ranks
        in_node = volume * (min(p, g) - 1) / p
        off = volume * max(p - g, 0) / p
        t_fft = max(in_node / links.nvl + links.a_nvl, off / links.ib + links.a_ib if off else 0)
        t_fft += (p - 1) * links.o
        sent = in_node + off
    else:
        rows, cols = min(p, g), max(p // g, 1)
        in_node = volume * (rows - 1) / rows
        off = volume * (cols - 1) / cols
        t_fft = in_node / links.nvl + links.a_nvl + (rows - 1) * links.o
        if cols > 1:
            t_fft += off / links.ib + links.a_ib + (cols - 1) * links.o
        sent = in_node + off
    return t_compute, a.spectral_ffts * t_fft, a.spectral_ffts * sent


def fno_parameters(a):
    w, m = a.fno_width, a.fno_modes
    spectral = a.fno_layers * w * w * (2 * m) * m * 2  # complex weights, ky in two bands
    pointwise = a.fno_layers * (w * w + w)
    lift = (a.fno_in + 2) * w + w
    project = w * a.fno_projection + a.fno_projection + a.fno_projection + 1
    return spectral + pointwise + lift + project


def fno(a, links, p):
    """One all-reduce of every gradient (FP32) per optimizer step, not overlapped with the
    backward pass (Twinsim's train_across): in-node reduce-scatter and all-gather over NVLink
    (ring), between nodes each GPU all-reduces its 1/8 through its own NIC (ring bandwidth,
    tree latency, as NCCL's hierarchical algorithms)."""
    size = 4.0 * fno_parameters(a)
    g = min(p, links.per_node)
    nodes = max(p // links.per_node, 1)
    t = 2 * (g - 1) / g * size / links.nvl + 2 * (g - 1) * links.a_nvl
    if nodes > 1:
        t += 2 * (nodes - 1) / nodes * (size / g) / links.ib
        t += 2 * math.ceil(math.log2(nodes)) * links.a_ib
    sent = 2 * (g - 1) / g * size + (2 * (nodes - 1) / nodes * size / g if nodes > 1 else 0)
    return a.fno_step_ms * 1e-3, t, sent


def efficiency(t_compute, t_comm, overlap=False):
    if overlap:
        return t_compute / max(t_compute, t_comm)
    return t_compute / (t_compute + t_comm)


def main():
    a = inputs()
    links = Links(a)
    print(f"# H100 nodes of {a.gpus_per_node}; NVLink {a.nvlink_gbs:g} GB/s and NDR "
          f"{a.ib_gbs:g} GB/s per GPU and direction, {a.achieved:.0%} achieved; latencies "
          f"{a.nvlink_latency_us:g} / {a.ib_latency_us:g} us")
    print(f"# single-GPU rates are targets, not measurements: LBM {a.lbm_mlups:g} MLUPS "
          f"({a.lbm_block}^3 per GPU), MD {a.md_rate:.3g} atom-steps/s ({a.md_atoms:.3g} atoms "
          f"per GPU), spectral 256^3 RK4 {a.spectral_step_ms:g} ms, FNO step "
          f"{a.fno_step_ms:g} ms ({fno_parameters(a):,} parameters; assumed)")
    print()
    print("Parallel efficiency (weak scaling: the per-GPU work fixed), no overlap unless said:")
    print()
    header = ("| GPUs | nodes | LBM | LBM, overlapped | MD | spectral slab | spectral pencil "
              "| FNO all-reduce |")
    print(header)
    print("|" + "---:|" * 8)
    rows = []
    for p in GPUS:
        l = lbm(a, links, p)
        m = md(a, links, p)
        s = spectral(a, links, p, False)
        q = spectral(a, links, p, True)
        f = fno(a, links, p)
        rows.append((p, l, m, s, q, f))
        print(f"| {p} | {max(p // a.gpus_per_node, 1)} | {efficiency(*l[:2]):.0%} "
              f"| {efficiency(*l[:2], overlap=True):.0%} | {efficiency(*m[:2]):.0%} "
              f"| {efficiency(*s[:2]):.0%} | {efficiency(*q[:2]):.0%} | {efficiency(*f[:2]):.0%} |")
    print()
    print("Bytes each GPU sends per step (MB) and communication time per step (ms):")
    print()
    print("| GPUs | LBM MB | LBM ms | MD MB | MD ms | slab MB | slab ms | pencil MB | pencil ms "
          "| FNO MB | FNO ms |")
    print("|" + "---:|" * 11)
    for p, *models in rows:
        cells = []
        for t_compute, t_comm, sent in models:
            cells += [f"{sent / 1e6:.3g}", f"{t_comm * 1e3:.3g}"]
        print(f"| {p} | " + " | ".join(cells) + " |")
    print()
    t = [lbm(a, links, 1)[0], md(a, links, 1)[0], spectral(a, links, 1, False)[0],
         fno(a, links, 1)[0]]
    print(f"Compute per step on one GPU (ms): LBM {t[0] * 1e3:.3g}, MD {t[1] * 1e3:.3g}, "
          f"spectral {t[2] * 1e3:.3g}, FNO {t[3] * 1e3:.3g}")
    print("Anchor (LBM): waLBerla reports a scaling efficiency of at least 82 % on up to 1,024 "
          "NVIDIA A100 GPUs with communication hiding (Suffa, Holzer, Koestler, Ruede, "
          "arXiv:2408.06880, 2024).")


if __name__ == "__main__":
    main()
