"""The skip-gram model (SGNS) against its torch twin: the battery of ``skipgram_cases`` (loss, both
tables' gradients vs autograd in float64 and float32, finite differences; at a zero output table,
non-zero output vectors, repeated ids, negatives equal to the positive, after SGD steps, huge
scores, a batch of 1), the gradient formulas, row-sparse gradients in both engines, NaN and inf as
torch gives them, no host reads in the torch loss, the initialisations and bad input. Training is
in ``test_word2vec.py``."""

import math

import numpy as np
import pytest
import torch
from poison import put_weights
from skipgram_cases import CASES, CONFIGS, Config, case_inputs, nonzero_state, run_case, skipgram_batch
from torch.utils._python_dispatch import TorchDispatchMode

import numpy_impl.skipgram as numpy_skipgram
import numpy_impl.sparse as row_sparse
import torch_impl.skipgram as torch_skipgram
from numpy_impl.checks import InputError
from numpy_impl.skipgram import negative_sampling_loss, pair_scores
from numpy_impl.sparse import RowSparse
from torch_impl.bridge import load_numpy_state_dict
from torch_impl.parity import check_model

NAMES = ["input_vectors.weight", "output_vectors.weight"]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_parity_with_torch(case):
    report = run_case(case)
    assert report.ok, str(report)
    assert [g.name for g in report.gradients] == NAMES[::-1]
    if case.config.dtype == np.float64:  # the acceptance figure
        assert max(g.max_error_over_scale for g in report.gradients) <= 1e-10, str(report)
        if case.config.finite_differences:
            assert report.finite_differences is not None and report.finite_differences.ok


def test_battery_covers_the_points_that_catch_sgns_bugs():
    points = {case.point for case in CASES}
    assert {"init", "nonzero_output", "repeated_ids", "negative_is_positive"} <= points
    assert {c.dtype for c in CONFIGS} == {np.float32, np.float64}
    assert any(c.finite_differences == "exhaustive" for c in CONFIGS)
    assert all(c.n not in (c.vocab_size, c.dim, c.negatives) for c in CONFIGS)
    numpy_model, _, batch = case_inputs(CASES[0])
    assert not numpy_model.state_dict()["output_vectors.weight"].any()  # "init" has a zero output table
    _, grads = numpy_model.loss_and_grads(batch)
    assert not grads["input_vectors.weight"].any()  # ... where the input gradient is exactly zero


def test_loss_is_the_mean_over_pairs_of_the_sgns_formula_or_their_sum():
    model = numpy_skipgram.SkipGram(6, 3, seed=1, dtype=np.float64)
    model.load_state_dict(nonzero_state(model, np.random.default_rng(0)))
    centers, contexts, negatives = np.array([0, 4]), np.array([2, 2]), np.array([[1, 2, 5], [3, 3, 0]])
    v, u = model.state_dict()["input_vectors.weight"], model.state_dict()["output_vectors.weight"]

    def log_sigmoid(x):
        return -math.log1p(math.exp(-x))

    per_pair = [
        -log_sigmoid(u[c] @ v[w]) - sum(log_sigmoid(-(u[k] @ v[w])) for k in ks)
        for w, c, ks in zip(centers, contexts, negatives, strict=True)
    ]
    batch = (centers, contexts, negatives)
    assert model.loss(batch) == pytest.approx(sum(per_pair) / 2, rel=1e-14)
    assert model.loss(batch, reduction="sum") == pytest.approx(sum(per_pair), rel=1e-14)
    twin = torch_skipgram.SkipGram(6, 3, seed=1, dtype=np.float64)
    load_numpy_state_dict(twin, model.state_dict())
    assert twin.loss(batch, reduction="sum").item() == pytest.approx(sum(per_pair), rel=1e-14)
    _, mean_grads = model.loss_and_grads(batch)
    _, sum_grads = model.loss_and_grads(batch, reduction="sum")
    for name in NAMES:  # the sum's gradient is the batch size times the mean's
        np.testing.assert_allclose(sum_grads[name], 2 * mean_grads[name], rtol=1e-14, atol=1e-17)
    for bad in ("total", None):
        with pytest.raises(InputError, match="reduction must be one of 'mean', 'sum'"):
            model.loss(batch, reduction=bad)
        with pytest.raises(InputError, match="reduction must be one of 'mean', 'sum'"):
            twin.loss(batch, reduction=bad)


