"""NaN and inf behave in NumPy exactly as in torch: op by op (the activations, softmax
cross-entropy, BCE with logits, MSE, the SGNS loss), forward values and backward gradients, NaN
where torch gives NaN and equal values elsewhere; every model with NaN/inf weights; and input that
is finite only before the cast to the model's dtype (1e39 into float32), refused by ``validate``
in both engines and NaN in both unchecked forwards."""

import numpy as np
import pytest
import torch
from poison import put_weights

import numpy_impl
import numpy_impl.skipgram as numpy_skipgram
import torch_impl
import torch_impl.skipgram as torch_skipgram
from numpy_impl import InputError
from numpy_impl import ops as numpy_ops
from torch_impl import ops as torch_ops

NAN, INF = np.nan, np.inf
SPECIAL = [NAN, INF, -INF, 1e39, -1e39, 0.0, -0.0, 1.0, -1.0, 30.0, -30.0, 1000.0, -1000.0]
DTYPES = [np.float32, np.float64]
TOLERANCE = {
    np.dtype(np.float32): {"rtol": 1e-5, "atol": 1e-6},
    np.dtype(np.float64): {"rtol": 1e-12, "atol": 1e-15},
}


def array(values, dtype):
    with np.errstate(over="ignore"):  # 1e39 is inf in float32, as torch casts it
        return np.array(values, dtype=np.float64).astype(dtype)


def assert_same(numpy_value, torch_value, what):
    """NaN exactly where torch has NaN, the same infinities, equal values elsewhere."""
    ours = np.asarray(numpy_value)
    theirs = (
        torch_value.detach().numpy() if isinstance(torch_value, torch.Tensor) else np.asarray(torch_value)
    )
    assert ours.shape == theirs.shape, what
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs), err_msg=f"{what}: NaN positions")
    np.testing.assert_allclose(ours, theirs, **TOLERANCE[theirs.dtype], err_msg=what)


def torch_forward_backward(op, inputs, dout=None):
    """op(*inputs) in torch and the gradient of <dout, out> with respect to the first input."""
    leaf = torch.from_numpy(inputs[0].copy()).requires_grad_()
    out = op(leaf, *(torch.from_numpy(a) for a in inputs[1:]))
    out.backward(torch.ones_like(out) if dout is None else torch.from_numpy(dout))
    return out, leaf.grad


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(numpy_ops.ACTIVATIONS))
def test_activations_forward_and_backward(name, dtype):
    z = array(SPECIAL, dtype)
    for dh in (np.ones_like(z), array(SPECIAL[::-1], dtype)):  # a NaN/inf gradient arriving too
        with np.errstate(all="ignore"):
            h, backward = numpy_ops.ACTIVATIONS[name](z)
            dz = backward(dh)[0]
        torch_h, torch_dz = torch_forward_backward(torch_ops.ACTIVATIONS[name], (z,), dh)
        assert_same(h, torch_h, f"{name}({z})")
        assert_same(dz, torch_dz, f"d{name} with dh = {dh}")


def special_logit_rows(n_classes):
    """One row per special value per column, the other logits ordinary."""
    rows = []
    for value in SPECIAL:
        for column in range(n_classes):
            row = [0.5, -1.0, 2.0][:n_classes]
            row[column] = value
            rows.append(row)
    return rows + [[INF] * n_classes, [-INF] * n_classes, [INF, -INF, 0.0][:n_classes]]


def loss_cases(dtype):
    """(what, numpy op, torch op, prediction, other input), every row alone and as one batch."""
    softmax_rows, binary_rows = array(special_logit_rows(3), dtype), array(SPECIAL, dtype)[:, None]
    cases = []
    for label in (0, 2):
        y = np.full(len(softmax_rows), label)
        cases += [("softmax CE", softmax_rows[i : i + 1], y[:1]) for i in range(len(softmax_rows))]
        cases.append(("softmax CE", softmax_rows, y))
    for label in (0, 1):
        y = np.full(len(binary_rows), label)
        cases += [("BCE", binary_rows[i : i + 1], y[:1]) for i in range(len(binary_rows))]
        cases.append(("BCE", binary_rows, y))
    grid = array(np.array(np.meshgrid(SPECIAL, SPECIAL)).reshape(2, -1), dtype)
    cases += [("MSE", grid[0][i : i + 1, None], grid[1][i : i + 1, None]) for i in range(grid.shape[1])]
    cases.append(("MSE", grid[0].reshape(13, 13), grid[1].reshape(13, 13)))
    return cases


OPS = {
    "softmax CE": (numpy_ops.classification_loss, torch_ops.classification_loss),
    "BCE": (numpy_ops.classification_loss, torch_ops.classification_loss),
    "MSE": (numpy_ops.mean_squared_error, torch_ops.mean_squared_error),
}


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_losses_forward_and_backward(dtype, reduction):
    for what, prediction, other in loss_cases(dtype):
        numpy_op, torch_op = OPS[what]
        with np.errstate(all="ignore"):
            loss, backward = numpy_op(prediction, other, reduction)
            (dprediction,) = backward()
        torch_loss, torch_dprediction = torch_forward_backward(
            lambda p, o, op=torch_op: op(p, o, reduction), (prediction, other)
        )
        assert_same(loss, torch_loss, f"{what}({prediction.tolist()}, {other.tolist()})")
        assert_same(dprediction, torch_dprediction, f"d {what}({prediction.tolist()}, {other.tolist()})")


