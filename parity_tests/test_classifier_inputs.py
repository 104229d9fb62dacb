"""Bad input gets a clear InputError naming the problem, in both engines, before any arithmetic:
in ``validate`` (NumPy's ``loss``/``loss_and_grads`` call it) every problem; in the torch twins'
``loss``, which reads no tensor value, those that shapes and dtypes show."""

import re

import numpy as np
import pytest
import torch

import numpy_impl
import torch_impl
from numpy_impl import InputError, StateDictError

MODELS = [("linear", (6, 4)), ("mlp", (6, 5, 4)), ("mlp", (6, 5, 1))]


def make(engine, kind, sizes):
    package = numpy_impl if engine == "numpy" else torch_impl
    if kind == "linear":
        return package.LinearClassifier(*sizes, dtype=np.float64)
    return package.MLP(sizes, "relu", dtype=np.float64)


def good_batch(sizes, n=5):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, sizes[0])), rng.integers(0, max(sizes[-1], 2), size=n)


def bad_batches(sizes):
    x, y = good_batch(sizes)
    n_classes = max(sizes[-1], 2)
    nan_x = x.copy()
    nan_x[2, 3] = np.nan
    return {
        "wrong feature count": (
            (x[:, :-1], y),
            f"has {sizes[0] - 1} features per row; the model expects {sizes[0]}",
        ),
        "label out of range": (
            (x, np.where(np.arange(5) == 1, n_classes, y)),
            rf"labels in \[\d+, {n_classes}\]; the model has {n_classes} classes",
        ),
        "negative label": ((x, np.where(np.arange(5) == 1, -1, y)), r"labels in \[-1, "),
        "NaN in x": ((nan_x, y), r"1 NaN/inf value\(s\); the first is at index \(2, 3\)"),
        "float labels": ((x, y.astype(np.float64)), "integer class ids"),
        "empty batch": ((x[:0], y[:0]), "empty batch"),
        "labels of another length": ((x, y[:3]), r"shape \(5,\)"),
        "not a tuple": (x, r"a batch is a tuple \(x, y\)"),
    }


CASES = [(kind, sizes, problem) for kind, sizes in MODELS for problem in bad_batches(sizes)]
VALUE_PROBLEMS = {"label out of range", "negative label", "NaN in x"}  # seen only by reading values


def entry_points(engine, model, problem):
    """The calls that must refuse the batch: ``validate`` always, and the loss entry points."""
    if engine == "numpy":
        return [model.validate, model.loss, model.loss_and_grads]
    return [model.validate] + ([] if problem in VALUE_PROBLEMS else [model.loss])


@pytest.mark.parametrize("as_tensors", [False, True])
@pytest.mark.parametrize("engine", ["numpy", "torch"])
@pytest.mark.parametrize("kind, sizes, problem", CASES)
def test_bad_batch_is_named(kind, sizes, problem, engine, as_tensors):
    batch, message = bad_batches(sizes)[problem]
    if as_tensors:
        batch = (
            tuple(torch.from_numpy(a) for a in batch) if isinstance(batch, tuple) else torch.from_numpy(batch)
        )
    model = make(engine, kind, sizes)
    for call in entry_points(engine, model, problem):
        with pytest.raises(InputError, match=message):
            call(batch)


@pytest.mark.parametrize("engine", ["numpy", "torch"])
@pytest.mark.parametrize("kind, sizes", MODELS)
def test_wrong_shape_state_dict_is_named(kind, sizes, engine):
    model = make(engine, kind, sizes)
    state = make("numpy", kind, sizes).state_dict()
    weight = list(state)[0]
    state[weight] = state[weight].T
    load = (
        model.load_state_dict if engine == "numpy" else lambda s: torch_impl.load_numpy_state_dict(model, s)
    )
    expected = f"wrong shapes: {weight}: expected {state[weight].T.shape}, got {state[weight].shape}"
    with pytest.raises(StateDictError, match=re.escape(expected)):
        load(state)


@pytest.mark.parametrize("label_dtype", [np.int64, np.int32, np.int16, np.uint8])
@pytest.mark.parametrize("kind, sizes", MODELS)
def test_any_integer_label_dtype_works_in_both_engines(kind, sizes, label_dtype):
    x, y = good_batch(sizes)
    y = y.astype(label_dtype)
    numpy_loss = make("numpy", kind, sizes).loss((x, y))
    torch_loss = float(make("torch", kind, sizes).loss((x, y)).detach())
    assert numpy_loss == pytest.approx(torch_loss, rel=1e-12)
