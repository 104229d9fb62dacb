"""One state dict, two engines: same-seed initialisation is bit-identical, state dicts survive
NumPy -> torch -> NumPy and a safetensors file unchanged, and a state dict that does not fit names
every missing, unexpected and mis-shaped key."""

import numpy as np
import pytest
import torch

import numpy_impl
import torch_impl
from numpy_impl import InputError, StateDictError

MODELS = [
    ("linear", (784, 10)),
    ("linear", (13, 1)),
    ("mlp", (784, 128, 10)),
    ("mlp", (13, 11, 11, 5)),
    ("mlp", (13, 11, 1)),
]


def make(engine, kind, sizes, dtype, seed=0):
    package = numpy_impl if engine == "numpy" else torch_impl
    if kind == "linear":
        return package.LinearClassifier(*sizes, seed=seed, dtype=dtype)
    return package.MLP(sizes, "relu", seed=seed, dtype=dtype)


def assert_bitwise_equal(a, b):
    assert sorted(a) == sorted(b)  # safetensors files keep no key order
    for name in a:
        x, y = np.asarray(a[name]), np.asarray(b[name])
        assert x.dtype == y.dtype and x.shape == y.shape, name
        assert x.tobytes() == y.tobytes(), f"{name} differs"


@pytest.mark.parametrize("seed", [0, 7])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind, sizes", MODELS)
def test_same_seed_gives_bit_identical_parameters(kind, sizes, dtype, seed):
    numpy_state = make("numpy", kind, sizes, dtype, seed).state_dict()
    torch_state = torch_impl.to_numpy_state_dict(make("torch", kind, sizes, dtype, seed).state_dict())
    assert list(numpy_state) == list(torch_state)  # same names in the same order
    assert_bitwise_equal(numpy_state, torch_state)
    other = make("numpy", kind, sizes, dtype, seed + 1).state_dict()
    weight = list(numpy_state)[0]
    assert not np.array_equal(numpy_state[weight], other[weight])  # the seed matters


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind, sizes", MODELS)
def test_round_trip_numpy_torch_numpy(kind, sizes, dtype, rng):
    source = make("numpy", kind, sizes, dtype)
    state = {k: (v + rng.normal(size=v.shape)).astype(dtype) for k, v in source.state_dict().items()}
    twin = make("torch", kind, sizes, dtype, seed=5)
    twin.load_state_dict(torch_impl.to_torch_state_dict(state))  # torch's own loader accepts it as is
    back = torch_impl.to_numpy_state_dict(twin.state_dict())
    assert_bitwise_equal(state, back)
    target = make("numpy", kind, sizes, dtype, seed=6)
    target.load_state_dict(back)
    assert_bitwise_equal(state, target.state_dict())


@pytest.mark.parametrize("kind, sizes", MODELS)
def test_round_trip_through_safetensors(kind, sizes, tmp_path, rng):
    numpy_model = make("numpy", kind, sizes, np.float64)
    numpy_model.load_state_dict(
        {k: v + rng.normal(size=v.shape) for k, v in numpy_model.state_dict().items()}
    )
    path = tmp_path / "model.safetensors"
    torch_impl.save_state_dict(numpy_model.state_dict(), path)
    loaded = torch_impl.load_state_dict(path)
    assert_bitwise_equal(numpy_model.state_dict(), loaded)

    twin = make("torch", kind, sizes, np.float64, seed=3)
    torch_impl.load_numpy_state_dict(twin, loaded)
    torch_impl.save_state_dict(
        twin.state_dict(), tmp_path / "from_torch.safetensors"
    )  # a torch state dict too
    again = make("numpy", kind, sizes, np.float64, seed=4)
    again.load_state_dict(torch_impl.load_state_dict(tmp_path / "from_torch.safetensors"))
    assert_bitwise_equal(numpy_model.state_dict(), again.state_dict())

    x = rng.normal(size=(5, sizes[0]))
    y = rng.integers(0, max(sizes[-1], 2), size=5)
    assert again.loss((x, y)) == pytest.approx(float(twin.loss((x, y)).detach()), rel=1e-12)


def numpy_state(model):
    state = model.state_dict()
    return torch_impl.to_numpy_state_dict(state) if isinstance(model, torch.nn.Module) else state


def bad_state(kind, sizes):
    """Drop the last key, add one, and give the first weight a wrong shape."""
    state = make("numpy", kind, sizes, np.float64).state_dict()
    names = list(state)
    del state[names[-1]]
    state["extra.weight"] = np.zeros(3)
    state[names[0]] = np.zeros((2, 2))
    return state, names


@pytest.mark.parametrize("engine", ["numpy", "torch"])
@pytest.mark.parametrize("kind, sizes", MODELS[:3])
def test_state_dict_error_lists_missing_unexpected_and_misshaped_keys(engine, kind, sizes):
    state, names = bad_state(kind, sizes)
    model = make(engine, kind, sizes, np.float64)
    before = numpy_state(model)
    load = (
        model.load_state_dict if engine == "numpy" else lambda s: torch_impl.load_numpy_state_dict(model, s)
    )
    with pytest.raises(StateDictError) as raised:
        load(state)
    message = str(raised.value)
    assert f"missing keys: {names[-1]}" in message
    assert "unexpected keys: extra.weight" in message
    assert f"{names[0]}: expected {tuple(before[names[0]].shape)}, got (2, 2)" in message
    assert isinstance(raised.value, InputError) and isinstance(raised.value, ValueError)
    assert_bitwise_equal(before, numpy_state(model))  # nothing half-loaded


def test_torch_state_dict_error_is_raised_for_tensors_too():
    model = torch_impl.MLP((4, 3, 2), seed=0, dtype=np.float64)
    state = dict(model.state_dict())
    state["layers.1.bias"] = torch.zeros(5, dtype=torch.float64)
    with pytest.raises(StateDictError, match=r"layers\.1\.bias: expected \(2,\), got \(5,\)"):
        torch_impl.load_numpy_state_dict(model, state)
