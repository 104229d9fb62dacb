"""Central finite differences of a NumPy model's own loss, against its own gradients (float64 only).

Parameters are perturbed in place and always restored bit for bit. Where a difference straddles a
kink the entry says nothing about the gradient: it is counted as inconclusive, not as a failure.
A kink is seen when ``model.kink_signature(batch)`` differs between x - eps and x + eps; a model
without that method gives it away by its one-sided differences: across one kink with slope jump J,
|forward - backward| = 2 |gradient - central|, while a smooth loss keeps them within |f''| eps
(several kinks crossed at once can cancel there: such models should offer ``kink_signature``).
Kinks are looked for only where an entry disagrees, which halves the cost of the passing case.
"""

from dataclasses import dataclass, field

import numpy as np

from .compare import Entry, compare_tensors, to_numpy
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

    def lines(self):
        if self.skipped:
            return [f"SKIP finite differences: {self.skipped}"]
        head = "OK  " if self.ok else "FAIL"
        lines = [
            f"{head} finite differences ({self.mode}, central, eps {self.eps:g}, float64; "
            f"{self.tolerance.describe()}; {self.n_inconclusive} inconclusive across a kink)"
        ]
        for tensor in self.tensors:
            lines += ["  " + line for line in tensor.lines()]
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
):
    """Check ``grads`` (default: ``model.loss_and_grads(batch)``) by central differences.

    ``mode="sampled"``: per tensor, ``directions`` unit directions (the first along your gradient,
    the rest random) and ``entries`` entries drawn with probability proportional to
    |g| + mean|g|. ``mode="exhaustive"``: every entry (tiny models). ``names`` picks tensors
    (default: all, in backward order, i.e. reversed state-dict order).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}; got {mode!r}")
    if grads is None:
        grads = model.loss_and_grads(batch)[1]
    probe = _Probe(model, batch, eps)
    dtypes = {name: probe.get(name).dtype for name in probe.names}
    if any(dtype != np.float64 for dtype in dtypes.values()):
        reason = "they need float64 parameters (float32 differences are noise); check a float64 twin"
        return FiniteDifferenceResult(True, mode, eps, skipped=reason)
    if not np.isfinite(probe.base_loss):
        return FiniteDifferenceResult(True, mode, eps, skipped=f"the loss itself is {probe.base_loss}")
    tolerance = finite_difference_tolerance(probe.base_loss, eps)
    rng = np.random.default_rng(seed)
    result = FiniteDifferenceResult(True, mode, eps, tolerance=tolerance)
    for name in names or list(reversed(probe.names)):
        g = to_numpy(grads[name]).astype(np.float64)
        if mode == "exhaustive":
            tensor = _check_every_entry(probe, name, g, tolerance, sizes)
        else:
            tensor = _check_sampled(probe, name, g, tolerance, rng, directions, entries)
        result.tensors.append(tensor)
    result.ok = all(t.ok for t in result.tensors)
    return result


def _check_every_entry(probe, name, g, tolerance, sizes):
    fd = np.array([probe.entry_difference(name, i) for i in range(g.size)]).reshape(g.shape)
    conclusive = np.ones(g.shape, bool)
    first = compare_tensors(g, fd, tolerance, name=name, expected_dtype=g.dtype)
    if not first.ok:  # look for kinks only where it matters
        scale = float(np.abs(fd).max(initial=0.0))
        suspect = ~(np.abs(g - fd) <= tolerance.allowed(fd, scale))
        for i in np.flatnonzero(suspect):
            conclusive.flat[i] = not probe.crosses_kink(name, i, abs(g.flat[i] - fd.flat[i]))
    return compare_tensors(
        g, fd, tolerance, name=name, expected_dtype=g.dtype, conclusive=conclusive, sizes=sizes
    )


def _check_sampled(probe, name, g, tolerance, rng, n_directions, n_entries):
    flat = np.abs(np.nan_to_num(g, nan=0.0, posinf=0.0, neginf=0.0)).ravel()  # NaN entries fail elsewhere
    weights = flat + flat.mean() if flat.any() else np.ones_like(flat)
    picked = rng.choice(g.size, size=min(n_entries, g.size), replace=False, p=weights / weights.sum())
    fd = np.array([probe.entry_difference(name, i) for i in picked])
    ours = g.ravel()[picked]
    scale = float(np.abs(fd).max(initial=0.0))
    conclusive = np.ones(len(picked), bool)
    for j, i in enumerate(picked):
        if not abs(ours[j] - fd[j]) <= tolerance.allowed(fd[j], scale):
            conclusive[j] = not probe.crosses_kink(name, i, abs(ours[j] - fd[j]))
    indices = [np.unravel_index(i, g.shape) for i in picked]
    tensor = compare_tensors(
        ours, fd, tolerance, name=name, expected_dtype=g.dtype, conclusive=conclusive, indices=indices
    )
    tensor.shape = tensor.reference_shape = g.shape
    _fold_in_directions(tensor, probe, name, g, tolerance, rng, n_directions)
    return tensor


def _fold_in_directions(tensor, probe, name, g, tolerance, rng, n_directions):
    """Directional derivatives, counted with the entries: along your gradient first, then random."""
    norm = float(np.linalg.norm(g))
    for d in range(n_directions):
        v = g / norm if d == 0 and norm > 0 else rng.standard_normal(g.shape)
        v /= np.linalg.norm(v)
        fd, ours = probe.direction_difference(name, v, g)
        allowed = tolerance.k * norm + tolerance.rtol * abs(fd) + tolerance.floor
        tensor.n_total += 1
        if abs(ours - fd) <= allowed:
            continue
        if probe.crosses_kink(name, v, abs(ours - fd)):
            tensor.n_total -= 1
            tensor.n_inconclusive += 1
            continue
        tensor.ok = False
        tensor.n_mismatch += 1
        tensor.worst.append(Entry((f"direction {d}",), ours, fd, allowed))


class _Probe:
    """Evaluates the loss with one parameter perturbed, restoring it exactly afterwards."""

    def __init__(self, model, batch, eps):
        self.model, self.batch, self.eps = model, batch, eps
        live = model.parameters() if callable(getattr(model, "parameters", None)) else None
        self.live = (
            live if hasattr(live, "keys") and all(isinstance(v, np.ndarray) for v in live.values()) else None
        )
        self.names = list((self.live or model.state_dict()).keys())
        self.has_kinks = callable(getattr(model, "kink_signature", None))
        self.base_loss = self.loss()

    def get(self, name):
        return self.live[name] if self.live is not None else to_numpy(self.model.state_dict()[name])

    def loss(self):
        loss = (
            self.model.loss(self.batch)
            if hasattr(self.model, "loss")
            else self.model.loss_and_grads(self.batch)[0]
        )
        return float(to_numpy(loss))

    def entry_difference(self, name, i):
        """Central difference for entry ``i`` (flat index)."""
        x = self.get(name).ravel()[i]
        plus, minus = x + self.eps, x - self.eps
        f_plus, f_minus = self._at(name, lambda p: p.put(i, plus)), self._at(name, lambda p: p.put(i, minus))
        return (f_plus - f_minus) / ((plus - x) + (x - minus))  # the steps actually taken, after rounding

    def direction_difference(self, name, v, g):
        """(central difference along unit ``v``, your gradient's prediction of it)."""
        x = self.get(name).copy()
        plus, minus = x + self.eps * v, x - self.eps * v
        f_plus = self._at(name, lambda p: np.copyto(p, plus))
        f_minus = self._at(name, lambda p: np.copyto(p, minus))
        return (f_plus - f_minus) / (2 * self.eps), float(np.vdot(g, plus - minus)) / (2 * self.eps)

    def crosses_kink(self, name, where, disagreement):
        """Whether the step at entry ``where`` (an int) or along direction ``where`` (an array)
        crosses a kink that explains a ``disagreement`` = |your gradient - central difference|."""
        if isinstance(where, np.ndarray):
            x = self.get(name).copy()
            plus, minus = (
                (lambda p: np.copyto(p, x + self.eps * where)),
                (lambda p: np.copyto(p, x - self.eps * where)),
            )
        else:
            value = self.get(name).ravel()[where]
            plus, minus = (
                (lambda p: p.put(where, value + self.eps)),
                (lambda p: p.put(where, value - self.eps)),
            )
        if self.has_kinks:
            before = self._at(name, plus, self.model.kink_signature)
            after = self._at(name, minus, self.model.kink_signature)
            return not np.array_equal(to_numpy(before), to_numpy(after))
        f_plus, f_minus = self._at(name, plus), self._at(name, minus)
        forward, backward = (f_plus - self.base_loss) / self.eps, (self.base_loss - f_minus) / self.eps
        return bool(abs(forward - backward) >= disagreement)  # NaN: conclusive, it fails

    def _at(self, name, change, evaluate=None):
        """``evaluate()`` (default: the loss) with ``change`` applied to a copy-restored parameter."""
        evaluate = evaluate or (lambda batch: self.loss())
        if self.live is not None:
            parameter = self.live[name]
            original = parameter.copy()
            try:
                change(parameter)
                return evaluate(self.batch)
            finally:
                np.copyto(parameter, original)
        state = self.model.state_dict()
        original = to_numpy(state[name]).copy()
        perturbed = original.copy()
        change(perturbed)
        try:
            self.model.load_state_dict({**state, name: perturbed})
            return evaluate(self.batch)
        finally:
            self.model.load_state_dict({**state, name: original})
