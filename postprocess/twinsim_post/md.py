"""Molecular dynamics runs (solver `md`): thermo table, energy drift, RDF and MSD.

Reads the H5MD file the run wrote: /observables/<name>/{value,step,time} (the thermo table,
per-atom energies) and, when the run dumped a trajectory, /particles/all/{position,box}.
Reduced Lennard-Jones units throughout.
"""
import h5py
import numpy as np

from .figures import plt, save, title

THERMO = [("temperature", "T [epsilon/k_B]"),
          ("potential_energy", "potential energy per atom [epsilon]"),
          ("total_energy", "total energy per atom [epsilon]"),
          ("pressure", "P [epsilon/sigma^3]")]


def observable(f, name):
    g = f.get(f"observables/{name}")
    if g is None:
        return None, None
    return g["time"][...], np.asarray(g["value"][...], dtype=float).reshape(len(g["time"]))


def plot_thermo(run, f, out, written):
    fig, axes = plt.subplots(2, 2, figsize=(8, 5.5), sharex=True)
    for ax, (name, label) in zip(axes.flat, THERMO):
        t, v = observable(f, name)
        if t is None:
            ax.set_visible(False)
            continue
        ax.plot(t, v, ".-", ms=3)
        ax.set_ylabel(label)
    for ax in axes[1]:
        ax.set_xlabel("time [tau]")
    fig.suptitle(title(run, "thermodynamics"))
    save(fig, out, "md_thermo", written)


def plot_energy_drift(run, f, out, written):
    # The conserved energy (total energy in NVE; plus the thermostat's work with Nose-Hoover),
    # what summary.json's drift is fitted to; older files have only the total energy.
    name = "conserved_energy" if "observables/conserved_energy" in f else "total_energy"
    t, e = observable(f, name)
    if t is None or len(t) < 2:
        return
    steps = f[f"observables/{name}/step"][...]
    fig, ax = plt.subplots(figsize=(6, 3.8))
    ax.plot(t, e - e[0], ".-", ms=3, label=f"{name.replace('_', ' ')}: E(t) - E(0)")
    # The least-squares line of E against step, the fit summary.json's drift figure comes from.
    slope, intercept = np.polyfit(steps.astype(float), e - e[0], 1)
    ax.plot(t, intercept + slope * steps, "--",
            label=f"least-squares line: drift {slope:.2e} epsilon per atom per step")
    ax.set_xlabel("time [tau]")
    ax.set_ylabel("energy change per atom [epsilon]")
    ax.set_title(title(run, f"energy conservation (|E(0)| = {abs(e[0]):.4g})"))
    ax.legend()
    save(fig, out, "md_energy_drift", written)


def box_edges(f):
    """Box edge lengths per frame, [t][3]: H5MD stores a vector [t][3] or edge vectors [t][3][3]
    (orthorhombic boxes: the diagonal)."""
    edges = f["particles/all/box/edges/value"][...]
    return np.diagonal(edges, axis1=1, axis2=2) if edges.ndim == 3 else edges


def minimum_image(d, edges):
    return d - edges * np.round(d / edges)


