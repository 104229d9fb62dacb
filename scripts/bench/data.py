"""The benchmark's images: the training rows of MNIST (its 10,000 test images split 80/20 with seed
42, as the main job does: 8,000 rows to train, 2,000 held out), or, without MNIST files, the bundled
digits brought to MNIST's shape (28 x 28 by nearest-neighbour upsampling, rows repeated), so that
every model does MNIST's work; accuracies on that stand-in are the digits', and the run says so."""

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
SIDE = 28


@dataclass
class Images:
    train: tuple  # (x (N, 784) float64 in [0, 1], y (N,) int64)
    test: tuple
    source: str  # what was loaded, in words
    directory: str | None = None  # the MNIST folder, None for the digits stand-in

    def rows(self, n):
        """The first ``n`` training rows (all of them when there are fewer)."""
        x, y = self.train
        return x[:n], y[:n]


def default_mnist():
    """``PARITYNETS_MNIST``, else ``../shared/data/mnist`` beside the repository (the suite's rule)."""
    return os.environ.get("PARITYNETS_MNIST") or str(ROOT.parent / "shared" / "data" / "mnist")


def load_images(mnist=None, rows=8000):
    """``Images`` with at least ``rows`` training rows: MNIST from ``mnist`` when its IDX files are
    there, else the digits stand-in (``source`` names which, and why)."""
    from numpy_impl.data import load_digits, load_mnist_idx, shuffle_split

    directory = Path(mnist or default_mnist())
    if list(directory.glob("*idx3-ubyte*")):
        train, test = shuffle_split(*load_mnist_idx(directory), test_fraction=0.2, seed=42)
        source = f"MNIST IDX in {directory} ({len(train[0])} training rows)"
        return Images(train, test, source, str(directory))
    train, test = shuffle_split(*load_digits(), test_fraction=0.2, seed=42)
    copies = -(-rows // len(train[0]))
    train = (np.tile(upsample(train[0]), (copies, 1)), np.tile(train[1], copies))
    note = f"no MNIST IDX files in {directory}: scikit-learn's digits upsampled to 28 x 28"
    return Images(train, (upsample(test[0]), test[1]), f"{note}, training rows repeated {copies}x")


def upsample(x):
    """(N, 64) 8 x 8 images -> (N, 784) 28 x 28, each pixel the nearest source pixel's."""
    side = int(round(np.sqrt(x.shape[1])))
    source = np.arange(SIDE) * side // SIDE
    return x.reshape(-1, side, side)[:, source][:, :, source].reshape(len(x), SIDE * SIDE)
