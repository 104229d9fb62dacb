"""One PNG per growth curve (matplotlib's Agg backend: files only, no display), log-log axes, one
line per series; a curve without figures gets no plot."""

from pathlib import Path


def plot_curve(name, curve, out):
    """``out/growth_<name>.png`` from a curve {"x", "label", "unit", "series"}; returns its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(5, 3.5))
    try:
        for series, values in curve["series"].items():
            axes.plot(curve["x"], values, marker="o", label=series)
        axes.set(xscale="log", yscale="log", xlabel=curve["label"], ylabel=curve["unit"], title=name)
        axes.legend()
        figure.tight_layout()
        path = Path(out) / f"growth_{name}.png"
        figure.savefig(path, dpi=100)
    finally:
        plt.close(figure)
    return path


def plot_growth(row, out):
    """{curve name: png path} for every measured curve of row f."""
    if row.get("status") != "ok":
        return {}
    return {
        name: str(plot_curve(name, curve, out)) for name, curve in row["curves"].items() if "series" in curve
    }