def rdf(positions, edges, bins=100, max_reference_atoms=2000):
    """g(r) of one frame up to half the shortest box edge; all atoms as neighbours of at most
    max_reference_atoms atoms (enough for a smooth curve, O(N) memory)."""
    n = len(positions)
    r_max = 0.5 * float(np.min(edges))
    counts = np.zeros(bins)
    reference = np.arange(n) if n <= max_reference_atoms else np.linspace(
        0, n - 1, max_reference_atoms).astype(int)
    for chunk in np.array_split(reference, max(1, len(reference) // 256)):
        d = minimum_image(positions[None, :, :] - positions[chunk, None, :], edges)
        r = np.sqrt((d * d).sum(axis=-1)).ravel()
        r = r[(r > 0) & (r < r_max)]
        counts += np.histogram(r, bins=bins, range=(0.0, r_max))[0]
    shell = np.linspace(0.0, r_max, bins + 1)
    volume = 4.0 / 3.0 * np.pi * (shell[1:] ** 3 - shell[:-1] ** 3)
    density = n / float(np.prod(edges))
    return 0.5 * (shell[1:] + shell[:-1]), counts / (len(reference) * density * volume)


def plot_rdf(run, f, out, written):
    """g(r) from the last trajectory frames (numpy, here) and, when the run sampled one
    (md.rdf_every > 0), the solver's own /analysis/rdf/{r,g}: two independent computations
    that should agree."""
    solver = None
    if "analysis/rdf/g" in f and "analysis/rdf/r" in f:
        solver = (f["analysis/rdf/r"][...], f["analysis/rdf/g"][...],
                  f["analysis/rdf/g"].attrs.get("frames", "?"))
    if "particles/all/position" not in f or f["particles/all/position/value"].shape[0] == 0:
        if solver is None:
            return
        fig, ax = plt.subplots(figsize=(6, 3.8))
        ax.plot(solver[0], solver[1], label=f"solver (md.rdf_every, {solver[2]} samples)")
        finish_rdf(run, ax, fig, out, written, "")
        return
    position = f["particles/all/position"]
    edges_all = box_edges(f)
    frames = position["value"].shape[0]
    # The last frames (up to 5): the melt's or fluid's latest state, averaged.
    use = list(range(max(0, frames - 5), frames))
    g_sum = None
    for k in use:
        r, g = rdf(np.asarray(position["value"][k], dtype=float),
                   np.asarray(edges_all[min(k, len(edges_all) - 1)], dtype=float))
        g_sum = g if g_sum is None else g_sum + g
    times = position["time"][use]
    fig, ax = plt.subplots(figsize=(6, 3.8))
    ax.plot(r, g_sum / len(use), label=f"trajectory frames at t = {times[0]:.4g}..{times[-1]:.4g}")
    if solver is not None:
        ax.plot(solver[0], solver[1], "--", label=f"solver (md.rdf_every, {solver[2]} samples)")
    finish_rdf(run, ax, fig, out, written, "")


def finish_rdf(run, ax, fig, out, written, extra):
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.set_xlabel("r [sigma]")
    ax.set_ylabel("g(r)")
    ax.legend()
    ax.set_title(title(run, "radial distribution function" + extra))
    save(fig, out, "md_rdf", written)


def plot_msd(run, f, out, written):
    """MSD from the dumped frames, unwrapped by minimum-image steps between frames (valid
    while no atom moves half a box between dumps)."""
    position = f["particles/all/position"]
    frames = position["value"].shape[0]
    if frames < 2:
        return
    edges_all = box_edges(f)
    times = position["time"][...]
    previous = np.asarray(position["value"][0], dtype=float)
    unwrapped = previous.copy()
    start = previous.copy()
    msd = [0.0]
    for k in range(1, frames):
        x = np.asarray(position["value"][k], dtype=float)
        unwrapped += minimum_image(x - previous, edges_all[min(k, len(edges_all) - 1)])
        previous = x
        msd.append(float(((unwrapped - start) ** 2).sum(axis=1).mean()))
    fig, ax = plt.subplots(figsize=(6, 3.8))
    ax.plot(times - times[0], msd, ".-", ms=3, label="<|r(t) - r(0)|^2>, trajectory frames")
    if "observables/msd" in f:  # the solver's own, from its image counters, per thermo row
        t_solver, m_solver = observable(f, "msd")
        ax.plot(t_solver - times[0], m_solver, "--", label="solver (thermo rows)")
    if frames >= 4:
        # Einstein relation over the second half (diffusive regime): MSD = 6 D t.
        half = frames // 2
        slope, intercept = np.polyfit(times[half:] - times[0], msd[half:], 1)
        ax.plot(times[half:] - times[0], intercept + slope * (times[half:] - times[0]), "--",
                label=f"fit over the second half: D = slope / 6 = {slope / 6:.3g} sigma^2/tau")
    ax.set_xlabel("time [tau]")
    ax.set_ylabel("MSD [sigma^2]")
    ax.set_title(title(run, "mean squared displacement"))
    ax.legend()
    save(fig, out, "md_msd", written)


def plot(run, out):
    written = []
    with h5py.File(run.h5, "r", locking=False) as f:
        plot_thermo(run, f, out, written)
        plot_energy_drift(run, f, out, written)
        has_trajectory = ("particles/all/position" in f
                          and f["particles/all/position/value"].shape[0] > 0)
        if has_trajectory or "analysis/rdf/g" in f:
            plot_rdf(run, f, out, written)
        if has_trajectory:
            plot_msd(run, f, out, written)
    return written
