"""What the checker compares your gradients with, when it has something to compare with.

A reference is any callable ``reference(state_dict, batch) -> (loss, grads)``: the loss at those
weights as a number and the gradients as arrays keyed like the state dict, computed in the same
dtype (the gradient tolerances assume a reference that is exact up to that dtype's round-off).
It must leave ``state_dict`` and ``batch`` alone, and raises ``numpy_impl.StateDictError`` when the
state dict does not fit it. An optional ``name`` attribute is what the report calls it.

``torch_impl.parity.autograd_reference(torch_model)`` is autograd through a torch twin;
``model_reference`` below is another NumPy model, e.g. a known-good solution an autograder holds.
"""

import copy

from ..arrays import to_numpy


def model_reference(model, name="reference model"):
    """The reference given by ``model``'s own ``loss_and_grads``: each call loads the state dict
    into a copy of ``model`` (``model`` itself is never changed)."""

    def reference(state_dict, batch):
        twin = copy.deepcopy(model)
        twin.load_state_dict(state_dict)
        loss, grads = twin.loss_and_grads(batch)
        return float(to_numpy(loss)), {key: to_numpy(value).copy() for key, value in grads.items()}

    reference.name = name
    return reference
