"""The report on learner code with the bugs learners write: each hint names the cause in the
learner's names and layout, against the torch MLP through a layout and with finite differences
alone (every mode), and the hint functions on arrays built to show one structure each."""

import numpy as np
import pytest
from learner_code import Style, functions, init_params, make_batch

from numpy_impl.gradcheck import Layout, compare_tensors, tolerances
from numpy_impl.gradcheck import check as check_without_torch
from numpy_impl.gradcheck.hints import Context
from torch_impl.parity import check

F64 = tolerances.autograd_tolerance(np.float64)
SQUARE = Style(sizes=(11, 11, 5))  # W1 square: a transposed gradient keeps its shape


def twin_report(style, slip, params=None, layout=None, **options):
    params = params if params is not None else init_params(style)
    batch = make_batch(style, 7, seed=1)
    layout = layout or style.layout
    return check(
        functions(style, slip), batch, "mlp", params=params, layout=layout, finite_differences=None, **options
    )


def torch_free_report(style, slip, params=None, mode="exhaustive"):
    params = params if params is not None else init_params(style)
    return check_without_torch(
        functions(style, slip), make_batch(style, 7, seed=1), params=params, finite_differences=mode
    )


def hints(report):
    return [line.strip().removeprefix("hint: ") for line in str(report).splitlines() if "hint: " in line]


def test_a_missing_relu_mask_is_named_at_the_first_divergent_intermediate():
    report = twin_report(Style(), "no_mask")
    text = str(report)
    assert "first divergent: dz1 (an intermediate" in text
    assert next(t for t in report.intermediates if t.name == "dh1").ok  # dh1 is right: the mask is the bug
    dz1 = next(t for t in report.intermediates if t.name == "dz1")
    assert any("non-zero where the reference is exactly 0" in h and "where z <= 0" in h for h in dz1.hints)
    assert "the ReLU mask is missing; multiply by (z > 0)" in text


@pytest.mark.parametrize("mode", ["exhaustive", "sampled"])
def test_a_missing_mask_shows_where_a_dead_unit_makes_the_true_gradient_exactly_zero(mode):
    params = init_params(Style())
    params["b1"][3] = -100.0  # unit 3 never fires: its column of dW1 is exactly 0
    report = torch_free_report(Style(), "no_mask", params, mode)
    assert any("non-zero where the reference is exactly 0" in h for h in hints(report)), str(report)


@pytest.mark.parametrize("check_in", ["twin", "finite differences"])
def test_an_exact_factor_n_is_named_in_every_mode(check_in):
    report = (
        twin_report(Style(), "no_n")
        if check_in == "twin"
        else torch_free_report(Style(), "no_n", mode="sampled")
    )
    assert all("yours = N (7) x reference" in h for h in hints(report)), str(report)


@pytest.mark.parametrize(
    "weights, fix", [("in, out", "dW = x.T @ dz, not dz.T @ x"), ("out, in", "dW = dz.T @ x, not x.T @ dz")]
)
def test_a_transposed_weight_gradient_gets_the_fix_for_your_layout(weights, fix):
    style = Style(sizes=(11, 11, 5), weights=weights)
    for report in (twin_report(style, "transpose"), torch_free_report(style, "transpose")):
        text = str(report)
        assert "yours equals the reference transposed: " in text and fix in text, text  # W1, square
        assert "your shape is the reference's transposed: " in text  # W2, (5, 11) for (11, 5)


def test_a_gradient_of_the_wrong_shape_fails_its_line_in_the_finite_difference_block():
    report = torch_free_report(SQUARE, "transpose")
    w2 = next(t for t in report.finite_differences.tensors if t.name == "W2")
    assert not w2.ok and w2.problems == ["shape (5, 11), expected (11, 5) (no broadcasting)"]
    assert report.finite_differences.ok is False and "FAIL W2" in str(report)


@pytest.mark.parametrize("check_in", ["twin", "finite differences"])
def test_a_kept_dimension_is_named_in_every_mode(check_in):
    report = (
        twin_report(Style(), "keepdims") if check_in == "twin" else torch_free_report(Style(), "keepdims")
    )
    assert any(
        "differ only by a kept dimension of size 1 (yours (1, 5), reference (5,))" in h for h in hints(report)
    )


def test_a_missing_l2_gradient_is_named_with_and_without_the_declared_coefficient():
    style = Style(reg=0.1)
    assert "yours - reference = -0.1 x W1: the L2 term's gradient 2 * l2 * W is missing" in hints(
        twin_report(style, "no_reg")
    )
    torch_free = hints(torch_free_report(style, "no_reg"))
    assert (
        "yours - reference = -0.1 x W1: an L2 term's gradient (2 * l2 * W) off, or one the reference lacks"
        in torch_free
    )


