"""The loss of learner code with its parameters moved a little, put back bit for bit after every
evaluation (also when the loss raises).

A move maps parameter names to where each one goes: a flat index (that entry moves by ``step``)
or an array of the parameter's shape (the whole tensor moves by ``step * array``). Parameters the
learner computes with in place (``Learner.parameters()``: the checker's own copies for functions,
an object's live arrays) are moved in place; an object without them through ``load_state_dict``.
"""

import numpy as np

from ..arrays import to_numpy
from .learner import as_learner


class Probe:
    def __init__(self, learner, batch):
        self.learner, self.batch = as_learner(learner), batch
        self.live = self.learner.parameters()
        self.names = list(self.learner.names)
        self.movable = self.live is not None or self.learner.load_state_dict is not None
        self._state = None if self.live is not None else self.learner.state_dict()
        self.base_loss = self.loss()

    def get(self, name):
        return self.live[name] if self.live is not None else self._state[name]

    def loss(self):
        """The learner's loss on the batch as a float."""
        return float(to_numpy(self.learner.loss(self.batch)))

    def losses(self, move, steps):
        """The loss after ``move`` (name -> where) by each of ``steps``, in order."""
        changes = [{name: self._moved(name, where, step) for name, where in move.items()} for step in steps]
        return np.array([self._at(change) for change in changes])

    def span(self, name, where, step):
        """What parameter ``name`` actually changes by between the moves by -step and +step along
        ``where`` (after rounding): a number for an entry, an array for a direction."""
        x = self.get(name)
        if isinstance(where, np.ndarray):
            return (x + step * where) - (x - step * where)
        value = x.ravel()[where]
        return (value + step) - (value - step)

    def _moved(self, name, where, step):
        """The change that applies one parameter's move to an array of its shape."""
        if isinstance(where, np.ndarray):
            target = self.get(name) + step * where
            return lambda p: np.copyto(p, target)
        value = self.get(name).ravel()[where] + step
        return lambda p: p.put(where, value)

    def _at(self, changes):
        """The loss with ``changes`` (name -> change) applied; the parameters are restored after."""
        if self.live is not None:
            originals = {name: self.live[name].copy() for name in changes}
            try:
                for name, change in changes.items():
                    change(self.live[name])
                return self.loss()
            finally:
                for name, original in originals.items():
                    np.copyto(self.live[name], original)
        moved = {name: self._state[name].copy() for name in changes}
        for name, change in changes.items():
            change(moved[name])
        try:
            self.learner.load_state_dict({**self._state, **moved})
            return self.loss()
        finally:
            self.learner.load_state_dict({name: value.copy() for name, value in self._state.items()})
