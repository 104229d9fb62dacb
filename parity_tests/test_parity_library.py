"""The comparison library itself (``numpy_impl.gradcheck``, with torch autograd as the reference
through ``torch_impl.parity``): the tolerance rule, strict shapes and dtypes, NaN handling, the
hints, and the report in its two forms."""

import json

import mutants
import numpy as np
import pytest
import torch
from classifier_cases import Config
from kink_points import Scaled
from points import classifier_batch, huge_logit_state

import numpy_impl
import numpy_impl.data
import torch_impl
from numpy_impl.gradcheck import tolerances
from torch_impl.parity import check_model, compare_loss, compare_tensors

F32 = tolerances.autograd_tolerance(np.float32)
F64 = tolerances.autograd_tolerance(np.float64)


def test_tolerances_are_the_measured_table():
    assert (F64.k, F64.rtol, F64.agg) == (1e-10, 1e-7, 1e-12)
    assert (F32.k, F32.rtol, F32.agg) == (1e-5, 1e-4, 1e-5)
    fd = tolerances.finite_difference_tolerance(2.3)
    assert (fd.k, fd.rtol, fd.agg, tolerances.FD_EPS) == (1e-6, 1e-5, None, 1e-6)
    assert (tolerances.loss_tolerance(np.float64), tolerances.loss_tolerance("float32")) == (1e-12, 1e-5)


def test_a_kept_dimension_is_a_failure_with_a_hint():
    reference = np.arange(5.0)
    result = compare_tensors(reference[None, :], reference, F64, name="bias")
    assert not result.ok and "shape (1, 5), expected (5,)" in result.problems[0]
    assert "kept dimension" in result.hints[0]


def test_a_wrong_dtype_fails_even_with_equal_values():
    reference = np.linspace(-1, 1, 6, dtype=np.float32)
    result = compare_tensors(reference.astype(np.float64), reference, F32)
    assert not result.ok and result.n_mismatch == 0 and "dtype float64, expected float32" in result.problems


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_and_inf_never_equal_anything(bad):
    reference = np.array([1.0, bad, 3.0])
    result = compare_tensors(reference.copy(), reference, F64)
    assert not result.ok and result.n_nonfinite == 1 and result.n_mismatch == 1
    assert any("NaN" in hint for hint in result.hints)


def test_a_10_percent_error_in_small_entries_is_caught_where_assert_close_misses_it():
    reference = (np.random.default_rng(0).standard_normal(50) * 1e-6).astype(np.float32)
    yours = reference * np.float32(1.1)
    torch.testing.assert_close(torch.from_numpy(yours), torch.from_numpy(reference))  # the default passes it
    result = compare_tensors(yours, reference, F32)
    assert not result.ok and result.norm_relative_error > 0.04


def test_near_zero_entries_of_correct_float32_code_pass():
    """A per-entry relative error alone would fail here (entry 1e-9 vs 3e-9); k * max|ref| keeps it."""
    reference = np.array([1.0, -0.5, 3e-9], dtype=np.float32)
    yours = np.array([1.0, -0.5, 1e-9], dtype=np.float32)
    assert compare_tensors(yours, reference, F32).ok


def test_an_all_zero_reference():
    zeros = np.zeros((3, 4))
    assert compare_tensors(zeros.copy(), zeros, F64).ok
    yours = zeros.copy()
    yours[1, 2] = 1e-3
    result = compare_tensors(yours, zeros, F64)
    assert not result.ok and "missing mask" in result.hints[0]


@pytest.mark.parametrize(
    "factor, expected",
    [
        (7, "N (7)"),
        (1 / 7, "1/N (1/7)"),
        (-1, "a sign flip"),
        (2, "factor 2"),
        (0.5, "factor 2 missing"),
        (13, "D (13)"),
    ],
)
def test_scalar_factor_hints(factor, expected):
    reference = np.random.default_rng(1).standard_normal((5, 13))
    result = compare_tensors(reference * factor, reference, F64, sizes={"N": 7, "D": 13})
    assert any(expected in hint for hint in result.hints), result.hints


def test_transpose_hint():
    reference = np.random.default_rng(2).standard_normal((11, 11))
    result = compare_tensors(reference.T.copy(), reference, F64)
    assert any("transposed" in hint for hint in result.hints)