def test_an_undeclared_sum_or_l2_term_is_named_in_the_loss_line():
    summed = twin_report(Style(loss="sum"), None, layout=Layout(weights="in, out", labels="one-hot"))
    assert "your loss is N (7) x the reference's: summed over the batch where the reference averages" in str(
        summed
    )
    regularised = twin_report(Style(reg=0.1), None, layout=Layout(weights="in, out", labels="one-hot"))
    assert (
        "your loss is the reference's + 0.05 * sum(W**2): an L2 term the reference lacks? Layout(l2=0.05)"
        in str(regularised)
    )


def test_an_l2_term_on_a_weight_the_layout_leaves_out_is_named_not_called_a_double_count():
    """The code regularises W1 and W2; the layout says l2_on W1 only. W2's gradient is 2 * l2 * W2
    off and the loss l2 * sum(W2**2): before, "counted twice" and a missing mask (W2's columns of
    dead units, exactly 0 in the reference) were the hints, and the loss had none."""
    style = Style(reg=0.1)
    layout = Layout(weights="in, out", labels="one-hot", l2=0.05, l2_on="W1")
    report = twin_report(style, None, layout=layout)
    assert report.failed_checks() == ["loss", "gradients"] and report.first_divergent == "W2"
    assert hints(report) == [
        "your loss also adds 0.05 * sum(W**2) over W2, which the layout's l2_on leaves out (name it in l2_on, or drop the term)",
        "yours - reference = 0.1 x W2 = 2 * l2 * W2: your code regularises W2, which the layout's l2_on leaves out "
        "(name it in l2_on, or drop the term)",
    ]
    assert twin_report(
        style, None, layout=Layout(weights="in, out", labels="one-hot", l2=0.05, l2_on=("W1", "W2"))
    ).ok
    missing = twin_report(
        style, "no_reg", layout=Layout(weights="in, out", labels="one-hot", l2=0.05, l2_on="W2")
    )
    assert "yours - reference = -0.1 x W2: the L2 term's gradient 2 * l2 * W is missing" in hints(missing)


def test_an_l2_strength_declared_as_reg_instead_of_half_of_it_is_named_on_the_loss():
    """The code's loss adds 0.5 * reg * sum(W**2) (reg 0.1); the layout says l2=0.1, twice it.
    Before, the loss had no hint and each weight got a missing-mask hint (the ReLU columns that are
    exactly 0 in the reference's data term) beside the L2 one."""
    style = Style(reg=0.1)
    report = twin_report(style, None, layout=Layout(weights="in, out", labels="one-hot", l2=0.1))
    assert report.failed_checks() == ["loss", "gradients"], str(report)
    assert report.loss.hints == [
        "your loss's L2 term is 0.05 * sum(W**2), your gradients' too, where the layout declares 0.1: "
        "Layout(l2=0.05) (--l2 0.05)? (0.5 * reg * sum(W**2) is l2 = 0.5 * reg)"
    ]
    for name in ("W1", "W2"):
        tensor = next(g for g in report.gradients if g.name == name)
        assert len(tensor.hints) == 1 and "your code's l2 is half the layout's" in tensor.hints[0], (
            tensor.hints
        )
    half = twin_report(style, None, layout=Layout(weights="in, out", labels="one-hot", l2=0.025))
    assert "your loss's L2 term is 0.05 * sum(W**2)" in half.loss.hints[0], str(half)
    w2 = next(g for g in half.gradients if g.name == "W2")
    assert "your code's l2 is twice the layout's" in w2.hints[0], str(half)


@pytest.mark.parametrize("check_in", ["twin", "finite differences"])
def test_a_shifted_label_column_is_named_in_every_mode(check_in):
    report = (
        twin_report(Style(), "label_column")
        if check_in == "twin"
        else torch_free_report(Style(), "label_column")
    )
    assert "the -1 of softmax - onehot(y) went into column (y + 1) mod C instead of y" in hints(report), str(
        report
    )


def test_one_row_concentration_names_the_row_of_the_tensor_not_of_the_sample():
    report = torch_free_report(Style(), "row_three", mode="sampled")
    assert "hint: the error is concentrated in row 3 of W1 (100 % of it)" in str(report)
    yours, reference = np.ones(6), np.ones(6)  # six sampled entries of a (9, 4) tensor, two in row 8
    yours[[1, 4]] += 5.0
    indices = [(0, 1), (8, 0), (2, 3), (5, 2), (8, 3), (7, 1)]
    result = compare_tensors(yours, reference, F64, name="U", indices=indices)
    assert "the error is concentrated in row 8 of U (100 % of it)" in result.hints


