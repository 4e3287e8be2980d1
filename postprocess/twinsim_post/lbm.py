"""Lattice Boltzmann runs (solver `lbm`): flow fields, approach to steady state, cavity
centrelines against Ghia et al. (1982), channel profile against the Poiseuille parabola, and
force coefficients (drag, lift) against time when the run recorded them.

Reads /fields/<name>/{value,time} ([t][y][x] or [t][y][x][3], SI units, values at cell centres
x = (i + 1/2) dx) and /observables/<name> when present.
"""
import h5py
import numpy as np

from . import references
from .figures import plt, save, title


def grid(run, f):
    ny, nx = f["fields/velocity/value"].shape[1:3]
    size = run.case_value("lbm.domain.size")
    dx = run.get("lattice.dx_m") or (size[0] / nx if size else 1.0)
    return nx, ny, dx


def last_frame(f, name):
    v = f[f"fields/{name}/value"]
    return np.asarray(v[v.shape[0] - 1], dtype=float)


def plot_fields(run, f, out, written):
    nx, ny, dx = grid(run, f)
    u = last_frame(f, "velocity")
    t = f["fields/velocity/time"][-1]
    speed = np.hypot(u[..., 0], u[..., 1])
    extent = (0, nx * dx, 0, ny * dx)
    solid = last_frame(f, "obstacle") > 0.5 if "fields/obstacle" in f else np.zeros_like(speed,
                                                                                       bool)
    aspect = ny / nx
    if aspect < 0.6:  # wide channels: panels stacked
        panel_w = 8.0
        panel_h = max(1.2, panel_w * aspect)
        fig, axes = plt.subplots(2, 1, figsize=(panel_w + 1.6, 2 * (panel_h + 0.8) + 0.4))
    else:
        panel_h = min(6.0, max(2.2, 4.0 * aspect))
        panel_w = min(5.0, max(1.8, panel_h / aspect))
        fig, axes = plt.subplots(1, 2, figsize=(2 * (panel_w + 1.4), panel_h + 0.9))
    im = axes[0].imshow(np.ma.masked_where(solid, speed), origin="lower", extent=extent,
                        cmap="viridis")
    fig.colorbar(im, ax=axes[0], shrink=0.8, label="|u| [m/s]")
    x = (np.arange(nx) + 0.5) * dx
    y = (np.arange(ny) + 0.5) * dx
    if nx >= 4 and ny >= 4 and speed.max() > 0:
        axes[0].streamplot(x, y, np.where(solid, 0, u[..., 0]), np.where(solid, 0, u[..., 1]),
                           color="white", linewidth=0.6, density=1.0, arrowsize=0.6)
    axes[0].set_title(f"velocity magnitude, t = {t:.4g} s")
    if "fields/vorticity" in f:
        w = last_frame(f, "vorticity")
        lim = np.percentile(np.abs(w[~solid]), 99) if (~solid).any() else 1.0
        im = axes[1].imshow(np.ma.masked_where(solid, w), origin="lower", extent=extent,
                            cmap="RdBu_r", vmin=-lim, vmax=lim)
        fig.colorbar(im, ax=axes[1], shrink=0.8, label="vorticity [1/s]")
        axes[1].set_title("vorticity (colour range: 99th percentile)")
    for ax in axes:
        ax.set_xlabel("x [m]")
        ax.set_ylabel("y [m]")
        ax.grid(False)
        ax.set_facecolor("0.6")  # obstacle cells show grey
    fig.suptitle(title(run, "flow field"))
    save(fig, out, "lbm_fields", written)


def plot_history(run, f, out, written):
    v = f["fields/velocity/value"]
    if v.shape[0] < 2:
        return
    t = f["fields/velocity/time"][...]
    energy = [0.5 * float((np.asarray(v[k], dtype=float) ** 2).sum(axis=-1).mean())
              for k in range(v.shape[0])]
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.plot(t, energy, ".-", ms=4)
    ax.set_xlabel("time [s]")
    ax.set_ylabel("mean kinetic energy per mass [m^2/s^2]")
    ax.set_title(title(run, "approach to the final state (field frames)"))
    save(fig, out, "lbm_history", written)


def centre_line(field, along):
    """Values on the centreline of a [y][x] array of cell-centre values: along=0 the row at
    y = 1/2 (a function of x), along=1 the column at x = 1/2 (a function of y); linear
    interpolation between the two nearest lines, as summary.json's ghia1982 figures do."""
    n_across = field.shape[0] if along == 0 else field.shape[1]
    s = 0.5 * n_across - 0.5
    lo = int(np.floor(s))
    hi = min(lo + 1, n_across - 1)
    w = s - lo
    if along == 0:
        return (1 - w) * field[lo, :] + w * field[hi, :]
    return (1 - w) * field[:, lo] + w * field[:, hi]