def test_gradient_formulas_per_pair():
    """dv_w = (σ(u_c·v_w) - 1)u_c + Σ_k σ(u_k·v_w)u_k; du_c = (σ(u_c·v_w) - 1)v_w; du_k = σ(u_k·v_w)v_w."""
    rng = np.random.default_rng(3)
    v, u = rng.standard_normal((1, 4)), rng.standard_normal((1, 3, 4))
    scores, scores_backward = pair_scores(v, u)
    _, loss_backward = negative_sampling_loss(scores)
    dv, du = scores_backward(loss_backward(np.ones(1))[0])
    du = np.asarray(du)  # kept as its factors (dscores, v) until a table's backward scatters it
    sig = 1 / (1 + np.exp(-(u[0] @ v[0])))
    np.testing.assert_allclose(
        dv[0], (sig[0] - 1) * u[0, 0] + sig[1] * u[0, 1] + sig[2] * u[0, 2], rtol=1e-13
    )
    np.testing.assert_allclose(du[0, 0], (sig[0] - 1) * v[0], rtol=1e-13)
    np.testing.assert_allclose(du[0, 1:], sig[1:, None] * v[0], rtol=1e-13)


@pytest.mark.parametrize("route", ["compiled kernel", "public sparse product", "non-contiguous table"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scatter_add_accumulates_repeated_ids(route, dtype, monkeypatch):
    """Both routes of the scatter-add equal np.add.at, which accumulates (W[idx] += G does not)."""
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 7, size=(40, 3))  # 120 entries over 7 rows: every id repeats
    weights, rows = rng.standard_normal((40, 3)), rng.standard_normal((40, 5))
    table = rng.standard_normal((7, 5))
    expected = table.copy()
    np.add.at(expected, ids, weights[:, :, None] * rows[:, None, :])
    if route == "public sparse product":
        monkeypatch.setattr(row_sparse, "_csc_matvecs", None)
    target = table.astype(dtype)
    if route == "non-contiguous table":
        target = np.asfortranarray(target)
    row_sparse.scatter_add(target, ids, weights.astype(dtype), rows.astype(dtype))
    np.testing.assert_allclose(target, expected, rtol=1e-5 if dtype == np.float32 else 1e-13, atol=1e-5)


def test_row_sparse_gradients_densify_and_apply_as_their_dense_array():
    rng = np.random.default_rng(1)
    ids = np.array([[3, 1], [3, 3], [0, 1]])  # id 3 three times
    weights, rows = rng.standard_normal((3, 2)), rng.standard_normal((3, 4))
    grad = RowSparse((5, 4), ids, weights, rows)
    dense = np.zeros((5, 4))
    np.add.at(dense, ids, weights[:, :, None] * rows[:, None, :])
    np.testing.assert_allclose(grad.to_dense(), dense, rtol=1e-15)
    assert (
        np.array_equal(np.asarray(grad), grad.to_dense()) and np.asarray(grad, np.float32).dtype == np.float32
    )
    assert grad.shape == (5, 4) and np.shape(grad) == (5, 4)
    table = rng.standard_normal((5, 4))
    expected = table - 0.1 * dense
    grad.add_to(table, -0.1)
    np.testing.assert_allclose(table, expected, rtol=1e-14)
    gathered = RowSparse.of_gathered((5, 4), ids, rows[[0, 0, 1, 1, 2, 2]].reshape(3, 2, 4))
    assert gathered.ids.shape == (6, 1)  # one unit-weight entry per gathered row


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sparse_gradients_equal_the_dense_ones_in_both_engines(dtype):
    """sparse=True changes how the tables' gradients are held, not their values: NumPy's RowSparse
    densifies to the dense model's gradient bit for bit, torch's sparse COO gradient to autograd's
    dense one; and each engine's sparse gradient agrees with the other's as the dense ones do."""
    config = Config(23, 6, 19, 4, dtype=dtype)
    dense, torch_dense = config.models(seed=3)
    sparse, torch_sparse = config.models(seed=3, sparse=True)
    rng = np.random.default_rng(2)
    state = nonzero_state(dense, rng)
    for model in (dense, sparse):
        model.load_state_dict(state)
    for twin in (torch_dense, torch_sparse):
        load_numpy_state_dict(twin, state)
    batch = skipgram_batch(23, 19, 4, rng, distinct_words=5)
    loss, grads = dense.loss_and_grads(batch, reduction="sum")
    sparse_loss, sparse_grads = sparse.loss_and_grads(batch, reduction="sum")
    torch_dense.loss(batch, reduction="sum").backward()
    torch_sparse.loss(batch, reduction="sum").backward()
    assert sparse_loss == loss
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    for name, parameter in torch_sparse.named_parameters():
        assert isinstance(sparse_grads[name], RowSparse) and parameter.grad.is_sparse
        assert np.array_equal(np.asarray(sparse_grads[name]), grads[name]), name
        reference = dict(torch_dense.named_parameters())[name].grad
        torch.testing.assert_close(parameter.grad.to_dense(), reference, rtol=0, atol=tolerance)
        np.testing.assert_allclose(grads[name], reference.numpy(), rtol=0, atol=tolerance)
    assert check_model(sparse, torch_dense, batch).ok  # the checker reads a RowSparse as its array
    assert check_model(dense, torch_sparse, batch).ok  # and autograd's sparse gradients as theirs


class HostReads(TorchDispatchMode):
    """Counts ``aten._local_scalar_dense``: a tensor value read on the host (a sync on a GPU)."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.count += func is torch.ops.aten._local_scalar_dense.default
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_the_torch_loss_and_its_backward_read_no_tensor_value(sparse, reduction):
    model = torch_skipgram.SkipGram(30, 8, seed=0, dtype=np.float64, sparse=sparse)
    batch = tuple(torch.from_numpy(a) for a in skipgram_batch(30, 17, 4, np.random.default_rng(0)))
    with HostReads() as reads:
        model.loss(batch, reduction).backward()
    assert reads.count == 0
    with HostReads() as reads:
        model.validate(batch)  # where the ids' range is read, once, where data enters
    assert reads.count > 0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("poison", ["nan weight", "inf weight", "huge weights", "-inf weight"])
def test_nan_and_inf_give_what_torch_gives(poison, dtype):
    """Non-finite weights or scores: the same loss and gradients as torch's, NaN where it has NaN."""
    numpy_model, torch_model = Config(9, 4, 6, 3, dtype=dtype).models()
    rng = np.random.default_rng(4)
    state = nonzero_state(numpy_model, rng)
    batch = skipgram_batch(9, 6, 3, rng)
    if poison == "huge weights":  # finite weights, scores beyond float32's range
        state = {name: value * np.asarray(1e20, dtype) for name, value in state.items()}
    else:
        value = {"nan weight": np.nan, "inf weight": np.inf, "-inf weight": -np.inf}[poison]
        state["output_vectors.weight"][batch[1][0], 0] = value
    put_weights(numpy_model, state)
    put_weights(torch_model, state)
    with np.errstate(all="ignore"):
        loss, grads = numpy_model.loss_and_grads(batch)
    torch_loss = torch_model.loss(batch)
    torch_loss.backward()
    np.testing.assert_allclose(loss, torch_loss.item(), rtol=1e-5, equal_nan=True)
    assert not math.isfinite(loss) or poison == "huge weights" and dtype == np.float64
    for name, parameter in torch_model.named_parameters():
        np.testing.assert_allclose(grads[name], parameter.grad.numpy(), rtol=1e-5, equal_nan=True)


@pytest.mark.parametrize(("init", "bound"), [("gensim", 1.0), ("word2vec", 0.5)])
def test_initialisations(init, bound):
    model = numpy_skipgram.SkipGram(500, 40, seed=3, init=init)
    twin = torch_skipgram.SkipGram(500, 40, seed=3, init=init)
    vectors = model.state_dict()["input_vectors.weight"]
    assert vectors.dtype == np.float32
    assert np.abs(vectors).max() <= bound / 40 and np.abs(vectors).max() > 0.99 * bound / 40
    assert abs(vectors.mean()) < 0.01 * bound / 40
    assert not model.state_dict()["output_vectors.weight"].any()
    for name, value in twin.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), model.state_dict()[name])
    assert not np.array_equal(numpy_skipgram.SkipGram(500, 40, seed=4).vectors, model.vectors)
    assert list(model.state_dict()) == list(twin.state_dict()) == NAMES


