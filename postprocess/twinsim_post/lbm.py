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


# Force series (drag, lift, coefficients) are found by name anywhere outside /fields: the
# obstacle runs of issue 4 will write them as H5MD-style groups (value, time); any such group
# whose name holds one of these words is drawn against time.
FORCE_WORDS = ("drag", "lift", "force", "c_d", "c_l", "coefficient", "strouhal")


def force_series(f):
    found = []

    def visit(path, item):
        name = path.rsplit("/", 1)[-1].lower()
        if (isinstance(item, h5py.Group) and not path.startswith(("fields", "xdmf"))
                and "value" in item and "time" in item
                and any(w in name for w in FORCE_WORDS)):
            found.append((path, item))
    f.visititems(visit)
    return found


def plot_forces(run, f, out, written):
    series = force_series(f)
    if not series:
        return
    fig, axes = plt.subplots(len(series), 1, figsize=(6.5, 2.2 * len(series) + 0.6),
                             sharex=True, squeeze=False)
    for ax, (name, g) in zip(axes[:, 0], series):
        value = np.asarray(g["value"][...], dtype=float).reshape(len(g["time"]), -1)
        attrs = g["value"].attrs
        unit = attrs.get("unit", attrs.get("units", ""))
        unit = unit.decode() if isinstance(unit, bytes) else str(unit)
        for c in range(value.shape[1]):
            ax.plot(g["time"][...], value[:, c],
                    label=f"{name}[{c}]" if value.shape[1] > 1 else name)
        ax.set_ylabel(name.rsplit("/", 1)[-1] + (f" [{unit}]" if unit else ""))
        ax.legend()
    axes[-1, 0].set_xlabel("time [s]")
    fig.suptitle(title(run, "forces on the obstacle"))
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