def test_shifted_label_column_hint():
    rng = np.random.default_rng(3)
    labels, n, c = rng.integers(0, 5, size=7), 7, 5
    reference = rng.standard_normal(c)
    counts = np.bincount(labels, minlength=c)
    yours = reference + (counts - np.roll(counts, 2)) / n  # the -1 went to column y + 2
    result = compare_tensors(yours, reference, F64, sizes={"N": n}, labels=labels)
    assert any("column (y + 2) mod C" in hint for hint in result.hints), result.hints


def test_error_concentrated_in_one_row_hint():
    reference = np.random.default_rng(4).standard_normal((6, 5))
    yours = reference.copy()
    yours[4] += np.random.default_rng(5).standard_normal(5)
    result = compare_tensors(yours, reference, F64)
    assert any("concentrated in row 4" in hint for hint in result.hints)


def test_loss_comparison():
    assert compare_loss(2.0 + 1e-13, 2.0, np.float64).ok
    assert not compare_loss(2.0 + 1e-10, 2.0, np.float64).ok
    assert compare_loss(1e-6 + 1e-13, 1e-6, np.float64).ok  # relative to max(|loss|, 1)
    assert not compare_loss(float("nan"), float("nan"), np.float64).ok
    assert not compare_loss(np.ones(2), 1.0, np.float64).ok


def failing_report():
    config = Config("mlp", (784, 128, 10), "relu", n=64)
    with mutants.activate("relu_mask_missing"):
        return check_model(config.numpy_model(), config.torch_model(), classifier_batch(784, 10, 64))


def test_text_report_shows_every_layer_and_never_whole_tensors():
    text = str(failing_report())
    lines = text.splitlines()
    assert lines[1].startswith(
        "tolerance (float64, gradients vs the torch twin): |yours - ref| <= 1e-10*max|ref|"
    )
    assert lines[2].startswith("OK   structure") and lines[3].startswith("OK   loss")  # loss parity first
    assert "FAIL layers.0.weight" in text and "mismatches" in text and "norm-rel" in text
    assert "worst [" in text and "allowed" in text
    assert "first divergent: layers.0.bias" in text
    assert text.endswith("RESULT: FAIL (gradients, finite differences)")
    assert len(lines) < 60 and max(map(len, lines)) < 300


def test_machine_readable_report_is_strict_json():
    config = Config("linear", (13, 5))
    numpy_model, torch_model = config.numpy_model(), config.torch_model()
    batch = classifier_batch(13, 5, 7)
    numpy_model.load_state_dict(huge_logit_state(numpy_model, batch[0]))
    with mutants.activate("no_max_shift"), np.errstate(all="ignore"):
        report = check_model(numpy_model, torch_model, batch, finite_differences="exhaustive")
    data = json.loads(report.to_json(allow_nan=False))
    assert data["ok"] is False and data["loss"]["yours"] == "inf" and data["reference"] == "torch twin"
    assert "structure: finite" in data["failed_checks"] and "loss" in data["failed_checks"]
    assert data["gradients"][0]["name"] == "bias" and data["first_divergent"] == "bias"
    assert data["tolerance"] == {"k": 1e-10, "rtol": 1e-7, "agg": 1e-12, "floor": 0.0, "model_share": 1e-12}
    assert data["finite_differences"]["skipped"].startswith("the loss itself is")


def test_check_model_leaves_both_models_alone():
    config = Config("mlp", (13, 11, 5), "tanh")
    numpy_model, torch_model = config.numpy_model(seed=1), config.torch_model(seed=2)
    numpy_before = {k: v.tobytes() for k, v in numpy_model.state_dict().items()}
    torch_before = {k: v.clone() for k, v in torch_model.state_dict().items()}
    assert check_model(numpy_model, torch_model, classifier_batch(13, 5, 7)).ok
    assert {k: v.tobytes() for k, v in numpy_model.state_dict().items()} == numpy_before
    assert all(torch.equal(v, torch_before[k]) for k, v in torch_model.state_dict().items())
    assert all(p.grad is None for p in torch_model.parameters())


