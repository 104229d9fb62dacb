"""LinearClassifier (softmax and logistic) against its torch twin: the battery of
``classifier_cases`` (structure, loss parity, every gradient vs autograd in float64 and float32,
finite differences) and a hypothesis sweep over shapes, dtypes and seeds."""

import numpy as np
import pytest
from classifier_cases import CASES, assert_case_passes, assert_huge_logits_stay_finite
from hypothesis import given, settings
from hypothesis import strategies as st
from points import after_sgd_steps, classifier_batch

import numpy_impl
import torch_impl
from torch_impl.parity import check_model

LINEAR_CASES = [case for case in CASES if case.config.kind == "linear"]


@pytest.mark.parametrize("case", LINEAR_CASES, ids=lambda case: case.id)
def test_parity_with_torch(case):
    assert_case_passes(case)


@pytest.mark.parametrize("n_classes", [1, 10])
def test_huge_logits_do_not_overflow(n_classes):
    assert_huge_logits_stay_finite(
        numpy_impl.LinearClassifier(784, n_classes, seed=3, dtype=np.float64), n_classes
    )


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
