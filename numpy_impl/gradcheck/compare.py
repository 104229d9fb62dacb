"""Comparing one tensor with its reference: strict shape, dtype, finiteness, then the tolerance rule
of ``tolerances.py``, with the worst entries and hints kept for the report (never the whole tensor)."""

from dataclasses import dataclass, field

import numpy as np

from ..arrays import to_numpy
from .hints import Context, factor_hint, nonfinite_hints, shape_hints
from .patterns import PATTERNS, concentration_hint


@dataclass
class Entry:
    """One compared entry: where, your value, the reference, the allowed error."""

    index: tuple
    yours: float
    reference: float
    allowed: float

    def __str__(self):
        return (
            f"{list(self.index)}: yours {self.yours:.10g}  reference {self.reference:.10g}  "
            f"|diff| {abs(self.yours - self.reference):.3g}  allowed {self.allowed:.3g}"
        )


@dataclass
class TensorComparison:
    name: str
    ok: bool
    shape: tuple
    reference_shape: tuple
    dtype: str
    expected_dtype: str
    problems: list = field(default_factory=list)  # shape, dtype, not an array
    n_total: int = 0
    n_mismatch: int = 0
    n_inconclusive: int = 0
    n_nonfinite: int = 0
    norm_relative_error: float = float("nan")
    max_abs_error: float = float("nan")
    max_abs_reference: float = float("nan")
    worst: list = field(default_factory=list)
    hints: list = field(default_factory=list)
    rounding_only: bool = False  # failed in float32 by values that agree in float64 (confirm.py)
    unresolved: bool = False  # passed finite differences only below their round-off floor

    @property
    def max_error_over_scale(self):
        """max|yours - ref| / max|ref|: the figure the tolerance's k bounds."""
        if self.max_abs_reference > 0:
            return self.max_abs_error / self.max_abs_reference
        return 0.0 if self.max_abs_error == 0 else float("inf")

    def summary(self):
        status = "SKIP" if self.unresolved else "OK  " if self.ok else "FAIL"
        text = f"{status} {self.name:<24} {str(self.shape):<12}"
        if self.n_total:
            text += (
                f" norm-rel {self.norm_relative_error:.2e}  max-err/max|ref| {self.max_error_over_scale:.2e}"
                f"  mismatches {self.n_mismatch}/{self.n_total}"
            )
        if self.n_inconclusive:
            text += f"  inconclusive {self.n_inconclusive}"
        if self.rounding_only:
            text += "  (float32 rounding: agrees in float64)"
        if self.problems:
            text += "  " + "; ".join(self.problems)
        return text

    def lines(self, worst=True):
        lines = [self.summary()]
        if not self.ok and worst:
            lines += [f"    worst {entry}" for entry in self.worst]
        lines += [f"    hint: {hint}" for hint in self.hints]
        return lines

    def to_dict(self):
        return {
            "name": self.name,
            "ok": self.ok,
            "shape": list(self.shape),
            "reference_shape": list(self.reference_shape),
            "dtype": self.dtype,
            "expected_dtype": self.expected_dtype,
            "problems": list(self.problems),
            "n_total": self.n_total,
            "n_mismatch": self.n_mismatch,
            "n_inconclusive": self.n_inconclusive,
            "n_nonfinite": self.n_nonfinite,
            "norm_relative_error": self.norm_relative_error,
            "max_abs_error": self.max_abs_error,
            "max_abs_reference": self.max_abs_reference,
            "max_error_over_scale": self.max_error_over_scale,
            "worst": [vars(e) | {"index": list(e.index)} for e in self.worst],
            "hints": list(self.hints),
            "rounding_only": self.rounding_only,
            "unresolved": self.unresolved,
        }


def compare_tensors(
    actual,
    reference,
    tolerance,
    *,
    name="tensor",
    expected_dtype=None,
    conclusive=None,
    indices=None,
    sizes=None,
    labels=None,
    context=None,
    n_worst=3,
):
    """Compare ``actual`` (yours) with ``reference`` under ``tolerance``.

    ``expected_dtype`` defaults to the reference's dtype. ``conclusive`` (bool, reference's shape)
    leaves out entries that say nothing (finite differences across a kink); ``indices`` name the
    original positions when the arrays are a flat sample of a bigger tensor. ``context`` (a
    ``hints.Context``; ``sizes`` and ``labels`` are short for two of its fields) feeds the hints.
    NaN and inf never equal anything.
    """
    context = (context or Context()).but(name=name, indices=indices)
    if sizes is not None or labels is not None:
        context = context.but(
            sizes=sizes if sizes is not None else context.sizes,
            labels=labels if labels is not None else context.labels,
        )
    reference = to_numpy(reference)
    expected = np.dtype(expected_dtype) if expected_dtype is not None else reference.dtype
    try:
        actual = to_numpy(actual)
    except (TypeError, ValueError) as err:
        return _unusable(name, reference, expected, f"not an array: {err}")
    if actual.dtype.kind not in "fiub":
        return _unusable(name, reference, expected, f"not a numeric array (dtype {actual.dtype})", actual)
    result = TensorComparison(name, True, actual.shape, reference.shape, actual.dtype.name, expected.name)
    if actual.dtype != expected:
        result.problems.append(f"dtype {actual.dtype.name}, expected {expected.name}")
    if actual.shape != reference.shape:
        result.problems.append(f"shape {actual.shape}, expected {reference.shape} (no broadcasting)")
        result.hints = shape_hints(actual.shape, reference.shape, context.sizes, context.weights)
        result.ok = False
        return result
    _compare_values(result, actual, reference, tolerance, conclusive, context, n_worst)
    result.ok = result.ok and not result.problems
    return result


