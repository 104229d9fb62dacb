"""The comparison library itself (``numpy_impl.gradcheck``, with torch autograd as the reference
through ``torch_impl.parity``): the tolerance rule, strict shapes and dtypes, NaN handling, the
hints, and the report in its two forms."""

import copy
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
from numpy_impl.gradcheck import Layout, tolerances
from numpy_impl.gradcheck.parity import _own_rounding
from numpy_impl.gradcheck.reference import Reference
from torch_impl.parity import (
    autograd_reference,
    check,
    check_model,
    compare_loss,
    compare_tensors,
    torch_reference,
)

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
    assert data["tolerance"] == {
        "k": 1e-10,
        "rtol": 1e-7,
        "agg": 1e-12,
        "floor": 0.0,
        "model_share": 1e-12,
        "norm_floor": 0.0,
        "rounding_factor": 0.0,
    }
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


def saturated_float32_digits(seed, scale=100, activation="tanh"):
    """A float32 MLP 64-128-10 on 64 digits with weights ``scale`` x their initial ones, and its
    torch twin: saturated units' 1 - tanh(z)**2 comes out of cancellation, which NumPy and torch
    round apart (seed 1: 2.7e-4 of a first-layer gradient, twice the torch twin's own distance
    from float64)."""
    x, y = numpy_impl.data.load_digits()[:2]
    rows = np.random.default_rng(seed).choice(len(x), 64, replace=False)
    numpy_model = numpy_impl.MLP((64, 128, 10), activation, seed=seed, dtype=np.float32)
    numpy_model.load_state_dict(
        {k: v * scale if v.ndim == 2 else v for k, v in numpy_model.state_dict().items()}
    )
    torch_model = torch_impl.MLP((64, 128, 10), activation, seed=seed, dtype=torch.float32)
    return numpy_model, torch_model, (x[rows].astype(np.float32), y[rows])


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_correct_float32_code_passes_where_saturation_leaves_gradients_only_rounding(activation):
    """Against a float32 reference, each tensor also allows 16 x the reference's own rounding of it
    (its distance from the same reference in float64): before, seed 1 at x100 (tanh) failed on a
    first-layer entry 1.7e-5 off where 1.5e-5 was allowed."""
    for scale in (30, 100, 300):
        for seed in range(4):
            numpy_model, torch_model, batch = saturated_float32_digits(seed, scale, activation)
            report = check_model(numpy_model, torch_model, batch, finite_differences=None)
            assert report.ok, f"{activation} x{scale} seed {seed}\n{report}"
    assert "+ 16*max|ref - ref in float64|" in str(report)  # the tolerance line says so
    assert report.to_dict()["tolerance"]["rounding_factor"] == 16


def test_the_rounding_floor_is_the_references_own_distance_from_float64():
    """A reference that can run in float64 gives, per tensor, its float32 values minus its float64
    ones at the same weights and batch; one without that form, or whose float64 form does not
    compute in float64, gives none (and the tolerance is float32's alone)."""
    numpy_model, torch_model, batch = saturated_float32_digits(1)
    params = numpy_model.state_dict()
    twin = autograd_reference(torch_model)
    result = twin(params, batch)
    rounding = _own_rounding(twin, result, params, batch)
    assert set(rounding) >= set(params) and "layers.0:out" in rounding  # intermediates too
    wide = autograd_reference(copy.deepcopy(torch_model).double())(
        {k: v.astype(np.float64) for k, v in params.items()}, (batch[0].astype(np.float64), batch[1])
    )
    for name in params:
        assert rounding[name].dtype == np.float64
        np.testing.assert_array_equal(
            rounding[name], result.grads[name].astype(np.float64) - wide.grads[name]
        )
    largest = np.abs(result.grads["layers.0.weight"]).max()
    assert 0 < np.abs(rounding["layers.0.weight"]).max() < 1e-4 * largest  # float32's rounding, not 0
    assert _own_rounding(Reference(twin.function, "no float64 form"), result, params, batch) == {}

    def float32_inputs(p, b):  # casts the batch to float32: in float64 its matmul raises
        h = torch.tanh(b[0].float() @ p["layers.0.weight"].T + p["layers.0.bias"])
        return torch.nn.functional.cross_entropy(h @ p["layers.1.weight"].T + p["layers.1.bias"], b[1])

    function = torch_reference(float32_inputs)
    assert _own_rounding(function, function(params, batch), params, batch) == {}
    widened = tolerances.reference_rounding(tolerances.autograd_tolerance(np.float32), [3e-6, -4e-6, np.nan])
    assert widened.floor == pytest.approx(16 * 4e-6) and widened.norm_floor == pytest.approx(16 * 5e-6)


