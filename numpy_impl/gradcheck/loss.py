"""Loss parity: your loss value against the reference's, with the likely cause when they differ
(a factor such as N: a sum where the reference averages; an L2 term one side lacks)."""

from dataclasses import dataclass, field

import numpy as np

from ..arrays import to_numpy
from .hints import loss_hints
from .tolerances import loss_allowed


@dataclass
class ScalarComparison:
    """A loss value against the reference's."""

    name: str
    ok: bool
    yours: float
    reference: float
    allowed: float
    hints: list = field(default_factory=list)
    rounding_only: bool = False  # failed in float32, agrees in float64 (confirm.py)

    def summary(self):
        status = "OK  " if self.ok else "FAIL"
        diff = abs(self.yours - self.reference)
        return (
            f"{status} {self.name}: yours {self.yours:.15g}  reference {self.reference:.15g}  "
            f"|diff| {diff:.3g}  allowed {self.allowed:.3g}"
            + ("  (float32 rounding: agrees in float64)" if self.rounding_only else "")
        )

    def lines(self):
        return [self.summary()] + [f"    hint: {hint}" for hint in self.hints]

    def to_dict(self):
        return dict(vars(self))


def compare_loss(
    actual, reference, dtype, name="loss", *, sizes=None, l2_base=0.0, l2=0.0, l2_fits=None, left_out=None
):
    """Loss parity: ``|yours - reference| <= rtol(dtype) * max(|reference|, 1)``; NaN/inf never pass.
    ``sizes`` name the factors a hint may find; ``l2_base`` is sum(W**2) over the weights, ``l2``
    the coefficient a layout declares, ``l2_fits(a)`` whether the gradients agree with an extra
    ``a * sum(W**2)``, ``left_out`` (names, sum(W**2)) the weights its L2 term leaves out, for
    the L2 hints."""
    try:
        yours = float(to_numpy(actual))
    except (TypeError, ValueError):
        return ScalarComparison(
            name, False, float("nan"), float(reference), 0.0, ["the loss is not one number"]
        )
    reference = float(reference)
    allowed = loss_allowed(reference, dtype) if np.isfinite(reference) else 0.0
    ok = bool(np.isfinite(yours) and np.isfinite(reference) and abs(yours - reference) <= allowed)
    hints = [] if ok else loss_hints(yours, reference, sizes or {}, l2_base, l2, l2_fits, left_out)
    return ScalarComparison(name, ok, yours, reference, allowed, hints)
