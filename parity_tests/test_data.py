"""The shared data: digits, the MNIST IDX reader (real files and small ones written here, intact and
broken), full MNIST through scikit-learn's OpenML cache, XOR, and the seeded 80/20 split."""

import gzip
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from numpy_impl.checks import InputError
from numpy_impl.data import batches, fetch_mnist, load_digits, load_mnist_idx, make_xor, shuffle_split
from numpy_impl.idx import read_idx

ROOT = Path(__file__).resolve().parents[1]
MNIST_DIR = Path(__file__).parents[1].parent / "shared/data/mnist"


# -- digits and XOR --------------------------------------------------------------------------------


def test_digits_are_scaled_to_unit_interval():
    x, y = load_digits()
    assert x.shape == (1797, 64) and x.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    assert np.array_equal(x * 16, np.round(x * 16))  # the 17 grey levels of the original, divided by 16
    assert sorted(np.unique(y)) == list(range(10))


def test_xor_is_the_xor_table():
    x, y = make_xor()
    assert x.shape == (4, 2) and x.dtype == np.float64 and y.dtype == np.int64
    assert np.array_equal(y, np.logical_xor(x[:, 0], x[:, 1]).astype(np.int64))


# -- the seeded split ---------------------------------------------------------------------------


def test_shuffle_split_is_deterministic_80_20_and_a_partition():
    x, y = load_digits()
    (x_train, y_train), (x_test, y_test) = shuffle_split(x, y)
    assert (len(x_train), len(x_test)) == (1438, 359)  # 1797 - round(0.2 * 1797)
    (again, _), _ = shuffle_split(x, y, seed=42)
    assert np.array_equal(x_train, again)
    (other, _), _ = shuffle_split(x, y, seed=43)
    assert not np.array_equal(x_train, other)
    rows = np.arange(1797, dtype=np.float64)[:, None]  # tag each row to follow it through the split
    (train_rows, _), (test_rows, _) = shuffle_split(rows, y)
    assert np.array_equal(np.sort(np.concatenate([train_rows, test_rows])[:, 0]), rows[:, 0])
    assert np.array_equal(y[train_rows[:, 0].astype(int)], y_train)  # labels travel with their images
    (x_train, _), (x_test, _) = shuffle_split(np.zeros((10000, 1)), np.zeros(10000, dtype=np.int64))
    assert (len(x_train), len(x_test)) == (8000, 2000)


def test_shuffle_split_rejects_bad_arguments():
    x, y = make_xor()
    with pytest.raises(ValueError, match="4 rows but y has 3"):
        shuffle_split(x, y[:3])
    with pytest.raises(ValueError, match="test_fraction"):
        shuffle_split(x, y, test_fraction=1.0)


def test_batches_cover_every_row_once():
    chunks = batches(10, 4, np.random.default_rng(0))
    assert [len(c) for c in chunks] == [4, 4, 2]
    assert sorted(np.concatenate(chunks)) == list(range(10))
    assert np.array_equal(np.concatenate(batches(10, 4)), np.arange(10))


# -- IDX files -------------------------------------------------------------------------------------