@pytest.mark.parametrize("kind", ["mlp", "autoencoder"])
def test_correct_float32_code_stays_well_inside_the_rounding_floor(kind):
    """The factor's margin: correct float32 code (the NumPy twins) is at most half of 16 x the
    torch twin's own distance from float64 from the torch twin, per tensor (docs/gradients.md:
    7x at most across 597 tensors)."""
    x, y = numpy_impl.data.load_digits()[:2]
    worst = 0.0
    for activation in ("tanh", "sigmoid", "relu"):
        for scale in (1, 100):
            for seed in range(2):
                rows = np.random.default_rng(seed).choice(len(x), 64, replace=False)
                batch = (x[rows].astype(np.float32), y[rows])
                if kind == "mlp":
                    model = numpy_impl.MLP((64, 32, 10), activation, seed=seed, dtype=np.float32)
                    twin = torch_impl.MLP((64, 32, 10), activation, seed=seed, dtype=torch.float32)
                else:
                    model = numpy_impl.Autoencoder((64, 32, 8), activation, seed=seed, dtype=np.float32)
                    twin = torch_impl.Autoencoder((64, 32, 8), activation, seed=seed, dtype=torch.float32)
                    batch = batch[:1]
                model.load_state_dict(
                    {k: v * scale if v.ndim == 2 else v for k, v in model.state_dict().items()}
                )
                params, (_, yours) = model.state_dict(), model.loss_and_grads(batch)
                reference = autograd_reference(twin)
                result = reference(params, batch)
                for name, own in _own_rounding(reference, result, params, batch).items():
                    if name in yours and np.abs(own).max() > 0:
                        apart = np.abs(yours[name].astype(np.float64) - result.grads[name]).max()
                        worst = max(worst, apart / np.abs(own).max())
    assert 0 < worst <= tolerances.ROUNDING_FACTOR / 2


def test_a_bug_above_the_rounding_of_saturated_float32_units_is_still_caught():
    numpy_model, torch_model, batch = saturated_float32_digits(1)
    for name in ("layers.0.weight", "layers.0.bias"):
        report = check_model(Scaled(numpy_model, name, 1 + 1e-3), torch_model, batch, finite_differences=None)
        assert report.failed_checks() == ["gradients"] and report.first_divergent == name, str(report)


def tanh_learner(bug=None, narrow=False):
    """A learner's tanh MLP: dict weights (in, out), mean cross-entropy + 0.005 * sum(W**2).
    ``bug``: a factor on its W1 gradient; ``narrow``: it computes in float32 whatever it is given."""

    def loss_and_grads(p, batch):
        x, y = batch
        if narrow:
            p, x = {k: v.astype(np.float32) for k, v in p.items()}, x.astype(np.float32)
        n = len(y)
        h = np.tanh(x @ p["W1"] + p["b1"])
        s = h @ p["W2"] + p["b2"]
        s = s - s.max(axis=1, keepdims=True)
        log_p = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
        loss = -log_p[np.arange(n), y].mean() + 0.005 * ((p["W1"] ** 2).sum() + (p["W2"] ** 2).sum())
        ds = np.exp(log_p)
        ds[np.arange(n), y] -= 1
        ds /= n
        dz = (ds @ p["W2"].T) * (1 - h**2)
        dw1 = (x.T @ dz + 0.01 * p["W1"]) * (bug or 1)
        return loss, {"W1": dw1, "b1": dz.sum(axis=0), "W2": h.T @ ds + 0.01 * p["W2"], "b2": ds.sum(axis=0)}

    return loss_and_grads


