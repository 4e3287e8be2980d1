"""Surrogate runs: `twinsim train` (summary.json `command` = train) and `twinsim predict`
(`command` = predict).

train:   history.csv (epoch, learning_rate, train_loss, test_loss, seconds) -> loss vs epoch.
predict: rollout_errors.csv (step, frame, time, relative_l2) -> error vs rollout step;
         <name>.h5 /fields/vorticity_{predicted,reference,error} (sample 0) -> side by side;
         tables (predictions.csv: set, name, inputs, <output>:data|mlp|reference) -> each
         output against the first input, one curve per value of the second: the MLP on the
         grid, the reference equation of state (e.g. JZG) and the held-out data points.
Layout as written by surrogates/src/Train.cpp and Predict.cpp; when those files are missing the
generic fallback draws numeric arrays from summary.json whose key holds "loss" or "error".
"""
import csv
import os

import h5py
import numpy as np

from matplotlib.ticker import MaxNLocator

from .figures import colour_bar, plt, save, title


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {k: np.array([float(r[k]) for r in rows]) for k in (rows[0] if rows else {})}


def plot_history(run, out, written):
    path = run.file("history.csv")
    if not os.path.isfile(path):
        return
    h = read_csv(path)
    if "epoch" not in h or len(h["epoch"]) == 0:
        return
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for key, label in (("train_loss", "train"), ("test_loss", "test")):
        if key in h and np.any(h[key] > 0):
            # In situ the test loss is 0 until a held-out trajectory has come: not drawn.
            axes[0].semilogy(h["epoch"], np.where(h[key] > 0, h[key], np.nan), ".-", ms=5,
                             lw=1.6, label=label)
    loss = run.get("train.loss", "")
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel(f"loss ({loss})" if loss else "loss")
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0].legend()
    if "learning_rate" in h:
        axes[1].semilogy(h["epoch"], h["learning_rate"], ".-", ms=5, lw=1.6)
        axes[1].set_xlabel("epoch")
        axes[1].set_ylabel("learning rate")
    model = run.get("model.kind", "")
    params = run.get("model.parameters")
    fig.suptitle(title(run, f"training {model}" + (f", {params} parameters" if params else "")))
    save(fig, out, "surrogate_loss", written)


def plot_rollout_error(run, out, written):
    path = run.file("rollout_errors.csv")
    if not os.path.isfile(path):
        return
    e = read_csv(path)
    if "relative_l2" not in e or len(e["relative_l2"]) == 0:
        return
    fig, ax = plt.subplots(figsize=(6, 3.8))
    x = e.get("time", np.arange(1, len(e["relative_l2"]) + 1))
    ax.semilogy(x, e["relative_l2"], ".-", ms=4)
    ax.set_xlabel("time of the predicted frame" if "time" in e else "rollout step")
    ax.set_ylabel("relative L2 error against the solver")
    full = run.get("rollout.relative_l2_full")
    ax.set_title(title(run, "rollout error" + (f", whole rollout {full:.4g}" if full else "")))
    save(fig, out, "surrogate_rollout_error", written)


def plot_side_by_side(run, out, written):
    path = run.file(run.name + ".h5")
    if not os.path.isfile(path):
        return
    with h5py.File(path, "r", locking=False) as f:
        names = ("vorticity_predicted", "vorticity_reference", "vorticity_error")
        if not all(f"fields/{n}" in f for n in names):
            return
        count = f["fields/vorticity_predicted/value"].shape[0]
        frames = sorted(set(np.linspace(0, count - 1, min(count, 4)).round().astype(int)))
        times = f["fields/vorticity_predicted/time"][...]
        fig, axes = plt.subplots(3, len(frames), figsize=(2.5 * len(frames) + 1.4, 7.0),
                                 squeeze=False, layout="constrained")
        # One colour range for every panel (the solver's largest |w|), so the difference row
        # reads on the same scale; the domain is the unit square of the training data.
        lim = max(float(np.abs(np.asarray(f["fields/vorticity_reference/value"][k],
                                          float)).max()) for k in frames) or 1.0
        for col, k in enumerate(frames):
            for row, name in enumerate(names):
                v = np.asarray(f[f"fields/{name}/value"][k], float).squeeze()
                ax = axes[row, col]
                ny, nx = v.shape
                im = ax.imshow(v, origin="lower", cmap="RdBu_r", vmin=-lim, vmax=lim,
                               extent=(0, 1, 0, ny / nx))
                ax.grid(False)
                if row == 0:
                    ax.set_title(f"t = {times[k]:.3g}", fontsize=8)
                if row == 2:
                    ax.set_xlabel("x [length]")
                else:
                    ax.set_xticklabels([])
                if col == 0:
                    ax.set_ylabel(f"{name.replace('vorticity_', '')}\ny [length]")
                else:
                    ax.set_yticklabels([])
        colour_bar(fig, im, axes, "vorticity [1/time]")
        fig.suptitle(title(run, "surrogate (top) vs solver (middle), difference (bottom)"),
                     fontsize=9)
        save(fig, out, "surrogate_vs_solver", written)