@pytest.mark.parametrize("dtype", DTYPES)
def test_negative_sampling_loss_forward_and_backward(dtype):
    special = array(SPECIAL, dtype)
    scores = np.stack([np.roll(special, shift)[:3] for shift in range(len(special))])  # (13, 1 + K)
    dloss = np.ones(len(scores), dtype)
    with np.errstate(all="ignore"):
        per_pair, backward = numpy_skipgram.negative_sampling_loss(scores)
        (dscores,) = backward(dloss)
    torch_per_pair, torch_dscores = torch_forward_backward(torch_skipgram.negative_sampling_loss, (scores,))
    assert_same(per_pair, torch_per_pair, "SGNS loss")
    assert_same(dscores, torch_dscores, "d SGNS loss")


# --- models ---------------------------------------------------------------------------------------

MODELS = {
    "LinearClassifier": ((6, 4), lambda rng: (rng.normal(size=(5, 6)), rng.integers(0, 4, 5))),
    "MLP": (((6, 5, 4),), lambda rng: (rng.normal(size=(5, 6)), rng.integers(0, 4, 5))),
    "Autoencoder": (((6, 5, 2),), lambda rng: (rng.normal(size=(5, 6)),)),
    "SkipGram": (
        (7, 3),
        lambda rng: (rng.integers(0, 7, 5), rng.integers(0, 7, 5), rng.integers(0, 7, (5, 2))),
    ),
}


def twins(model, dtype=np.float64):
    args, make_batch = MODELS[model]
    numpy_model = getattr(numpy_impl, model)(*args, seed=1, dtype=dtype)
    torch_model = getattr(torch_impl, model)(*args, seed=1, dtype=dtype)
    return numpy_model, torch_model, make_batch(np.random.default_rng(2))


def torch_loss_and_grads(torch_model, state, batch):
    put_weights(torch_model, state)
    torch_model.zero_grad(set_to_none=True)
    loss = torch_model.loss(batch)
    loss.backward()
    return loss, {n: p.grad.to_dense() for n, p in torch_model.named_parameters()}


def poisoned(state, value, where):
    """The state with ``value`` written into one entry of its first or of every parameter."""
    state = {k: v.copy() for k, v in state.items()}
    for name in list(state)[:1] if where == "one entry" else state:
        state[name].reshape(-1)[1] = value
    return state


@pytest.mark.parametrize("where", ["one entry", "every parameter"])
@pytest.mark.parametrize("value", [NAN, INF, -INF])
@pytest.mark.parametrize("model", MODELS)
def test_nonfinite_weights_give_the_same_loss_and_gradients(model, value, where):
    numpy_model, torch_model, batch = twins(model)
    state = poisoned(numpy_model.state_dict(), value, where)
    if model == "SkipGram":  # the output table starts at zero; give the poisoned row a part to play
        state["input_vectors.weight"][batch[0][0], 1] = value
    put_weights(numpy_model, state)
    with np.errstate(all="ignore"):
        loss, grads = numpy_model.loss_and_grads(batch)
    torch_loss, torch_grads = torch_loss_and_grads(torch_model, state, batch)
    assert_same(loss, torch_loss, f"{model} loss")
    for name, grad in grads.items():
        assert_same(grad, torch_grads[name], f"{model} d{name}")


@pytest.mark.parametrize("model", ["LinearClassifier", "MLP", "Autoencoder"])
def test_nan_weights_make_the_loss_nan(model):
    """Where an engine turned NaN into 0 (a ReLU written with np.where), the loss came out finite."""
    numpy_model, torch_model, batch = twins(model)
    state = poisoned(numpy_model.state_dict(), NAN, "one entry")
    put_weights(numpy_model, state)
    with np.errstate(all="ignore"):
        assert np.isnan(numpy_model.loss(batch))
    assert torch.isnan(torch_loss_and_grads(torch_model, state, batch)[0])


def with_x(batch, value):
    x = batch[0].copy()
    x[1, 2] = value
    return (x, *batch[1:])


@pytest.mark.parametrize("value", [1e39, -1e39, NAN, INF])
@pytest.mark.parametrize("model", ["LinearClassifier", "MLP", "Autoencoder"])
def test_input_not_finite_in_the_models_dtype_is_refused_by_validate(model, value):
    numpy_model, torch_model, batch = twins(model, np.float32)
    bad = with_x(batch, value)  # float64 x: 1e39 is finite there, inf in the float32 model
    for call in (numpy_model.validate, numpy_model.loss, numpy_model.loss_and_grads, torch_model.validate):
        with pytest.raises(InputError, match=r"x has 1 NaN/inf value\(s\); the first is at index \(1, 2\)"):
            call(bad)
    with np.errstate(all="ignore"):  # the unchecked forwards: NaN in both engines
        loss, _ = numpy_model.loss_and_backward(bad)
    assert np.isnan(loss)
    assert_same(loss, torch_model.loss(bad), f"{model} loss at x = {value}")


@pytest.mark.parametrize("model", ["LinearClassifier", "MLP", "Autoencoder"])
def test_finite_float64_input_passes_validate_in_a_float64_model(model):
    numpy_model, torch_model, batch = twins(model, np.float64)
    good = with_x(batch, 1e39)
    for validated in (numpy_model.validate(good), torch_model.validate(good)):
        assert float(validated[0][1, 2]) == 1e39