def test_nan_positions_are_given_as_indices_in_the_tensor():
    reference = np.ones((4, 3))
    yours = reference.copy()
    yours[2, 1] = np.nan
    result = compare_tensors(yours, reference, F64, name="W")
    assert result.hints == [
        "yours has 1 NaN and 0 inf entries (first at (2, 1)): an overflow, e.g. exp without the max shift, or a log of 0?"
    ]


def table_pair(rng):
    reference = rng.standard_normal((9, 4))
    return reference.copy(), reference


def test_a_sign_flip_in_one_term_shows_as_rows_that_are_negated():
    yours, reference = table_pair(np.random.default_rng(0))
    yours[[2, 6]] *= -1  # the rows only the flipped term reaches
    yours[4] += 0.3  # and one row both terms reach
    result = compare_tensors(yours, reference, F64, name="U")
    assert any(
        "yours = -reference in rows [2, 6] (2 of the 3 rows that differ): a sign flip in one term" in h
        for h in result.hints
    )


def test_repeated_ids_dropped_show_as_exactly_the_rows_of_ids_that_repeat():
    ids = np.array([1, 3, 3, 5, 7, 7, 7])
    rng = np.random.default_rng(1)
    updates = rng.standard_normal((7, 4))
    reference = np.zeros((9, 4))
    np.add.at(reference, ids, updates)
    yours = np.zeros((9, 4))
    yours[ids] += updates  # W[idx] += G: one update per id survives
    result = compare_tensors(yours, reference, F64, name="V", context=Context(ids=(ids,)))
    assert any(
        "the rows that differ are ids that occur more than once in the batch (3 (2x), 7 (3x))" in h
        for h in result.hints
    )
    other = yours.copy()
    other[1] *= 2  # a row of an id seen once differs too: not the repeated-ids bug
    assert not any(
        "repeated ids" in h for h in compare_tensors(other, reference, F64, context=Context(ids=(ids,))).hints
    )


def test_a_factor_in_some_rows_names_the_size():
    yours, reference = table_pair(np.random.default_rng(2))
    yours[[0, 5, 8]] /= 5  # a mean over K = 5 negatives in the term that alone reaches these rows
    result = compare_tensors(yours, reference, F64, name="U", sizes={"N": 7, "K": 5})
    assert any(h.startswith("rows [0, 5, 8] are 1/K (1/5) x the reference's") for h in result.hints), (
        result.hints
    )


def test_no_repeated_ids_hint_when_no_id_is_seen_once():
    """Every id repeats and every touched row differs: a bug of another kind (a flipped term, say)
    looks the same, so nothing is claimed."""
    ids = np.array([3, 3, 5, 5])
    reference = np.zeros((7, 4))
    reference[[3, 5]] = np.random.default_rng(3).standard_normal((2, 4))
    yours = reference * np.array([[1.0], [1.0], [1.0], [-0.5], [1.0], [0.7], [1.0]])
    assert not any(
        "repeated ids" in h for h in compare_tensors(yours, reference, F64, context=Context(ids=(ids,))).hints
    )


def test_a_larger_loss_with_the_right_gradients_is_not_called_an_l2_term():
    """Any loss above the reference's is some a * sum(W**2) more: the L2 hint holds only when the
    gradients differ by 2 * a * W too."""
    style = Style()
    forward, backward = functions(style)

    def off_by_a_constant(params, batch):
        loss, cache = forward(params, batch)
        return loss + 0.3, cache

    report = check(
        (off_by_a_constant, backward),
        make_batch(style, 7, seed=1),
        "mlp",
        params=init_params(style),
        layout=style.layout,
        finite_differences=None,
    )
    assert report.failed_checks() == ["loss"] and "L2" not in str(report), str(report)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_code_with_another_activation_than_the_twins_is_told_which_it_has(activation):
    """tanh or sigmoid code checked against the relu MLP twin (the default) failed with no hint;
    now the hint names the activation that fits."""
    style = Style(activation=activation)
    params, batch = init_params(style), make_batch(style, 7, seed=1)
    report = check(
        functions(style), batch, "mlp", params=params, layout=style.layout, finite_differences=None
    )
    assert {"loss", "gradients"} <= set(report.failed_checks())
    assert report.hints == [
        f"your gradients equal the torch MLP's with activation {activation!r}, not 'relu': "
        f"pass activation={activation!r} (--activation {activation})"
    ], str(report)
    right = check(
        functions(style),
        batch,
        "mlp",
        params=params,
        layout=style.layout,
        activation=activation,
        finite_differences=None,
    )
    assert right.ok and right.hints == []
