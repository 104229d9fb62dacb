"""The NumPy hot path's shortcuts compute what the plain forms compute: no dx for data, the ReLU
backward as a product, the stable sigmoid and softplus without a select, the cross-entropy class
by class and its mean as np.mean's number, the optimizers' temporaries in preallocated buffers
(shared by parameters of one shape, allocating nothing per step). Speed itself is measured by
``scripts/bench``, never asserted here."""

import tracemalloc

import numpy as np
import pytest
import torch

import numpy_impl
from numpy_impl import mlp, ops, optim, skipgram

SPECIAL = np.array(
    [0.0, -0.0, 1e-8, -1e-8, 0.5, -0.5, 3.0, -3.0, 40.0, -40.0, 1e3, -1e3, np.inf, -np.inf, np.nan]
)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_without_input_grad_gives_no_dx_and_the_same_parameter_grads(dtype):
    rng = np.random.default_rng(0)
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in [(7, 5), (3, 5), (3,)])
    dz = rng.standard_normal((7, 3)).astype(dtype)
    z, backward = ops.linear(x, w, b)
    z_data, backward_data = ops.linear(x, w, b, input_grad=False)
    dx, dw, db = backward(dz)
    none, dw_data, db_data = backward_data(dz)
    assert none is None and dx.shape == x.shape
    np.testing.assert_array_equal(z_data, z)
    np.testing.assert_array_equal(dw_data, dw)
    np.testing.assert_array_equal(db_data, db)
    np.testing.assert_array_equal(z, x @ w.T + b)


def test_a_stack_on_data_skips_only_its_first_dx():
    model = numpy_impl.MLP((6, 5, 4, 3), seed=1, dtype=np.float64)
    x = np.random.default_rng(1).standard_normal((8, 6))
    dout = np.random.default_rng(2).standard_normal((8, 3))
    params = model.parameters()
    out, backward = mlp.stack_forward(params, x, 3, "relu")
    out_data, backward_data = mlp.stack_forward(params, x, 3, "relu", input_grad=False)
    (dx, grads), (none, grads_data) = backward(dout), backward_data(dout)
    assert none is None and dx.shape == x.shape
    np.testing.assert_array_equal(out_data, out)
    assert grads_data.keys() == grads.keys()
    for name in grads:
        np.testing.assert_array_equal(grads_data[name], grads[name])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_backward_is_torchs_select(dtype):
    z = np.repeat(SPECIAL, len(SPECIAL)).astype(dtype)
    dh = np.tile(SPECIAL, len(SPECIAL)).astype(dtype)
    (dz,) = ops.relu(z)[1](dh)
    assert dz.dtype == dtype
    np.testing.assert_array_equal(dz, np.where(z <= 0, 0, dh).astype(dtype))  # NaN where NaN


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_sigmoid_is_the_two_branch_formula_bit_for_bit(dtype):
    z = np.concatenate([SPECIAL, np.random.default_rng(0).standard_normal(1000) * 20]).astype(dtype)
    e = np.exp(-np.abs(z))
    with np.errstate(invalid="ignore"):
        branches = np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(dtype)
    h = ops.sigmoid(z)[0]
    assert h.dtype == dtype
    np.testing.assert_array_equal(h, branches)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softplus_is_logaddexp(dtype):
    x = np.concatenate([SPECIAL, np.random.default_rng(0).standard_normal(1000) * 20]).astype(dtype)
    with np.errstate(invalid="ignore"):
        expected = np.logaddexp(dtype(0), x)
    y = skipgram._softplus(x)
    assert y.dtype == dtype
    np.testing.assert_array_equal(np.isnan(y), np.isnan(expected))
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(y[~finite & ~np.isnan(y)], expected[~finite & ~np.isnan(expected)])
    np.testing.assert_allclose(y[finite], expected[finite], rtol=2 * np.finfo(dtype).eps, atol=0)


