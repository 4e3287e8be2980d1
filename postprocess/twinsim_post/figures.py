"""Matplotlib set-up shared by the figure modules: no display, one style, small PNGs."""
import os

import matplotlib

matplotlib.use("Agg")  # never needs a display: runs on login nodes and in batch jobs
import matplotlib.pyplot as plt  # noqa: E402

plt.rcParams.update({
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "font.size": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.fontsize": 8,
    "legend.frameon": False,
})


def save(fig, out, name, written):
    """Writes fig as out/name.png, closes it and records the path in `written`."""
    path = os.path.join(out, name + ".png")
    if fig._suptitle is not None:  # keep room for it: tight_layout alone lets panels overlap it
        fig.tight_layout(rect=(0, 0, 1, 1 - 0.3 / fig.get_figheight()))
    else:
        fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    written.append(path)
    return path


def title(run, what):
    return f"{run.name}: {what}"
