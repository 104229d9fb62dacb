"""What the checker compares your gradients with, when it has something to compare with.

A reference is a ``Reference``, or any callable ``reference(state_dict, batch) -> (loss, grads)``
(``as_reference`` wraps it): the loss at those weights as a number and the gradients as arrays
keyed like the state dict, computed in the same dtype (the gradient tolerances assume a reference
exact up to that dtype's round-off); optionally also the gradients of named intermediates (dz, dh
of a layer) and their forward values. It leaves ``state_dict`` and ``batch`` alone and raises
``StateDictError`` or ``InputError`` when they do not fit it. A ``Reference`` also says what it
calls itself, the names and shapes it takes, the reductions it computes, its backward order and,
optionally, *suspects*: the same reference with a known bug put in, for the report to test your
gradients against (``torch_impl.parity`` gives its twins some), and itself in float64, which
measures its own float32 rounding. ``Layout`` (``layout.py``) puts a reference in your names and
layout.

``torch_impl.parity`` has autograd through a torch twin and through any torch function;
``model_reference`` below is another NumPy model, e.g. a known-good solution an autograder holds.
"""

import copy
import inspect
from dataclasses import dataclass, field

import numpy as np

from ..arrays import to_numpy


@dataclass
class ReferenceResult:
    loss: float
    grads: dict
    intermediates: dict = field(default_factory=dict)  # name -> gradient of that intermediate
    values: dict = field(default_factory=dict)  # name -> the intermediate's forward value

    @classmethod
    def of(cls, result):
        if isinstance(result, cls):
            return result
        loss, grads, *rest = result
        arrays = [{k: to_numpy(v) for k, v in (part or {}).items()} for part in rest]
        return cls(float(to_numpy(loss)), {k: to_numpy(v) for k, v in grads.items()}, *arrays)


class Reference:
    """``function(state_dict, batch[, reduction])`` with what the report needs to know about it.

    ``shapes``: name -> shape of the parameters it takes (None: unknown); ``reductions``: the loss
    reductions it computes ("mean", and "sum" if ``function`` takes ``reduction``); ``order``: its
    names (parameters and intermediates) in backward order; ``suspects``: () -> [(hint, Reference)];
    ``float64``: () -> the same reference computing in float64 (given float64 weights and batch),
    or None: against a float32 reference, the distance between the two is the reference's own
    rounding, which the tolerance allows for (``tolerances.reference_rounding``).
    """

    def __init__(
        self,
        function,
        name="reference",
        *,
        shapes=None,
        reductions=("mean",),
        order=None,
        suspects=None,
        float64=None,
    ):
        self.function, self.name, self.shapes = function, name, shapes
        self.reductions, self.order, self._suspects = tuple(reductions), order, suspects
        self._float64 = float64

    def __call__(self, state_dict, batch, reduction="mean"):
        if reduction not in self.reductions:
            raise ValueError(
                f"the {self.name} computes the {' or '.join(self.reductions)} only; got {reduction!r}"
            )
        arguments = (state_dict, batch) if self.reductions == ("mean",) else (state_dict, batch, reduction)
        return ReferenceResult.of(self.function(*arguments))

    def suspects(self):
        return list(self._suspects()) if self._suspects else []

    def with_suspects(self, more):
        """The same reference with the suspects ``more()`` (a list of (hint, Reference)) tried first."""
        wider = copy.copy(self)
        wider._suspects = lambda: [*more(), *self.suspects()]
        return wider

    def in_float64(self):
        """The same reference in float64, or None when it has none."""
        return self._float64() if self._float64 else None


def as_reference(reference):
    """``reference`` as a ``Reference`` (a plain callable is named by its ``name`` attribute)."""
    if isinstance(reference, Reference) or reference is None:
        return reference
    if not callable(reference):
        raise TypeError(
            f"a reference is a callable reference(state_dict, batch); got {type(reference).__name__}"
        )
    return Reference(reference, getattr(reference, "name", "reference"))


def model_reference(model, name="reference model"):
    """The reference given by ``model``'s own ``loss_and_grads``: each call loads the state dict
    into a copy of ``model`` (``model`` itself is never changed)."""
    takes_reduction = "reduction" in inspect.signature(model.loss_and_grads).parameters

    def reference(state_dict, batch, reduction="mean"):
        twin = copy.deepcopy(model)
        twin.load_state_dict(state_dict)
        options = {"reduction": reduction} if takes_reduction else {}
        loss, grads = twin.loss_and_grads(batch, **options)
        return float(to_numpy(loss)), {key: to_numpy(value).copy() for key, value in grads.items()}

    def float64():  # a copy computing in float64: a NumPy model computes in its ``dtype``
        wide = copy.deepcopy(model)
        if isinstance(getattr(wide, "dtype", None), np.dtype):
            wide.dtype = np.dtype(np.float64)
        return model_reference(wide, name)

    shapes = {key: to_numpy(value).shape for key, value in model.state_dict().items()}
    reductions = ("mean", "sum") if takes_reduction else ("mean",)
    return Reference(reference, name, shapes=shapes, reductions=reductions, float64=float64)
