"""Surrogate runs: `twinsim train` (summary.json `command` = train) and `twinsim predict`
(`command` = predict).

train:   history.csv (epoch, learning_rate, train_loss, test_loss, seconds) -> loss vs epoch.
predict: rollout_errors.csv (step, frame, time, relative_l2) -> error vs rollout step;
         <name>.h5 /fields/vorticity_{predicted,reference,error} (sample 0) -> side by side.
Layout as written by apps/twinsim/train.cpp and predict.cpp; when those files are missing the
generic fallback draws numeric arrays from summary.json whose key holds "loss" or "error".
"""
import csv
import os

import h5py
import numpy as np

from .figures import plt, save, title


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
            axes[0].semilogy(h["epoch"], h[key], ".-", ms=3, label=label)
    loss = run.get("train.loss", "")
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel(f"loss ({loss})" if loss else "loss")
    axes[0].legend()
    if "learning_rate" in h:
        axes[1].semilogy(h["epoch"], h["learning_rate"], ".-", ms=3)
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
        fig, axes = plt.subplots(3, len(frames), figsize=(2.3 * len(frames) + 0.6, 6.6),
                                 squeeze=False)
        for col, k in enumerate(frames):
            ref = np.asarray(f["fields/vorticity_reference/value"][k], float).squeeze()
            lim = float(np.abs(ref).max()) or 1.0
            for row, name in enumerate(names):
                v = np.asarray(f[f"fields/{name}/value"][k], float).squeeze()
                ax = axes[row, col]
                ax.imshow(v, origin="lower", cmap="RdBu_r", vmin=-lim, vmax=lim)
                ax.set_xticks([])
                ax.set_yticks([])
                ax.grid(False)
                if row == 0:
                    ax.set_title(f"t = {times[k]:.3g}", fontsize=8)
                if col == 0:
                    ax.set_ylabel(name.replace("vorticity_", ""))
        fig.suptitle(title(run, "surrogate (top) vs solver (middle), difference (bottom); "
                                "colour range of the solver's frame"), fontsize=9)
        save(fig, out, "surrogate_vs_solver", written)


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
            ax.semilogy(np.arange(1, len(v) + 1), v, ".-", ms=3, label=key)
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
    if not written:
        plot_generic(run, out, written)
    if not written:
        raise ValueError(f"{run.path}: a surrogate run, but neither history.csv, "
                         "rollout_errors.csv, the predicted fields nor loss/error arrays in "
                         "summary.json were found")
    return written
