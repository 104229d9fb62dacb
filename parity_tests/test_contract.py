"""One contract for the four models in both engines: the same constructor rules (one size check,
one choice check, one dtype rule: the same InputError naming the argument), the same handling of
input dtypes (floating input cast to the model's dtype, anything else refused), and the same
``reduction`` ("mean" or "sum" over the loss's items)."""

import re

import numpy as np
import pytest
import torch

import numpy_impl
import torch_impl
from numpy_impl import InputError
from numpy_impl import ops as numpy_ops
from torch_impl import ops as torch_ops

GOOD = {
    "LinearClassifier": {"n_features": 4, "n_classes": 3},
    "MLP": {"sizes": (4, 5, 3), "activation": "tanh"},
    "Autoencoder": {"sizes": (4, 5, 2), "activation": "tanh"},
    "SkipGram": {"vocab_size": 6, "dim": 3, "init": "gensim"},
}
NOT_SIZES = [12.5, 12.0, 0, -1, True, None, "12"]
BAD_DTYPES = [np.int32, "float16", torch.int64, np.complex128]


def bad_arguments():
    """(model, argument, bad value, the name the error must start with)."""
    rows = []
    for model, good in GOOD.items():
        for argument in ("n_features", "n_classes", "vocab_size", "dim"):
            if argument in good:
                rows += [(model, argument, bad, argument) for bad in NOT_SIZES]
        if "sizes" in good:
            rows += [(model, "sizes", (4, bad, 3), "sizes[1]") for bad in NOT_SIZES]
            rows += [(model, "sizes", bad, "sizes") for bad in [(4,), (), None, "43", 4]]
        for argument in ("activation", "init"):
            if argument in good:
                rows += [(model, argument, bad, argument) for bad in ["softplus", None, "RELU"]]
        rows += [(model, "dtype", bad, "dtype") for bad in BAD_DTYPES]
    return rows


def _row_param(model, argument, bad, name):
    return pytest.param(model, argument, bad, name, id=f"{model}-{argument}={bad!r}")


@pytest.mark.parametrize("package", [numpy_impl, torch_impl], ids=["numpy", "torch"])
@pytest.mark.parametrize("model, argument, bad, name", [_row_param(*row) for row in bad_arguments()])
def test_a_bad_constructor_argument_is_refused_by_name(package, model, argument, bad, name):
    with pytest.raises(InputError, match=rf"^{re.escape(name)} must "):
        getattr(package, model)(**{**GOOD[model], argument: bad})


@pytest.mark.parametrize("package", [numpy_impl, torch_impl], ids=["numpy", "torch"])
def test_the_examples_of_a_loose_contract_are_refused(package):
    with pytest.raises(InputError, match="^n_features must be an integer >= 1; got 0"):
        package.LinearClassifier(0, 3)
    with pytest.raises(InputError, match="^n_classes must be an integer >= 1; got 0"):
        package.LinearClassifier(4, n_classes=0)
    with pytest.raises(InputError, match=r"^sizes\[1\] must be an integer >= 1; got 12.5"):
        package.MLP((64, 12.5, 10))


@pytest.mark.parametrize("package", [numpy_impl, torch_impl], ids=["numpy", "torch"])
@pytest.mark.parametrize("model", GOOD)
def test_good_arguments_are_kept_as_plain_python_values(package, model):
    built = getattr(package, model)(**{**GOOD[model], "dtype": "float64"})
    for argument, value in GOOD[model].items():
        assert getattr(built, argument) == value and type(getattr(built, argument)) is type(value)


def test_both_engines_name_the_same_activations():
    assert list(numpy_ops.ACTIVATIONS) == list(torch_ops.ACTIVATIONS)


@pytest.mark.parametrize("model", ["MLP", "Autoencoder"])
def test_activations_are_looked_up_in_the_registry_at_every_call(model, monkeypatch):
    """Built with "tanh", run with the registry's "tanh" swapped for identity: both engines follow."""
    numpy_model, torch_model = pair(model, np.float64)
    x = np.random.default_rng(0).normal(size=(5, 4))
    method = "logits" if model == "MLP" else "encode"
    before = getattr(numpy_model, method)(x)
    name = GOOD[model]["activation"]
    monkeypatch.setitem(numpy_ops.ACTIVATIONS, name, numpy_ops.identity)
    monkeypatch.setitem(torch_ops.ACTIVATIONS, name, torch_ops.identity)
    swapped = getattr(numpy_model, method)(x)
    assert not np.allclose(swapped, before)
    np.testing.assert_allclose(as_numpy(getattr(torch_model, method)(x)), swapped, rtol=1e-13)


# --- input dtypes -------------------------------------------------------------------------------------

FEATURE_MAPS = [  # (model, method, input width)
    ("LinearClassifier", "logits", 4),
    ("MLP", "logits", 4),
    ("MLP", "hidden", 4),
    ("Autoencoder", "encode", 4),
    ("Autoencoder", "decode", 2),
    ("Autoencoder", "reconstruct", 4),
]


