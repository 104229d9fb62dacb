"""Central differences along lines through one parameter tensor (its entries, or directions),
with each disagreeing entry looked at for a kink before it counts (``kinks.py``)."""

import numpy as np

from .kinks import crosses_kink


class Lines:
    """Central differences along lines through one parameter tensor: its entries, or directions."""

    def __init__(self, probe, name, eps, tolerance, slants):
        self.probe, self.name, self.eps, self.tolerance, self.slants = probe, name, eps, tolerance, slants

    def entries(self, g, picked):
        """(central differences at the flat indices ``picked``, which of them are conclusive)."""
        ends = np.array([self.probe.losses({self.name: i}, (-self.eps, self.eps)) for i in picked])
        spans = np.array([self.probe.span(self.name, i, self.eps) for i in picked])
        fd = (ends[:, 1] - ends[:, 0]) / spans  # the steps actually taken, after rounding
        ours = g.ravel()[picked]
        conclusive, looked = np.ones(len(picked), bool), np.zeros(len(picked), bool)
        while True:  # setting kinks aside lowers the scale max|fd|, and so what other entries may miss by
            scale = float(np.abs(np.where(conclusive & np.isfinite(fd), fd, 0.0)).max(initial=0.0))
            suspects = np.flatnonzero(~looked & ~(np.abs(ours - fd) <= self.tolerance.allowed(fd, scale)))
            if not len(suspects):
                return fd, conclusive
            for j in suspects:
                looked[j] = True
                conclusive[j] = not self.crosses_kink(int(picked[j]), ends[j], abs(ours[j] - fd[j]))

    def direction(self, g, v):
        """(your gradient's derivative along unit ``v``, the central difference, the two losses)."""
        ends = self.probe.losses({self.name: v}, (-self.eps, self.eps))
        fd = (ends[1] - ends[0]) / (2 * self.eps)
        ours = float(np.vdot(g, self.probe.span(self.name, v, self.eps))) / (2 * self.eps)
        return ours, fd, ends

    def crosses_kink(self, where, ends, disagreement):
        """Whether a kink explains ``disagreement`` on the line along ``where`` (a flat index or a
        unit direction; ``ends``: its losses at -eps and +eps), or kinks at the point that move
        with ``where`` and cancel along its line (see ``kinks.py``)."""
        eps, base = self.eps, self.probe.base_loss
        far = self.probe.losses({self.name: where}, (-2 * eps, 2 * eps))
        if crosses_kink((far[0], *ends, far[1]), base, eps, disagreement):
            return True
        return self.slants.kink_follows(self.name, where)
