"""Learner code in every shape the checker takes (an object, loss_and_grads(params, batch), a
forward/backward pair), however it hands out its parameters (live, copies, load_state_dict,
nothing), the README's minimal protocol exactly as written, and the calling mistakes learners
make, each with an error that says what was expected and what came."""

import re
from pathlib import Path

import numpy as np
import pytest
from learner_code import (
    Copying,
    Loading,
    Minimal,
    Sealed,
    Style,
    functions,
    init_params,
    loss_and_grads_function,
    make_batch,
)

from numpy_impl.checks import InputError
from numpy_impl.gradcheck import GradientCheckError, Layout, assert_gradients, check
from torch_impl import parity

STYLE = Style()
N_PARAMS = 13 * 11 + 11 + 11 * 5 + 5


def batch():
    return make_batch(STYLE, 7, seed=1)


def shapes():
    params = init_params(STYLE)
    return {
        "forward/backward": (functions(STYLE), params),
        "loss_and_grads(params, batch)": (loss_and_grads_function(STYLE), params),
        "minimal object (live state_dict)": (Minimal(STYLE, init_params(STYLE)), None),
        "copies out, arrays as attributes": (Copying(STYLE, init_params(STYLE)), None),
        "copies out, load_state_dict in": (Loading(STYLE, init_params(STYLE)), None),
    }


@pytest.mark.parametrize("shape", list(shapes()))
def test_every_shape_of_code_is_checked_and_moved(shape):
    code, params = shapes()[shape]
    before = {k: v.copy() for k, v in (params or code.state_dict()).items()}
    report = check(code, batch(), params=params, finite_differences="exhaustive")
    assert report.ok, str(report)
    assert sum(t.n_total for t in report.finite_differences.tensors) == N_PARAMS  # every entry moved
    after = params or code.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)  # and put back


def test_copies_from_parameters_never_look_like_a_missing_mask():
    """A parameters() that hands out copies is not moved (the loss would not change); with no
    other way in, finite differences are skipped with the reason, not failed."""
    report = check(Sealed(STYLE, init_params(STYLE)), batch(), finite_differences="exhaustive")
    assert not report.failed_checks() and report.finite_differences.skipped.startswith("they move parameters")
    assert not report.ok and "finite differences skipped: they move parameters" in report.not_checked
    assert "mask" not in str(report)


def test_the_readme_minimal_protocol_works_exactly_as_written(capsys):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = re.search(r"```python\n(# the minimal protocol.*?)```", readme, re.S).group(1)
    namespace = {}
    exec(compile(block, "README.md", "exec"), namespace)  # it ends with report.raise_if_failed()
    report = namespace["report"]
    assert report.ok and report.finite_differences.skipped is None
    assert sum(t.n_total for t in report.finite_differences.tensors) >= 4 * 3  # every tensor, moved
    assert "RESULT: OK" in capsys.readouterr().out


def with_grads(change):
    forward, backward = functions(STYLE)

    def changed_backward(cache):
        grads, intermediates = backward(cache)
        return change(dict(grads)), intermediates

    return forward, changed_backward


def report_of(code, **options):
    return str(check(code, batch(), params=init_params(STYLE), finite_differences=None, **options))


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda g: {k: v for k, v in g.items() if k != "b2"}, "names: no gradient for b2"),
        (
            lambda g: {**g, "dW1": g["W1"]},
            "gradients for unknown parameters dW1 (keys are the parameters' names: dW1 -> W1?)",
        ),
        (lambda g: {**g, "b1": g["b1"][None]}, "shapes: b1: gradient shape (1, 11), parameter shape (11,)"),
        (lambda g: {**g, "W2": g["W2"].T}, "shapes: W2: gradient shape (5, 11), parameter shape (11, 5)"),
        (
            lambda g: None,
            "must give the gradients as a dict {name: array} keyed like the parameters; got None",
        ),
        (
            lambda g: list(g.values()),
            "must give the gradients as a dict {name: array} keyed like the parameters; got list",
        ),
    ],
    ids=["missing key", "extra key", "kept dim", "transposed", "None", "a list"],
)
def test_gradient_mistakes_are_named(change, expected):
    assert expected in report_of(with_grads(change))


def test_a_backward_returning_none_is_named():
    forward, _ = functions(STYLE)
    text = report_of((forward, lambda cache: None))
    assert (
        "backward(cache) returned None; it must return the gradients, a dict keyed like params (W1, b1, W2, b2)"
        in text
    )
    assert "RESULT: FAIL (structure: runs)" in text


def test_a_loss_that_is_not_one_number_is_named():
    forward, backward = functions(STYLE)

    def per_example(params, batch):
        loss, cache = forward(params, batch)
        return np.full(len(batch[0]), loss), cache

    text = report_of((per_example, backward))
    assert (
        "the loss must be one number; got an array of shape (7,) (per-example losses? reduce them with .mean())"
        in text
    )
    text = report_of((lambda params, batch: forward(params, batch)[0], backward))
    assert (
        "forward(params, batch) must return (loss, cache) (or one more: intermediates); got a float" in text
    )


def test_labels_of_the_wrong_kind_are_errors():
    params, (x, onehot) = init_params(STYLE), batch()
    with pytest.raises(
        InputError, match=r"y looks one-hot \(shape \(7, 5\), one 1 per row\).*Layout\(labels='one-hot'\)"
    ):
        parity.check(functions(STYLE), (x, onehot), "mlp", params=params, layout=Layout(weights="in, out"))
    ids = np.argmax(onehot, axis=1)
    with pytest.raises(
        InputError,
        match=r"y: labels='one-hot' expects \(N, C\) rows .* shape \(7,\) \(class ids: use labels='ids'\)",
    ):
        parity.check(functions(STYLE), (x, ids), "mlp", params=params, layout=STYLE.layout)


def test_arguments_that_cannot_be_code_or_parameters_are_errors():
    with pytest.raises(InputError, match="params: functions of the parameters need them"):
        check(functions(STYLE), batch())
    with pytest.raises(InputError, match="params must be a dict"):
        check(functions(STYLE), batch(), params=[np.zeros(3)])
    with pytest.raises(InputError, match="params: W1 must be a float32 or float64 array; got dtype int64"):
        check(functions(STYLE), batch(), params={"W1": np.zeros((2, 2), np.int64)})
    with pytest.raises(InputError, match="an object brings its own parameters"):
        check(Minimal(STYLE, init_params(STYLE)), batch(), params=init_params(STYLE))
    with pytest.raises(InputError, match="code must be an object with loss_and_grads"):
        check(42, batch())
    with pytest.raises(InputError, match=r"code is the class Minimal; pass an instance: Minimal\(...\)"):
        check(Minimal, batch())


def test_the_pytest_helpers_raise_with_the_whole_report():
    assert assert_gradients(functions(STYLE), batch(), params=init_params(STYLE)).ok
    with pytest.raises(GradientCheckError) as failure:
        parity.assert_gradients(
            functions(STYLE, "no_n"), batch(), "mlp", params=init_params(STYLE), layout=STYLE.layout
        )
    assert isinstance(failure.value, AssertionError)
    assert "yours = N (7) x reference" in str(failure.value) and "RESULT: FAIL" in str(failure.value)
