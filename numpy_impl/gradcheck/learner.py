"""Learner code in the one shape the checker works with.

Code comes in two shapes:

- an object with ``loss_and_grads(batch)`` and ``state_dict()`` or ``parameters()`` (dicts of
  arrays by name), optionally ``load_state_dict(state)`` and ``loss(batch)``;
- functions of the parameters: ``loss_and_grads(params, batch) -> (loss, grads)``, or
  ``forward(params, batch) -> (loss, cache)`` with ``backward(cache) -> grads``.

Either may also return the gradients of named intermediates (``dz1``, ``dh1``...) as one more
element: ``(loss, grads, intermediates)``, or ``backward`` returning ``(grads, intermediates)``.

To move parameters (finite differences) the checker needs arrays it may write into and restore:
for functions its own copies, which it passes in; for an object the arrays the object itself
computes with, found in this order: ``parameters()`` or ``state_dict()`` when two calls give the
same arrays (live, not copies), ``load_state_dict``, or attributes named like the parameters
(``self.W1``, ``self.params["W1"]``) holding equal arrays. A ``parameters()`` that returns copies
is therefore never moved: moving a copy would leave the loss unchanged.
"""

import copy

import numpy as np

from ..arrays import to_numpy
from ..checks import InputError


class LearnerError(ValueError):
    """What the learner's code returned does not fit the protocol; the message says how."""


class Learner:
    """``names``, ``state_dict()`` (copies), ``parameters()`` (arrays to move in place, or None),
    ``load_state_dict`` (or None), ``loss(batch)``, ``run(batch) -> (loss, grads, intermediates)``."""

    load_state_dict = None
    call = "loss_and_grads"  # what the report says raised, when the code raises

    def parameters(self):
        return self._live

    def state_dict(self):
        return {name: np.array(to_numpy(value), copy=True) for name, value in self._params().items()}

    def in_float64(self):
        """The same code on float64 copies of its parameters, or None when it cannot be given them
        (the code itself is not touched): float32 differences are told from bugs this way."""
        return None


class FunctionLearner(Learner):
    def __init__(self, params, loss_and_grads=None, forward=None, backward=None):
        self._live = {name: np.array(value, copy=True) for name, value in _checked_params(params).items()}
        self.names = list(self._live)
        self._loss_and_grads, self._forward, self._backward = loss_and_grads, forward, backward
        self.label = _name(loss_and_grads) if loss_and_grads else f"{_name(forward)}/{_name(backward)}"
        self.call = self.label

    def _params(self):
        return self._live

    def in_float64(self):
        wide = {name: value.astype(np.float64) for name, value in self._live.items()}
        return FunctionLearner(wide, self._loss_and_grads, self._forward, self._backward)

    def loss(self, batch):
        if self._forward is not None:
            return _result(self._forward(self._live, batch), "forward(params, batch)", ("loss", "cache"))[0]
        return self.run(batch)[0]

    def run(self, batch):
        if self._forward is None:
            loss, grads, *rest = _result(
                self._loss_and_grads(self._live, batch), "loss_and_grads(params, batch)", ("loss", "grads")
            )
            return _checked(loss, grads, rest, "loss_and_grads")
        loss, cache = _result(self._forward(self._live, batch), "forward(params, batch)", ("loss", "cache"))
        out = self._backward(cache)
        if out is None:
            raise LearnerError(
                f"backward(cache) returned None; it must return the gradients, a dict keyed like params "
                f"({', '.join(self.names)}): a missing `return grads`?"
            )
        grads, *rest = out if isinstance(out, tuple) else (out,)
        return _checked(loss, grads, rest, "backward(cache)")


class ObjectLearner(Learner):
    def __init__(self, model):
        self.model, self.label = model, _label(model)
        if not any(callable(getattr(model, m, None)) for m in ("state_dict", "parameters")):
            raise InputError(f"{self.label} needs state_dict() or parameters(): a dict of its arrays by name")
        self.names = list(self._params())
        self._live = _live_arrays(model, self.names)
        if self._live is None and callable(getattr(model, "load_state_dict", None)):
            self.load_state_dict = model.load_state_dict

    def _params(self):
        getter = self.model.state_dict if callable(getattr(self.model, "state_dict", None)) else None
        return _checked_params((getter or self.model.parameters)(), f"{self.label}'s parameters")

    def in_float64(self):
        """A copy of the object holding float64 weights through its ``load_state_dict`` (a ``dtype``
        attribute, as NumPy models have, set to float64 too); None when it has no ``load_state_dict``
        or keeps its weights in float32 anyway."""
        if not callable(getattr(self.model, "load_state_dict", None)):
            return None
        try:
            model = copy.deepcopy(self.model)
            if isinstance(getattr(model, "dtype", None), np.dtype):
                model.dtype = np.dtype(np.float64)
            model.load_state_dict({k: v.astype(np.float64) for k, v in self.state_dict().items()})
            wide = ObjectLearner(model)
        except Exception:  # noqa: BLE001 - an object that cannot be copied or loaded has no float64 form
            return None
        return wide if all(v.dtype == np.float64 for v in wide.state_dict().values()) else None

    def loss(self, batch):
        if callable(getattr(self.model, "loss", None)):
            return self.model.loss(batch)
        return self.run(batch)[0]

    def run(self, batch):
        loss, grads, *rest = _result(
            self.model.loss_and_grads(batch), "loss_and_grads(batch)", ("loss", "grads")
        )
        return _checked(loss, grads, rest, "loss_and_grads")