def test_without_a_torch_twin_structure_and_finite_differences_still_run():
    config = Config("mlp", (13, 11, 5), "relu")
    report = check_model(
        config.numpy_model(), None, classifier_batch(13, 5, 7), finite_differences="exhaustive"
    )
    assert report.ok and report.loss is None and report.finite_differences.ok
    with mutants.activate("relu_mask_missing"):
        broken = check_model(
            config.numpy_model(), None, classifier_batch(13, 5, 7), finite_differences="exhaustive"
        )
    assert broken.failed_checks() == ["finite differences"]


def test_a_model_that_raises_is_a_failed_check_not_a_crash():
    config = Config("linear", (13, 5))
    report = check_model(config.numpy_model(), config.torch_model(), classifier_batch(12, 5, 7))
    assert report.failed_checks() == ["structure: runs"]
    assert "loss_and_grads raised InputError: x has 12 features per row; the model expects 13" in str(report)


def test_a_torch_twin_with_other_names_or_dtype_is_named():
    numpy_model = Config("mlp", (13, 11, 5), "relu").numpy_model()
    other_names = Config("linear", (13, 5)).torch_model()
    report = check_model(numpy_model, other_names, classifier_batch(13, 5, 7), finite_differences=None)
    assert report.failed_checks() == ["structure: torch twin"]
    assert "missing keys: weight, bias" in str(report)
    other_dtype = Config("mlp", (13, 11, 5), "relu", dtype=np.float32).torch_model()
    report = check_model(numpy_model, other_dtype, classifier_batch(13, 5, 7), finite_differences=None)
    assert "structure: torch twin" in report.failed_checks()
    assert "layers.0.weight is float32 in the torch twin, float64 in yours" in str(report)


def saturated_twins(sizes, activation, scale, seed):
    """float64 twins with weights ``scale`` x their initial ones, on a Gaussian batch of 7: the
    hidden units saturate, and gradients come out of cancellation (1 - tanh(z)**2, p - y)."""
    numpy_model = numpy_impl.MLP(sizes, activation, seed=seed, dtype=np.float64)
    numpy_model.load_state_dict(
        {k: v * scale if v.ndim == 2 else v for k, v in numpy_model.state_dict().items()}
    )
    rng = np.random.default_rng(seed)
    batch = rng.standard_normal((7, sizes[0])), rng.integers(0, sizes[-1], 7)
    return numpy_model, torch_impl.MLP(sizes, activation, seed=seed, dtype=torch.float64), batch


@pytest.mark.parametrize("sizes", [(4, 3, 2), (13, 11, 11, 5)])
def test_correct_float64_twins_pass_where_saturation_leaves_gradients_only_rounding(sizes):
    """Without the model floor a gradient made tiny by cancellation failed on its rounding alone
    (tanh: norm-rel up to 2e-10, or 1 where one side rounds to 0)."""
    for scale in (10, 30, 100):
        for seed in range(6):
            report = check_model(*saturated_twins(sizes, "tanh", scale, seed), finite_differences=None)
            assert report.ok, f"{sizes} tanh x{scale} seed {seed}\n{report}"


@pytest.mark.parametrize("name", ["layers.0.weight", "layers.0.bias"])
@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_the_smallest_bugs_are_caught_beside_larger_gradients(name, activation):
    """1 + 1e-4 in float32, 1 + 1e-7 in float64, in a first layer whose gradients are small beside
    the last layer's (digits, 64-128-10, batch 64): a float32 floor at float32's agg x the
    largest gradient passed both."""
    x, y = numpy_impl.data.load_digits()[:2]
    for dtype, factor in [(np.float32, 1 + 1e-4), (np.float64, 1 + 1e-7)]:
        numpy_model = numpy_impl.MLP((64, 128, 10), activation, seed=0, dtype=dtype)
        torch_model = torch_impl.MLP(
            (64, 128, 10), activation, seed=0, dtype=getattr(torch, np.dtype(dtype).name)
        )
        code = Scaled(numpy_model, name, factor)
        report = check_model(code, torch_model, (x[:64].astype(dtype), y[:64]), finite_differences=None)
        assert report.failed_checks() == ["gradients"] and report.first_divergent == name, str(report)
