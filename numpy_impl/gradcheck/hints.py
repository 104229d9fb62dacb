"""Likely causes, read from the structure of a mismatch (yours vs reference).

Each function returns a list of short sentences. ``sizes`` names the sizes a bug tends to leak
into a result (``{"N": 7, "D": 13, "K": 5}``); ``labels`` are the batch's class ids when known.
"""

import numpy as np

_EXPLAIN = {
    "N": "a sum where the reference takes the mean over the batch (divide by N?)",
    "1/N": "divided by N once too often (mean where the reference sums?)",
    "-1": "a sign flip",
    "2": "a factor 2 too many (a double count, or d(x^2) = 2x applied twice)",
    "1/2": "a factor 2 missing (d(x^2) = 2x)",
    "-2": "a sign flip and a factor 2",
    "-1/2": "a sign flip and a missing factor 2",
}


def shape_hints(actual_shape, reference_shape, sizes=None):
    actual_shape, reference_shape = tuple(actual_shape), tuple(reference_shape)
    hints = []
    if _squeeze(actual_shape) == _squeeze(reference_shape):
        hints.append(
            f"shapes differ only by a kept dimension of size 1 (yours {actual_shape}, reference "
            f"{reference_shape}): a sum with keepdims=True or a [None] left in; no broadcasting is allowed here"
        )
    elif len(actual_shape) == 2 and actual_shape[::-1] == reference_shape:
        hints.append("your shape is the reference's transposed: weights are (out, in), so dW = dz.T @ x")
    for name, size in (sizes or {}).items():
        if size in actual_shape and size not in reference_shape:
            hints.append(
                f"your shape {actual_shape} has {name}={size} where the reference {reference_shape} has none: "
                f"summed or averaged over the wrong axis?"
            )
    return hints


def value_hints(actual, reference, mismatch, tolerance, sizes=None, labels=None):
    """Hints for same-shape float64 arrays; ``mismatch`` marks the entries outside the tolerance."""
    hints = _nonfinite_hints(actual, reference)
    if hints:
        return hints
    for find in (_factor_hint, _transpose_hint, _mask_hint, _label_column_hint, _concentration_hint):
        hint = find(
            actual, reference, mismatch=mismatch, tolerance=tolerance, sizes=sizes or {}, labels=labels
        )
        if hint:
            hints.append(hint)
    return hints


def _nonfinite_hints(actual, reference):
    hints = []
    for who, a in (("yours", actual), ("the reference", reference)):
        bad = ~np.isfinite(a)
        if bad.any():
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            hints.append(
                f"{who} has {int(np.isnan(a).sum())} NaN and {int(np.isinf(a).sum())} inf entries "
                f"(first at {first}): an overflow, e.g. exp without the max shift, or a log of 0?"
            )
    return hints


def _factor_hint(actual, reference, *, tolerance, sizes, **_):
    """yours = c * reference for one scalar c != 1."""
    if actual.size < 2:
        return None  # one number is always "a multiple" of another
    rr = float(np.vdot(reference, reference))
    error = float(np.linalg.norm(actual - reference))
    if rr == 0 or error == 0:
        return None
    c = float(np.vdot(actual, reference)) / rr
    if np.linalg.norm(actual - c * reference) > 0.05 * error:
        return None
    match = 1e-6 if tolerance.agg is None or tolerance.agg < 1e-9 else 1e-3
    for label, value in _factor_candidates(sizes):
        if abs(c - value) <= match * abs(value):
            return f"yours = {label} x reference (c = {c:.6g}): {_EXPLAIN.get(label.split(' ')[0], _size_explain(label))}"
    return f"yours = {c:.9g} x reference: a scale error with no size behind it"


def _factor_candidates(sizes):
    candidates = [
        (name, value) for name, value in (("-1", -1), ("2", 2), ("1/2", 0.5), ("-2", -2), ("-1/2", -0.5))
    ]
    for name, size in sizes.items():
        if size > 2:
            candidates += [(f"{name} ({size})", float(size)), (f"1/{name} (1/{size})", 1.0 / size)]
    return candidates


def _size_explain(label):
    name = label.split(" ")[0]
    if name.startswith("1/"):
        return f"divided by {name[2:]} once too often"
    return f"a sum over {name} where the reference averages, or a missing 1/{name}"


def _transpose_hint(actual, reference, *, tolerance, **_):
    if actual.ndim != 2 or actual.shape[0] != actual.shape[1] or actual.shape[0] < 2:
        return None
    transposed = reference.T
    scale = float(np.abs(transposed).max())
    if scale > 0 and (np.abs(actual - transposed) <= tolerance.allowed(transposed, scale)).all():
        return "yours equals the reference transposed: weights are (out, in), so dW = dz.T @ x, not x.T @ dz"
    return None


def _mask_hint(actual, reference, *, mismatch, **_):
    at_zero = mismatch & (reference == 0)
    if not at_zero.any() or at_zero.sum() * 2 < mismatch.sum():
        return None
    first = tuple(int(i) for i in np.argwhere(at_zero)[0])
    return (
        f"{int(at_zero.sum())} of the mismatches are non-zero where the reference is exactly 0 (first at {first}): "
        f"a missing mask? (ReLU' must be 0 where z <= 0)"
    )


def _label_column_hint(actual, reference, *, sizes, labels, **_):
    """A -1 of softmax - onehot(y) in the wrong column leaves, in the output bias gradient, a
    difference of whole multiples of 1/N that sums to 0 over the classes."""
    n = sizes.get("N")
    if actual.ndim != 1 or labels is None or not n or actual.shape[0] < 2:
        return None
    d = (actual - reference) * n
    whole = np.round(d)
    if not whole.any() or np.abs(d - whole).max() > 1e-3 or abs(whole.sum()) > 0:
        return None
    labels = np.asarray(labels).astype(np.int64)
    if labels.min() < 0 or labels.max() >= actual.shape[0]:
        return None
    counts = np.bincount(labels, minlength=actual.shape[0])
    for shift in range(1, actual.shape[0]):
        if np.array_equal(-whole, np.roll(counts, shift) - counts):
            return f"the -1 of softmax - onehot(y) went into column (y + {shift}) mod C instead of y"
    return (
        "the difference is whole multiples of 1/N summing to 0 over classes: a -1 in the wrong class column?"
    )


def _concentration_hint(actual, reference, **_):
    if actual.ndim == 0 or actual.shape[0] < 3:
        return None
    squared = (actual - reference) ** 2
    for axis, what in ((0, "row" if actual.ndim > 1 else "entry"), (1, "column")):
        if squared.ndim <= axis or squared.shape[axis] < 3:
            continue
        per_line = squared.sum(axis=tuple(i for i in range(squared.ndim) if i != axis))
        total = per_line.sum()
        worst = int(np.argmax(per_line))
        if total > 0 and per_line[worst] >= 0.9 * total:
            return (
                f"the error is concentrated in {what} {worst} ({100 * per_line[worst] / total:.0f} % of it)"
            )
    return None


def _squeeze(shape):
    return tuple(s for s in shape if s != 1)