def as_learner(code, params=None):
    """``code`` (an object, a function, or a (forward, backward) pair) as a ``Learner``;
    ``params`` are required for functions and refused for an object (it has its own)."""
    if isinstance(code, Learner):
        return code
    if isinstance(code, type):  # its methods would run without self
        raise InputError(f"code is the class {code.__name__}; pass an instance: {code.__name__}(...)")
    if isinstance(code, (tuple, list)) and len(code) == 2 and all(map(callable, code)):
        return FunctionLearner(_required(params), forward=code[0], backward=code[1])
    if callable(getattr(code, "loss_and_grads", None)):
        if params is not None:
            raise InputError(
                "params: an object brings its own parameters (state_dict()); pass params to functions only"
            )
        return ObjectLearner(code)
    if callable(code):
        return FunctionLearner(_required(params), loss_and_grads=code)
    raise InputError(
        "code must be an object with loss_and_grads(batch), a function loss_and_grads(params, batch), "
        f"or a pair (forward, backward); got {type(code).__name__}"
    )


def _required(params):
    if params is None:
        raise InputError("params: functions of the parameters need them, a dict {name: array}; got None")
    return params


def _checked_params(params, what="params"):
    if not hasattr(params, "items"):
        raise InputError(f"{what} must be a dict {{name: array}}; got {type(params).__name__}")
    arrays = {}
    for name, value in params.items():
        try:
            array = to_numpy(value)
        except (TypeError, ValueError):
            raise InputError(f"{what}: {name} is a {type(value).__name__}, not an array") from None
        if array.dtype.kind != "f":
            raise InputError(f"{what}: {name} must be a float32 or float64 array; got dtype {array.dtype}")
        arrays[name] = array
    return arrays


def _result(result, call, parts):
    if not isinstance(result, (tuple, list)) or len(result) not in (len(parts), len(parts) + 1):
        got = f"a {type(result).__name__}" + (
            f" of {len(result)}" if isinstance(result, (tuple, list)) else ""
        )
        raise LearnerError(f"{call} must return ({', '.join(parts)}) (or one more: intermediates); got {got}")
    return result


def _checked(loss, grads, rest, what):
    """(loss, grads, intermediates) with the protocol's mistakes named."""
    shape = np.shape(to_numpy(loss)) if _numeric(loss) else None
    if shape is None or int(np.prod(shape)) != 1:
        got = f"an array of shape {shape}" if shape is not None else f"a {type(loss).__name__}"
        raise LearnerError(
            f"the loss must be one number; got {got} (per-example losses? reduce them with .mean())"
        )
    if grads is None or not hasattr(grads, "keys"):
        raise LearnerError(
            f"{what} must give the gradients as a dict {{name: array}} keyed like the parameters; "
            f"got {type(grads).__name__ if grads is not None else 'None'}"
        )
    intermediates = rest[0] if rest else {}
    if not hasattr(intermediates, "keys"):
        raise LearnerError(
            f"intermediates must be a dict {{name: array}}; got {type(intermediates).__name__}"
        )
    return float(to_numpy(loss).reshape(())), dict(grads), dict(intermediates)


def _numeric(value):
    try:
        return to_numpy(value).dtype.kind in "fiub"
    except (TypeError, ValueError):
        return False


def _live_arrays(model, names):
    """The object's own arrays by name, which the checker may move in place; None if not found."""
    for getter in ("parameters", "state_dict"):
        method = getattr(model, getter, None)
        if callable(method):
            first, second = method(), method()
            if hasattr(first, "keys") and hasattr(second, "keys") and _same_arrays(first, second, names):
                return {name: first[name] for name in names}
    return _attributes(model, names)


def _attributes(model, names):
    """Attributes (or entries of dict attributes) named like the parameters and holding equal
    arrays, when the object hands out copies only."""
    state = model.state_dict() if callable(getattr(model, "state_dict", None)) else model.parameters()
    attributes = vars(model) if hasattr(model, "__dict__") else {}
    holders = [attributes, *(v for v in attributes.values() if isinstance(v, dict))]
    found = {}
    for name in names:
        expected = to_numpy(state[name])
        for holder in holders:
            value = holder.get(name)
            if _movable(value) and value.shape == expected.shape and np.array_equal(value, expected):
                found[name] = value
                break
    return found if len(found) == len(names) else None


def _same_arrays(first, second, names):
    return all(
        name in first
        and name in second
        and _movable(first[name])
        and np.shares_memory(first[name], second[name])
        for name in names
    )


def _movable(value):
    return isinstance(value, np.ndarray) and value.flags.writeable and value.dtype.kind == "f"


def _label(model):
    """The object's repr, unless it is the default one (an address says nothing and changes)."""
    text = repr(model)
    return type(model).__name__ if " at 0x" in text else text


def _name(function):
    return getattr(function, "__name__", type(function).__name__)