def idx_bytes(array, type_code=0x08):
    header = bytes([0, 0, type_code, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.tobytes()


def write_idx(path, array, type_code=0x08):
    data = idx_bytes(array, type_code)
    if path.suffix == ".gz":
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def write_mnist_like(directory, n=5, prefix="t10k", gz=True, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    suffix = ".gz" if gz else ""
    write_idx(directory / f"{prefix}-images-idx3-ubyte{suffix}", images)
    write_idx(directory / f"{prefix}-labels-idx1-ubyte{suffix}", labels)
    return images, labels


@pytest.mark.skipif(not MNIST_DIR.is_dir(), reason=f"the shared MNIST files are not at {MNIST_DIR}")
def test_reads_the_real_mnist_test_set():
    x, y = load_mnist_idx(MNIST_DIR)
    assert x.shape == (10000, 784) and x.dtype == np.float64
    assert y.shape == (10000,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    assert np.bincount(y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]  # MNIST t10k
    assert y[:5].tolist() == [7, 2, 1, 0, 4]


@pytest.mark.parametrize("gz", [True, False])
def test_reads_small_idx_files_gzipped_or_raw(tmp_path, gz):
    images, labels = write_mnist_like(tmp_path, gz=gz)
    x, y = load_mnist_idx(tmp_path)
    assert x.shape == (5, 784) and x.dtype == np.float64
    assert np.array_equal(x, images.reshape(5, -1) / 255.0)
    assert np.array_equal(y, labels.astype(np.int64))


def test_reads_every_image_label_pair_in_a_directory(tmp_path):
    test_images, test_labels = write_mnist_like(tmp_path, n=3, prefix="t10k", seed=1)
    train_images, train_labels = write_mnist_like(tmp_path, n=4, prefix="train", gz=False, seed=2)
    x, y = load_mnist_idx(tmp_path)
    assert x.shape == (7, 784)
    assert np.array_equal(y, np.concatenate([test_labels, train_labels]))  # sorted by file name: t10k, train
    assert np.array_equal(x[3:], train_images.reshape(4, -1) / 255.0)


def test_read_idx_handles_big_endian_types(tmp_path):
    values = np.array([[1.5, -2.0], [3.25, 4.0]], dtype=">f4")
    assert np.array_equal(read_idx(write_idx(tmp_path / "f.idx", values, 0x0D)), values.astype(np.float32))
    counts = np.array([70000, -3], dtype=">i4")
    assert np.array_equal(read_idx(write_idx(tmp_path / "i.idx", counts, 0x0C)), [70000, -3])


def test_corrupt_magic_number_is_a_clear_error(tmp_path):
    write_mnist_like(tmp_path, gz=False)
    path = tmp_path / "t10k-images-idx3-ubyte"
    data = bytearray(path.read_bytes())
    data[:4] = b"\x1f\x8b\x08\x03"
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="not an IDX file: bad magic number 1f8b0803"):
        load_mnist_idx(tmp_path)


@pytest.mark.parametrize("gz", [True, False])
def test_truncated_file_is_a_clear_error(tmp_path, gz):
    write_mnist_like(tmp_path, gz=False)
    path = tmp_path / "t10k-images-idx3-ubyte"
    data = path.read_bytes()[:-100]
    if gz:
        path.unlink()
        path = path.with_name(path.name + ".gz")
        data = gzip.compress(data)
    path.write_bytes(data)
    with pytest.raises(
        InputError, match=r"truncated: shape \(5, 28, 28\) needs 3936 bytes, the file has 3836"
    ):
        load_mnist_idx(tmp_path)


def test_truncated_gzip_stream_is_a_clear_error(tmp_path):
    write_mnist_like(tmp_path, gz=True)
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(InputError, match="not a readable gzip file"):
        load_mnist_idx(tmp_path)


def test_header_cut_short_and_empty_file_are_clear_errors(tmp_path):
    path = tmp_path / "cut.idx"
    path.write_bytes(bytes([0, 0, 0x08, 3, 0, 0]))
    with pytest.raises(InputError, match="truncated: its header names 3 dimensions"):
        read_idx(path)
    path.write_bytes(b"")
    with pytest.raises(InputError, match="bad magic number"):
        read_idx(path)


def test_missing_label_file_is_a_clear_error(tmp_path):
    write_mnist_like(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="no label file 't10k-labels-idx1-ubyte"):
        load_mnist_idx(tmp_path)


def test_missing_directory_or_images_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no MNIST directory"):
        load_mnist_idx(tmp_path / "absent")
    with pytest.raises(FileNotFoundError, match="holds no"):
        load_mnist_idx(tmp_path)


def test_images_and_labels_of_different_sets_are_a_clear_error(tmp_path):
    write_mnist_like(tmp_path, n=5)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(4, dtype=np.uint8))
    with pytest.raises(InputError, match="not images and labels of one set"):
        load_mnist_idx(tmp_path)


# -- full MNIST through fetch_openml ------------------------------------------------------------

DATA_ID, FILE_ID = 554, 52667  # OpenML's ids of mnist_784 version 1


def _put(cache, openml_path, payload):
    """Store one response as scikit-learn caches it: <data_home>/openml/openml.org/<url path>.gz."""
    path = cache / "openml" / "openml.org" / (openml_path + ".gz")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(payload))


def make_openml_cache(cache, pixels, labels):
    """A scikit-learn OpenML cache holding a tiny data set named mnist_784 (same columns as the real one)."""
    n_pixels = pixels.shape[1]
    arff = "\n".join(
        ["@RELATION mnist_784", ""]
        + [f"@ATTRIBUTE pixel{i + 1} NUMERIC" for i in range(n_pixels)]
        + ["@ATTRIBUTE class {0,1,2,3,4,5,6,7,8,9}", "", "@DATA"]
        + [
            ",".join(map(str, row)) + f",{label}"
            for row, label in zip(pixels.tolist(), labels.tolist(), strict=True)
        ]
    ).encode()
    feature = {
        "is_target": "false",
        "is_ignore": "false",
        "is_row_identifier": "false",
        "number_of_missing_values": "0",
    }
    features = [
        {"index": str(i), "name": f"pixel{i + 1}", "data_type": "numeric", **feature} for i in range(n_pixels)
    ]
    features.append(
        {
            **feature,
            "index": str(n_pixels),
            "name": "class",
            "data_type": "nominal",
            "nominal_value": [str(d) for d in range(10)],
            "is_target": "true",
        }
    )
    listing = {"data": {"dataset": [{"did": DATA_ID, "name": "mnist_784", "version": 1, "status": "active"}]}}
    description = {
        "data_set_description": {
            "id": str(DATA_ID),
            "name": "mnist_784",
            "version": "1",
            "status": "active",
            "format": "ARFF",
            "file_id": str(FILE_ID),
            "url": f"https://api.openml.org/data/v1/download/{FILE_ID}/mnist_784.arff",
            "md5_checksum": hashlib.md5(arff).hexdigest(),
            "default_target_attribute": "class",
            "description": "a tiny stand-in for MNIST, written by the test suite",
        }
    }
    qualities = {"data_qualities": {"quality": [{"name": "NumberOfInstances", "value": f"{len(labels)}.0"}]}}
    api = "api/v1/json/data"
    _put(cache, f"{api}/list/data_name/mnist_784/limit/2/data_version/1", json.dumps(listing).encode())
    _put(cache, f"{api}/{DATA_ID}", json.dumps(description).encode())
    _put(cache, f"{api}/features/{DATA_ID}", json.dumps({"data_features": {"feature": features}}).encode())
    _put(cache, f"{api}/qualities/{DATA_ID}", json.dumps(qualities).encode())
    _put(cache, f"data/v1/download/{FILE_ID}/mnist_784.arff", arff)


def test_fetch_mnist_reads_a_prepared_openml_cache(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(6, 784))
    labels = np.array([5, 0, 4, 1, 9, 2])
    make_openml_cache(tmp_path, pixels, labels)
    x, y = fetch_mnist(tmp_path)
    assert x.shape == (6, 784) and x.dtype == np.float64 and y.dtype == np.int64
    assert np.array_equal(x, pixels / 255.0)
    assert np.array_equal(y, labels)


def test_fetch_mnist_offline_and_not_cached_is_a_clear_connection_error(tmp_path):
    # A real offline machine: every request goes to a proxy that refuses connections. Run in a
    # subprocess, since urllib builds its proxy settings once per process.
    code = f"from numpy_impl.data import fetch_mnist\nfetch_mnist({str(tmp_path)!r})"
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env |= {"https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9", "OMP_NUM_THREADS": "1"}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert time.monotonic() - started < 60
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "ConnectionError: could not download mnist_784 from OpenML and it is not cached in"
    )
    assert str(tmp_path) in last