def pair(model, dtype):
    kwargs = {**GOOD[model], "seed": 3, "dtype": dtype}
    return getattr(numpy_impl, model)(**kwargs), getattr(torch_impl, model)(**kwargs)


def as_numpy(value):
    return value.detach().numpy() if isinstance(value, torch.Tensor) else value


@pytest.mark.parametrize("as_tensor", [False, True])
@pytest.mark.parametrize("input_dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("model_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("model, method, width", FEATURE_MAPS)
def test_floating_input_is_cast_to_the_models_dtype_in_both_engines(
    model, method, width, model_dtype, input_dtype, as_tensor
):
    numpy_model, torch_model = pair(model, model_dtype)
    x = np.random.default_rng(0).normal(size=(5, width)).astype(input_dtype)
    given = torch.from_numpy(x) if as_tensor else x
    expected = getattr(numpy_model, method)(x.astype(model_dtype))
    for twin in (numpy_model, torch_model):
        out = as_numpy(getattr(twin, method)(given))
        assert out.dtype == model_dtype, f"{type(twin).__module__}.{method} gave {out.dtype}"
        tolerance = {"rtol": 1e-5, "atol": 1e-6} if model_dtype == np.float32 else {"rtol": 1e-13}
        np.testing.assert_allclose(out, expected, **tolerance)


@pytest.mark.parametrize("bad_dtype", [np.int64, np.int8, np.bool_, np.complex128])
@pytest.mark.parametrize("model, method, width", FEATURE_MAPS)
def test_non_floating_input_is_refused_in_both_engines(model, method, width, bad_dtype):
    name = "code" if method == "decode" else "x"
    x = np.ones((5, width), dtype=bad_dtype)
    for twin in pair(model, np.float64):
        for given in (x, torch.from_numpy(x)):
            with pytest.raises(InputError, match=f"^{name} must hold floats; got dtype"):
                getattr(twin, method)(given)


@pytest.mark.parametrize("model, method, width", FEATURE_MAPS)
def test_input_of_the_wrong_width_is_refused_in_both_engines(model, method, width):
    for twin in pair(model, np.float64):
        with pytest.raises(InputError, match=f"has {width + 1} features per row; the model expects {width}"):
            getattr(twin, method)(np.ones((5, width + 1)))


# --- reduction ----------------------------------------------------------------------------------------


def batch_for(model, n=6):
    rng = np.random.default_rng(1)
    if model == "SkipGram":
        return rng.integers(0, 6, n), rng.integers(0, 6, n), rng.integers(0, 6, (n, 2))
    x = rng.normal(size=(n, 4))
    return (x,) if model == "Autoencoder" else (x, rng.integers(0, 3, n))


def n_items(model, batch):
    """What the mean averages over: examples, pairs, or every element of x for the MSE."""
    return batch[0].size if model == "Autoencoder" else len(batch[0])


def torch_loss_and_grads(torch_model, batch, reduction):
    torch_model.zero_grad(set_to_none=True)
    loss = torch_model.loss(batch, reduction)
    loss.backward()
    return float(loss.detach()), {n: p.grad.to_dense().numpy() for n, p in torch_model.named_parameters()}


@pytest.mark.parametrize("model", GOOD)
def test_sum_is_the_mean_times_the_number_of_items_in_both_engines(model):
    numpy_model, torch_model = pair(model, np.float64)
    numpy_model.load_state_dict({k: v + 0.1 for k, v in numpy_model.state_dict().items()})
    torch_impl.load_numpy_state_dict(torch_model, numpy_model.state_dict())
    batch, n = batch_for(model), n_items(model, batch_for(model))
    mean, mean_grads = numpy_model.loss_and_grads(batch)
    total, sum_grads = numpy_model.loss_and_grads(batch, reduction="sum")
    assert numpy_model.loss(batch, "sum") == total == pytest.approx(n * mean, rel=1e-13)
    for name, grad in mean_grads.items():
        np.testing.assert_allclose(sum_grads[name], n * grad, rtol=1e-12, atol=1e-15)
    for reduction, (loss, grads) in {"mean": (mean, mean_grads), "sum": (total, sum_grads)}.items():
        torch_loss, torch_grads = torch_loss_and_grads(torch_model, batch, reduction)
        assert torch_loss == pytest.approx(loss, rel=1e-13)
        for name, grad in grads.items():
            np.testing.assert_allclose(torch_grads[name], grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("reduction", ["none", "Mean", None, 1])
@pytest.mark.parametrize("model", GOOD)
def test_an_unknown_reduction_is_refused_in_both_engines(model, reduction):
    numpy_model, torch_model = pair(model, np.float64)
    batch = batch_for(model)
    for call in (numpy_model.loss, numpy_model.loss_and_grads, torch_model.loss):
        with pytest.raises(InputError, match="^reduction must be one of 'mean', 'sum'"):
            call(batch, reduction)