def plot_ghia(run, f, out, written):
    nx, ny, dx = grid(run, f)
    u = last_frame(f, "velocity")
    lid = (run.case_value("lbm.boundaries.y_max_velocity") or [1.0])[0]
    re = int(round(run.get("reynolds", 100)))
    if re not in references.GHIA_U:
        return
    u_line = centre_line(u[..., 0], along=1) / lid  # u(y) at x = 1/2
    v_line = centre_line(u[..., 1], along=0) / lid  # v(x) at y = 1/2
    y = np.concatenate([[0.0], (np.arange(ny) + 0.5) / ny, [1.0]])
    x = np.concatenate([[0.0], (np.arange(nx) + 0.5) / nx, [1.0]])
    u_line = np.concatenate([[0.0], u_line, [1.0]])
    v_line = np.concatenate([[0.0], v_line, [0.0]])
    fig, axes = plt.subplots(1, 2, figsize=(8.5, 4))
    axes[0].plot(u_line, y, "-", label=f"Twinsim LBM {nx}x{ny}")
    axes[0].plot(references.GHIA_U[re], references.GHIA_U["position"], "o", mfc="none",
                 label="Ghia et al. 1982")
    axes[0].set_xlabel("u / U_lid at x = L/2")
    axes[0].set_ylabel("y / L")
    axes[1].plot(x, v_line, "-", label=f"Twinsim LBM {nx}x{ny}")
    axes[1].plot(references.GHIA_V["position"], references.GHIA_V[re], "o", mfc="none",
                 label="Ghia et al. 1982")
    axes[1].set_xlabel("x / L")
    axes[1].set_ylabel("v / U_lid at y = L/2")
    err_u, err_v = run.get("ghia1982.max_u_error"), run.get("ghia1982.max_v_error")
    for ax in axes:
        ax.legend()
    if err_u is not None and err_v is not None:
        fig.suptitle(title(run, f"cavity centrelines at Re = {re}: max |u - ref| = {err_u:.3f}, "
                                f"max |v - ref| = {err_v:.3f} (of U_lid)"))
    else:
        fig.suptitle(title(run, f"cavity centrelines at Re = {re}"))
    fig.text(0.5, 0.005, "reference: " + references.GHIA_CITATION, ha="center", fontsize=7)
    save(fig, out, "lbm_ghia_centrelines", written)


def plot_poiseuille(run, f, out, written):
    nx, ny, dx = grid(run, f)
    u = last_frame(f, "velocity")
    a = (run.case_value("lbm.domain.acceleration") or [0.0])[0]
    nu = run.case_value("lbm.domain.viscosity")
    if not nu or a == 0:
        return
    height = ny * dx
    y = (np.arange(ny) + 0.5) * dx
    yy = np.linspace(0, height, 200)
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(u[..., 0].mean(axis=1), y, "o", ms=4, mfc="none", label="Twinsim LBM (x-average)")
    ax.plot(a * yy * (height - yy) / (2 * nu), yy, "-", label="a y (H - y) / (2 nu)")
    err = run.get("poiseuille.relative_l2_error")
    ax.set_xlabel("u [m/s]")
    ax.set_ylabel("y [m]")
    ax.set_title(title(run, "channel profile" +
                       (f", relative L2 error {err:.2e}" if err is not None else "")))
    ax.legend()
    save(fig, out, "lbm_poiseuille_profile", written)


def series(g):
    """(time, value[t][c]) of an H5MD-style group."""
    t = g["time"][...]
    return t, np.asarray(g["value"][...], dtype=float).reshape(len(t), -1)


def band(ax, lower, upper, exact, label):
    ax.axhspan(lower, upper, color="C2", alpha=0.25, lw=0, label=f"{label}: {lower}-{upper}")
    if exact is not None:
        ax.axhline(exact, color="C2", lw=0.8)


