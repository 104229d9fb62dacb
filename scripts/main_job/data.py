"""The train/test split every main-job section uses: the embedded digits by default, MNIST IDX
files when given a directory; shuffled and cut 80/20 by ``numpy_impl.data.shuffle_split``."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from numpy_impl.data import load_digits, load_mnist_idx, shuffle_split


@dataclass
class Split:
    name: str  # e.g. "digits (8x8)"
    x_train: np.ndarray  # (N_train, D) float64 in [0, 1]
    y_train: np.ndarray  # (N_train,) int64
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def n_features(self):
        return self.x_train.shape[1]

    @property
    def n_classes(self):
        return int(max(self.y_train.max(), self.y_test.max())) + 1

    def describe(self):
        return f"{self.name}: {len(self.x_train):,} train / {len(self.x_test):,} test images"


def load_split(mnist=None, split_seed=42):
    """Digits, or the MNIST IDX files in directory ``mnist``; shuffled with ``split_seed`` and cut
    80/20 (the reference split is seed 42, see ``docs/main_job.md``)."""
    if mnist is None:
        x, y = load_digits()
        name = "digits (8x8, scikit-learn)"
    else:
        x, y = load_mnist_idx(Path(mnist))
        name = f"MNIST IDX ({Path(mnist)})"
    (x_train, y_train), (x_test, y_test) = shuffle_split(x, y, test_fraction=0.2, seed=split_seed)
    return Split(name, x_train, y_train, x_test, y_test)
