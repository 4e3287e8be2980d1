"""Matplotlib set-up shared by the figure modules: no display, one style; PNG at 150 dpi unless
configure() chose PDF or SVG (`twinsim plot RUN_DIR --format pdf|svg --dpi N`)."""
import os

import matplotlib

matplotlib.use("Agg")  # never needs a display: runs on login nodes and in batch jobs
import matplotlib.pyplot as plt  # noqa: E402

plt.rcParams.update({
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.size": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.fontsize": 8,
    "legend.frameon": False,
})


FORMATS = ("png", "pdf", "svg")
_format = "png"


def configure(fmt="png", dpi=150):
    """The file format of every figure save() writes, and the resolution of PNGs (and of the
    images PDF and SVG embed)."""
    global _format
    if fmt not in FORMATS:
        raise ValueError(f"figure format '{fmt}': use one of {', '.join(FORMATS)}")
    _format = fmt
    plt.rcParams["savefig.dpi"] = dpi


def save(fig, out, name, written):
    """Writes fig as out/name.<format>, closes it and records the path in `written`."""
    path = os.path.join(out, name + "." + _format)
    if fig.get_layout_engine() is not None:
        pass  # laid out already (constrained: a colour bar shared by several panels)
    elif fig._suptitle is not None:  # keep room for it: tight_layout alone lets panels overlap it
        fig.tight_layout(rect=(0, 0, 1, 1 - 0.3 / fig.get_figheight()))
    else:
        fig.tight_layout()
    # "tight": the saved area grows to every label (a long x label under stacked panels is
    # never cut).
    fig.savefig(path, bbox_inches="tight", pad_inches=0.05)
    plt.close(fig)
    written.append(path)
    return path


def title(run, what):
    return f"{run.name}: {what}"


def colour_bar(fig, image, ax, label):
    """A colour bar beside ax (or a list of axes) for image, labelled with its quantity and
    unit ("vorticity [1/time]")."""
    bar = fig.colorbar(image, ax=ax, shrink=0.85, pad=0.02)
    if label:
        bar.set_label(label)
    return bar
