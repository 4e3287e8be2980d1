"""Pseudo-spectral runs: 2D vorticity ensembles (solver `spectral`), the 3D velocity solver
(`spectral3d`, e.g. the Taylor-Green vortex at Re = 1600) and the Taylor-Green check
(`taylor_green_check`).

2D: /vorticity/value [sample][frame][y][x], /kinetic_energy and /enstrophy [sample][frame],
/snapshot_time [frame]. 3D: /kinetic_energy, /enstrophy, /dissipation [record][1] with their
times, velocity snapshots at /fields/velocity/value [t][z][y][x][3]. Case units.
"""
import h5py
import numpy as np

from . import references
from .figures import colour_bar, plt, save, title


def shell_spectrum(energy_density, k_magnitude, dk):
    """Sums a spectral energy density over shells |k| in [(m - 1/2) dk, (m + 1/2) dk)."""
    shells = np.rint(k_magnitude / dk).astype(int).ravel()
    e = np.bincount(shells, weights=energy_density.ravel())
    return np.arange(len(e)) * dk, e


def spectrum_2d(w, lx, ly):
    """Kinetic-energy spectrum E(k) of a periodic 2D vorticity field w[y][x]: the mean kinetic
    energy 0.5 <|u|^2> = sum_k E(k), with |u_hat|^2 = |w_hat|^2 / |k|^2."""
    ny, nx = w.shape
    w_hat = np.fft.fft2(w) / (nx * ny)
    kx = 2 * np.pi * np.fft.fftfreq(nx, d=lx / nx)
    ky = 2 * np.pi * np.fft.fftfreq(ny, d=ly / ny)
    k2 = kx[None, :] ** 2 + ky[:, None] ** 2
    k2[0, 0] = np.inf  # the mean flow carries no vorticity
    density = 0.5 * np.abs(w_hat) ** 2 / k2
    return shell_spectrum(density, np.sqrt(np.where(np.isinf(k2), 0, k2)),
                          2 * np.pi / max(lx, ly))


def spectrum_3d(u, l):
    """E(k) of a periodic velocity field u[z][y][x][3] on a cube of edge l:
    0.5 <|u|^2> = sum_k E(k)."""
    n = u.shape[0]
    density = np.zeros((n, n, n))
    for c in range(3):
        density += 0.5 * np.abs(np.fft.fftn(u[..., c]) / n ** 3) ** 2
    k = 2 * np.pi * np.fft.fftfreq(n, d=l / n)
    kk = np.sqrt(k[:, None, None] ** 2 + k[None, :, None] ** 2 + k[None, None, :] ** 2)
    return shell_spectrum(density, kk, 2 * np.pi / l)


def vorticity_3d(u, l):
    """curl u of a periodic u[z][y][x][3], spectrally."""
    n = u.shape[0]
    k = 2j * np.pi * np.fft.fftfreq(n, d=l / n)
    kz, ky, kx = k[:, None, None], k[None, :, None], k[None, None, :]
    h = [np.fft.fftn(u[..., c]) for c in range(3)]
    d = lambda kc, c: np.real(np.fft.ifftn(kc * h[c]))  # noqa: E731
    return np.stack([d(ky, 2) - d(kz, 1), d(kz, 0) - d(kx, 2), d(kx, 1) - d(ky, 0)], axis=-1)


def evenly(count, most):
    return sorted(set(np.linspace(0, count - 1, min(count, most)).round().astype(int).tolist()))


def plot_vorticity_2d(run, f, out, written, lx, ly):
    w = f["vorticity/value"]
    times = f["snapshot_time"][...]
    frames = evenly(w.shape[1], 6)
    fig, axes = plt.subplots(1, len(frames), figsize=(3.0 * len(frames) + 0.4, 2.9),
                             squeeze=False)
    for i, (ax, k) in enumerate(zip(axes[0], frames)):
        field = np.asarray(w[0, k], dtype=float)
        lim = float(np.abs(field).max()) or 1.0
        im = ax.imshow(field, origin="lower", extent=(0, lx, 0, ly), cmap="RdBu_r", vmin=-lim,
                       vmax=lim)
        colour_bar(fig, im, ax, "vorticity [1/time]" if i == len(frames) - 1 else None)
        ax.set_title(f"t = {times[k]:.3g}", fontsize=8)
        ax.set_xlabel("x [length]")
        if i == 0:
            ax.set_ylabel("y [length]")
        else:
            ax.set_yticklabels([])
        ax.grid(False)
    first = run.get("samples.first", 0)
    fig.suptitle(title(run, f"vorticity of sample {first} (colour range per frame)"), fontsize=9)
    save(fig, out, "spectral_vorticity", written)


