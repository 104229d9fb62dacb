"""The loss of a model with its parameters moved a little, put back bit for bit after every
evaluation (also when the loss raises).

A move maps parameter names to where each one goes: a flat index (that entry moves by ``step``)
or an array of the parameter's shape (the whole tensor moves by ``step * array``). Models with
live NumPy parameters (``parameters()``) are moved in place; others through ``state_dict()`` /
``load_state_dict()``.
"""

import numpy as np

from ..arrays import to_numpy


class Probe:
    def __init__(self, model, batch):
        self.model, self.batch = model, batch
        live = model.parameters() if callable(getattr(model, "parameters", None)) else None
        usable = hasattr(live, "keys") and all(isinstance(v, np.ndarray) for v in live.values())
        self.live = live if usable else None
        self.names = list((self.live or model.state_dict()).keys())
        self.movable = self.live is not None or callable(getattr(model, "load_state_dict", None))
        self.base_loss = self.loss()

    def get(self, name):
        return self.live[name] if self.live is not None else to_numpy(self.model.state_dict()[name])

    def loss(self):
        """The model's loss on the batch as a float (``loss_and_grads`` when it has no ``loss``)."""
        if hasattr(self.model, "loss"):
            return float(to_numpy(self.model.loss(self.batch)))
        return float(to_numpy(self.model.loss_and_grads(self.batch)[0]))

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
        state = self.model.state_dict()
        moved = {name: to_numpy(state[name]).copy() for name in changes}
        for name, change in changes.items():
            change(moved[name])
        try:
            self.model.load_state_dict({**state, **moved})
            return self.loss()
        finally:
            self.model.load_state_dict(state)
