"""Central finite differences of a NumPy model's own loss, against its own gradients (float64 only).

Parameters are moved one at a time and always restored bit for bit (``probe.py``). Where a
difference straddles a kink the entry says nothing about the gradient: it is counted as
inconclusive, not as a failure. Kinks are read from the loss itself, two more steps per line
(``kinks.py``), and looked for only where an entry disagrees, so a passing check pays nothing.
"""

from dataclasses import dataclass, field

import numpy as np

from ..arrays import to_numpy
from .compare import Entry, TensorComparison, compare_tensors
from .hints import Context, explain, factor_match, name_factor, shape_hints
from .kinks import Slants
from .learner import as_learner
from .lines import Lines
from .probe import Probe
from .tolerances import FD_EPS, finite_difference_tolerance

MODES = ("sampled", "exhaustive")


@dataclass
class FiniteDifferenceResult:
    ok: bool
    mode: str
    eps: float
    skipped: str | None = None
    tolerance: object = None
    tensors: list = field(default_factory=list)  # TensorComparison of entries, with directions folded in

    @property
    def n_inconclusive(self):
        return sum(t.n_inconclusive for t in self.tensors)

    def failed(self):
        return [t.name for t in self.tensors if not t.ok]

    def lines(self, worst=True):
        if self.skipped:
            return [f"SKIP finite differences: {self.skipped}"]
        head = "OK  " if self.ok else "FAIL"
        lines = [
            f"{head} finite differences ({self.mode}, central, eps {self.eps:g}, float64; "
            f"{self.tolerance.describe()}; {self.n_inconclusive} inconclusive across a kink)"
        ]
        for tensor in self.tensors:
            lines += ["  " + line for line in tensor.lines(worst)]
        return lines

    def to_dict(self):
        return {
            "ok": self.ok,
            "mode": self.mode,
            "eps": self.eps,
            "skipped": self.skipped,
            "tolerance": self.tolerance.to_dict() if self.tolerance else None,
            "n_inconclusive": self.n_inconclusive,
            "tensors": [t.to_dict() for t in self.tensors],
        }


def finite_difference_check(
    model,
    batch,
    grads=None,
    *,
    mode="sampled",
    directions=3,
    entries=10,
    eps=FD_EPS,
    seed=0,
    names=None,
    sizes=None,
    context=None,
):
    """Check ``grads`` (default: the code's own) by central differences of its loss.

    ``model``: learner code as ``check`` takes it (an object, or a ``Learner``). ``mode="sampled"``:
    per tensor, ``directions`` unit directions (the first along your gradient, the rest random)
    and ``entries`` entries drawn with probability proportional to |g| + mean|g|.
    ``mode="exhaustive"``: every entry (tiny models). ``names`` picks tensors (default: all, in
    backward order, i.e. reversed state-dict order); a gradient that is missing or has another
    shape than its parameter fails its line. ``context`` (``hints.Context``) feeds the hints.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}; got {mode!r}")
    learner = as_learner(model)
    if grads is None:
        grads = learner.run(batch)[1]
    context = (context or Context()).but(**({"sizes": sizes} if sizes is not None else {}))
    probe = Probe(learner, batch)
    reason = _unusable(probe)
    if reason:
        return FiniteDifferenceResult(True, mode, eps, skipped=reason)
    tolerance = finite_difference_tolerance(probe.base_loss, eps)
    rng, slants = np.random.default_rng(seed), Slants(probe, eps, seed)
    result = FiniteDifferenceResult(True, mode, eps, tolerance=tolerance)
    model_scale = max((_largest(grads.get(n)) for n in probe.names), default=0.0)
    for name in names or list(reversed(probe.names)):
        unfit = _unfit(name, grads, probe.get(name), context)
        if unfit is not None:
            result.tensors.append(unfit)
            continue
        lines = Lines(probe, name, eps, tolerance, slants)
        g = to_numpy(grads[name]).astype(np.float64)
        ctx = context.but(param=probe.get(name))
        if mode == "exhaustive":
            tensor = _check_every_entry(lines, g, ctx)
        else:
            tensor = _check_sampled(lines, g, rng, directions, entries, ctx)
        result.tensors.append(_resolved(tensor, g, tolerance.floor, model_scale))
    result.ok = all(t.ok for t in result.tensors)
    return result


def _unusable(probe):
    """Why finite differences cannot run on this model, or None."""
    if not probe.names:
        return "there are no parameters to move"
    if not probe.movable:
        return (
            "they move parameters: the model needs parameters() (live arrays) or load_state_dict(), "
            "or attributes named like its parameters"
        )
    if any(probe.get(name).dtype != np.float64 for name in probe.names):
        return "they need float64 parameters (float32 differences are noise); check a float64 twin"
    if not np.isfinite(probe.base_loss):
        return f"the loss itself is {probe.base_loss}"
    return None


def _unfit(name, grads, param, context):
    """The failing line of a gradient finite differences cannot check: missing, not an array, or
    of another shape than its parameter (never dropped silently)."""
    if name not in grads:
        return TensorComparison(name, False, (), param.shape, "-", param.dtype.name, ["no gradient"])
    try:
        g = to_numpy(grads[name])
    except (TypeError, ValueError):
        return TensorComparison(name, False, (), param.shape, "?", param.dtype.name, ["not an array"])
    if g.dtype.kind not in "fiub":  # a complex gradient would be compared by its real part alone
        return TensorComparison(
            name,
            False,
            g.shape,
            param.shape,
            g.dtype.name,
            param.dtype.name,
            [f"not a real array (dtype {g.dtype})"],
        )
    if g.shape == param.shape:
        return None
    problem = f"shape {g.shape}, expected {param.shape} (no broadcasting)"
    hints = shape_hints(g.shape, param.shape, context.sizes, context.weights)
    return TensorComparison(
        name, False, g.shape, param.shape, g.dtype.name, param.dtype.name, [problem], hints=hints
    )


def _check_every_entry(lines, g, context):
    fd, conclusive = lines.entries(g, np.arange(g.size))
    tensor = compare_tensors(
        g,
        fd.reshape(g.shape),
        lines.tolerance,
        name=lines.name,
        expected_dtype=g.dtype,
        conclusive=conclusive.reshape(g.shape),
        context=context,
    )
    return _unmoved(tensor, fd, g)


def _resolved(tensor, g, resolution, model_scale):
    """``tensor``, marked unresolved when it passed only because your gradient and the differences
    are all below the round-off floor (a sign flip there passes unseen); gradients at the
    rounding of the model's largest (1e-13 of it: a zero computed by backprop) count as resolved."""
    largest = _largest(g)
    if tensor.ok and 1e-13 * model_scale < largest <= resolution and tensor.max_abs_reference <= resolution:
        tensor.unresolved = True
        tensor.hints.append(
            f"not resolved: your gradient (|entries| <= {largest:.2g}) is below what finite differences "
            f"tell from the loss's round-off here ({resolution:.2g}), so a sign or a factor would pass unseen: "
            "give a reference, or scale the inputs so the gradient is larger"
        )
    return tensor