def test_huge_scores_do_not_overflow():
    numpy_model, _, batch = case_inputs(next(c for c in CASES if c.point == "huge_scores"))
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, grads = numpy_model.loss_and_grads(batch, reduction="sum")
    assert np.isfinite(loss) and loss > 10
    assert all(np.isfinite(g).all() for g in grads.values())


RANGE_ERRORS = [
    (
        (np.array([0, 1]), np.array([1, 2]), np.array([[3], [9]])),
        "negatives has word ids in \\[3, 9\\]; the vocabulary has 5",
    ),
    ((np.array([0, -1]), np.array([1, 2]), np.array([[3], [4]])), "centers has word ids in \\[-1, 0\\]"),
]
SHAPE_ERRORS = [
    ((np.array([0.0, 1.0]), np.array([1, 2]), np.array([[3], [4]])), "centers must hold integer word ids"),
    ((np.array([0, 1]), np.array([1, 2, 3]), np.array([[3], [4]])), "contexts must have shape \\(2,\\)"),
    ((np.array([0, 1]), np.array([1, 2]), np.array([3, 4])), "negatives must have shape \\(2, K\\)"),
    ((np.array([], dtype=int), np.array([], dtype=int), np.zeros((0, 2), int)), "non-empty"),
    ((np.array([0, 1]), np.array([1, 2])), "a batch is a tuple \\(centers, contexts, negatives\\)"),
]


