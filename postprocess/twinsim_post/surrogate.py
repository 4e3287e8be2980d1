"""Surrogate runs (`twinsim train`, `twinsim predict`): training and test loss against epoch,
error against rollout step.

The surrogate module's output layout is not settled yet (issue 6). Until it is, this module
draws what it can recognise without guessing values:
  - 1D series in the run's HDF5 file (or the model file named in summary.json as `model`)
    whose path holds "loss": drawn against their index (epoch) on a log axis;
  - arrays in summary.json whose key holds "loss" (against epoch) or "error" (against rollout
    step).
When nothing is recognised it says so and writes no figure. Specialise it once the trainer's
layout is fixed (see postprocess/README.md).
"""
import os

import h5py
import numpy as np

from .figures import plt, save, title


def summary_arrays(node, prefix=""):
    """(dotted key, list of numbers) for every numeric list in summary.json."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from summary_arrays(v, f"{prefix}.{k}" if prefix else k)
    elif (isinstance(node, list) and len(node) > 1
          and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in node)):
        yield prefix, node


def h5_loss_series(path):
    found = []
    if not os.path.isfile(path):
        return found
    with h5py.File(path, "r", locking=False) as f:
        def visit(name, item):
            if (isinstance(item, h5py.Dataset) and "loss" in name.lower()
                    and item.ndim == 1 and item.shape[0] > 1 and item.dtype.kind == "f"):
                found.append((name, np.asarray(item[...], dtype=float)))
        f.visititems(visit)
    return found


def plot(run, out):
    written = []
    losses = [(k, np.asarray(v, float)) for k, v in summary_arrays(run.summary) if "loss" in k]
    for candidate in (run.file(run.name + ".h5"), run.file(str(run.summary.get("model", "")))):
        if os.path.isfile(candidate):
            losses += h5_loss_series(candidate)
    errors = [(k, np.asarray(v, float)) for k, v in summary_arrays(run.summary)
              if "error" in k.lower()]
    if losses:
        fig, ax = plt.subplots(figsize=(6, 3.8))
        for name, v in losses:
            ax.semilogy(np.arange(1, len(v) + 1), v, label=name)
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.set_title(title(run, "training"))
        ax.legend()
        save(fig, out, "surrogate_loss", written)
    if errors:
        fig, ax = plt.subplots(figsize=(6, 3.8))
        for name, v in errors:
            ax.plot(np.arange(1, len(v) + 1), v, ".-", label=name)
        ax.set_xlabel("rollout step")
        ax.set_ylabel("error against the solver")
        ax.set_title(title(run, "rollout error"))
        ax.legend()
        save(fig, out, "surrogate_rollout_error", written)
    if not written:
        raise ValueError(f"{run.path}: a surrogate run, but no loss history or rollout error "
                         "was recognised in summary.json or the HDF5 files; the surrogate "
                         "output layout may be newer than postprocess/twinsim_post/surrogate.py")
    return written
