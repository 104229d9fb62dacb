"""Proof that the classifier battery bites: under each known learner bug of ``mutants.MUTANTS``
at least one case of ``classifier_cases`` fails, and under each equivalent rewrite every case
passes; which check catches what; and the same through pytest itself (PARITYNETS_MUTANT).

``python parity_tests/classifier_cases.py`` prints, per mutant, every check that catches it on every case."""

import json
import os
import subprocess
import sys
from pathlib import Path

import mutants
import numpy as np
import pytest
from classifier_cases import CASES, run_battery_under, run_case

if os.environ.get("PARITYNETS_MUTANT"):
    pytest.skip("mutation tests activate their own mutants", allow_module_level=True)

BUGS = [m for m in mutants.MUTANTS if not m.equivalent]
EQUIVALENT = [m for m in mutants.MUTANTS if m.equivalent]
CASE = {case.id: case for case in CASES}
TINY_F64 = "mlp13-11-11-5_relu_float64"
TINY_F32 = "mlp13-11-11-5_relu_float32"


def test_enough_named_bugs_and_equivalents():
    assert len(BUGS) >= 14 and len(EQUIVALENT) >= 3
    assert len({m.name for m in mutants.MUTANTS}) == len(mutants.MUTANTS)


@pytest.mark.parametrize("mutant", BUGS, ids=lambda m: m.name)
def test_bug_fails_the_battery(mutant):
    outcome = run_battery_under(mutant.name, stop_at_first_failure=True)
    assert outcome.caught, f"mutant {mutant.name} ({mutant.bug}) passed all {outcome.n_cases} cases"


@pytest.mark.parametrize("mutant", EQUIVALENT, ids=lambda m: m.name)
def test_equivalent_rewrite_passes_the_battery(mutant):
    outcome = run_battery_under(mutant.name)
    assert not outcome.caught, outcome.example


def report_under(mutant, case_id):
    with mutants.activate(mutant), np.errstate(all="ignore"):  # some mutants overflow on purpose
        return run_case(CASE[case_id])


@pytest.mark.parametrize(
    "mutant, case_id, checks",
    [
        ("grads_accumulate", f"{TINY_F64}-init", ["structure: repeatable"]),
        (
            "params_modified",
            f"{TINY_F64}-init",
            ["structure: parameters unmodified", "structure: repeatable"],
        ),
        (
            "input_modified",
            "linear13-5_float64-init",
            ["structure: inputs unmodified", "structure: repeatable"],
        ),
        ("float64_grads", f"{TINY_F32}-init", ["structure: dtypes", "gradients"]),
        ("softmax_shift_no_keepdims", f"{TINY_F64}-init", ["structure: runs"]),
        ("bias_grad_kept_dim", f"{TINY_F64}-init", ["structure: shapes", "gradients", "finite differences"]),
        (
            "forward_sum_not_mean",
            f"{TINY_F64}-init",
            ["loss", "gradients"],
        ),  # finite differences are blind to it
        ("grad_scaled_1e-7", f"{TINY_F64}-after_sgd", ["gradients"]),
        ("grad_scaled_1e-4", f"{TINY_F32}-after_sgd", ["gradients"]),
        ("relu_mask_missing", f"{TINY_F64}-init", ["gradients", "finite differences"]),
    ],
)
def test_which_check_catches_it(mutant, case_id, checks):
    assert report_under(mutant, case_id).failed_checks() == checks


@pytest.mark.parametrize(
    "mutant, case_id, hint",
    [
        ("bias_grad_kept_dim", f"{TINY_F64}-init", "differ only by a kept dimension of size 1"),
        ("bias_grad_wrong_axis", f"{TINY_F64}-init", "has N=7 where the reference (11,) has none"),
        (
            "weight_grad_transposed",
            f"{TINY_F64}-init",
            "yours equals the reference transposed",
        ),  # the square layer
        ("loss_grad_not_divided_by_n", f"{TINY_F64}-init", "yours = N (7) x reference"),
        ("bias_grad_averaged", f"{TINY_F32}-init", "yours = 1/N (1/7) x reference"),
        ("sign_flip", "linear13-5_float64-init", "yours = -1 x reference (c = -1): a sign flip"),
        ("wrong_class_column", "linear13-5_float64-init", "went into column (y + 1) mod C instead of y"),
        ("grad_scaled_1e-7", f"{TINY_F64}-after_sgd", "yours = 1.0000001 x reference"),
        ("no_max_shift", "linear13-5_float64-huge_logits", "the loss is inf"),
        ("grads_accumulate", "linear13-5_float32-init", "(2 x the first) (accumulating across calls?)"),
    ],
)
def test_the_report_names_the_likely_cause(mutant, case_id, hint):
    assert hint in str(report_under(mutant, case_id))


def failing_points(mutant, configs):
    cases = [case for case in CASES if case.config.label in configs]
    outcome = run_battery_under(mutant, cases)
    return {case_id.rsplit("-", 1)[1] for case_id in outcome.failures}


def test_relu_derivative_at_zero_is_seen_only_at_the_exact_zero_point():
    assert failing_points("relu_derivative_one_at_zero", {TINY_F64, TINY_F32, "mlp13-11-1_relu_float64"}) == {
        "exact_zero"
    }


def test_a_missing_max_shift_is_seen_only_at_huge_logits():
    assert failing_points("no_max_shift", {"linear13-5_float64", "linear13-5_float32", TINY_F64}) == {
        "huge_logits"
    }


