"""Datasets as plain arrays that both engines consume: x float64 (N, D), y int64 (N,)."""

import socket
from pathlib import Path

import numpy as np

from .checks import InputError, real
from .checks import seed as check_seed
from .idx import load_idx_directory


def load_digits():
    """scikit-learn's bundled 8x8 digits (1,797 images), pixels scaled from [0, 16] to [0, 1]."""
    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    return digits.data / 16.0, digits.target.astype(np.int64)


def load_mnist_idx(directory):
    """MNIST from a directory of IDX files (``../shared/data/mnist`` holds the 10,000 test images)."""
    return load_idx_directory(directory)


def fetch_mnist(cache_dir=None, *, timeout=60.0):
    """Full MNIST (70,000 images) through scikit-learn's ``fetch_openml``, cached in ``cache_dir``.

    ``timeout`` bounds each network read: scikit-learn's own ``urlopen`` has none and would wait
    forever on a network that drops packets.
    """
    from sklearn.datasets import fetch_openml

    cache_dir = Path(cache_dir).expanduser() if cache_dir else None
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        bunch = fetch_openml("mnist_784", version=1, data_home=cache_dir, as_frame=False, parser="liac-arff")
    except OSError as err:  # URLError and friends: offline and not in the cache
        raise ConnectionError(
            f"could not download mnist_784 from OpenML and it is not cached in {cache_dir or '~/scikit_learn_data'}: {err}"
        ) from err
    finally:
        socket.setdefaulttimeout(previous)
    return np.asarray(bunch.data, dtype=np.float64) / 255.0, bunch.target.astype(np.int64)


def make_xor():
    """The four XOR points (00->0, 01->1, 10->1, 11->0)."""
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return x, np.array([0, 1, 1, 0], dtype=np.int64)


def shuffle_split(x, y, *, test_fraction=0.2, seed=42):
    """Shuffle with ``default_rng(seed)`` and cut: the first (1 - test_fraction) train, the rest test."""
    if len(x) != len(y):
        raise InputError(f"x has {len(x)} rows but y has {len(y)}")
    if not 0 < real(test_fraction, "test_fraction") < 1:
        raise InputError(f"test_fraction must be in (0, 1); got {test_fraction}")
    order = np.random.default_rng(check_seed(seed, "split_seed")).permutation(len(x))
    n_train = len(x) - int(round(len(x) * test_fraction))
    if n_train < 1 or n_train == len(x):
        raise InputError(
            f"test_fraction={test_fraction} of {len(x)} rows leaves {n_train} to train and "
            f"{len(x) - n_train} to test; both need at least one"
        )
    train, test = order[:n_train], order[n_train:]
    return (x[train], y[train]), (x[test], y[test])


def batches(n, batch_size, rng=None):
    """Index arrays of consecutive mini-batches over ``n`` rows, shuffled when ``rng`` is given."""
    order = rng.permutation(n) if rng is not None else np.arange(n)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]
