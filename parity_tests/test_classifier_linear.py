"""LinearClassifier (softmax and logistic) against its torch twin: the battery of
``classifier_cases`` (structure, loss parity, every gradient vs autograd in float64 and float32,
finite differences) and a hypothesis sweep over shapes, dtypes and seeds."""

import numpy as np
import pytest
from classifier_cases import CASES, run_case
from hypothesis import given, settings
from hypothesis import strategies as st
from points import after_sgd_steps, classifier_batch, huge_logit_state

import numpy_impl
import torch_impl
from torch_impl.parity import check_model

LINEAR_CASES = [case for case in CASES if case.config.kind == "linear"]


@pytest.mark.parametrize("case", LINEAR_CASES, ids=lambda case: case.id)
def test_parity_with_torch(case):
    report = run_case(case)
    assert report.ok, str(report)
    if case.config.dtype == np.float64:  # the acceptance figure: max error <= 1e-10 x max|reference|
        assert max(g.max_error_over_scale for g in report.gradients) <= 1e-10, str(report)


@pytest.mark.parametrize("n_classes", [1, 10])
def test_huge_logits_do_not_overflow(n_classes):
    model = numpy_impl.LinearClassifier(784, n_classes, seed=3, dtype=np.float64)
    x, y = classifier_batch(784, n_classes, 16, seed=4)
    model.load_state_dict(huge_logit_state(model, x))
    assert np.abs(model.logits(x)).max() == pytest.approx(1e3)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, grads = model.loss_and_grads((x, y))
    assert np.isfinite(loss) and loss > 10  # wrong rows cost ~|z|, and nothing overflowed
    assert all(np.isfinite(g).all() for g in grads.values())


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(
    n_features=st.integers(1, 9),
    n_classes=st.integers(1, 6),
    n=st.integers(1, 9),
    dtype=st.sampled_from([np.float64, np.float32]),
    seed=st.integers(0, 2**16),
    stepped=st.booleans(),
)
def test_parity_over_shapes_dtypes_and_seeds(n_features, n_classes, n, dtype, seed, stepped):
    numpy_model = numpy_impl.LinearClassifier(n_features, n_classes, seed=seed, dtype=dtype)
    torch_model = torch_impl.LinearClassifier(n_features, n_classes, seed=seed, dtype=dtype)
    batch = classifier_batch(n_features, n_classes, n, seed=seed + 1, dtype=dtype)
    if stepped:
        numpy_model.load_state_dict(after_sgd_steps(numpy_model, batch))
    report = check_model(numpy_model, torch_model, batch, finite_differences="exhaustive")
    assert report.ok, str(report)
