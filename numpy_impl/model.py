"""What every NumPy model shares: a dict of named parameters in torch's layout, the state-dict
protocol, and the loss/gradient entry points. Subclasses write ``validate`` (the batch check) and
``loss_and_backward`` (the forward pass, composed from ``numpy_impl.ops``, with no check)."""

import numpy as np

from .arrays import float_dtype
from .state import check_state_dict


class Model:
    """Parameters live in ``self._params`` (name -> array, in torch's order and layout)."""

    def __init__(self, params, dtype):
        self.dtype = float_dtype(dtype)
        self._params = {name: value.astype(self.dtype, copy=False) for name, value in params.items()}

    def parameters(self):
        """The live parameters (name -> array): optimizers update these in place."""
        return self._params

    def state_dict(self):
        """A copy of the parameters, keyed like the torch twin's ``state_dict()``."""
        return {name: value.copy() for name, value in self._params.items()}

    def load_state_dict(self, state_dict):
        """Copy ``state_dict`` in, cast to the model's dtype; keys and shapes must match exactly and
        every tensor hold finite floats. All or nothing: checked and copied whole before any
        parameter changes."""
        shapes = {name: value.shape for name, value in self._params.items()}
        arrays = check_state_dict(state_dict, shapes)
        copies = {name: np.array(value, dtype=self.dtype) for name, value in arrays.items()}  # no aliasing
        self._params.update(copies)

    def loss(self, batch, reduction="mean"):
        """The loss over the batch ("mean" or "sum" over its items), as a float; the batch is
        validated first. The forward pass only."""
        return float(self.loss_and_backward(self.validate(batch), reduction)[0])

    def loss_and_grads(self, batch, reduction="mean"):
        """(loss as ``loss`` gives it, gradients keyed like ``state_dict()``); validated."""
        loss, backward = self.loss_and_backward(self.validate(batch), reduction)
        grads = backward()
        return float(loss), {name: grads[name] for name in self._params}

    def validate(self, batch):
        """The batch checked in full (shapes, dtypes, value ranges, finiteness after the cast to the
        model's dtype) and returned as arrays, ready for ``loss_and_backward``; else ``InputError``."""
        raise NotImplementedError

    def loss_and_backward(self, batch, reduction="mean"):
        """The forward pass on a batch taken as valid: (loss, ``backward() -> gradients by parameter
        name``), composed from ``numpy_impl.ops``, each op's backward called in reverse order."""
        raise NotImplementedError

    def _cast(self, x):
        """Floating input in the model's dtype. A value too large for it becomes inf, silently, as
        in torch's ``x.to(dtype)``; ``validate`` then refuses it."""
        x = np.asarray(x)
        if x.dtype == self.dtype:
            return x
        with np.errstate(over="ignore"):
            return x.astype(self.dtype)

    def __repr__(self):
        shapes = ", ".join(f"{n}{tuple(v.shape)}" for n, v in self._params.items())
        return f"{type(self).__name__}({shapes}, dtype={self.dtype.name})"
