"""MLP against its torch twin: the battery of ``classifier_cases`` (all four activations, the
binary variant, tiny all-distinct sizes with a square layer and the default 784-128-10; at init,
after SGD steps, batch of 1, huge logits, exact-zero ReLU inputs), the test points themselves,
and a hypothesis sweep over shapes, activations, dtypes and seeds."""

import numpy as np
import pytest
import torch
from classifier_cases import CASES, Config, assert_case_passes, assert_huge_logits_stay_finite
from hypothesis import given, settings
from hypothesis import strategies as st
from points import after_sgd_steps, classifier_batch, exact_zero_point

import numpy_impl
import torch_impl
from numpy_impl import ops
from torch_impl.parity import check_model

MLP_CASES = [case for case in CASES if case.config.kind == "mlp"]


@pytest.mark.parametrize("case", MLP_CASES, ids=lambda case: case.id)
def test_parity_with_torch(case):
    assert_case_passes(case)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sizes", [(13, 11, 11, 5), (784, 128, 10)])
def test_exact_zero_point_has_exact_zeros_in_both_engines(sizes, dtype):
    """The ReLU convention is only tested where a pre-activation is exactly 0 in both engines."""
    numpy_model = numpy_impl.MLP(sizes, "relu", dtype=dtype)
    state, (x, y) = exact_zero_point(numpy_model, 7, seed=2)
    numpy_model.load_state_dict(state)
    z_numpy = ops.linear(
        x, numpy_model.parameters()["layers.0.weight"], numpy_model.parameters()["layers.0.bias"]
    )[0]
    torch_model = torch_impl.MLP(sizes, "relu", dtype=dtype)
    torch_impl.load_numpy_state_dict(torch_model, state)
    with torch.no_grad():
        z_torch = torch_model.layers[0](torch.from_numpy(x)).numpy()
    assert (z_numpy == 0).sum() >= 1
    np.testing.assert_array_equal(z_numpy, z_torch)  # bit for bit: the lattice makes every sum exact
    hidden = torch.from_numpy(z_torch).requires_grad_()
    torch.relu(hidden).sum().backward()
    assert (hidden.grad.numpy()[z_torch == 0] == 0).all()  # torch's convention: relu'(0) = 0


@pytest.mark.parametrize("sizes", [(784, 128, 10), (784, 128, 1)])
def test_huge_logits_do_not_overflow(sizes):
    assert_huge_logits_stay_finite(numpy_impl.MLP(sizes, "relu", seed=3, dtype=np.float64), sizes[-1])


def test_battery_covers_what_verification_asks():
    """Every activation, the binary head, float32 and float64, a square layer, batch sizes that
    differ from every layer size, and each test point appear in the battery."""
    configs = {case.config for case in MLP_CASES}
    assert {c.activation for c in configs} == set(ops.ACTIVATIONS)
    assert any(c.sizes[-1] == 1 for c in configs) and {c.dtype for c in configs} == {np.float32, np.float64}
    assert any(a == b for c in configs for a, b in zip(c.sizes[1:-1], c.sizes[2:], strict=False))
    assert all(c.n not in c.sizes for c in configs)
    assert {case.point for case in MLP_CASES} == {
        "init",
        "after_sgd",
        "huge_logits",
        "batch_of_1",
        "exact_zero",
    }
    assert Config("mlp", (784, 128, 10), "relu", n=64, finite_differences="sampled") in configs


sizes_strategy = st.lists(st.integers(1, 8), min_size=2, max_size=4).map(tuple)


@settings(max_examples=30, deadline=None, derandomize=True, database=None)
@given(
    sizes=sizes_strategy,
    activation=st.sampled_from(list(ops.ACTIVATIONS)),
    n=st.integers(1, 8),
    dtype=st.sampled_from([np.float64, np.float32]),
    seed=st.integers(0, 2**16),
    stepped=st.booleans(),
)
def test_parity_over_shapes_activations_and_seeds(sizes, activation, n, dtype, seed, stepped):
    numpy_model = numpy_impl.MLP(sizes, activation, seed=seed, dtype=dtype)
    torch_model = torch_impl.MLP(sizes, activation, seed=seed, dtype=dtype)
    batch = classifier_batch(sizes[0], sizes[-1], n, seed=seed + 1, dtype=dtype)
    if stepped:
        numpy_model.load_state_dict(after_sgd_steps(numpy_model, batch))
    report = check_model(numpy_model, torch_model, batch, finite_differences="exhaustive")
    assert report.ok, str(report)