def _compare_values(result, actual, reference, tolerance, conclusive, context, n_worst):
    a, r = actual.astype(np.float64, copy=False), reference.astype(np.float64, copy=False)
    use = np.ones(r.shape, bool) if conclusive is None else np.asarray(conclusive, bool)
    finite = np.isfinite(a) & np.isfinite(r)
    result.n_total = int(use.sum())
    result.n_inconclusive = int(use.size - result.n_total)
    result.n_nonfinite = int((use & ~finite).sum())
    scale = float(np.abs(np.where(use & finite, r, 0)).max(initial=0.0))
    allowed = tolerance.allowed(r, scale)
    with np.errstate(invalid="ignore", over="ignore"):
        error = np.abs(a - r)
    mismatch = use & ~(finite & (error <= allowed))
    result.n_mismatch = int(mismatch.sum())
    result.max_abs_reference = scale
    nonfinite = bool((use & ~finite).any())
    result.max_abs_error = float("inf") if nonfinite else float(np.where(use, error, 0).max(initial=0.0))
    a_used, r_used = np.where(use, a, 0), np.where(use, r, 0)
    norms = _norms(a_used, r_used)
    result.norm_relative_error = _norm_relative(norms)
    result.ok = result.n_mismatch == 0 and (
        tolerance.agg is None
        or (norms is not None and norms[0] <= tolerance.aggregate_allowed(norms[1], result.n_total))
    )
    if not result.ok:
        # the entries that exceed their allowance, or, failing the aggregate test alone, the largest errors
        among, excess = (mismatch, error - allowed) if result.n_mismatch else (use & (error > 0), error)
        result.worst = _worst(a, r, error, allowed, among, excess, context.indices, n_worst)
        result.hints = value_hints(a_used, r_used, mismatch, tolerance, context)


def value_hints(actual, reference, mismatch, tolerance, context):
    """The hints for same-shape float64 arrays: NaN/inf positions alone when there are any; else a
    scalar factor, and where no size explains the factor, the patterns inside the tensor."""
    hints = nonfinite_hints(actual, reference, context)
    if hints:
        return hints
    factor = factor_hint(actual, reference, tolerance, context)
    if factor and "no size behind it" not in factor:
        return [factor]
    hints = [h for find in PATTERNS if (h := find(actual, reference, mismatch, tolerance, context))]
    hints = hints or ([factor] if factor else [])  # a factor no size explains, when nothing else does
    concentrated = concentration_hint(actual, reference, mismatch, tolerance, context)
    return hints + ([concentrated] if concentrated else [])


def _norms(a, r):
    """(||a - r||, ||a|| + ||r||), or None when an entry is NaN or inf."""
    if not (np.isfinite(a).all() and np.isfinite(r).all()):
        return None
    return float(np.linalg.norm(a - r)), float(np.linalg.norm(a)) + float(np.linalg.norm(r))


def _norm_relative(norms):
    if norms is None:
        return float("inf")
    difference, total = norms
    return 0.0 if difference == 0 else difference / total


def _worst(a, r, error, allowed, among, excess, indices, n_worst):
    with np.errstate(invalid="ignore"):
        excess = np.where(among, np.nan_to_num(excess, nan=np.inf), -np.inf).ravel()
    order = np.argsort(-excess, kind="stable")[: min(n_worst, int(among.sum()))]
    entries = []
    for flat in order:
        index = indices[flat] if indices is not None else np.unravel_index(flat, r.shape)
        entries.append(
            Entry(
                tuple(int(i) for i in np.atleast_1d(index)),
                float(a.flat[flat]),
                float(r.flat[flat]),
                float(allowed.flat[flat]),
            )
        )
    return entries


def _unusable(name, reference, expected, problem, actual=None):
    shape = tuple(getattr(actual, "shape", ()))
    return TensorComparison(
        name, False, shape, reference.shape, str(getattr(actual, "dtype", "?")), expected.name, [problem]
    )
