"""A layout mapping: how your code's parameters, labels and loss relate to a reference's, declared
once as data and applied both ways, so a reference in another layout (a torch twin: weights
(out, in), class ids, the mean loss, names ``layers.0.weight``) is compared with your code in your
own names and layout.

    Layout(weights="in, out", labels="one-hot", loss="sum", l2=0.5 * reg)

- ``names``: your name -> the reference's; by default paired layer by layer (``W1, b1`` -> the
  reference's first layer, ``W2, b2`` -> its second; ``W, b`` -> its only one).
- ``weights="in, out"``: your 2-D weights are the reference's transposed (``x @ W``).
- ``labels="one-hot"``: your ``y`` is (N, C) one-hot rows; the reference takes class ids.
- ``loss="sum"``: your loss sums over the batch where the reference's averages.
- ``l2``: your loss adds ``l2 * sum(W**2)`` for each weight of ``l2_on`` (default: every 2-D
  parameter), so its gradient adds ``2 * l2 * W``.
- ``intermediates``: your intermediate's name -> the reference's; by default ``dz{k}`` is the
  gradient of layer k's output, ``dh{k}`` (or ``da{k}``) of layer k+1's input, and ``dscores``,
  ``dlogits``, ``dout`` of the last layer's output.
"""

import re
from dataclasses import dataclass

import numpy as np

from ..arrays import to_numpy
from ..checks import InputError, one_of, real
from .reference import Reference, ReferenceResult, as_reference

WEIGHTS = ("out, in", "in, out")
LABELS = ("ids", "one-hot")
LOSSES = ("mean", "sum")
_LAYER = re.compile(r"^(.*?)\.(\d+):(in|out)$")  # a reference's intermediate: "layers.0:out"


@dataclass(frozen=True)
class Layout:
    names: dict | None = None
    weights: str = "out, in"
    labels: str = "ids"
    loss: str = "mean"
    l2: float = 0.0
    l2_on: tuple | None = None
    intermediates: dict | None = None

    def __post_init__(self):
        one_of(self.weights, WEIGHTS, "weights")
        one_of(self.labels, LABELS, "labels")
        one_of(self.loss, LOSSES, "loss")
        try:  # the project's one number check (np.float32 is a number too), in the layout's words
            l2 = real(self.l2, "l2", minimum=0)
        except InputError:
            raise InputError(
                f"l2 must be a number >= 0 (the loss adds l2 * sum(W**2)); got {self.l2!r}"
            ) from None
        object.__setattr__(self, "l2", l2)
        if isinstance(self.l2_on, str):  # one name, not its characters
            object.__setattr__(self, "l2_on", (self.l2_on,))
        elif self.l2_on is not None:
            object.__setattr__(self, "l2_on", tuple(self.l2_on))

    def regularised(self, params):
        """The names of ``params`` whose ``l2 * sum(W**2)`` the layout says your loss adds (``l2_on``,
        by default every 2-D parameter); none without an L2 term."""
        if not self.l2:
            return []
        return (
            list(self.l2_on) if self.l2_on is not None else [n for n, v in params.items() if np.ndim(v) == 2]
        )

    def bind(self, reference, params):
        """``reference`` in your names and layout: a ``Reference`` taking your parameters and batch."""
        return _Bound(self, as_reference(reference), params).reference()

    def labels_to_reference(self, batch):
        """Your batch as the reference takes it: one-hot rows -> class ids, checked both ways."""
        if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
            if self.labels == "one-hot":
                raise InputError("labels='one-hot' needs a batch (x, y); got " + type(batch).__name__)
            return batch
        x, y = batch
        y = to_numpy(y)
        if self.labels == "ids":
            if y.ndim == 2 and y.shape[1] > 1 and _one_hot(y):
                raise InputError(
                    f"y looks one-hot (shape {y.shape}, one 1 per row); the reference takes class ids: "
                    "give Layout(labels='one-hot') (or --labels one-hot)"
                )
            return batch
        if y.ndim != 2 or not _one_hot(y):
            raise InputError(
                f"y: labels='one-hot' expects (N, C) rows of zeros with a single 1; got {y.dtype} of shape {y.shape}"
                + (" (class ids: use labels='ids')" if y.ndim == 1 else "")
            )
        return type(batch)((x, np.argmax(y, axis=1).astype(np.int64)))


