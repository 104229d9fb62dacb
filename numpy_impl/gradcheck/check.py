"""``check``: every layer of the checker on learner code and one batch, with or without a
reference; the layers and their order are explained in docs/gradients.md.

Code is an object or functions (see ``learner.py``); ``check_model`` is ``check`` for an object.
The code and the batch are left as they were found.
"""

import numpy as np

from ..arrays import to_numpy
from .confirm import confirm_in_float64, yours_in_float64
from .finite_differences import finite_difference_check
from .hints import Context, exception_hint
from .learner import LearnerError, as_learner
from .parity import against_reference
from .reference import as_reference
from .report import ParityReport
from .structure import StructureResult, check_gradients, check_repeatable, check_unchanged, snapshot
from .tolerances import autograd_tolerance


def check(
    code,
    batch,
    reference=None,
    *,
    params=None,
    layout=None,
    finite_differences="sampled",
    fd_directions=3,
    fd_entries=10,
    seed=0,
    sizes=None,
):
    """Check the gradients of ``code`` on ``batch``; returns a ``ParityReport``.

    ``code``: an object with ``loss_and_grads(batch)``, a function ``loss_and_grads(params,
    batch)`` or a pair ``(forward, backward)``; ``params`` for functions. Without a ``reference``:
    structure checks and finite differences. With one (a ``Reference`` or a callable
    ``reference(state_dict, batch) -> (loss, grads)``): loss and gradient parity as well, through
    ``layout`` (a ``Layout``) when your code's names or layout differ from the reference's.
    ``finite_differences``: "sampled", "exhaustive" (tiny models) or None; float64 only.
    ``sizes`` names sizes for the hints (default: N, D for a 2-D x, K for (N, K) ids).
    """
    learner = as_learner(code, params)
    params = learner.state_dict()
    if layout is not None and reference is not None:
        layout.labels_to_reference(batch)  # labels of the wrong kind: an error now, not a report
    reference = (
        layout.bind(reference, params)
        if layout is not None and reference is not None
        else as_reference(reference)
    )
    dtype = _common_dtype(params)
    structure = StructureResult(reference.name if reference is not None else "reference")
    inputs = snapshot(batch)
    context = hint_context(batch, params, layout, sizes)
    report = ParityReport(
        learner.label, dtype.name, context.sizes.get("N"), autograd_tolerance(dtype), structure
    )
    report.n_parameters = len(params)
    if getattr(reference, "note", None):
        report.notes.append(reference.note)
    if reference is None:  # before the code runs: a report of code that raised has no tolerance line either
        structure.skipped.append(structure.reference)
        report.notes.append("no reference: loss and gradient parity not checked")
    runs = _run_twice(learner, batch, structure, context)
    if runs is None:
        return report
    first, second = runs
    loss, grads, _ = first
    check_gradients(structure, grads, params, loss)
    check_unchanged(structure, "inputs unmodified", inputs, batch, "input")
    check_unchanged(structure, "parameters unmodified", params, learner.state_dict(), "parameter")
    check_repeatable(structure, first[:2], second[:2])
    if reference is not None:
        against_reference(report, reference, params, inputs, first, context)
        confirm_in_float64(report, learner, reference, params, inputs)
    elif first[2]:
        report.notes.append(f"intermediates ({', '.join(first[2])}) are compared against a reference only")
    if finite_differences:
        options = dict(mode=finite_differences, directions=fd_directions, entries=fd_entries, seed=seed)
        report.finite_differences = _finite_differences(
            report, learner, inputs, grads, params, context, options
        )
    return report


def check_model(model, batch, reference=None, **options):  # the name the first version gave it
    """``check`` for an object (``state_dict()`` or ``parameters()``, and ``loss_and_grads(batch)``)."""
    return check(model, batch, reference, **options)


def hint_context(batch, params, layout=None, sizes=None):
    """What the hints may use: sizes, class ids, the batch's integer arrays, the weights' layout."""
    sizes = {**infer_sizes(batch), **(sizes or {})}
    arrays = [to_numpy(a) for a in batch] if isinstance(batch, (tuple, list)) else []
    ids = tuple(a for a in arrays if a.dtype.kind in "iu" and a.ndim >= 1)
    weights = layout.weights if layout is not None else _weights(params, sizes.get("D"))
    return Context(
        sizes=sizes,
        labels=infer_labels(batch),
        ids=ids,
        weights=weights,
        l2=layout.l2 if layout else 0.0,
        l2_on=tuple(layout.regularised(params)) if layout else None,
    )


