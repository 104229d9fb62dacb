"""The SGNS bugs of ``mutants.py`` (docs/word2vec.md says why each matters), injected into
``numpy_impl.skipgram`` and ``numpy_impl.sparse``, must each fail the skip-gram battery or the
training step (one SGD step on row-sparse gradients against torch's autograd); the equivalent
rewrites must pass both. Two bugs are invisible at a weak test point, and the tests show it: rows
assigned instead of accumulated pass without repeated ids, and a broken input-vector gradient
passes at the initial zero output table."""

import os
from contextlib import nullcontext

import mutants
import numpy as np
import pytest
from skipgram_cases import CASES, Case, Config, run_case
from skipgram_cases import training_step_error as step_error

from torch_impl.parity import check_model

if os.environ.get("PARITYNETS_MUTANT"):
    pytest.skip("mutation tests activate their own mutants", allow_module_level=True)

BUGS = [m.name for m in mutants.SKIPGRAM_MUTANTS if not m.equivalent]
EQUIVALENT = [m.name for m in mutants.SKIPGRAM_MUTANTS if m.equivalent]


def mutant(name):
    return mutants.activate(name) if name else nullcontext()


# float64 only: the tiny model with exhaustive finite differences and the middle one; the point
# names tell which test point caught a bug
BATTERY = [case for case in CASES if case.config.dtype == np.float64 and case.config.vocab_size < 100]
STEP_CONFIG = Config(53, 16, 37, 5)


def failing_checks(name, finite_differences=False):
    """The battery's failing cases (and the training-step check) under mutant ``name``."""
    with mutant(name):
        failed = [case.id for case in BATTERY if not run_case(case, finite_differences=finite_differences).ok]
        if not step_error(STEP_CONFIG) <= 1e-12:
            failed.append("training_step")
    return failed


def test_the_battery_passes_without_a_mutant():
    assert failing_checks(None, finite_differences=True) == []


@pytest.mark.parametrize("name", BUGS)
def test_each_sgns_bug_fails_the_battery(name):
    assert failing_checks(name), f"mutant {name} passed every check"


@pytest.mark.parametrize("name", EQUIVALENT)
def test_equivalent_rewrites_pass(name):
    assert failing_checks(name, finite_differences=True) == []


def test_assignment_instead_of_accumulation_hides_without_repeated_ids():
    """W[idx] += G is invisible when no id repeats, and caught by the repeated-id point."""
    config = Config(60, 8, 4, 2)
    model, twin = config.models()
    rng = np.random.default_rng(0)
    ids = rng.permutation(60)
    distinct = (ids[:4], ids[4:8], ids[8:16].reshape(4, 2))  # no id twice in a table
    model.load_state_dict({k: rng.standard_normal(v.shape) for k, v in model.state_dict().items()})
    with mutant("rows_assigned"):
        assert check_model(model, twin, distinct, finite_differences=None).ok
        repeated = next(case for case in BATTERY if case.point == "repeated_ids")
        report = run_case(repeated)
    assert not report.ok and "gradients" in report.failed_checks()


@pytest.mark.parametrize("name", ["input_gradient_dropped", "input_gradient_positive_only"])
def test_input_gradient_bugs_hide_at_a_zero_output_table(name):
    """At gensim's and word2vec's initialisation the output table is zero, so dv = 0 is correct
    there: only non-zero output vectors expose a broken input-vector gradient."""
    init = next(case for case in BATTERY if case.point == "init")
    nonzero = Case(init.config, "nonzero_output")
    with mutant(name):
        assert run_case(init).ok
        report = run_case(nonzero)
    assert report.first_divergent == "input_vectors.weight", str(report)
