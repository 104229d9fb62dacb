"""The torch-free checker (``numpy_impl.gradcheck.check_model``) on models seen as learner code is
seen: structure and finite differences without a reference; loss and gradient parity with one
(another NumPy model); every known classifier and autoencoder bug caught without torch except
those only a reference can see; and ``torch_impl.parity`` re-exporting the same objects."""

import functools

import mutants
import numpy as np
import pytest
from autoencoder_cases import pixel_batch
from classifier_cases import CASES, case_point
from kink_points import Exposing, Scaled
from points import classifier_batch

import numpy_impl
import torch_impl.parity
from numpy_impl import gradcheck
from numpy_impl.gradcheck import check_model, model_reference
from numpy_impl.gradcheck.parity import _own_rounding


def mlp(dtype=np.float64, seed=0, sizes=(13, 11, 5)):
    return numpy_impl.MLP(sizes, "relu", seed=seed, dtype=dtype)


def test_without_a_reference_structure_and_finite_differences_run():
    batch = classifier_batch(13, 5, 7, seed=1)
    report = check_model(Exposing(mlp()), batch, finite_differences="exhaustive")
    assert report.ok and report.loss is None and not report.gradients, str(report)
    assert report.structure.skipped == ["reference"] and "no reference" in report.notes[0]
    broken = check_model(Scaled(mlp(), "layers.1.bias", 7), batch, finite_differences="exhaustive")
    assert broken.failed_checks() == ["finite differences"]
    assert "yours = N (7) x reference" in str(broken)


def test_a_model_that_cannot_be_moved_skips_finite_differences_with_a_reason():
    fixed = Exposing(mlp(), ("state_dict", "loss", "loss_and_grads"))
    report = check_model(fixed, classifier_batch(13, 5, 7, seed=1))
    assert not report.failed_checks() and "needs parameters() (live arrays) or load_state_dict()" in str(
        report
    )
    assert not report.ok and "RESULT: NOT CHECKED (nothing compared your gradients" in str(report)


def test_a_reference_model_gives_loss_and_gradient_parity():
    teacher, batch = mlp(seed=3), classifier_batch(13, 5, 7, seed=1)
    before = {k: v.tobytes() for k, v in teacher.state_dict().items()}
    reference = model_reference(teacher)
    report = check_model(Exposing(mlp()), batch, reference, finite_differences=None)
    assert report.ok and report.loss.ok and len(report.gradients) == 4, str(report)
    assert max(g.max_error_over_scale for g in report.gradients) == 0  # the same code, bit for bit
    broken = check_model(
        Scaled(mlp(), "layers.0.weight", 1 + 1e-7), batch, reference, finite_differences=None
    )
    assert broken.failed_checks() == ["gradients"] and broken.first_divergent == "layers.0.weight"
    assert {k: v.tobytes() for k, v in teacher.state_dict().items()} == before


def test_a_float32_reference_model_measures_its_own_rounding_in_a_float64_copy():
    """A NumPy reference model in float32 runs in a float64 copy for the rounding floor; the
    model itself stays float32 and unchanged."""
    teacher, batch = mlp(np.float32, seed=3), classifier_batch(13, 5, 7, seed=1)
    reference = model_reference(teacher)
    params = Exposing(mlp(np.float32)).state_dict()
    batch32 = (batch[0].astype(np.float32), batch[1])
    rounding = _own_rounding(reference, reference(params, batch32), params, batch32)
    assert set(rounding) == set(params) and all(d.dtype == np.float64 for d in rounding.values())
    assert all(0 < np.abs(d).max() < 1e-5 for d in rounding.values())  # float32's rounding, not zero
    assert (
        teacher.dtype == np.float32
        and reference.in_float64()(params, batch32).grads["layers.0.weight"].dtype == np.float64
    )
    report = check_model(Exposing(mlp(np.float32)), batch32, reference, finite_differences=None)
    assert report.ok and report.to_dict()["tolerance"]["rounding_factor"] == 16, str(report)