def saturated_tanh_point():
    """48-4-5 at 40x the usual weights, 2 rows: every hidden unit saturates, so the reference's b1
    gradient is exactly 0 in float32 and yours rounds to 9e-16 (1 - tanh(z)**2 by cancellation),
    more than 16 x the reference's own distance from float64 allows."""
    r = np.random.default_rng(949)
    params = {
        "W1": r.standard_normal((48, 4)) * 40 / np.sqrt(48),
        "b1": r.standard_normal(4) * 0.1,
        "W2": r.standard_normal((4, 5)) * 20,
        "b2": r.standard_normal(5) * 0.1,
    }
    r = np.random.default_rng(950)
    batch = ((r.standard_normal((2, 48)) * 0.813).astype(np.float32), r.integers(0, 5, 2))
    return {k: v.astype(np.float32) for k, v in params.items()}, batch


def test_float32_differences_that_agree_in_float64_are_rounding_not_bugs():
    """A float32 tensor failing by its values alone is re-checked with your code and the reference
    in float64: agreeing there it passes, marked as rounding; a bug still fails, and says that
    float64 sees it too; code that stays float32 is not re-checked, and the note says why."""
    params, batch = saturated_tanh_point()
    options = dict(params=params, activation="tanh", layout=Layout(weights="in, out", l2=0.005))
    report = check(tanh_learner(), batch, "mlp", **options)
    b1 = next(g for g in report.gradients if g.name == "b1")
    assert report.ok and b1.ok and b1.rounding_only and b1.n_mismatch > 0, str(report)
    assert "float32 rounding, not a bug" in str(report) and report.to_dict()["gradients"][2]["rounding_only"]
    assert not any("mask" in hint for hint in b1.hints)  # the mask hint it had was about the rounding
    assert not any(g.rounding_only for g in report.gradients if g.name != "b1")

    buggy = check(tanh_learner(bug=1 + 1e-3), batch, "mlp", **options)
    assert "gradients" in buggy.failed_checks() and buggy.first_divergent == "W1", str(buggy)
    w1 = next(g for g in buggy.gradients if g.name == "W1")
    assert not w1.rounding_only and any("in float64 too yours differs" in hint for hint in w1.hints)

    narrow = check(tanh_learner(narrow=True), batch, "mlp", **options)
    assert narrow.failed_checks() == ["gradients"], str(narrow)
    assert any("still returns b1 in float32" in note for note in narrow.notes), narrow.notes


def test_a_numpy_model_is_re_checked_in_float64_through_a_copy():
    """An object is re-checked through a copy holding float64 weights (its dtype set to float64):
    the saturated 64-128-10 digits MLP with its first layer's gradient 1 + 1e-3 off fails in
    float32 and is seen in float64; the model itself stays float32."""

    class Off(numpy_impl.MLP):  # a NumPy model (load_state_dict, dtype) with a bug in its backward
        def loss_and_grads(self, batch, reduction="mean"):
            loss, grads = super().loss_and_grads(batch, reduction)
            return loss, {**grads, "layers.0.weight": grads["layers.0.weight"] * (1 + 1e-3)}

    numpy_model, torch_model, batch = saturated_float32_digits(1)
    model = Off((64, 128, 10), "tanh", dtype=np.float32)
    model.load_state_dict(numpy_model.state_dict())
    report = check_model(model, torch_model, batch, finite_differences=None)
    first = next(g for g in report.gradients if g.name == "layers.0.weight")
    assert not report.ok and any("in float64 too" in hint for hint in first.hints), str(report)
    assert model.dtype == np.float32 and all(v.dtype == np.float32 for v in model.state_dict().values())


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
