"""The main job's autoencoder section: one seed, the same batches, Adam in both engines (NumPy's
``optim.Adam`` with ``numpy_impl.train.fit``, ``torch.optim.Adam`` with ``torch_impl.train.fit``);
reports the reconstruction test MSE of each engine and how far apart they are, and draws the
reconstructions and the 2-D latent codes."""

import math
from pathlib import Path

import numpy as np
import torch

import numpy_impl
import torch_impl
from numpy_impl import optim
from numpy_impl import train as numpy_train
from numpy_impl.checks import InputError
from torch_impl import train as torch_train

from . import plots

EPOCHS = 20  # issue 4's reference run
QUICK_EPOCHS = 2
HIDDEN = (400, 200)  # SPEC: 784 -> 400 -> 200 -> latent
QUICK_HIDDEN = (32, 16)
QUICK_ROWS = (512, 256)  # train, test rows kept by quick=True


def run_autoencoder(
    out_dir,
    seed,
    epochs,
    data,
    quick=False,
    *,
    latent=2,
    batch_size=256,
    lr=1e-3,
    dtype=np.float64,
    progress="auto",
):
    """Train the autoencoder ``(D, 400, 200, latent)`` in both engines and write its figures.

    data: ``((x_train, y_train), (x_test, y_test))``; the labels only colour the latent plot.
    quick: a smoke run (hidden sizes 32, 16; at most 512 train and 256 test rows).
    Returns a dict of results (test MSE per engine, their difference, the figure paths, ...).
    """
    (x_train, y_train), (x_test, y_test) = _check_data(data)
    hidden = HIDDEN
    if quick:
        hidden = QUICK_HIDDEN
        x_train, y_train = x_train[: QUICK_ROWS[0]], y_train[: QUICK_ROWS[0]]
        x_test, y_test = x_test[: QUICK_ROWS[1]], y_test[: QUICK_ROWS[1]]
    sizes = (x_train.shape[1], *hidden, int(latent))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    x_train, x_test = np.asarray(x_train, dtype=dtype), np.asarray(x_test, dtype=dtype)
    fit_args = {"epochs": epochs, "batch_size": batch_size, "seed": seed, "progress": progress}

    numpy_model = numpy_impl.Autoencoder(sizes, seed=seed, dtype=dtype)
    numpy_history = numpy_train.fit(
        numpy_model,
        optim.Adam(numpy_model.parameters(), lr=lr),
        (x_train,),
        evaluate=lambda m: {"test_mse": m.loss((x_test,))},
        desc="autoencoder numpy",
        **fit_args,
    )
    torch_model = torch_impl.Autoencoder(sizes, seed=seed, dtype=dtype)
    test_tensor = torch.from_numpy(x_test)
    torch_history = torch_train.fit(
        torch_model,
        torch.optim.Adam(torch_model.parameters(), lr=lr),
        (torch.from_numpy(x_train),),
        evaluate=lambda m: {"test_mse": m.loss((test_tensor,)).item()},
        desc="autoencoder torch",
        **fit_args,
    )

    with torch.no_grad():
        torch_codes = torch_model.encode(test_tensor).numpy()
        torch_reconstructions = torch_model.reconstruct(test_tensor).numpy()
        torch_mse = torch_model.loss((test_tensor,)).item()
    numpy_codes = numpy_model.encode(x_test)
    numpy_reconstructions = numpy_model.decode(numpy_codes)
    numpy_mse = numpy_model.loss((x_test,))
    latent_accuracy = latent_knn_accuracy(numpy_model.encode(x_train), y_train, numpy_codes, y_test)
    torch_state = torch_impl.to_numpy_state_dict(torch_model.state_dict())
    figures = {
        "reconstructions": plot_reconstructions(
            x_test, numpy_reconstructions, torch_reconstructions, out_dir / "autoencoder_reconstructions.png"
        ),
        "latent": plot_latent(numpy_codes, y_test, out_dir / "autoencoder_latent.png", torch_codes),
        "loss_curves": plots.loss_curves(
            {"autoencoder": {"numpy": numpy_history, "torch": torch_history}},
            out_dir / "autoencoder_loss_curves.png",
            f"autoencoder {'-'.join(map(str, sizes))}, Adam, batch {batch_size}",
        ),
    }
    return {
        "sizes": sizes,
        "epochs": int(epochs),
        "batch_size": int(batch_size),
        "lr": float(lr),
        "dtype": np.dtype(dtype).name,
        "n_train": len(x_train),
        "n_test": len(x_test),
        "test_mse": {"numpy": float(numpy_mse), "torch": torch_mse},
        "test_mse_difference": abs(float(numpy_mse) - torch_mse),
        "max_step_loss_difference": _max_gap(numpy_history.step_loss, torch_history.step_loss),
        "max_test_mse_difference_per_epoch": _max_gap(
            numpy_history.metric("test_mse"), torch_history.metric("test_mse")
        ),
        "max_weight_difference": max(
            float(np.abs(value - torch_state[name]).max()) for name, value in numpy_model.state_dict().items()
        ),
        "max_latent_difference": float(np.abs(numpy_codes - torch_codes).max()),
        "latent_knn_accuracy": latent_accuracy,
        "history": {"numpy": numpy_history.epochs, "torch": torch_history.epochs},
        "figures": {name: str(path) for name, path in figures.items()},
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
            f"  figures: {', '.join(result['figures'].values())}",
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


def _max_gap(a, b):
    return float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))


def _check_data(data):
    try:
        (x_train, y_train), (x_test, y_test) = data
    except (TypeError, ValueError) as err:
        raise InputError("data must be ((x_train, y_train), (x_test, y_test))") from err
    if x_train.ndim != 2 or x_test.ndim != 2 or x_train.shape[1] != x_test.shape[1]:
        raise InputError(
            f"x_train and x_test must be 2-D with the same columns; got {x_train.shape} and {x_test.shape}"
        )
    return (x_train, y_train), (x_test, y_test)