def test_float32_tolerances_cannot_see_a_float64_sized_error():
    """1 + 1e-7 is below float32 resolution: only the float64 cases catch it, by the aggregate bound."""
    assert failing_points("grad_scaled_1e-7", {TINY_F32, "linear13-5_float32"}) == set()
    assert failing_points("grad_scaled_1e-7", {TINY_F64}) == {
        "init",
        "after_sgd",
        "huge_logits",
        "batch_of_1",
        "exact_zero",
    }


ROOT = Path(__file__).resolve().parent.parent


def run_model_tests(mutant):
    """pytest on a real model test file, with the mutant active for the whole session."""
    env = {**os.environ, "PARITYNETS_MUTANT": mutant}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "parity_tests/test_classifier_mlp.py",
        "-x",
        "-p",
        "no:cacheprovider",
    ]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_pytest_fails_the_model_tests_under_a_mutant():
    result = run_model_tests("relu_mask_missing")
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert "PARITYNETS_MUTANT=relu_mask_missing" in result.stdout
    assert "RESULT: FAIL" in result.stdout


def test_pytest_passes_the_model_tests_under_an_equivalent_mutant():
    result = run_model_tests("relu_mask_from_output")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "PARITYNETS_MUTANT=relu_mask_from_output" in result.stdout


# -- the mutation suite as a product: paritynets-mutate ------------------------------------------


def test_every_known_bug_is_caught_on_all_four_models_and_its_cause_named():
    """The acceptance figures: every gradient bug caught on every model it reaches, the cause
    named for at least 90 % of those with a cause to name, no equivalent rewrite failing (against
    the twins; ``paritynets-mutate`` adds sampled finite differences, which see no bug the twin
    does not, at four times the cost)."""
    from torch_impl.parity.mutate import run_mutants

    figures = run_mutants(finite_differences=None).figures()
    assert figures["caught"] == figures["bugs"] >= 30, figures["missed"]
    assert figures["cause_named"] >= 0.9 * figures["with_cause"], figures["unnamed"]
    assert figures["unnamed"] == []  # measured: every cause named; keep it so
    assert figures["false_alarms"] == []


def test_paritynets_mutate_reports_per_bug_and_model(capsys):
    from scripts import mutate

    assert mutate.main(["--models", "linear", "--mutants", "sign_flip,weight_grad_einsum", "--json"]) == 0
    run = json.loads(capsys.readouterr().out)
    assert [(o["mutant"], o["caught"], o["cause_named"]) for o in run["outcomes"]] == [
        ("sign_flip", True, True),
        ("weight_grad_einsum", False, None),
    ]
    with pytest.raises(SystemExit):
        mutate.main(["--models", "resnet"])
    with pytest.raises(SystemExit):
        mutate.main(["--mutants", "no_such_bug"])


@pytest.mark.parametrize(
    "arguments, message",
    [
        (
            ["--models", "linear", "--mutants", "rows_assigned"],
            "rows_assigned reaches skipgram, not --models linear",
        ),
        (["--mutants", "outer_rows_assigned"], "a bug of the optimizer layer, which no gradient check sees"),
    ],
)
def test_paritynets_mutate_refuses_a_named_bug_that_would_run_nowhere(arguments, message, capsys):
    """Not "0/0 bugs caught" and exit 0: a mutant the chosen models do not reach, or one no
    gradient check can see, is a usage error."""
    from scripts import mutate

    with pytest.raises(SystemExit) as exit_:
        mutate.main(arguments)
    assert exit_.value.code == 2 and message in capsys.readouterr().err


COURSE_TEST = """
import numpy as np

import numpy_impl
from numpy_impl.gradcheck import assert_gradients


def test_the_mlp_backward():
    model = numpy_impl.MLP((5, 4, 3), dtype=np.float64, seed=1)
    rng = np.random.default_rng(0)
    assert_gradients(model, (rng.standard_normal((7, 5)), rng.integers(0, 3, 7)), finite_differences="exhaustive")
"""


def test_paritynets_mutate_runs_a_course_s_own_tests_under_each_bug(tmp_path, monkeypatch, capsys):
    from scripts import mutate

    (tmp_path / "test_course.py").write_text(COURSE_TEST)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    arguments = [
        "--mutants",
        "loss_grad_not_divided_by_n,weight_grad_einsum",
        "--pytest",
        str(tmp_path),
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    assert mutate.main(arguments) == 0
    out = capsys.readouterr().out
    assert "loss_grad_not_divided_by_n         bug        caught" in out
    assert "weight_grad_einsum                 equivalent passes" in out


def test_a_check_that_compares_nothing_catches_no_bug():
    """Without a reference and without finite differences a report is NOT CHECKED, never OK; that
    is not a bug caught (a kept dimension, which structure sees, still is)."""
    from numpy_impl import gradcheck
    from torch_impl.parity.mutate import run_mutants

    def structure_only(numpy_model, torch_model, batch):
        return gradcheck.check(numpy_model, batch, finite_differences=None)

    names = ["loss_grad_not_divided_by_n", "wrong_class_column", "bias_grad_kept_dim"]
    figures = run_mutants(("linear",), names, check=structure_only).figures()
    assert figures["bugs"] == 3 and figures["missed"] == names[:2], figures
