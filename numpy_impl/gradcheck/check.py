"""``check_model``: every layer of the checker on one model and one batch, with or without a
reference (see ``reference.py``); the layers and their order are explained in docs/gradients.md.

The model is duck-typed: ``state_dict()``, ``loss_and_grads(batch) -> (loss, {name: grad})``,
optionally ``parameters()`` (live arrays, for in-place finite differences) and ``loss(batch)``.
It is left as it was found.
"""

import numpy as np

from ..arrays import to_numpy
from ..state import StateDictError
from .compare import TensorComparison, compare_loss, compare_tensors
from .finite_differences import finite_difference_check
from .report import ParityReport
from .structure import StructureResult, check_gradients, check_repeatable, check_unchanged, snapshot
from .tolerances import autograd_tolerance


def check_model(
    model,
    batch,
    reference=None,
    *,
    finite_differences="sampled",
    fd_directions=3,
    fd_entries=10,
    seed=0,
    sizes=None,
):
    """Check ``model``'s gradients on ``batch``; returns a ``ParityReport``.

    Without a ``reference``: structure checks and finite differences. With one (a callable
    ``reference(state_dict, batch) -> (loss, grads)``): loss and gradient parity with it as well.
    ``finite_differences``: "sampled", "exhaustive" (tiny models) or None; they run on float64
    models only. ``sizes`` names sizes for the hints (default: N, and D for a 2-D x).
    """
    params = {name: to_numpy(value).copy() for name, value in model.state_dict().items()}
    dtype = _common_dtype(params)
    structure = StructureResult(getattr(reference, "name", "reference"))
    inputs = snapshot(batch)
    report = ParityReport(
        repr(model), dtype.name, infer_sizes(batch).get("N"), autograd_tolerance(dtype), structure
    )
    sizes = {**infer_sizes(batch), **(sizes or {})}
    try:
        first = _copied(model.loss_and_grads(batch))  # copies: a second call may write into them
        second = _copied(model.loss_and_grads(batch))
    except Exception as err:  # a learner's code may raise anything; the report says what
        structure.add("runs", f"loss_and_grads raised {type(err).__name__}: {err}")
        return report
    loss, grads = first
    check_gradients(structure, grads, params, loss)
    check_unchanged(structure, "inputs unmodified", inputs, batch, "input")
    check_unchanged(structure, "parameters unmodified", params, model.state_dict(), "parameter")
    check_repeatable(structure, first, second)
    if reference is not None:
        _against_reference(report, reference, params, inputs, first, sizes, infer_labels(batch))
    else:
        structure.skipped.append(structure.reference)
        report.notes.append("no reference: loss and gradient parity not checked")
    if finite_differences:
        options = dict(mode=finite_differences, directions=fd_directions, entries=fd_entries, seed=seed)
        report.finite_differences = _finite_differences(report, model, inputs, grads, params, sizes, options)
    return report


def compare_gradients(yours, reference, *, dtypes=None, order=None, sizes=None, labels=None):
    """Compare two gradient dicts with the gradient-vs-reference tolerances; returns
    TensorComparisons in ``order`` (default: backward order, the reverse of ``reference``'s keys).
    ``dtypes`` gives the expected dtype per name (default: the reference's)."""
    results = []
    for name in order or list(reversed(list(reference))):
        expected = np.dtype((dtypes or {}).get(name, to_numpy(reference[name]).dtype))
        if name not in yours:
            ref = to_numpy(reference[name])
            results.append(TensorComparison(name, False, (), ref.shape, "-", expected.name, ["no gradient"]))
            continue
        results.append(
            compare_tensors(
                yours[name],
                reference[name],
                autograd_tolerance(expected),
                name=name,
                expected_dtype=expected,
                sizes=sizes,
                labels=labels,
            )
        )
    return results


def infer_sizes(batch):
    """N (rows of the first array) and D (its columns, for a 2-D float x) of a tuple batch."""
    first = batch[0] if isinstance(batch, (tuple, list)) and batch else None
    shape = tuple(getattr(first, "shape", ()))
    sizes = {"N": shape[0]} if shape else {}
    if len(shape) == 2:
        sizes["D"] = shape[1]
    return sizes


def infer_labels(batch):
    """The integer labels of a ``(x, y)`` batch, for the wrong-class-column hint; else None."""
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        try:
            y = to_numpy(batch[1])
        except (TypeError, ValueError):
            return None
        if y.ndim == 1 and y.dtype.kind in "iu" and y.size:
            return y
    return None


def _against_reference(report, reference, params, inputs, yours, sizes, labels):
    """Loss and gradient parity; a state dict the reference cannot take, or reference gradients of
    another dtype, are problems of the structure check named after the reference."""
    structure, name = report.structure, report.structure.reference
    try:
        reference_loss, reference_grads = reference(params, snapshot(inputs))
    except StateDictError as err:
        structure.add(name, str(err))
        return
    for key, value in reference_grads.items():
        other = to_numpy(value).dtype
        if key in params and other != params[key].dtype:
            structure.add(name, f"{key} is {other.name} in the {name}, {params[key].dtype.name} in yours")
    loss, grads = yours
    report.loss = compare_loss(loss, reference_loss, np.dtype(report.dtype))
    if hasattr(grads, "keys"):
        dtypes = {key: value.dtype for key, value in params.items()}
        report.gradients = compare_gradients(
            grads, reference_grads, dtypes=dtypes, order=list(reversed(params)), sizes=sizes, labels=labels
        )


def _finite_differences(report, model, inputs, grads, params, sizes, options):
    for check in ("parameters unmodified", "inputs unmodified"):
        if report.structure.problems[check]:
            report.notes.append(
                f"finite differences skipped: they need a loss that leaves its {check.split()[0]} alone"
            )
            return None
    if not hasattr(grads, "keys"):
        return None
    usable = [
        name
        for name in reversed(params)
        if name in grads and np.shape(to_numpy(grads[name])) == params[name].shape
    ]
    return finite_difference_check(model, snapshot(inputs), grads, names=usable, sizes=sizes, **options)


def _copied(result):
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError(f"loss_and_grads must return (loss, grads); got {type(result).__name__}")
    loss, grads = result
    return snapshot(loss), snapshot(dict(grads)) if hasattr(grads, "keys") else grads


def _common_dtype(params):
    dtypes = {value.dtype for value in params.values()}
    return max(dtypes, key=lambda d: d.itemsize) if dtypes else np.dtype(np.float64)
