"""The torch references a learner names (a twin, a torch function) say in plain words what they
cannot take: a batch the twin refuses, a function that raises or returns no single loss, a layout
given with a function written in your own layout. The report names the reference; nothing raises
from inside torch."""

import numpy as np
import pytest
import torch
from learner_code import Style, init_params, loss_and_grads_function, make_batch

from numpy_impl.checks import InputError
from numpy_impl.gradcheck import Layout
from torch_impl import parity

IDS = Style(labels="ids")


def torch_loss(params, batch):
    """Your net in torch, in your own layout: (in, out) weights, class ids."""
    x, y = batch
    z = torch.relu(x @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]
    return torch.nn.functional.cross_entropy(z, y)


def structure_problems(report):
    """What the report's structure checks found, the reference's own check last."""
    return [p for problems in report.structure.problems.values() for p in problems]


def checked(reference, batch, **options):
    code = loss_and_grads_function(IDS)
    return parity.check(code, batch, reference, params=init_params(IDS), finite_differences=None, **options)


def test_a_correct_torch_function_in_your_layout_passes():
    assert checked(torch_loss, make_batch(IDS, 7)).ok


def test_labels_the_twin_cannot_take_are_named_in_the_twins_words():
    """Labels 1..C, as some course data has them, that your code shifts itself: the twin takes ids
    0..C-1 and says so."""
    code = loss_and_grads_function(IDS)

    def one_based(params, batch):
        x, y = batch
        return code(params, (x, y - 1))

    x, y = make_batch(IDS, 7)
    report = parity.check(
        one_based, (x, y + 1), "mlp", params=init_params(IDS), layout=Layout(weights="in, out"), finite_differences=None
    )
    assert not report.ok
    problems = " ".join(structure_problems(report))
    assert "your batch does not fit it: y has labels in" in problems, str(report)
    assert "out of bounds" not in problems  # torch's words, not ours


def test_a_torch_function_that_raises_is_named_not_a_traceback():
    def broken(params, batch):
        x, _ = batch
        return (x @ params["W1"].T).sum()  # (7, 13) @ (5, 13)... a shape bug in the reference

    report = checked(broken, make_batch(IDS, 7))
    assert not report.ok
    assert any(p.startswith("it raises RuntimeError: mat1 and mat2") for p in structure_problems(report)), str(report)


def test_a_torch_function_must_return_one_loss_and_is_told_the_shape_it_gave():
    def per_example(params, batch):
        x, y = batch
        z = torch.relu(x @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]
        return torch.nn.functional.cross_entropy(z, y, reduction="none")

    report = checked(per_example, make_batch(IDS, 7))
    assert "it must return a one-element loss tensor; got a tensor of shape (7,)" in structure_problems(report)


def test_a_layout_with_a_torch_function_is_refused():
    """A layout maps your code onto a twin; applied to a function in your own layout it would
    transpose your weights and relabel your batch before the function saw them."""
    with pytest.raises(InputError, match="written in your own names and layout: pass no layout"):
        checked(torch_loss, make_batch(IDS, 7), layout=Layout(weights="in, out"))


def test_the_twins_check_model_still_takes_non_finite_batches():
    """The twin's own validation runs only to explain a failure: a NaN batch is still compared."""
    import numpy_impl
    import torch_impl

    numpy_model = numpy_impl.MLP((4, 3, 2), dtype=np.float64)
    torch_model = torch_impl.MLP((4, 3, 2), dtype=np.float64)
    x = np.ones((2, 4))
    x[0, 0] = np.nan
    report = parity.check_model(numpy_model, torch_model, (x, np.array([0, 1])), finite_differences=None)
    assert "does not fit" not in str(report)
