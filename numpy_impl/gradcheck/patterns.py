"""Likely causes read from where inside a tensor yours and the reference differ: a transpose, a
mask (non-zero where the reference is exactly 0, or zero where it is not), rows that differ by a
sign or a factor (one term of a sum), rows of ids that repeat in the batch, the -1 of
softmax - onehot(y) in a shifted column, an error concentrated in one row, an L2 term's gradient.
Arrays are float64 of one shape; ``mismatch`` marks the entries outside the tolerance; ``context``
is a ``hints.Context``. Each function returns a sentence or None."""

from itertools import combinations

import numpy as np

from .hints import explain, factor_match, name_factor, transpose_fix


def transpose_hint(actual, reference, mismatch, tolerance, context):
    if (
        actual.ndim != 2
        or actual.shape[0] != actual.shape[1]
        or actual.shape[0] < 2
        or context.indices is not None
    ):
        return None
    transposed = reference.T
    scale = float(np.abs(transposed).max())
    if scale > 0 and (np.abs(actual - transposed) <= tolerance.allowed(transposed, scale)).all():
        return f"yours equals the reference transposed: {transpose_fix(context.weights)}"
    return None


def regularisation_hint(actual, reference, mismatch, tolerance, context):
    """yours - reference = a * W (an L2 term's gradient missing, halved or doubled), or yours =
    c * reference + a * W (the data term's gradient off by a factor c, the L2 term's right)."""
    w = None if context.param is None else np.asarray(context.param, np.float64)
    if w is None or w.shape != actual.shape or w.size < 2 or not np.vdot(w, w):
        return None
    d = actual - reference
    a = _weight_multiple(d, w)
    if a is not None:
        return _l2_sentence(a, context)
    basis = np.stack([reference.ravel(), w.ravel()], axis=1)
    (c, b), *_ = np.linalg.lstsq(basis, actual.ravel(), rcond=None)
    label = name_factor(float(c), context.sizes, factor_match(tolerance))
    if label and b and np.linalg.norm(actual.ravel() - basis @ (c, b)) <= 1e-3 * np.linalg.norm(d):
        return f"apart from an L2 term's gradient, yours = {label} x reference: {explain(label)} (in the data term only)"
    return None


def _weight_multiple(difference, w):
    """a when ``difference`` is a * W (an L2 term's gradient, nothing else), else None."""
    a = float(np.vdot(difference, w) / np.vdot(w, w))
    return a if a != 0 and np.linalg.norm(difference - a * w) <= 1e-3 * np.linalg.norm(difference) else None


def _l2_sentence(a, context):
    if context.l2 and not context.regularised and abs(a - 2 * context.l2) <= 1e-6 * 2 * context.l2:
        return (
            f"yours - reference = {a:.6g} x {context.name} = 2 * l2 * {context.name}: your code regularises "
            f"{context.name}, which the layout's l2_on leaves out (name it in l2_on, or drop the term)"
        )
    if context.regularised:
        for ratio, what in (
            (-2, "is missing"),
            (
                -1,
                "is halved (d(l2 * W**2)/dW = 2 * l2 * W), or your code's l2 is half the layout's (its loss then says so)",
            ),
            (2, "is counted twice, or your code's l2 is twice the layout's (its loss then says so)"),
        ):
            if abs(a - ratio * context.l2) <= 1e-6 * abs(ratio * context.l2):
                return (
                    f"yours - reference = {a:.6g} x {context.name}: the L2 term's gradient 2 * l2 * W {what}"
                )
    return f"yours - reference = {a:.6g} x {context.name}: an L2 term's gradient (2 * l2 * W) off, or one the reference lacks"


def mask_hint(actual, reference, mismatch, tolerance, context):
    """Non-zero where the reference is exactly 0 (a missing mask), or zero where it is not; the
    data term's zeros, when a declared L2 term's gradient 2 * l2 * W would hide them."""
    if context.param is not None and np.shape(context.param) == actual.shape:
        w = np.asarray(context.param, np.float64)
        if np.vdot(w, w) and _weight_multiple(actual - reference, w) is not None:
            return None  # all of the difference is an L2 term's gradient (regularisation_hint)
        if context.regularised:
            actual, reference = actual - 2 * context.l2 * w, reference - 2 * context.l2 * w
    at_zero = mismatch & (reference == 0)
    if at_zero.any() and at_zero.sum() >= 0.05 * mismatch.sum():  # exact zeros of the reference are a mask's
        first = _where(np.argwhere(at_zero)[0], context)
        pattern = ""
        if context.value is not None and np.shape(context.value) == actual.shape:
            below = int((np.asarray(context.value)[at_zero] <= 0).sum())
            pattern = f"; {below} of them where z <= 0"
        return (
            f"{int(at_zero.sum())} entries are non-zero where the reference is exactly 0 (first at {first}){pattern}: "
            f"a missing mask? (ReLU' is 0 where z <= 0: dz = dh * (z > 0))"
        )
    yours_zero = mismatch & (actual == 0) & (reference != 0)
    if mismatch.any() and not actual.any():
        return f"yours is all zero where the reference is not: the gradient never reaches {context.name} (a path cut, a term dropped?)"
    if 2 * yours_zero.sum() >= mismatch.sum() and yours_zero.any():
        rows = _zero_rows(actual, reference, context)
        if rows is not None:
            return f"rows {rows} of yours are exactly zero where the reference's are not: a term missing (the one that alone reaches those rows)?"
        return f"{int(yours_zero.sum())} entries of yours are exactly zero where the reference is not: a mask too many, or a term missing?"
    return None