def _row_wise_cross_entropy(logits, y):
    """The plain form: reductions along each row, np.mean."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(y))
    dlogits = np.exp(log_probs)
    dlogits[rows, y] -= 1
    return -log_probs[rows, y].mean(), dlogits / len(y)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("classes", [2, 3, 10, 37])
def test_cross_entropy_class_by_class_is_the_row_wise_formula(dtype, classes):
    rng = np.random.default_rng(classes)
    logits = (rng.standard_normal((256, classes)) * 30).astype(dtype)
    logits[:3, 0] = [np.inf, -np.inf, np.nan]  # rows that give NaN, as torch's
    logits[3] = -np.inf
    y = rng.integers(0, classes, size=256)
    with np.errstate(invalid="ignore"):
        loss, backward = ops.softmax_cross_entropy(logits, y)
        (dlogits,) = backward()
        expected_loss, expected_dlogits = _row_wise_cross_entropy(logits, y)
        finite = slice(4, None)
        loss_of_finite_rows = ops.softmax_cross_entropy(logits[finite], y[finite])[0]
        expected_of_finite_rows = _row_wise_cross_entropy(logits[finite], y[finite])[0]
    assert dlogits.shape == logits.shape and dlogits.dtype == loss.dtype == dtype
    np.testing.assert_array_equal(loss, expected_loss)  # NaN
    # the sums of exp run in another order (down the columns, not pairwise along a row): rounding
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(loss_of_finite_rows, expected_of_finite_rows, rtol=4 * eps, atol=0)
    np.testing.assert_allclose(dlogits, expected_dlogits, rtol=4 * eps, atol=4 * eps / len(y))
    np.testing.assert_array_equal(np.isnan(dlogits), np.isnan(expected_dlogits))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [1, 7, 256, 10_000])
def test_the_mean_reduction_is_np_mean_bit_for_bit(dtype, size):
    values = (np.random.default_rng(size).standard_normal(size) * 1e3).astype(dtype)
    mean, scale = ops.reduce_loss(values, "mean")
    assert mean.dtype == dtype and scale == 1 / size
    np.testing.assert_array_equal(mean, values.mean())


def _same_shape_params(rng):
    return {name: rng.standard_normal((4, 3)) for name in ("a", "b", "c")} | {"d": rng.standard_normal(3)}


@pytest.mark.parametrize(
    "make", [lambda p: optim.Adam(p, lr=0.01, amsgrad=True), lambda p: optim.SGD(p, lr=0.1, momentum=0.9)]
)
def test_parameters_of_one_shape_share_buffers_without_mixing(make):
    """One optimizer over several same-shape parameters moves each exactly as its own optimizer would."""
    rng = np.random.default_rng(3)
    together = _same_shape_params(rng)
    alone = {name: {name: value.copy()} for name, value in together.items()}
    opt, opts = make(together), {name: make(p) for name, p in alone.items()}
    for _ in range(4):
        grads = {name: rng.standard_normal(value.shape) for name, value in together.items()}
        opt.step(grads)
        for name in together:
            opts[name].step({name: grads[name]})
    for name, value in together.items():
        np.testing.assert_array_equal(value, alone[name][name])


def test_adam_on_same_shape_parameters_follows_torch():
    rng = np.random.default_rng(4)
    params = _same_shape_params(rng)
    tensors = {name: torch.tensor(value, requires_grad=True) for name, value in params.items()}
    ours, theirs = optim.Adam(params, lr=0.01), torch.optim.Adam(tensors.values(), lr=0.01)
    for _ in range(5):
        grads = {name: rng.standard_normal(value.shape) for name, value in params.items()}
        ours.step(grads)
        for name, tensor in tensors.items():
            tensor.grad = torch.from_numpy(grads[name])
        theirs.step()
    for name, value in params.items():
        np.testing.assert_allclose(value, tensors[name].detach().numpy(), rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize(
    "make",
    [lambda p: optim.Adam(p, lr=1e-3), lambda p: optim.AdamW(p), lambda p: optim.SGD(p, lr=0.1)],
    ids=["Adam", "AdamW", "SGD"],
)
def test_a_step_allocates_nothing_the_size_of_a_parameter(make):
    param = {"w": np.zeros((500, 500), dtype=np.float32)}  # 1 MB
    grads = {"w": np.full((500, 500), 0.5, dtype=np.float32)}
    opt = make(param)
    opt.step(grads)  # the first step makes the state and the buffers,
    opt.step(grads)  # the second the buffers of the blocks (optim.BLOCK elements) after it
    tracemalloc.start()
    try:
        opt.step(grads)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < param["w"].nbytes / 4, f"a step allocated {peak} bytes at its peak"


OPTIMIZERS = {
    "sgd": lambda p: optim.SGD(p, lr=0.1),
    "sgd momentum, decay": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "sgd nesterov": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "adam amsgrad, decay": lambda p: optim.Adam(p, lr=0.01, amsgrad=True, weight_decay=0.1),
    "adamw": lambda p: optim.AdamW(p, lr=0.01),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make", list(OPTIMIZERS))
def test_updates_block_by_block_are_the_whole_updates_bit_for_bit(make, dtype, monkeypatch):
    """Blocks of 7 elements (a short last block, a parameter smaller than a block, a transposed
    one that goes whole) against one block per parameter: the same weights and buffers after
    four steps."""
    rng = np.random.default_rng(0)
    shapes = {"w": (9, 5), "b": (5,), "t": (6, 4)}
    start = {k: rng.standard_normal(s).astype(dtype) for k, s in shapes.items()}
    grads = [{k: rng.standard_normal(s).astype(dtype) for k, s in shapes.items()} for _ in range(4)]
    results = []
    for block in (7, 10**9):
        monkeypatch.setattr(optim, "BLOCK", block)
        params = {k: v.copy() for k, v in start.items()}
        params["t"] = params["t"].T.copy().T  # not C-contiguous
        opt = OPTIMIZERS[make](params)
        for g in grads:
            opt.step({k: v if k != "t" else v for k, v in g.items()})
        results.append((params, opt.state_dict()["state"]))
    (blocked, blocked_state), (whole, whole_state) = results
    for k in shapes:
        np.testing.assert_array_equal(blocked[k], whole[k])
        for buffer in whole_state[k]:
            np.testing.assert_array_equal(blocked_state[k][buffer], whole_state[k][buffer])
    assert any(whole_state[k] for k in shapes) == (make != "sgd")  # the buffers were compared
