"""Likely causes, read from the structure of a mismatch (yours vs reference): a scalar factor, a
shape, a loss that differs by a factor or a term, an exception's message. Patterns inside a tensor
(masks, rows, ids, a transpose) are in ``patterns.py``. Each function returns short sentences.

``Context`` says what the hints may use: named sizes (``{"N": 7, "D": 13, "K": 5}``), the batch's
class ids and integer id arrays, the layout of the code's weights, the tensor's parameter value
and the declared L2 coefficient, the forward value of an intermediate, and where sampled entries
sit in their tensor.
"""

import re
from dataclasses import dataclass, field, replace

import numpy as np

_EXPLAIN = {
    "N": "a sum where the reference takes the mean over the batch: divide by N",
    "1/N": "divided by N once too often (mean where the reference sums?)",
    "-1": "a sign flip",
    "2": "a factor 2 too many (a double count, or d(x^2) = 2x applied twice)",
    "1/2": "a factor 2 missing (d(x^2) = 2x)",
    "-2": "a sign flip and a factor 2",
    "-1/2": "a sign flip and a missing factor 2",
}


@dataclass(frozen=True)
class Context:
    sizes: dict = field(default_factory=dict)
    labels: object = None  # class ids of a (x, y) batch
    ids: tuple = ()  # the batch's integer arrays (rows of tables they index)
    weights: str | None = None  # "out, in", "in, out" or None (not known)
    param: object = None  # this tensor's parameter value, in your layout
    l2: float = 0.0  # the L2 coefficient the layout declares
    l2_on: tuple | None = None  # the weights its L2 term covers (None: no layout says)
    value: object = None  # an intermediate's forward value (z), for the mask pattern
    indices: object = None  # positions of sampled entries in their tensor
    name: str = "tensor"

    def but(self, **changes):
        return replace(self, **changes)

    @property
    def regularised(self):
        """Whether the layout's L2 term covers this tensor (with an L2 term and no ``l2_on``: all)."""
        return bool(self.l2) and (self.l2_on is None or self.name in self.l2_on)


def factor_match(tolerance):
    """How close a measured factor must come to a candidate: finite differences and float32 are noisier."""
    return 1e-4 if tolerance.agg is None else (1e-6 if tolerance.agg < 1e-9 else 1e-3)


def factor_candidates(sizes):
    candidates = [("-1", -1.0), ("2", 2.0), ("1/2", 0.5), ("-2", -2.0), ("-1/2", -0.5)]
    for name, size in sizes.items():
        if size > 2:
            candidates += [(f"{name} ({size})", float(size)), (f"1/{name} (1/{size})", 1.0 / size)]
    return candidates


def name_factor(c, sizes, match):
    """The candidate label ``c`` equals (e.g. "N (7)"), or None."""
    return next(
        (label for label, value in factor_candidates(sizes) if abs(c - value) <= match * abs(value)), None
    )


def explain(label):
    key = label.split(" ")[0]
    if key in _EXPLAIN:
        return _EXPLAIN[key]
    if key.startswith("1/"):
        return f"divided by {key[2:]} once too often"
    return f"a sum over {key} where the reference averages, or a missing 1/{key}"


def factor_hint(actual, reference, tolerance, context):
    """yours = c * reference for one scalar c != 1."""
    if actual.size < 2:
        return None  # one number is always "a multiple" of another
    rr, error = float(np.vdot(reference, reference)), float(np.linalg.norm(actual - reference))
    if rr == 0 or error == 0:
        return None
    c = float(np.vdot(actual, reference)) / rr
    if np.linalg.norm(actual - c * reference) > 0.05 * error:
        return None
    label = name_factor(c, context.sizes, factor_match(tolerance))
    if label:
        return f"yours = {label} x reference (c = {c:.6g}): {explain(label)}"
    return f"yours = {c:.9g} x reference: a scale error with no size behind it"


def shape_hints(actual_shape, reference_shape, sizes=None, weights=None):
    actual_shape, reference_shape = tuple(actual_shape), tuple(reference_shape)
    hints = []
    if _squeeze(actual_shape) == _squeeze(reference_shape):
        hints.append(
            f"shapes differ only by a kept dimension of size 1 (yours {actual_shape}, reference "
            f"{reference_shape}): a sum with keepdims=True or a [None] left in; no broadcasting is allowed here"
        )
    elif len(actual_shape) == 2 and actual_shape[::-1] == reference_shape:
        hints.append(f"your shape is the reference's transposed: {transpose_fix(weights)}")
    for name, size in (sizes or {}).items():
        if size in actual_shape and size not in reference_shape:
            hints.append(
                f"your shape {actual_shape} has {name}={size} where the reference {reference_shape} has none: "
                f"summed or averaged over the wrong axis?"
            )
    return hints