@pytest.mark.parametrize(
    ("batch", "message", "metadata"), [(*e, False) for e in RANGE_ERRORS] + [(*e, True) for e in SHAPE_ERRORS]
)
def test_bad_batches_fail_with_the_same_message_in_both_engines(batch, message, metadata):
    """Where data enters: NumPy's public loss, and validate() in both engines. The torch loss
    checks what metadata tells (shapes, dtypes) and reads no id: a range error is validate's."""
    numpy_model, torch_model = numpy_skipgram.SkipGram(5, 3), torch_skipgram.SkipGram(5, 3)
    tensors = tuple(torch.from_numpy(a) for a in batch)
    for entry in (numpy_model.loss_and_grads, numpy_model.loss, numpy_model.validate, torch_model.validate):
        with pytest.raises(InputError, match=message):
            entry(batch)
    with pytest.raises(InputError, match=message):
        torch_model.validate(tensors)
    if metadata:
        with pytest.raises(InputError, match=message):
            torch_model.loss(tensors)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"vocab_size": 1, "dim": 3}, "vocab_size must be an integer >= 2; got 1"),
        ({"vocab_size": 5.0, "dim": 3}, "vocab_size must be an integer >= 2; got 5.0"),
        ({"vocab_size": True, "dim": 3}, "vocab_size must be an integer >= 2; got True"),
        ({"vocab_size": 5, "dim": 0}, "dim must be an integer >= 1; got 0"),
        ({"vocab_size": 5, "dim": 2.5}, "dim must be an integer >= 1; got 2.5"),
        ({"vocab_size": 5, "dim": None}, "dim must be an integer >= 1; got None"),
        ({"vocab_size": 5, "dim": 3, "init": "xavier"}, "init must be one of 'gensim', 'word2vec'"),
        ({"vocab_size": 5, "dim": 3, "dtype": np.int32}, "dtype must be float32 or float64"),
    ],
)
def test_bad_constructor_arguments_in_both_engines(kwargs, message):
    for engine in (numpy_skipgram, torch_skipgram):
        with pytest.raises(InputError, match=message):
            engine.SkipGram(**kwargs)