def row_hint(actual, reference, mismatch, tolerance, context):
    """Rows that differ by one factor while the others agree: one term of a sum flipped or scaled."""
    if actual.ndim != 2 or actual.shape[1] < 2 or context.indices is not None:
        return None
    bad = np.flatnonzero(mismatch.any(axis=1))
    factors = _row_factors(actual[bad], reference[bad], tolerance)
    labels = [
        name_factor(c, context.sizes, factor_match(tolerance)) if c is not None else None for c in factors
    ]
    for label in dict.fromkeys(label for label in labels if label):
        rows = bad[[i for i, other in enumerate(labels) if other == label]]
        if 4 * len(rows) >= len(bad) and len(rows) < actual.shape[0]:  # rows the term alone reaches
            if label == "-1":
                return f"yours = -reference in rows {_list(rows)} ({len(rows)} of the {len(bad)} rows that differ): a sign flip in one term (the rows it alone reaches)"
            return f"rows {_list(rows)} are {label} x the reference's ({len(rows)} of the {len(bad)} that differ): {explain(label)}, in one term"
    return None


def repeated_ids_hint(actual, reference, mismatch, tolerance, context):
    """The rows that differ are exactly rows of ids that occur more than once in the batch."""
    if actual.ndim != 2 or not context.ids or context.indices is not None:
        return None
    bad = mismatch.any(axis=1)
    if not bad.any():
        return None
    n_rows = actual.shape[0]
    sources = [a.ravel() for a in context.ids if a.size and 0 <= a.min() and a.max() < n_rows]
    for k in range(1, len(sources) + 1):
        for chosen in combinations(sources, k):
            counts = np.bincount(np.concatenate(chosen), minlength=n_rows)
            repeated, once = counts >= 2, counts == 1
            # exactly the repeated rows differ, and rows of ids seen once exist and agree
            if np.array_equal(bad, repeated) and once.any() and not (bad & once).any():
                rows = np.flatnonzero(bad)
                shown = ", ".join(f"{r} ({counts[r]}x)" for r in rows[:5]) + (
                    ", ..." if len(rows) > 5 else ""
                )
                return (
                    f"the rows that differ are ids that occur more than once in the batch ({shown}); ids that occur "
                    f"once agree: repeated ids dropped (W[idx] += G keeps one update per id; np.add.at(W, idx, G) adds them all)"
                )
    return None


def label_column_hint(actual, reference, mismatch, tolerance, context):
    """A -1 of softmax - onehot(y) in the wrong column leaves, in the output bias gradient, a
    difference of whole multiples of 1/N that sums to 0 over the classes."""
    n, labels = context.sizes.get("N"), context.labels
    if actual.ndim != 1 or labels is None or not n or actual.shape[0] < 2 or context.indices is not None:
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


def concentration_hint(actual, reference, mismatch, tolerance, context):
    """Most of the error in one row (or column) of the tensor, named by its index in the tensor."""
    squared = ((actual - reference) ** 2).ravel()
    if context.indices is not None:
        positions = np.array([np.atleast_1d(i) for i in context.indices])
        shape = positions.max(axis=0) + 1
    else:
        positions, shape = np.argwhere(np.ones(actual.shape, bool)), np.array(actual.shape)
    if squared.size < 3 or positions.ndim != 2 or positions.shape[1] == 0:
        return None
    for axis, what in ((0, "row" if positions.shape[1] > 1 else "entry"), (1, "column")):
        if positions.shape[1] <= axis or len(np.unique(positions[:, axis])) < 3:
            continue
        per_line = np.bincount(positions[:, axis], weights=squared, minlength=int(shape[axis]))
        total, worst = per_line.sum(), int(np.argmax(per_line))
        if total > 0 and per_line[worst] >= 0.9 * total:
            return f"the error is concentrated in {what} {worst} of {context.name} ({100 * per_line[worst] / total:.0f} % of it)"
    return None


PATTERNS = (transpose_hint, regularisation_hint, mask_hint, row_hint, repeated_ids_hint, label_column_hint)


def _row_factors(a, r, tolerance):
    """Per row, the factor c with a = c r when the row fits it within the tolerance, else None."""
    scale = float(np.abs(r).max(initial=0.0))
    factors = []
    for a_i, r_i in zip(a, r, strict=True):
        rr = float(np.vdot(r_i, r_i))
        c = float(np.vdot(a_i, r_i)) / rr if rr else None
        fits = c is not None and (np.abs(a_i - c * r_i) <= 10 * tolerance.allowed(c * r_i, scale)).all()
        factors.append(c if fits else None)
    return factors


def _zero_rows(actual, reference, context):
    if actual.ndim != 2:
        return None
    rows = np.flatnonzero(~actual.any(axis=1) & reference.any(axis=1))
    return _list(rows) if len(rows) else None


def _where(index, context):
    index = context.indices[int(index[0])] if context.indices is not None else index
    return tuple(int(i) for i in np.atleast_1d(index))


def _list(rows):
    rows = [int(r) for r in rows]
    return "[" + ", ".join(map(str, rows[:8])) + (", ...]" if len(rows) > 8 else "]")
