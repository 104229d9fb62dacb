"""Figures of the main job, drawn with matplotlib's object API (no pyplot, no display needed)."""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from numpy_impl.files import atomic_path

ENGINE_STYLE = {
    "numpy": {"color": "tab:blue", "linestyle": "-"},
    "torch": {"color": "tab:orange", "linestyle": "--"},
}


def figure(nrows=1, ncols=1, *, size=(5.0, 4.0), **subplot_kw):
    """A Figure and its axes grid (always 2-D), ``size`` per panel in inches."""
    fig = Figure(figsize=(size[0] * ncols, size[1] * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **subplot_kw)
    return fig, axes


def save(fig, path):
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format=path.suffix.lstrip(".") or "png")
    return path


def loss_curves(runs, path, title):
    """``runs``: {model: TwinRun}. Top row: the two engines' per-step losses overlaid (they should
    coincide); bottom row: their nonzero absolute differences per step."""
    fig, axes = figure(2, len(runs), size=(5.0, 3.2))
    for col, (model, run) in enumerate(runs.items()):
        top, bottom = axes[0, col], axes[1, col]
        for engine, history in run.histories.items():
            steps = np.arange(1, len(history.step_loss) + 1)
            top.plot(steps, history.step_loss, label=engine, linewidth=1, **ENGINE_STYLE[engine])
        top.set(title=f"{model}: training loss per step", xlabel="step", ylabel="loss", yscale="log")
        top.legend()
        diff = run.loss_diff
        steps = np.flatnonzero(diff) + 1
        bottom.plot(steps, diff[steps - 1], ".", color="tab:red", markersize=2)
        bottom.set(
            title=f"|numpy - torch|: max {run.max_loss_diff:.1e}, {np.sum(diff == 0)}/{diff.size} steps equal",
            xlabel="step",
            ylabel="absolute loss difference (nonzero)",
            xlim=(0, diff.size + 1),
        )
        if steps.size:
            bottom.set_yscale("log")
    fig.suptitle(title)
    return save(fig, path)


def confusion_matrices(cases, path, n_classes):
    """``cases``: {title: (y_true, y_pred)}; one confusion-matrix panel each, counts written in."""
    from sklearn.metrics import confusion_matrix

    fig, axes = figure(1, len(cases), size=(4.6, 4.2))
    labels = np.arange(n_classes)
    for ax, (title, (y_true, y_pred)) in zip(axes[0], cases.items(), strict=True):
        matrix = confusion_matrix(y_true, y_pred, labels=labels)
        ax.imshow(matrix, cmap="Blues")
        for (i, j), count in np.ndenumerate(matrix):
            if count:
                color = "white" if count > matrix.max() / 2 else "black"
                ax.text(j, i, str(count), ha="center", va="center", fontsize=7, color=color)
        accuracy = np.trace(matrix) / matrix.sum()
        ax.set(
            title=f"{title} ({accuracy:.1%})", xlabel="predicted", ylabel="true", xticks=labels, yticks=labels
        )
    return save(fig, path)
