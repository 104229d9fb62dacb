"""Whether a finite difference says nothing about the gradient because the loss has a kink (a ReLU
input or an argmax crossing over) within reach of its steps, decided from loss values alone.

Along one line through the parameters the loss is known at t = -2 eps, -eps, 0, eps, 2 eps. A
smooth loss is a polynomial there up to terms far below round-off, so

- the central differences with steps eps and 2 eps agree (they differ by f''' eps^2 / 2), and
- the gap between the forward and backward slopes, with the curvature taken out (extrapolated to
  a zero step), is zero: ``(-f(2e) + 4 f(e) - 6 f(0) + 4 f(-e) - f(-2e)) / (2 eps)``.

A kink breaks one of the two: one at t = 0 (where exact zeros put it) opens the slopes' gap by the
jump of the slope; one elsewhere within [-eps, eps] moves the wide difference away from the narrow
one by a share of the error it causes. Several kinks exactly at t = 0 can cancel in the gap: the
loss is then smooth along the entry's line but not around the point. ``Slants`` sees them on
more lines through the point, along random directions r of all the parameters and along r plus or
minus the entry: kinks that do not depend on the entry open the same gap on both, kinks that do
open different gaps. docs/gradients.md derives the bounds.
"""

import numpy as np

from .tolerances import loss_roundoff

# A single kink anywhere within [-eps, eps] moves the two central differences apart, or opens the
# slopes' gap, by at least 2/3 of the error it causes in the central difference; half of that
# error is the bar. A wrong gradient's error is far larger than what curvature moves them by.
SHARE = 0.5


def crosses_kink(losses, base_loss, eps, disagreement):
    """Whether the loss along a line, ``losses`` at t = -2 eps, -eps, eps, 2 eps and ``base_loss``
    at 0, has a kink that can explain a central difference off your gradient by ``disagreement``:
    the two central differences, or the slopes' gap, differ by more than ``SHARE`` of it, or the
    gap rises above round-off (kinks at t = 0 that partly cancel there open less than that share).
    NaN or inf losses are no kink: the entry stays conclusive and fails."""
    m2, m1, p1, p2 = losses
    narrow, wide = (p1 - m1) / (2 * eps), (p2 - m2) / (4 * eps)
    gap = _gap(losses, base_loss, eps)
    explains = max(abs(narrow - wide), abs(gap)) > SHARE * disagreement
    return bool(explains or kink_at_centre(losses, base_loss, eps))


def kink_at_centre(losses, base_loss, eps):
    """Whether the slopes' gap at t = 0 rises above the round-off of the five loss values in it."""
    return bool(abs(_gap(losses, base_loss, eps)) > 8 * _noise(base_loss, eps))


def kink_follows(along, across, base_loss, eps):
    """Whether the slopes' gaps at t = 0 of two lines through the point differ beyond round-off:
    ``along`` leans into the entry (r + entry), ``across`` does not (r); losses as above."""
    difference = _gap(along, base_loss, eps) - _gap(across, base_loss, eps)
    return bool(abs(difference) > 16 * _noise(base_loss, eps))


def _gap(losses, base_loss, eps):
    """The forward slope minus the backward slope at t = 0, curvature taken out."""
    m2, m1, p1, p2 = losses
    return (4 * (p1 + m1) - (p2 + m2) - 6 * base_loss) / (2 * eps)  # 16 values' round-off over 2 eps


def _noise(base_loss, eps):
    """One loss value's round-off, in slope units."""
    return loss_roundoff(base_loss) / eps


class Slants:
    """Random directions r of all the parameters together, each with the loss's slope gap at the
    point along it (computed once). Kinks at the point that move with an entry open another gap
    along r + entry or r - entry than along r; either sign can hide them, rarely both, and several
    r's make it rarer. Where no r shows a kink at the point at all there is nothing to look for."""

    def __init__(self, probe, eps, seed, count=4):
        self.probe, self.eps, self.seed, self.count = probe, eps, seed, count
        self.steps = (-2 * eps, -eps, eps, 2 * eps)
        # drawn and evaluated at the first entry that needs them: a passing check draws nothing
        # (count random vectors as large as the model)
        self.directions = self.losses = self.at_point = None

    def kink_follows(self, name, where):
        """Whether kinks at the point move with entry ``where`` (a flat index) or direction
        ``where`` (an array) of parameter ``name``."""
        if self.losses is None:
            rng = np.random.default_rng(self.seed)  # apart from the sampling's generator
            self.directions = [self._random(rng) for _ in range(self.count)]
            self.losses = [self.probe.losses(r, self.steps) for r in self.directions]
            self.at_point = any(
                kink_at_centre(losses, self.probe.base_loss, self.eps) for losses in self.losses
            )
        if not self.at_point:
            return False
        entry = where if isinstance(where, np.ndarray) else _unit(self.probe.get(name).shape, where)
        for across, losses in zip(self.directions, self.losses, strict=True):
            for sign in (1, -1):
                along = self.probe.losses({**across, name: across[name] + sign * entry}, self.steps)
                if kink_follows(along, losses, self.probe.base_loss, self.eps):
                    return True
        return False

    def _random(self, rng):
        r = {name: rng.standard_normal(self.probe.get(name).shape) for name in self.probe.names}
        norm = np.sqrt(sum(float(np.vdot(v, v)) for v in r.values()))
        return {name: v / norm for name, v in r.items()}


def _unit(shape, index):
    unit = np.zeros(shape)
    unit.flat[index] = 1.0
    return unit