class _Bound:
    def __init__(self, layout, reference, params):
        self.layout, self.base = layout, reference
        self.params = {name: to_numpy(value) for name, value in params.items()}
        self.names = dict(layout.names) if layout.names else _pair_by_layer(self.params, reference.shapes)
        self.transposed = (
            {n for n, v in self.params.items() if v.ndim == 2} if layout.weights == "in, out" else set()
        )
        on = layout.regularised(self.params)
        unknown = [n for n in on if n not in self.params]
        if unknown:
            raise InputError(
                f"Layout l2_on names {', '.join(map(repr, unknown))}, not among your parameters ({', '.join(self.params)})"
            )
        self.l2_on = on
        self._check_shapes()

    def reference(self):
        base, layout = self.base, self.layout
        summed = layout.loss == "sum" and "sum" in base.reductions

        def function(params, batch):
            theirs = {
                self.names.get(n, n): (v.T.copy() if n in self.transposed else v) for n, v in params.items()
            }
            result = base(theirs, layout.labels_to_reference(batch), "sum" if summed else "mean")
            return self._to_ours(
                result, params, batch, 1.0 if summed or layout.loss == "mean" else _rows(batch)
            )

        order = [ours for name in base.order or [] for ours in self._ours(name)]

        def suspects():
            return [(hint, self.layout.bind(variant, self.params)) for hint, variant in base.suspects()]

        def float64():
            wide = base.in_float64()
            return self.layout.bind(wide, self.params) if wide is not None else None

        shapes = {n: v.shape for n, v in self.params.items()}
        bound = Reference(
            function, base.name, shapes=shapes, order=order or None, suspects=suspects, float64=float64
        )
        bound.note = self.describe()
        return bound

    def describe(self):
        """One line: how your code maps onto the reference."""
        layout = self.layout
        names = ", ".join(
            f"{o} -> {t}{' (transposed)' if o in self.transposed else ''}"
            for o, t in self.names.items()
            if o != t
        )
        parts = [
            names or "the same names",
            f"weights ({layout.weights})",
            f"labels {layout.labels}",
            f"loss {layout.loss} over the batch",
        ]
        if self.l2_on:
            parts.append(f"+ {layout.l2:g} * sum(W**2) over {', '.join(self.l2_on)}")
        return "layout: " + "; ".join(parts)

    def _to_ours(self, result, params, batch, scale):
        inverse = {theirs: ours for ours, theirs in self.names.items()}
        grads = {}
        for theirs, grad in result.grads.items():
            ours = inverse.get(theirs, theirs)
            grads[ours] = scale * (grad.T if ours in self.transposed else grad)
        loss = scale * result.loss
        for name in self.l2_on:
            w = to_numpy(params[name]).astype(np.float64)
            loss += self.layout.l2 * float(np.vdot(w, w))
            grads[name] = grads[name] + (2 * self.layout.l2 * to_numpy(params[name])).astype(
                grads[name].dtype
            )
        intermediates, values = {}, {}
        for theirs, grad in result.intermediates.items():
            for ours in self._ours(theirs):
                intermediates[ours] = scale * grad
                if theirs in result.values:
                    values[ours] = result.values[theirs]
        return ReferenceResult(loss, grads, intermediates, values)

    def _ours(self, theirs):
        """Your names for the reference's ``theirs``: a parameter's, or an intermediate's aliases."""
        inverse = {t: o for o, t in self.names.items()}
        if theirs in inverse:
            return [inverse[theirs]]
        explicit = [o for o, t in (self.layout.intermediates or {}).items() if t == theirs]
        return explicit or _conventional(theirs, self.base.shapes or {})

    def _check_shapes(self):
        shapes, misfits = self.base.shapes or {}, []
        for ours, theirs in self.names.items():
            if ours not in self.params:
                raise InputError(
                    f"Layout names {ours!r}, which is not one of your parameters ({', '.join(self.params)})"
                )
            shape = self.params[ours].shape[::-1] if ours in self.transposed else self.params[ours].shape
            if theirs in shapes and tuple(shape) != tuple(shapes[theirs]):
                misfits.append(f"{ours} {self.params[ours].shape} for {theirs} {tuple(shapes[theirs])}")
        if misfits:
            other = "out, in" if self.layout.weights == "in, out" else "in, out"
            raise InputError(
                f"your shapes do not fit the {self.base.name}'s, read with weights ({self.layout.weights}): "
                f"{'; '.join(misfits)}; are your weights ({other})? Layout(weights='{other}') "
                f"(paritynets-check --weights {other.replace(' ', '')})"
            )


def _pair_by_layer(params, shapes):
    """Your parameters paired with the reference's, k-th layer with k-th layer, weights first."""
    if shapes is None or set(params) == set(shapes):
        return {name: name for name in params}
    ours = _groups(params, layer_number)
    theirs = _groups(shapes, lambda name: name.rpartition(".")[0])
    if [len(g) for g in ours] != [len(g) for g in theirs]:
        raise InputError(
            f"cannot pair your parameters ({', '.join(params)}) layer by layer with the reference's "
            f"({', '.join(shapes)}): name them, Layout(names={{'{next(iter(params))}': '{next(iter(shapes))}', ...}})"
        )
    pairs = {}
    for mine, its in zip(ours, theirs, strict=True):
        mine = sorted(mine, key=lambda n: -np.ndim(params[n]))
        its = sorted(its, key=lambda n: -len(shapes[n]))
        pairs.update(zip(mine, its, strict=True))
    return pairs


def _groups(names, key):
    groups = {}
    for name in names:
        groups.setdefault(key(name), []).append(name)
    return [groups[k] for k in (sorted(groups) if key is layer_number else groups)]


def layer_number(name):
    digits = re.search(r"(\d+)$", name)
    return int(digits.group(1)) if digits else 0


def _conventional(theirs, shapes):
    """dz{k} / dh{k} / dscores for a reference intermediate "prefix.{i}:out|in" of a single stack."""
    match = _LAYER.match(theirs)
    if not match:
        return []
    prefix, i, side = match.group(1), int(match.group(2)), match.group(3)
    layers = {int(m.group(1)) for n in shapes for m in [re.match(rf"^{re.escape(prefix)}\.(\d+)\.", n)] if m}
    if side == "in":
        return [f"dh{i}", f"da{i}"] if i > 0 else ["dx"]
    last = i == max(layers, default=i)
    return [f"dz{i + 1}"] + (["dscores", "dlogits", "dout"] if last else [])


def _rows(batch):
    return float(np.shape(to_numpy(batch[0]))[0]) if isinstance(batch, (tuple, list)) else 1.0


def _one_hot(y):
    return bool(np.isin(y, (0, 1)).all() and (y.sum(axis=1) == 1).all())
