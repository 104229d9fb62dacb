"""``check_model``: every layer of VERIFICATION.md on one NumPy model, its torch twin and one batch.

The NumPy side is duck-typed: ``state_dict()``, ``loss_and_grads(batch) -> (loss, {name: grad})``,
optionally ``parameters()`` (live arrays, for in-place finite differences), ``loss(batch)`` and
``kink_signature(batch)``. The torch side needs ``loss(batch)`` returning a scalar tensor and a state
dict with the same keys. Neither model is changed: the torch twin is copied before the NumPy
weights are loaded into it.
"""

import numpy as np

from numpy_impl.state import StateDictError

from .autograd import autograd_loss_and_grads, parameter_dtypes
from .compare import TensorComparison, compare_loss, compare_tensors, to_numpy
from .finite_differences import finite_difference_check
from .report import ParityReport
from .structure import StructureResult, check_gradients, check_repeatable, check_unchanged, snapshot
from .tolerances import autograd_tolerance


def check_model(
    numpy_model,
    torch_model,
    batch,
    *,
    finite_differences="sampled",
    fd_directions=3,
    fd_entries=10,
    seed=0,
    sizes=None,
):
    """Compare ``numpy_model`` with ``torch_model`` on ``batch``; returns a ``ParityReport``.

    ``finite_differences``: "sampled", "exhaustive" (tiny models) or None; they run on float64
    models only. ``torch_model=None`` skips loss and autograd parity (structure and finite
    differences still run). ``sizes`` names sizes for the hints (default: N, and D for a 2-D x).
    """
    params = {name: to_numpy(value).copy() for name, value in numpy_model.state_dict().items()}
    dtype = _common_dtype(params)
    structure = StructureResult()
    inputs = snapshot(batch)
    report = ParityReport(
        repr(numpy_model), dtype.name, _batch_size(batch), autograd_tolerance(dtype), structure
    )
    sizes = {**infer_sizes(batch), **(sizes or {})}
    try:
        first = _copied(numpy_model.loss_and_grads(batch))  # copies: a second call may write into them
        second = _copied(numpy_model.loss_and_grads(batch))
    except Exception as err:  # a learner's code may raise anything; the report says what
        structure.add("runs", f"loss_and_grads raised {type(err).__name__}: {err}")
        return report
    loss, grads = first
    check_gradients(structure, grads, params, loss)
    check_unchanged(structure, "inputs unmodified", inputs, batch, "input")
    check_unchanged(structure, "parameters unmodified", params, numpy_model.state_dict(), "parameter")
    check_repeatable(structure, first, second)
    if torch_model is not None:
        _against_autograd(report, torch_model, params, inputs, loss, grads, sizes, infer_labels(batch))
    else:
        structure.skipped.append("torch twin")
        report.notes.append("no torch twin: loss and gradient parity not checked")
    if finite_differences:
        report.finite_differences = _finite_differences(
            report,
            numpy_model,
            inputs,
            grads,
            params,
            finite_differences,
            fd_directions,
            fd_entries,
            seed,
            sizes,
        )
    return report


def compare_gradients(yours, reference, *, dtypes=None, order=None, sizes=None, labels=None):
    """Compare two gradient dicts with the autograd tolerances; returns TensorComparisons in
    ``order`` (default: backward order, the reverse of ``reference``'s key order).
    ``dtypes`` gives the expected dtype per name (default: the reference's)."""
    results = []
    for name in order or list(reversed(list(reference))):
        expected = np.dtype((dtypes or {}).get(name, to_numpy(reference[name]).dtype))
        if name not in yours:
            ref = to_numpy(reference[name])
            results.append(TensorComparison(name, False, (), ref.shape, "-", expected.name, ["no gradient"]))
            continue
        tolerance = autograd_tolerance(expected)
        results.append(
            compare_tensors(
                yours[name],
                reference[name],
                tolerance,
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


def _against_autograd(report, torch_model, params, inputs, loss, grads, sizes, labels):
    structure = report.structure
    for name, torch_dtype in parameter_dtypes(torch_model).items():
        if name in params and torch_dtype != params[name].dtype:
            structure.add(
                "torch twin", f"{name} is {torch_dtype.name} in torch, {params[name].dtype.name} in NumPy"
            )
    try:
        reference_loss, reference_grads = autograd_loss_and_grads(torch_model, params, snapshot(inputs))
    except StateDictError as err:
        structure.add("torch twin", str(err))
        return
    report.loss = compare_loss(loss, reference_loss, np.dtype(report.dtype))
    if hasattr(grads, "keys"):
        dtypes = {name: value.dtype for name, value in params.items()}
        report.gradients = compare_gradients(
            grads, reference_grads, dtypes=dtypes, order=list(reversed(params)), sizes=sizes, labels=labels
        )


def _finite_differences(report, model, inputs, grads, params, mode, directions, entries, seed, sizes):
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
    return finite_difference_check(
        model,
        snapshot(inputs),
        grads,
        mode=mode,
        directions=directions,
        entries=entries,
        seed=seed,
        names=usable,
        sizes=sizes,
    )


def _copied(result):
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError(f"loss_and_grads must return (loss, grads); got {type(result).__name__}")
    loss, grads = result
    return snapshot(loss), snapshot(dict(grads)) if hasattr(grads, "keys") else grads


def _common_dtype(params):
    dtypes = {value.dtype for value in params.values()}
    return max(dtypes, key=lambda d: d.itemsize) if dtypes else np.dtype(np.float64)


def _batch_size(batch):
    sizes = infer_sizes(batch)
    return sizes.get("N")
