"""The one place that knows how close is close enough; the measurements behind every figure are in
``docs/gradients.md``.

A tensor passes when every entry satisfies ``|a - r| <= k * max|r| + rtol * |r| (+ floor)`` and,
when ``agg`` is set, ``||a - r|| <= agg * (||a|| + ||r||) (+ floor * sqrt(n))``; all of it computed
in float64. Neither test alone is enough: a per-entry relative error alone fails correct float32
code at near-zero entries, and an absolute tolerance alone misses a 10 % error in a tensor of small
entries. Against a float64 reference the floor is ``model_share`` x the largest gradient of the
whole model (``model_floor``): rounding in backprop is absolute, at the scale of the gradients
flowing in. Against a float32 reference that can also run in float64, each tensor's floor is
``ROUNDING_FACTOR`` x the reference's own float32 rounding of that tensor, measured as its
distance from the float64 run (``reference_rounding``).
"""

from dataclasses import asdict, dataclass, replace

import numpy as np

from ..arrays import float_dtype

FD_EPS = 1e-6  # central differences in float64; float32 finite differences are unusable
FD_ROUNDOFF = 100 * np.finfo(np.float64).eps  # relative round-off of one loss evaluation, generously
# correct float32 code differed from the float32 reference by up to 7x the reference's own distance
# from float64 (597 tensors: MLPs, autoencoders, linear; tanh / sigmoid / ReLU at x1-x100 weights)
ROUNDING_FACTOR = 16


@dataclass(frozen=True)
class Tolerance:
    """``k``: share of the reference's largest magnitude; ``rtol``: share of the entry's own;
    ``agg``: bound on the norm-relative error (None: not tested); ``floor``: an absolute allowance
    per entry; ``norm_floor``: one for the norm test; ``model_share``: the floor ``model_floor``
    sets, as a share of the model's largest gradient; ``rounding_factor``: the floors
    ``reference_rounding`` sets, in multiples of the reference's own rounding."""

    k: float
    rtol: float
    agg: float | None
    floor: float = 0.0
    model_share: float = 0.0
    norm_floor: float = 0.0
    rounding_factor: float = 0.0

    def allowed(self, reference, scale):
        """Per-entry allowed error for float64 ``reference`` entries, ``scale`` = max|reference|."""
        return self.k * scale + self.rtol * np.abs(reference) + self.floor

    def aggregate_allowed(self, norms, n):
        """Allowed ||a - r|| over ``n`` entries with ``norms`` = ||a|| + ||r||: the model floor
        counts in every entry, so entries each within their floor never fail the tensor as a whole."""
        return self.agg * norms + self.floor * np.sqrt(n) + self.norm_floor

    def describe(self):
        rule = f"|yours - ref| <= {self.k:g}*max|ref| + {self.rtol:g}*|ref|"
        own = "|ref - ref in float64|"  # the reference's own rounding, per tensor
        if self.rounding_factor:
            rule += f" + {self.rounding_factor:g}*max{own}"
        elif self.floor:
            rule += f" + {self.floor:.2g}"
        elif self.model_share:
            rule += f" + {self.model_share:g}*max|any gradient|"
        if self.agg is not None and self.rounding_factor:
            rule += f"  and  ||yours - ref|| <= {self.agg:g}*(||yours|| + ||ref||) + {self.rounding_factor:g}*|{own}|"
        elif self.agg is not None:
            rule += f"  and  ||yours - ref|| / (||yours|| + ||ref||) <= {self.agg:g}"
        return rule

    def to_dict(self):
        return asdict(self)


AUTOGRAD = {
    # float32 has no model floor: one as large as its rounding would hide the 1e-4 bug it must catch
    np.dtype(np.float64): Tolerance(k=1e-10, rtol=1e-7, agg=1e-12, model_share=1e-12),
    np.dtype(np.float32): Tolerance(k=1e-5, rtol=1e-4, agg=1e-5),
}
LOSS_RTOL = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 1e-5}
FINITE_DIFFERENCES = Tolerance(k=1e-6, rtol=1e-5, agg=None)


def autograd_tolerance(dtype):
    """Gradient vs a reference computed in the same ``dtype`` (float32 or float64), e.g. autograd."""
    return AUTOGRAD[float_dtype(dtype)]


def model_floor(tolerance, scale):
    """``tolerance`` with the absolute floor ``model_share * scale``, ``scale`` the largest |gradient|
    of the model. A gradient made small by cancellation (1 - tanh(z)**2 near saturation, p - y with
    p near y) keeps the absolute rounding of the larger gradients it is computed from: relative to
    itself that can be far above ``agg``, and it is not a bug (docs/gradients.md, "The rounding
    floor")."""
    return replace(tolerance, floor=tolerance.model_share * scale) if tolerance.model_share else tolerance


def reference_rounding(tolerance, difference=None):
    """``tolerance`` widened by the reference's own rounding of one tensor, ``difference`` = the
    float32 reference's values minus the same reference's in float64: ``ROUNDING_FACTOR`` x its
    largest |entry| per entry, x its norm in the norm test. Saturated units (``1 - tanh(z)**2``
    near 1) round far above ``agg`` in float32 while both codes are right; a bug below this floor
    cannot be told from rounding in float32 (docs/gradients.md, "The rounding floor").
    Without ``difference``: only marked as using the floor (the report's tolerance line)."""
    if difference is None:
        return replace(tolerance, rounding_factor=ROUNDING_FACTOR)
    difference = np.abs(np.asarray(difference, dtype=np.float64))
    difference = difference[np.isfinite(difference)]
    return replace(
        tolerance,
        floor=tolerance.floor + ROUNDING_FACTOR * float(difference.max(initial=0.0)),
        norm_floor=ROUNDING_FACTOR * float(np.linalg.norm(difference)),
        rounding_factor=ROUNDING_FACTOR,
    )


def loss_tolerance(dtype):
    """Relative tolerance of a loss value of ``dtype``."""
    return LOSS_RTOL[float_dtype(dtype)]


def loss_allowed(reference, dtype):
    """Allowed |yours - reference| for a loss: relative to max(|reference|, 1), because a loss near 0
    still carries the absolute round-off of its O(1) terms (log-sum-exp of the logits)."""
    return loss_tolerance(dtype) * max(abs(float(reference)), 1.0)


def loss_roundoff(loss_value):
    """The absolute round-off of one float64 evaluation of a loss near ``loss_value``, generously:
    relative to max(|loss|, 1) for the same reason as ``loss_allowed``."""
    return FD_ROUNDOFF * max(abs(float(loss_value)), 1.0)


def finite_difference_tolerance(loss_value, eps=FD_EPS):
    """Gradient vs central differences: the table's k and rtol plus the round-off floor of a
    difference quotient, ``loss_roundoff(loss) / eps`` (about 2e-8 for a loss near 1)."""
    floor = loss_roundoff(loss_value) / eps
    return Tolerance(FINITE_DIFFERENCES.k, FINITE_DIFFERENCES.rtol, None, floor)
