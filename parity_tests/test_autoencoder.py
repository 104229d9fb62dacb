"""The autoencoder pair: the parity battery (structure, loss, gradients vs autograd in float64 and
float32, finite differences), the twin contract, and clear errors for bad input."""

import numpy as np
import pytest
import torch
from autoencoder_cases import CASES, DEFAULT, TINY, pair, pixel_batch
from hypothesis import given, settings
from hypothesis import strategies as st

import numpy_impl
import torch_impl
from numpy_impl.checks import InputError
from numpy_impl.ops import ACTIVATIONS
from torch_impl.parity import check_model


@pytest.mark.parametrize("case", CASES)
def test_parity_battery(case):
    report = CASES[case]()
    assert report.ok, str(report)


def test_float64_gradients_within_1e_10_of_autograd_at_reference_sizes():
    report = CASES["default_float64"](finite_differences=None)
    assert report.ok, str(report)
    assert len(report.gradients) == 12
    worst = max(g.max_error_over_scale for g in report.gradients)
    assert worst <= 1e-10, str(report)


@pytest.mark.parametrize("case", ["tiny_after_steps_exhaustive", "square_layer_exhaustive", "batch_of_one"])
def test_finite_differences_are_conclusive_away_from_the_initial_weights(case):
    """Exhaustive finite differences must test nearly every entry, not call them all kinks."""
    report = CASES[case]()
    fd = report.finite_differences
    n_entries = sum(int(np.prod(g.shape)) for g in report.gradients)
    assert fd.mode == "exhaustive" and sum(t.n_total + t.n_inconclusive for t in fd.tensors) == n_entries
    assert fd.n_inconclusive <= 0.05 * n_entries, str(report)


def test_twins_share_names_order_shapes_and_initial_values():
    for dtype in (np.float32, np.float64):
        numpy_model, torch_model = pair(DEFAULT, dtype, seed=11)
        numpy_state = numpy_model.state_dict()
        torch_state = torch_impl.to_numpy_state_dict(torch_model.state_dict())
        assert list(numpy_state) == list(torch_state)
        assert list(numpy_state)[:2] == ["encoder.0.weight", "encoder.0.bias"]
        assert list(numpy_state)[-2:] == ["decoder.2.weight", "decoder.2.bias"]
        assert numpy_state["encoder.0.weight"].shape == (400, 784)  # torch layout (out, in)
        assert numpy_state["decoder.0.weight"].shape == (200, 2)
        assert numpy_state["decoder.2.weight"].shape == (784, 400)
        for name, value in numpy_state.items():
            assert value.dtype == dtype and torch_state[name].dtype == dtype
            assert np.array_equal(value, torch_state[name]), name


def test_initialisation_is_he_normal_with_zero_biases_and_seeded():
    state = numpy_impl.Autoencoder(DEFAULT, seed=0, dtype=np.float64).state_dict()
    for name, value in state.items():
        if name.endswith("bias"):
            assert not value.any(), name
        elif value.size > 1000:
            assert value.std() == pytest.approx(np.sqrt(2.0 / value.shape[1]), rel=0.1), name
    other = numpy_impl.Autoencoder(DEFAULT, seed=1, dtype=np.float64).state_dict()
    assert not np.array_equal(state["decoder.1.weight"], other["decoder.1.weight"])
    float32 = numpy_impl.Autoencoder(DEFAULT, seed=0, dtype=np.float32).state_dict()
    assert np.array_equal(float32["encoder.1.weight"], state["encoder.1.weight"].astype(np.float32))


def test_encode_decode_and_the_linear_latent_code():
    numpy_model, torch_model = pair(TINY, np.float64, seed=12)
    (x,) = pixel_batch(TINY[0], 40, seed=12)
    code = numpy_model.encode(x)
    assert code.shape == (40, TINY[-1])
    assert (code < 0).any(), "the latent code is linear: it must be able to go negative"
    reconstruction = numpy_model.reconstruct(x)
    assert reconstruction.shape == x.shape
    np.testing.assert_array_equal(numpy_model.decode(code), reconstruction)
    assert numpy_model.loss((x,)) == pytest.approx(float(np.mean((reconstruction - x) ** 2)), rel=1e-14)
    with torch.no_grad():
        torch_code = torch_model.encode(torch.from_numpy(x)).numpy()
        torch_reconstruction = torch_model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(torch_code, code, rtol=0, atol=1e-14)
    np.testing.assert_allclose(torch_reconstruction, reconstruction, rtol=0, atol=1e-14)


