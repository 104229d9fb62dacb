"""The main job's autoencoder section: one seed, the same batches, Adam in both engines (NumPy's
``optim.Adam``, ``torch.optim.Adam``) at the reference settings (``config.REFERENCE``); reports the
reconstruction test MSE of each engine and how far apart they are, and draws the reconstructions
and the 2-D latent codes."""

import math

import numpy as np
import torch

import numpy_impl
import torch_impl
from numpy_impl import optim

from . import plots
from .config import SectionResult
from .data import load_split
from .twins import engine_call, train_twins


def run_autoencoder(config):
    """Train the autoencoder ``(D, *hidden, latent)`` in both engines on the run's split (the
    labels only colour the latent plot) and draw its figures; a SectionResult."""
    settings = config.settings("autoencoder")
    (x_train, y_train), (x_test, y_test) = section_rows(load_split(config.mnist, config.split_seed), settings)
    x_train, x_test = x_train.astype(config.dtype), x_test.astype(config.dtype)
    sizes = (x_train.shape[1], *settings["hidden"], settings["latent"])
    twins = [
        engine.Autoencoder(sizes, seed=config.seed, dtype=config.dtype) for engine in (numpy_impl, torch_impl)
    ]
    run = train_pair(twins, x_train, x_test, settings, config)
    codes = [engine_call(model, model.encode, x_test) for model in twins]
    mse = {engine: test_mse(model, x_test) for engine, model in zip(("numpy", "torch"), twins, strict=True)}
    numbers = {
        "sizes": sizes,
        "epochs": settings["epochs"],
        "batch_size": settings["batch_size"],
        "lr": settings["lr"],
        "dtype": config.dtype,
        "n_train": len(x_train),
        "n_test": len(x_test),
        "test_mse": mse,
        "test_mse_difference": abs(mse["numpy"] - mse["torch"]),
        "max_step_loss_difference": run.max_loss_diff,
        "max_test_mse_difference_per_epoch": run.max_metric_diff("test_mse"),
        "max_weight_difference": run.max_weight_diff,
        "max_latent_difference": float(np.abs(codes[0] - codes[1]).max()),
        "latent_knn_accuracy": latent_knn_accuracy(twins[0].encode(x_train), y_train, codes[0], y_test),
        "history": {engine: history.epochs for engine, history in run.histories.items()},
    }
    files = draw(run, twins, x_test, y_test, codes, config.section_dir("autoencoder"), settings)
    return SectionResult(format_autoencoder(numbers), files, numbers)


def train_pair(twins, x_train, x_test, settings, config):
    """Both engines' autoencoders trained with Adam on the same batches, test MSE per epoch."""
    numpy_model, torch_model = twins
    return train_twins(
        numpy_model,
        torch_model,
        optim.Adam(numpy_model.parameters(), lr=settings["lr"]),
        torch.optim.Adam(torch_model.parameters(), lr=settings["lr"]),
        (x_train,),
        desc="autoencoder",
        epochs=settings["epochs"],
        batch_size=settings["batch_size"],
        seed=config.seed,
        evaluate=lambda model: {"test_mse": test_mse(model, x_test)},
        progress=config.progress,
    )


def section_rows(split, settings):
    """The split's ((x_train, y_train), (x_test, y_test)), cut to the quick run's rows if it sets them."""
    train, test = slice(settings.get("train_rows")), slice(settings.get("test_rows"))
    return (split.x_train[train], split.y_train[train]), (split.x_test[test], split.y_test[test])


def test_mse(model, x):
    """The reconstruction MSE of ``x`` under a model of either engine."""
    return float(engine_call(model, lambda x: model.loss((x,)), x))