def _largest(values):
    """The largest finite |entry| of an array (0 for None or a non-numeric value)."""
    try:
        a = to_numpy(values)
    except (TypeError, ValueError):
        return 0.0
    if a.dtype.kind not in "fiub":  # complex and object gradients fail their own line
        return 0.0
    a = np.abs(a.astype(np.float64))
    return float(a[np.isfinite(a)].max(initial=0.0))


def _unmoved(tensor, fd, g):
    """Differences all exactly 0 against a gradient that is not: the loss never saw the moves."""
    if not tensor.ok and not fd.any() and g.any():
        tensor.hints.insert(
            0,
            "the loss did not change at all when the checker moved this parameter: does your loss read "
            "the arrays it moves? (parameters() must return the live arrays, not copies, or give load_state_dict)",
        )
    return tensor


def _check_sampled(lines, g, rng, n_directions, n_entries, context):
    flat = np.abs(np.nan_to_num(g, nan=0.0, posinf=0.0, neginf=0.0)).ravel()  # NaN entries fail elsewhere
    weights = flat + flat.mean() if flat.any() else np.ones_like(flat)
    picked = rng.choice(g.size, size=min(n_entries, g.size), replace=False, p=weights / weights.sum())
    fd, conclusive = lines.entries(g, picked)
    indices = [np.unravel_index(i, g.shape) for i in picked]
    context = context.but(param=np.asarray(context.param).ravel()[picked])
    tensor = compare_tensors(
        g.ravel()[picked],
        fd,
        lines.tolerance,
        name=lines.name,
        expected_dtype=g.dtype,
        conclusive=conclusive,
        indices=indices,
        context=context,
    )
    tensor.shape = tensor.reference_shape = g.shape
    _fold_in_directions(tensor, lines, g, rng, n_directions, context)
    return _unmoved(tensor, fd, g)


def _fold_in_directions(tensor, lines, g, rng, n_directions, context):
    """Directional derivatives, counted with the entries: along your gradient first, then random.
    Along your gradient, yours / the difference is the factor c when yours = c x the true one."""
    norm = float(np.linalg.norm(g))
    for d in range(n_directions):
        along = d == 0 and 0 < norm < np.inf  # an inf gradient has no direction
        v = g / norm if along else rng.standard_normal(g.shape)
        v /= np.linalg.norm(v)
        ours, fd, ends = lines.direction(g, v)
        allowed = float(lines.tolerance.allowed(fd, norm))
        error = abs(ours - fd)
        # NaN/inf along v mismatches, whatever the (then infinite) allowance
        finite = bool(np.isfinite(error))
        if finite and error <= allowed:
            tensor.n_total += 1
        elif finite and lines.crosses_kink(v, ends, error):
            tensor.n_inconclusive += 1
        else:
            tensor.n_total += 1
            tensor.n_mismatch += 1
            tensor.ok = False
            if len(tensor.worst) < 3:
                tensor.worst.append(Entry((f"direction {d}",), ours, fd, allowed))
            label = name_factor(ours / fd, context.sizes, factor_match(lines.tolerance)) if fd else None
            if d == 0 and not tensor.hints and label:
                tensor.hints.append(
                    f"along your gradient, yours = {label} (c = {ours / fd:.6g}) x the finite difference: {explain(label)}"
                )