def transpose_fix(weights):
    """The weight gradient's formula in the code's own layout."""
    if weights == "in, out":
        return "your weights are (in, out) (z = x @ W), so dW = x.T @ dz, not dz.T @ x"
    if weights == "out, in":
        return "weights are (out, in) (z = x @ W.T), so dW = dz.T @ x, not x.T @ dz"
    return "a gradient has its parameter's shape: dW = x.T @ dz for (in, out) weights, dz.T @ x for (out, in)"


def nonfinite_hints(actual, reference, context):
    hints = []
    for who, a in (("yours", actual), ("the reference", reference)):
        bad = ~np.isfinite(a)
        if bad.any():
            first = np.argwhere(bad)[0]
            where = context.indices[int(first[0])] if context.indices is not None else first
            hints.append(
                f"{who} has {int(np.isnan(a).sum())} NaN and {int(np.isinf(a).sum())} inf entries "
                f"(first at {tuple(int(i) for i in np.atleast_1d(where))}): an overflow, e.g. exp without the "
                f"max shift, or a log of 0?"
            )
    return hints


def loss_hints(yours, reference, sizes, l2_base=0.0, l2=0.0, l2_fits=None, left_out=None):
    """Why a loss differs: a factor (a sum where the reference averages...) or an L2 term.
    ``l2_fits(a)``: whether the gradients agree with a term ``a * sum(W**2)`` (None: not known);
    any loss above the reference's is some ``a * sum(W**2)`` more, so only they can say it is one.
    ``left_out``: (names, their sum(W**2)) of the weights the layout's L2 term leaves out."""
    if not (np.isfinite(yours) and np.isfinite(reference)) or reference == 0:
        return (
            []
            if np.isfinite(yours)
            else [f"your loss is {yours}: an overflow (exp without the max shift?) or a log of 0"]
        )
    label = name_factor(yours / reference, sizes, 1e-6)
    if label:
        what = {"N": "summed over the batch where the reference averages (Layout(loss='sum') if you mean it)"}
        return [f"your loss is {label} x the reference's: {what.get(label.split(' ')[0], explain(label))}"]
    names, left_out_base = left_out or ((), 0.0)
    if l2 and left_out_base > 0 and abs(yours - reference - l2 * left_out_base) <= 1e-6 * l2 * left_out_base:
        return [
            f"your loss also adds {l2:g} * sum(W**2) over {', '.join(names)}, which the layout's l2_on leaves out "
            f"(name {'them' if len(names) > 1 else 'it'} in l2_on, or drop the term)"
        ]
    if l2_base > 0:
        a = (yours - reference) / l2_base
        if l2 and abs(a + l2) <= 1e-6 * l2:
            return [f"your loss lacks the L2 term {l2:g} * sum(W**2) the layout declares"]
        if not l2 and a > 0 and (l2_fits is None or l2_fits(a)):
            return [
                f"your loss is the reference's + {a:.6g} * sum(W**2): an L2 term the reference lacks? Layout(l2={a:.6g})"
            ]
        if l2 and l2 + a > 0 and l2_fits is not None and l2_fits(a):  # the gradients say the same
            return [
                f"your loss's L2 term is {l2 + a:.6g} * sum(W**2), your gradients' too, where the layout "
                f"declares {l2:g}: Layout(l2={l2 + a:.6g}) (--l2 {l2 + a:.6g})? (0.5 * reg * sum(W**2) is l2 = 0.5 * reg)"
            ]
    return []


def exception_hint(err, weights=None):
    """What a NumPy error raised inside your code usually means."""
    shapes = re.findall(r"\(([\d, ]*)\)", str(err)) if "broadcast" in str(err) else []
    if len(shapes) >= 2:
        a, b = (tuple(int(s) for s in part.replace(" ", "").split(",") if s) for part in shapes[:2])
        if a[: len(b)] == b or b[: len(a)] == a or _squeeze(a) == _squeeze(b):
            return "a reduction dropped an axis it should keep: keepdims=True (e.g. z.max(axis=1, keepdims=True))?"
        if len(a) == 2 and a == b[::-1]:
            return f"a transposed product: {transpose_fix(weights)}"
        return "shapes that do not broadcast: a transposed operand, or a reduction over the wrong axis?"
    return None


def _squeeze(shape):
    return tuple(s for s in shape if s != 1)