def plot_spectrum_2d(run, f, out, written, lx, ly):
    w = f["vorticity/value"]
    times = f["snapshot_time"][...]
    fig, ax = plt.subplots(figsize=(5.5, 4))
    single = True  # every frame holds one mode (Taylor-Green)
    for k in evenly(w.shape[1], 4):
        e = None
        for s in range(w.shape[0]):  # ensemble mean
            kk, es = spectrum_2d(np.asarray(w[s, k], dtype=float), lx, ly)
            e = es if e is None else e + es
        e /= w.shape[0]
        shells = min(w.shape[2], w.shape[3]) // 2 + 1  # complete shells, up to Nyquist
        kk, e = kk[1:shells], e[1:shells]
        # A single mode (Taylor-Green) is a point, not a line down to round-off at k = 30.
        held = e > 1e-12 * e.max() if e.max() > 0 else np.zeros_like(e, bool)
        if held.sum() <= 2:
            ax.plot(kk[held], e[held], "o", ms=10, label=f"t = {times[k]:.3g}")
        else:
            single = False
            ax.loglog(kk, np.maximum(e, 1e-300), label=f"t = {times[k]:.3g}")
    ax.set_xlabel("|k| [1/length]")
    ax.set_ylabel("E(k) [length^2/time^2 per shell]")
    if single:  # linear axes around the mode: its energy decaying is what there is to see
        lo, hi = ax.get_xlim()
        ax.set_xlim(0, max(hi, 1.0) * 1.5)
        ax.set_title(title(run, "kinetic energy of its single mode"))
    else:
        ax.set_ylim(bottom=max(ax.get_ylim()[0], 1e-16 * ax.get_ylim()[1]))
        ax.set_title(title(run, f"kinetic-energy spectrum, mean of {w.shape[0]} samples"))
    ax.legend()
    save(fig, out, "spectral_energy_spectrum", written)


def plot_energy_2d(run, f, out, written, lx, ly):
    times = f["snapshot_time"][...]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for ax, name, label in ((axes[0], "kinetic_energy", "kinetic energy [length^2/time^2]"),
                            (axes[1], "enstrophy", "enstrophy [1/time^2]")):
        v = np.asarray(f[f"{name}/value"][...], dtype=float)
        for s in range(v.shape[0]):
            ax.plot(times, v[s], color="C0", lw=0.6, alpha=0.5)
        ax.plot(times, v.mean(axis=0), color="C0", lw=1.8, label=f"mean of {v.shape[0]}")
        ax.set_xlabel("time")
        ax.set_ylabel(label)
    if (run.case_value("spectral.initial") == "taylor_green"
            and run.case_value("spectral.forcing", "none") == "none"):
        # Exact: every quantity quadratic in the single mode decays as exp(-2 nu |k|^2 t).
        nu, mode = run.case_value("spectral.nu"), run.case_value("spectral.mode", 1)
        k2 = (2 * np.pi * mode / lx) ** 2 + (2 * np.pi * mode / ly) ** 2
        for ax, name in ((axes[0], "kinetic_energy"), (axes[1], "enstrophy")):
            v0 = float(np.asarray(f[f"{name}/value"][0, 0]))
            ax.plot(times, v0 * np.exp(-2 * nu * k2 * times), "k--", lw=1,
                    label="exact exp(-2 nu |k|^2 t)")
    for ax in axes:
        ax.legend()
    fig.suptitle(title(run, "energy and enstrophy"))
    save(fig, out, "spectral_energy_enstrophy", written)


def plot_2d(run, out):
    written = []
    lx = run.case_value("spectral.lx", 1.0)
    ly = run.case_value("spectral.ly", 1.0)
    with h5py.File(run.h5, "r", locking=False) as f:
        plot_vorticity_2d(run, f, out, written, lx, ly)
        plot_spectrum_2d(run, f, out, written, lx, ly)
        plot_energy_2d(run, f, out, written, lx, ly)
    return written


def series(f, name):
    g = f[name]
    return g["time"][...], np.asarray(g["value"][...], dtype=float).reshape(len(g["time"]))


def is_tgv_re1600(run):
    c = lambda key, default=None: run.case_value("spectral3d." + key, default)  # noqa: E731
    return (c("initial", "taylor_green") == "taylor_green" and c("linear_forcing", 0.0) == 0.0
            and abs(c("nu", 0) * 1600 - 1) < 1e-9 and abs(c("v0", 1.0) - 1) < 1e-12
            and abs(c("l", 2 * np.pi) - 2 * np.pi) < 1e-9)