def infer_sizes(batch):
    """N (rows of the first array), D (its columns, for a 2-D x) and K (columns of an (N, K) id
    array: negatives per pair) of a tuple batch."""
    first = batch[0] if isinstance(batch, (tuple, list)) and batch else None
    shape = tuple(getattr(first, "shape", ()))
    sizes = {"N": shape[0]} if shape else {}
    if len(shape) == 2:
        sizes["D"] = shape[1]
    for array in batch[1:] if first is not None else ():
        try:
            array = to_numpy(array)
        except (TypeError, ValueError):
            continue
        if array.ndim == 2 and array.dtype.kind in "iu":
            sizes.setdefault("K", array.shape[1])
    return sizes


def infer_labels(batch):
    """The class ids of a ``(x, y)`` batch (one-hot rows read as ids), for the wrong-column hint."""
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        try:
            y = to_numpy(batch[1])
            one_hot = (
                y.ndim == 2 and y.shape[1] > 1 and np.isin(y, (0, 1)).all() and (y.sum(axis=1) == 1).all()
            )
            y = np.argmax(y, axis=1) if one_hot else y
        except (TypeError, ValueError):
            return None
        if y.ndim == 1 and y.dtype.kind in "iu" and y.size:
            return y
    return None


def _weights(params, n_features):
    """ "in, out" or "out, in": the layout in which the 2-D weights chain from the batch's features
    (x @ W1 @ W2 ... or W2 @ W1 @ x), when exactly one of the two does."""
    shapes = [v.shape for v in params.values() if v.ndim == 2]
    if not shapes or not n_features:
        return None
    fits = [
        layout
        for layout, (a, b) in (("in, out", (0, 1)), ("out, in", (1, 0)))
        if shapes[0][a] == n_features and all(s[a] == t[b] for t, s in zip(shapes, shapes[1:], strict=False))
    ]
    return fits[0] if len(fits) == 1 else None


def _finite_differences(report, learner, inputs, grads, params, context, options):
    for check_name in ("parameters unmodified", "inputs unmodified"):
        if report.structure.problems[check_name]:
            report.notes.append(
                f"finite differences skipped: they need a loss that leaves its {check_name.split()[0]} alone"
            )
            return None
    batch = snapshot(inputs)
    if _common_dtype(params) != np.float64:  # float32 differences are noise: your code in float64
        wide, wide_batch, run = yours_in_float64(learner, inputs, list(params))
        if wide is None:
            report.notes.append(f"finite differences could not run your code in float64: {run}")
        else:
            learner, batch, grads = wide, wide_batch, run[1]
            report.notes.append(
                "finite differences ran on your code in float64 (float32 differences are noise): "
                "its gradients there against its own loss there"
            )
    return finite_difference_check(
        learner, batch, grads, names=list(reversed(params)), context=context, **options
    )


def _run_twice(learner, batch, structure, context):
    """Two runs of the code (copies: a second call may write into what the first returned), or
    None when it raises, with what it raised as a problem of the structure check "runs"."""
    try:
        return _copied(learner.run(batch)), _copied(learner.run(batch))
    except LearnerError as err:
        structure.add("runs", str(err))
    except Exception as err:  # a learner's code may raise anything; the report says what
        hint = exception_hint(err, context.weights)
        structure.add(
            "runs",
            f"{learner.call} raised {type(err).__name__}: {err}" + (f" (hint: {hint})" if hint else ""),
        )
    return None


def _copied(result):
    """Copies: a second call may write into what the first returned."""
    loss, grads, intermediates = result
    return snapshot(loss), snapshot(grads), snapshot(intermediates)


def _common_dtype(params):
    dtypes = {value.dtype for value in params.values()}
    return max(dtypes, key=lambda d: d.itemsize) if dtypes else np.dtype(np.float64)


def assert_gradients(code, batch, reference=None, **options):
    """For your own tests: ``check`` (same arguments), then ``raise_if_failed``, so that pytest
    shows the whole report when the check fails. Returns the report when it passes."""
    return check(code, batch, reference, **options).raise_if_failed()