def plot_forces(run, f, out, written):
    """Drag and lift coefficients of every obstacle (/observables/obstacle_<k>/coefficients
    [t][2]: c_D, c_L) and the pressure probes (/observables/probe_<i>/pressure, Pa) against
    time, with the Schafer-Turek 2D-1 bands for that case."""
    group = f.get("observables")
    if group is None:
        return
    obstacles = sorted(k for k in group if k.startswith("obstacle_")
                       and "coefficients" in group[k])
    probes = sorted((k for k in group if k.startswith("probe_") and "pressure" in group[k]),
                    key=lambda k: int(k.split("_")[1]))
    if not obstacles and not probes:
        return
    st = run.case_value("lbm.reference") == "schafer_turek_2d1"
    ref = references.SCHAFER_TUREK_2D1
    rows = (2 if obstacles else 0) + (1 if probes else 0)
    fig, axes = plt.subplots(rows, 1, figsize=(7, 2.3 * rows + 0.7), sharex=True, squeeze=False)
    axes = axes[:, 0]
    if obstacles:
        for k in obstacles:
            t, c = series(group[k]["coefficients"])
            axes[0].plot(t, c[:, 0], label=f"{k}")
            axes[1].plot(t, c[:, 1], label=f"{k}")
        axes[0].set_ylabel("drag coefficient c_D")
        axes[1].set_ylabel("lift coefficient c_L")
        if st:
            band(axes[0], *ref["drag_coefficient"], references.SCHAFER_TUREK_CITATION)
            band(axes[1], *ref["lift_coefficient"], references.SCHAFER_TUREK_CITATION)
            # Zoom on the approach to the band: the start-up transient is orders larger.
            for ax, key in ((axes[0], "drag_coefficient"), (axes[1], "lift_coefficient")):
                lo, hi, _ = ref[key]
                final = [series(group[k]["coefficients"])[1][-1, 0 if ax is axes[0] else 1]
                         for k in obstacles]
                span = max(hi - lo, *(abs(v - 0.5 * (lo + hi)) for v in final))
                ax.set_ylim(0.5 * (lo + hi) - 4 * span, 0.5 * (lo + hi) + 4 * span)
        axes[0].legend()
        axes[1].legend()
    if probes:
        ax = axes[-1]
        for k in probes:
            t, p = series(group[k]["pressure"])
            ax.plot(t, p[:, 0], label=k)
        if st and len(probes) == 2:
            t, p1 = series(group[probes[0]]["pressure"])
            _, p2 = series(group[probes[1]]["pressure"])
            ax.plot(t, p1[:, 0] - p2[:, 0], "k", label="dP = p(front) - p(rear)")
            band(ax, *ref["pressure_difference"], "2D-1 dP")
        ax.set_ylabel("pressure [Pa]")
        ax.legend(ncol=2)
    axes[-1].set_xlabel("time [s]")
    cd = run.get("schafer_turek_2d1.drag_coefficient")
    cl = run.get("schafer_turek_2d1.lift_coefficient")
    extra = f": final c_D = {cd:.4f}, c_L = {cl:.4f}" if st and cd is not None else ""
    fig.suptitle(title(run, "forces on the obstacles" + extra))
    save(fig, out, "lbm_forces", written)


def plot(run, out):
    written = []
    with h5py.File(run.h5, "r", locking=False) as f:
        if "fields/velocity" not in f or f["fields/velocity/value"].shape[0] == 0:
            raise ValueError(f"{run.h5}: no velocity frames (lbm.output_every = 0 writes the "
                             "final state only; a run that failed early may have none)")
        plot_fields(run, f, out, written)
        plot_history(run, f, out, written)
        reference = run.case_value("lbm.reference", "none")
        if reference == "ghia1982":
            plot_ghia(run, f, out, written)
        elif reference == "poiseuille":
            plot_poiseuille(run, f, out, written)
        plot_forces(run, f, out, written)
    return written


def plot_ensemble(run, out):
    """An lbm_ensemble run (solver `lbm_ensemble`): every member's last vorticity frame, one
    panel per Reynolds number, one colour range (/vorticity/value [member][frame][y][x])."""
    written = []
    with h5py.File(run.h5, "r", locking=False) as f:
        w = f["vorticity/value"]
        if w.shape[0] == 0:
            raise ValueError(f"{run.h5}: no member in /vorticity (samples.write = false, or "
                             "the run stopped before its first member ended)")
        reynolds = f["reynolds"][...]
        t = f["snapshot_time"][-1]
        members = w.shape[0]
        last = [np.asarray(w[m, -1], dtype=float) for m in range(members)]
    size = run.case_value("lbm.domain.size", [1.0, 1.0])
    lim = max(float(np.abs(v).max()) for v in last) or 1.0
    cols = min(members, 7)
    rows = (members + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(1.9 * cols + 1.2, 1.9 * rows + 0.6),
                             squeeze=False, layout="constrained")
    for m, ax in enumerate(axes.flat):
        ax.grid(False)
        ax.set_xticks([])
        ax.set_yticks([])
        if m >= members:
            ax.axis("off")
            continue
        im = ax.imshow(last[m], origin="lower", extent=(0, size[0], 0, size[1]), cmap="RdBu_r",
                       vmin=-lim, vmax=lim)
        ax.set_title(f"Re {reynolds[m]:.4g}", fontsize=8)
    fig.colorbar(im, ax=axes, shrink=0.85, pad=0.02).set_label("vorticity [1/s]")
    fig.suptitle(title(run, f"vorticity at t = {t:.3g} s of each member (run order)"),
                 fontsize=9)
    save(fig, out, "lbm_ensemble_vorticity", written)
    return written