def test_state_dict_moves_between_engines_and_through_safetensors(tmp_path):
    numpy_model, torch_model = pair(TINY, np.float64, seed=13)
    batch = pixel_batch(TINY[0], 7, seed=13)
    trained = numpy_impl.Autoencoder(TINY, seed=99, dtype=np.float64).state_dict()
    torch_impl.save_state_dict(trained, tmp_path / "ae.safetensors")
    torch_impl.load_numpy_state_dict(torch_model, torch_impl.load_state_dict(tmp_path / "ae.safetensors"))
    numpy_model.load_state_dict(torch_impl.to_numpy_state_dict(torch_model.state_dict()))
    for name, value in trained.items():
        assert np.array_equal(numpy_model.state_dict()[name], value)
    assert numpy_model.loss(batch) == pytest.approx(torch_model.loss(batch).item(), rel=1e-14)


def test_wrong_state_dict_lists_the_problems():
    model = numpy_impl.Autoencoder(TINY, dtype=np.float64)
    state = model.state_dict()
    state["decoder.1.weight"] = np.zeros((5, 11))
    del state["encoder.2.bias"]
    with pytest.raises(
        InputError, match=r"missing keys: encoder.2.bias .*decoder.1.weight: expected \(11, 5\)"
    ):
        model.load_state_dict(state)


NAN_MESSAGE = r"1 NaN/inf value\(s\)"  # found by reading values: validate's part, not torch's loss
BAD_BATCHES = [
    (lambda x: x, r"a batch is a tuple \(x\)"),
    (lambda x: (x, np.zeros(len(x), dtype=np.int64)), r"a batch is a tuple \(x\)"),
    (lambda x: (x[:, :5],), "x has 5 features per row; the model expects 13"),
    (lambda x: (x[:0],), "empty batch"),
    (lambda x: (x[0],), "x must be 2-D"),
    (lambda x: ((x * 4).astype(np.int64),), "x must hold floats"),
    (lambda x: (np.where(np.arange(x.size).reshape(x.shape) == 20, np.nan, x),), NAN_MESSAGE),
]


@pytest.mark.parametrize(("make", "message"), BAD_BATCHES)
def test_bad_batches_give_the_same_clear_error_in_both_engines(make, message):
    numpy_model, torch_model = pair(TINY, np.float64)
    batch = make(pixel_batch(TINY[0], 7)[0])
    torch_batch = (
        tuple(torch.from_numpy(a) for a in batch) if isinstance(batch, tuple) else torch.from_numpy(batch)
    )
    calls = [numpy_model.validate, numpy_model.loss, numpy_model.loss_and_grads, torch_model.validate]
    for call, argument in [*((c, batch) for c in calls), (torch_model.validate, torch_batch)]:
        with pytest.raises(InputError, match=message):
            call(argument)
    if message != NAN_MESSAGE:
        with pytest.raises(InputError, match=message):
            torch_model.loss(torch_batch)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sizes": (13,)}, "sizes must be a sequence of at least 2 positive integers"),
        ({"sizes": (13, 0, 2)}, r"sizes\[1\] must be an integer >= 1"),
        ({"sizes": (13, 11, 2), "activation": "softplus"}, "activation must be one of"),
        ({"sizes": (13, 11, 2), "dtype": np.int32}, "dtype must be float32 or float64"),
    ],
)
def test_bad_constructor_arguments(kwargs, message):
    for package in (numpy_impl, torch_impl):
        with pytest.raises(InputError, match=message):
            package.Autoencoder(**kwargs)


def test_float32_model_casts_float64_input_and_keeps_its_dtype():
    numpy_model, torch_model = pair(TINY, np.float32, seed=14)
    batch = pixel_batch(TINY[0], 7, seed=14, dtype=np.float64)
    report = check_model(numpy_model, torch_model, batch)
    assert report.ok, str(report)
    _, grads = numpy_model.loss_and_grads(batch)
    assert all(g.dtype == np.float32 for g in grads.values())


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 9), min_size=2, max_size=4),
    activation=st.sampled_from(list(ACTIVATIONS)),
    n=st.integers(1, 6),
    seed=st.integers(0, 2**16),
)
def test_any_shape_activation_and_seed(sizes, activation, n, seed):
    numpy_model, torch_model = pair(tuple(sizes), np.float64, activation=activation, seed=seed)
    batch = pixel_batch(sizes[0], n, seed=seed)
    report = check_model(numpy_model, torch_model, batch, finite_differences="sampled", fd_entries=4)
    assert report.ok, str(report)