def plot_dissipation_3d(run, f, out, written):
    t, eps = series(f, "dissipation")
    _, e = series(f, "kinetic_energy")
    n = run.get("grid.n")
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    axes[0].plot(t, eps, label=f"Twinsim {n}^3: 2 nu <enstrophy>")
    if len(e) > 2:
        axes[0].plot(t[1:-1], -(e[2:] - e[:-2]) / (t[2:] - t[:-2]), "--", lw=0.9,
                     label="-dE/dt (central differences)")
    if is_tgv_re1600(run) and t[-1] >= 0.5 * references.TGV_RE1600_PEAK["t"]:
        ref = references.TGV_RE1600_PEAK
        axes[0].plot([ref["t"]], [ref["dissipation"]], "ko", mfc="none",
                     label=f"peak, {references.TGV_CITATION}")
    axes[0].set_xlabel("time")
    axes[0].set_ylabel("dissipation rate [length^2/time^3]")
    axes[0].legend(loc="upper left")
    axes[1].plot(t, e)
    axes[1].set_xlabel("time")
    axes[1].set_ylabel("kinetic energy [length^2/time^2]")
    peak, t_peak = run.get("dissipation.peak"), run.get("dissipation.t_peak")
    fig.suptitle(title(run, "dissipation and energy" + (
        f": peak {peak:.5g} at t = {t_peak:.3g}" if peak is not None else "")))
    save(fig, out, "spectral3d_dissipation", written)


def plot_velocity_snapshots_3d(run, f, out, written):
    if "fields/velocity" not in f:
        return
    v = f["fields/velocity/value"]
    times = f["fields/velocity/time"][...]
    l = run.case_value("spectral3d.l", 2 * np.pi)
    frames = evenly(v.shape[0], 4)
    fig, ax = plt.subplots(figsize=(5.5, 4))
    fields = {}
    for k in frames:
        u = np.asarray(v[k], dtype=float)
        kk, e = spectrum_3d(u, l)
        shells = u.shape[0] // 2 + 1  # complete shells, up to Nyquist
        ax.loglog(kk[1:shells], np.maximum(e[1:shells], 1e-300), label=f"t = {times[k]:.3g}")
        fields[k] = u
    ax.set_xlabel("|k| [1/length]")
    ax.set_ylabel("E(k) [length^2/time^2 per shell]")
    ax.set_ylim(bottom=max(ax.get_ylim()[0], 1e-16 * ax.get_ylim()[1]))
    ax.set_title(title(run, "kinetic-energy spectrum"))
    ax.legend()
    save(fig, out, "spectral3d_energy_spectrum", written)

    fig, axes = plt.subplots(1, len(frames), figsize=(3.2 * len(frames) + 0.6, 3.0),
                             squeeze=False)
    for ax, k in zip(axes[0], frames):
        w = vorticity_3d(fields[k], l)
        plane = np.sqrt((w[:, :, 0, :] ** 2).sum(axis=-1))  # x = 0: a [z][y] plane
        im = ax.imshow(plane, origin="lower", extent=(0, l, 0, l), cmap="inferno")
        colour_bar(fig, im, ax, "|vorticity| [1/time]" if k == frames[-1] else None)
        ax.set_title(f"t = {times[k]:.3g}", fontsize=8)
        ax.set_xlabel("y [length]")
        ax.set_ylabel("z [length]")
        ax.grid(False)
    fig.suptitle(title(run, "vorticity magnitude on the plane x = 0"), fontsize=9)
    save(fig, out, "spectral3d_vorticity", written)


def plot_3d(run, out):
    written = []
    with h5py.File(run.h5, "r", locking=False) as f:
        plot_dissipation_3d(run, f, out, written)
        plot_velocity_snapshots_3d(run, f, out, written)
    return written


def plot_taylor_green_check(run, out):
    written = []
    with h5py.File(run.h5, "r", locking=False) as f:
        w, exact = f["fields/vorticity/value"], f["fields/vorticity_exact/value"]
        t = f["fields/vorticity/time"][...]
        error = [float(np.abs(np.asarray(w[k]) - np.asarray(exact[k])).max())
                 for k in range(w.shape[0])]
        last = np.asarray(w[w.shape[0] - 1], dtype=float)
        last = last.reshape(last.shape[-2:])
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
        lim = float(np.abs(last).max()) or 1.0
        im = axes[0].imshow(last, origin="lower", cmap="RdBu_r", vmin=-lim, vmax=lim)
        fig.colorbar(im, ax=axes[0], shrink=0.8, label="vorticity [1/time]")
        axes[0].set_title(f"vorticity at t = {t[-1]:.3g}")
        axes[0].grid(False)
        axes[1].semilogy(t, np.maximum(error, 1e-300), ".-")
        axes[1].set_xlabel("time")
        axes[1].set_ylabel("max |w - w_exact| [1/time]")
        axes[1].set_title("error against the exact vorticity")
        fig.suptitle(title(run, "Taylor-Green check"))
        save(fig, out, "taylor_green_check", written)
    return written