def draw(run, twins, x_test, y_test, codes, out_dir, settings):
    """The section's figures: {name: path}."""
    reconstructions = [engine_call(model, model.reconstruct, x_test) for model in twins]
    sizes = "-".join(str(s) for s in twins[0].sizes)
    return {
        "reconstructions": plot_reconstructions(
            x_test, *reconstructions, out_dir / "autoencoder_reconstructions.png"
        ),
        "latent": plot_latent(codes[0], y_test, out_dir / "autoencoder_latent.png", codes[1]),
        "loss_curves": plots.loss_curves(
            {"autoencoder": run},
            out_dir / "autoencoder_loss_curves.png",
            f"autoencoder {sizes}, Adam, batch {settings['batch_size']}",
        ),
    }


def format_autoencoder(result):
    """A few lines for the main job's printout."""
    mse = result["test_mse"]
    sizes = "-".join(str(s) for s in result["sizes"])
    return "\n".join(
        [
            f"autoencoder {sizes} ({result['dtype']}, Adam lr {result['lr']:g}, batch {result['batch_size']}, "
            f"{result['epochs']} epochs, {result['n_train']} train / {result['n_test']} test rows)",
            f"  reconstruction test MSE   numpy {mse['numpy']:.6f}   torch {mse['torch']:.6f}   "
            f"|difference| {result['test_mse_difference']:.2e}",
            f"  largest NumPy-vs-torch gap: step loss {result['max_step_loss_difference']:.2e}, "
            f"weight {result['max_weight_difference']:.2e}, latent code {result['max_latent_difference']:.2e}",
            f"  digits in the {result['sizes'][-1]}-D latent space: 5-nearest-neighbour test accuracy "
            f"{result['latent_knn_accuracy']:.1%} (chance 10 %)",
        ]
    )


def latent_knn_accuracy(train_codes, y_train, test_codes, y_test, k=5):
    """How well the latent codes cluster by digit (labels unseen in training): accuracy of a
    k-nearest-neighbour classifier fitted on the training codes."""
    from sklearn.neighbors import KNeighborsClassifier

    knn = KNeighborsClassifier(n_neighbors=min(k, len(train_codes))).fit(train_codes, y_train)
    return float(knn.score(test_codes, y_test))


def plot_reconstructions(originals, numpy_reconstructions, torch_reconstructions, path, n=10):
    """Rows: originals, NumPy reconstructions, torch reconstructions; one column per test image."""
    rows = [("original", originals), ("numpy", numpy_reconstructions), ("torch", torch_reconstructions)]
    n = min(n, len(originals))
    fig, axes = plots.figure(len(rows), n, size=(1.1, 1.2))
    for r, (label, images) in enumerate(rows):
        for c in range(n):
            axes[r, c].imshow(_as_image(images[c]), cmap="gray", vmin=0, vmax=1)
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
        axes[r, 0].set_ylabel(label)
    fig.suptitle("autoencoder: test images and their reconstructions")
    return plots.save(fig, path)


def plot_latent(codes, labels, path, torch_codes=None, max_points=5000):
    """The first two latent dimensions of the test images, coloured by digit."""
    codes, labels = codes[:max_points], np.asarray(labels)[:max_points]
    fig, axes = plots.figure(size=(7.0, 6.0))
    ax = axes[0, 0]
    second = codes[:, 1] if codes.shape[1] > 1 else np.zeros(len(codes))
    scatter = ax.scatter(codes[:, 0], second, c=labels, cmap="tab10", s=5, alpha=0.7, vmin=-0.5, vmax=9.5)
    fig.colorbar(scatter, ax=ax, ticks=range(10), label="digit")
    title = "autoencoder latent codes of the test images (NumPy engine)"
    if torch_codes is not None:
        title += f"\ntorch's codes differ by at most {np.abs(codes - torch_codes[:max_points]).max():.1e}"
    ax.set_title(title)
    ax.set_xlabel("latent 1")
    ax.set_ylabel("latent 2" if codes.shape[1] > 1 else "")
    return plots.save(fig, path)


def _as_image(row):
    side = math.isqrt(row.size)
    if side * side != row.size:
        return row.reshape(1, -1)
    return np.clip(row.reshape(side, side), 0, 1)