def test_a_reference_that_does_not_fit_is_named():
    batch = classifier_batch(13, 5, 7, seed=1)
    other_names = model_reference(numpy_impl.LinearClassifier(13, 5, dtype=np.float64))
    report = check_model(Exposing(mlp()), batch, other_names, finite_differences=None)
    assert report.failed_checks() == ["structure: reference model"]
    assert "missing keys: weight, bias | unexpected keys: layers.0.weight" in str(report)
    other_dtype = model_reference(mlp(np.float32))
    report = check_model(Exposing(mlp()), batch, other_dtype, finite_differences=None)
    assert "structure: reference model" in report.failed_checks()
    assert "layers.0.weight is float32 in the reference model, float64 in yours" in str(report)


# -- every known bug, without torch ------------------------------------------------------------------

# What only a reference can see (docs/gradients.md): the ReLU convention at exact zeros is a kink to
# finite differences; a forward bug with a matching backward is self-consistent; 1 + 1e-7 is below
# their tolerance.
REFERENCE_ONLY = {
    "relu_derivative_one_at_zero",
    "forward_sum_not_mean",
    "mse_mean_over_batch_only",
    "grad_scaled_1e-7",
}
TINY_CASES = [case for case in CASES if case.config.tiny]
KNOWN = [*mutants.MUTANTS, *mutants.AUTOENCODER_MUTANTS]


@functools.cache
def autoencoder_points():
    """(sizes, dtype, state, batch): tiny autoencoders at their initial weights and after a few
    gradient steps (taken with the correct code, before any mutant is active)."""
    points = []
    for sizes, dtype, n, steps, seed in [
        ((13, 11, 5, 3), np.float64, 7, 5, 2),
        ((13, 11, 11, 3), np.float64, 7, 3, 3),
        ((13, 11, 5, 3), np.float64, 1, 2, 5),
        ((13, 11, 5, 3), np.float32, 7, 0, 4),
    ]:
        model = numpy_impl.Autoencoder(sizes, seed=seed, dtype=dtype)
        batch = pixel_batch(sizes[0], n, seed=seed, dtype=dtype)
        for _ in range(steps):
            grads = model.loss_and_grads(batch)[1]
            model.load_state_dict({k: v - 0.1 * grads[k] for k, v in model.state_dict().items()})
        points.append((sizes, dtype, model.state_dict(), batch))
    return points


def torch_free_points():
    """(model, batch, finite-difference mode) of every tiny classifier case and autoencoder point;
    fresh copies, so a mutant that writes into its input cannot change the cached points."""
    for case in TINY_CASES:
        state, batch = case_point(case)
        model = case.config.numpy_model()
        model.load_state_dict(state)
        yield model, copied(batch), "exhaustive" if case.config.dtype == np.float64 else None
    for sizes, dtype, state, batch in autoencoder_points():
        model = numpy_impl.Autoencoder(sizes, dtype=dtype)
        model.load_state_dict(state)
        yield model, copied(batch), "exhaustive" if dtype == np.float64 else None


def copied(batch):
    return tuple(np.array(a, copy=True) for a in batch)


def first_torch_free_failure():
    """The failed checks at the first point that fails without a reference, else None."""
    for model, batch, mode in torch_free_points():
        report = check_model(Exposing(model), batch, finite_differences=mode)
        if report.failed_checks():  # float32 points: structure alone, so never OK, never failed
            return report.failed_checks()
    return None


@pytest.mark.parametrize("mutant", KNOWN, ids=lambda m: m.name)
def test_the_torch_free_checker_catches_every_bug_but_what_only_a_reference_sees(mutant):
    for case in TINY_CASES:
        case_point(case)  # the points, built with the correct code
    autoencoder_points()
    with mutants.activate(mutant.name), np.errstate(all="ignore"):
        failed = first_torch_free_failure()
    caught = not mutant.equivalent and mutant.name not in REFERENCE_ONLY
    assert (failed is not None) == caught, f"{mutant.name} ({mutant.bug}): failed checks {failed}"


def test_torch_impl_parity_re_exports_the_same_objects():
    own = {"check", "check_model", "assert_gradients"}  # the torch side's take torch references
    for name in gradcheck.__all__:
        if name not in own | {"model_reference", "as_learner"}:
            assert getattr(torch_impl.parity, name) is getattr(gradcheck, name), name
    for name in own:
        assert getattr(torch_impl.parity, name) is not getattr(gradcheck, name), name