def plot_table_predictions(run, out, written):
    path = run.file("predictions.csv")
    if not os.path.isfile(path):
        return
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    columns = list(rows[0].keys()) if rows else []
    inputs = [c for c in columns[2:] if ":" not in c]
    outputs = [c[:-len(":mlp")] for c in columns if c.endswith(":mlp")]
    if not rows or len(inputs) != 2 or not outputs:
        return
    num = lambda r, c: float(r[c]) if r[c] != "" else np.nan  # noqa: E731
    grid = [r for r in rows if r["set"] == "grid"]
    points = [r for r in rows if r["set"] != "grid"]
    x_name, c_name = inputs
    levels = sorted({num(r, c_name) for r in grid})
    colours = plt.cm.viridis(np.linspace(0, 0.9, max(len(levels), 1)))
    fig, axes = plt.subplots(1, len(outputs), figsize=(4.8 * len(outputs), 3.9), squeeze=False)
    for ax, o in zip(axes[0], outputs):
        for level, colour in zip(levels, colours):
            g = sorted((r for r in grid if num(r, c_name) == level), key=lambda r: num(r, x_name))
            x = [num(r, x_name) for r in g]
            ax.plot(x, [num(r, o + ":mlp") for r in g], "-", color=colour, lw=1.2,
                    label=f"{c_name} {level:.3g}")
            ref = [num(r, o + ":reference") for r in g]
            if not np.all(np.isnan(ref)):
                ax.plot(x, ref, ":", color=colour, lw=1.2)
        p = np.array([[num(r, x_name), num(r, c_name), num(r, o + ":data"),
                       num(r, o + ":mlp")] for r in points])
        if len(p):
            ax.scatter(p[:, 0], p[:, 2], c=p[:, 1], cmap="viridis", edgecolor="k", s=28,
                       zorder=3, vmin=min(levels), vmax=max(levels))
            ax.scatter(p[:, 0], p[:, 3], marker="x", color="k", s=20, zorder=4)
        ax.set_xlabel(x_name)
        ax.set_ylabel(o)
    axes[0][0].legend(fontsize=7, title="MLP (solid), reference (dotted)", title_fontsize=7)
    ref = run.get("reference", "none")
    fig.suptitle(title(run, f"MLP vs {ref} vs held-out data (circles; x: MLP there)"))
    save(fig, out, "surrogate_table", written)


def summary_arrays(node, prefix=""):
    """(dotted key, list of numbers) for every numeric list in summary.json."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from summary_arrays(v, f"{prefix}.{k}" if prefix else k)
    elif (isinstance(node, list) and len(node) > 1
          and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in node)):
        yield prefix, node


def plot_generic(run, out, written):
    for word, name, xlabel in (("loss", "surrogate_loss", "epoch"),
                               ("error", "surrogate_rollout_error", "rollout step")):
        series = [(k, np.asarray(v, float)) for k, v in summary_arrays(run.summary)
                  if word in k.lower()]
        if not series:
            continue
        fig, ax = plt.subplots(figsize=(6, 3.8))
        for key, v in series:
            ax.semilogy(np.arange(1, len(v) + 1), v, ".-", ms=5, lw=1.6, label=key)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(word)
        ax.legend()
        ax.set_title(title(run, word))
        save(fig, out, name, written)


def plot(run, out):
    written = []
    plot_history(run, out, written)
    plot_rollout_error(run, out, written)
    plot_side_by_side(run, out, written)
    plot_table_predictions(run, out, written)
    if not written:
        plot_generic(run, out, written)
    if not written:
        raise ValueError(f"{run.path}: a surrogate run, but neither history.csv, "
                         "rollout_errors.csv, predictions.csv, the predicted fields nor loss/error arrays in "
                         "summary.json were found")
    return written
