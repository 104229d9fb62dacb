"""The report on learner code as a person, a grader and pytest read it: one screen and under a
second for a 100k-parameter model, per-tensor details, strict JSON, and raise_if_failed."""

import json
import time

import numpy as np
import pytest
from learner_code import Style, functions, init_params, make_batch

from numpy_impl.gradcheck import GradientCheckError
from numpy_impl.gradcheck import check as check_without_torch
from torch_impl.parity import check

BIG = Style(sizes=(784, 128, 10))  # 101,770 parameters


@pytest.mark.parametrize("slip", [None, "no_mask", "no_n"])
def test_a_100k_parameter_report_fits_one_screen_in_under_a_second(slip):
    params, batch = init_params(BIG), make_batch(BIG, 64)
    started = time.perf_counter()
    against_twin = check(
        functions(BIG, slip), batch, "mlp", params=params, layout=BIG.layout, finite_differences=None
    )
    twin_seconds = time.perf_counter() - started
    started = time.perf_counter()
    sampled = check_without_torch(functions(BIG, slip), batch, params=params, finite_differences="sampled")
    sampled_seconds = time.perf_counter() - started
    assert twin_seconds < 1.0 and sampled_seconds < 2.0, (twin_seconds, sampled_seconds)
    both = check(functions(BIG, slip), batch, "mlp", params=params, layout=BIG.layout)
    lines = str(both).splitlines()
    assert len(lines) <= 50 and max(map(len, lines)) <= 200, str(both)
    assert against_twin.ok == sampled.ok == both.ok == (slip is None)


def failing():
    style = Style()
    return check(
        functions(style, "no_mask"),
        make_batch(style, 7),
        "mlp",
        params=init_params(style),
        layout=style.layout,
    )


def test_per_tensor_details_in_your_names():
    details = failing().tensors()
    assert list(details) == [
        "dz2",
        "b2",
        "W2",
        "dh1",
        "dz1",
        "b1",
        "W1",
    ]  # backward order, intermediates among them
    assert details["dh1"]["reference"].ok and details["dh1"]["finite_differences"] is None
    assert not details["W1"]["reference"].ok and details["W1"]["finite_differences"] is not None
    assert details["dz1"]["reference"].worst[0].reference == 0.0  # where the mask should have zeroed it


def test_the_dict_is_strict_json_for_graders():
    data = json.loads(failing().to_json(allow_nan=False))
    assert data["ok"] is False and data["failed_checks"] == [
        "gradients",
        "intermediates",
        "finite differences",
    ]
    assert data["first_divergent"] == "b1" and data["first_divergent_intermediate"] == "dz1"
    assert any("ReLU mask is missing" in hint for hint in data["hints"])
    dz1 = next(t for t in data["intermediates"] if t["name"] == "dz1")
    assert dz1["n_mismatch"] > 0 and dz1["hints"] and dz1["worst"][0]["index"] == [*dz1["worst"][0]["index"]]


def test_raise_if_failed_carries_the_whole_report():
    with pytest.raises(GradientCheckError) as failure:
        failing().raise_if_failed()
    assert "first divergent: dz1" in str(failure.value) and "RESULT: FAIL" in str(failure.value)
    style = Style()
    report = check(
        functions(style), make_batch(style, 7), "mlp", params=init_params(style), layout=style.layout
    )
    assert report.raise_if_failed() is report


def test_a_loss_that_overflows_is_named_without_a_traceback():
    style = Style()
    params = {k: v * 30 for k, v in init_params(style).items()}
    with np.errstate(all="ignore"):
        report = check(
            functions(style, "no_max_shift"), make_batch(style, 7), "mlp", params=params, layout=style.layout
        )
    assert "structure: finite" in report.failed_checks()
    assert "your loss is inf: an overflow (exp without the max shift?) or a log of 0" in str(report)


class NoParameters:
    def state_dict(self):
        return {}

    def loss_and_grads(self, batch):
        return 1.0, {}


def test_float32_code_without_a_reference_is_checked_by_finite_differences_in_float64():
    """Float32 functions run once more on float64 copies of their parameters and batch, and the
    finite differences check them there (in float32 they are noise): a bug is caught, correct code
    passes, and the note says where they ran. The parameters given stay float32."""
    style = Style()
    params = {k: v.astype(np.float32) for k, v in init_params(style).items()}
    x, y = make_batch(style, 7)
    batch = (x.astype(np.float32), y)
    report = check_without_torch(functions(style), batch, params=params)
    assert report.ok and report.finite_differences.tensors, str(report)
    assert any("finite differences ran on your code in float64" in note for note in report.notes)
    buggy = check_without_torch(functions(style, "no_mask"), batch, params=params)
    assert buggy.failed_checks() == ["finite differences"], str(buggy)
    assert all(v.dtype == np.float32 for v in params.values())


def test_a_check_that_compared_no_gradient_is_not_ok_and_says_why():
    """Structure alone passed these as OK: float32 code without a reference that stays float32
    whatever it is given (finite differences need float64), code with no parameters."""
    style = Style()
    params = {k: v.astype(np.float32) for k, v in init_params(style).items()}
    x, y = make_batch(style, 7)
    forward, backward = functions(style)

    def float32_forward(p, batch):  # casts everything to float32: it cannot be run in float64
        return forward(
            {k: v.astype(np.float32) for k, v in p.items()}, (batch[0].astype(np.float32), batch[1])
        )

    report = check_without_torch((float32_forward, backward), (x.astype(np.float32), y), params=params)
    assert not report.failed_checks() and not report.ok
    assert "finite differences skipped: they need float64 parameters" in report.not_checked
    assert any("still returns" in note and "in float32" in note for note in report.notes), report.notes
    assert str(report).splitlines()[-1].startswith("RESULT: NOT CHECKED (nothing compared your gradients")
    assert json.loads(report.to_json())["not_checked"] == report.not_checked
    with pytest.raises(GradientCheckError, match="RESULT: NOT CHECKED"):
        report.raise_if_failed()
    empty = check_without_torch(NoParameters(), (x, y))
    assert not empty.ok and empty.not_checked.startswith("the code has no parameters")
    assert "SKIP finite differences: there are no parameters to move" in str(empty)
    with_reference = check(
        functions(style), (x.astype(np.float32), y), "mlp", params=params, layout=style.layout
    )
    assert with_reference.ok and with_reference.not_checked is None  # float32 against the twin is a check


def test_a_nan_in_a_gradient_is_placed_without_a_reference_too():
    """Without a reference the structure line gave only a count; it now says NaN or inf and where
    the first one is, as the reference comparison does."""
    style = Style()
    forward, backward = functions(style)

    def with_nan(cache):
        grads, *rest = (lambda out: out if isinstance(out, tuple) else (out,))(backward(cache))
        grads = {**grads, "W1": grads["W1"].copy()}
        grads["W1"][2, 3] = np.nan
        return (grads, *rest) if rest else grads

    x, y = make_batch(style, 7)
    report = check_without_torch((forward, with_nan), (x, y), params=init_params(style))
    assert "structure: finite" in report.failed_checks()
    assert "W1: 1 NaN and 0 inf entries (first at (2, 3))" in str(report), str(report)
