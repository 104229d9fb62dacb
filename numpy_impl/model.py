"""What every NumPy model shares: a dict of named parameters in torch's layout, the state-dict
protocol, and the loss/gradient entry points. Subclasses write ``loss_and_backward`` by composing
``numpy_impl.ops``."""

import numpy as np

from . import ops
from .arrays import as_arrays
from .state import check_state_dict


class Model:
    """Parameters live in ``self._params`` (name -> array, in torch's order and layout)."""

    def __init__(self, params, dtype):
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64; got {self.dtype}")
        self._params = {name: value.astype(self.dtype, copy=False) for name, value in params.items()}

    def parameters(self):
        """The live parameters (name -> array): optimizers update these in place."""
        return self._params

    def state_dict(self):
        """A copy of the parameters, keyed like the torch twin's ``state_dict()``."""
        return {name: value.copy() for name, value in self._params.items()}

    def load_state_dict(self, state_dict):
        """Copy ``state_dict`` in, cast to the model's dtype; keys and shapes must match exactly."""
        shapes = {name: value.shape for name, value in self._params.items()}
        arrays = check_state_dict(state_dict, shapes)
        for name, value in arrays.items():
            self._params[name] = np.array(value, dtype=self.dtype)  # a copy: no aliasing with the caller

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
        """The batch checked for this model and returned as arrays, ready for ``loss_and_backward``
        (this default only converts: a model that checks inside ``loss_and_backward`` keeps it)."""
        return as_arrays(batch)

    def loss_and_backward(self, batch, reduction="mean"):
        """The forward pass: (loss, ``backward() -> gradients by parameter name``), composed from
        ``numpy_impl.ops``, each op's backward called in reverse order."""
        raise NotImplementedError

    def kink_signature(self, batch):
        """Where the loss is not smooth, as one array; used to mark finite differences inconclusive."""
        with ops.record_kinks() as kinks:
            self.loss(batch)
        return np.concatenate([k.ravel() for k in kinks]) if kinks else np.zeros(0)

    def __repr__(self):
        shapes = ", ".join(f"{n}{tuple(v.shape)}" for n, v in self._params.items())
        return f"{type(self).__name__}({shapes}, dtype={self.dtype.name})"
