"""Optimizers with torch.optim's exact semantics, updating a model's live parameters in place.

    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)      # torch.optim.SGD(model.parameters(), ...)
    loss, grads = model.loss_and_grads(batch)
    opt.step(grads)                                          # loss.backward(); opt.step()

Each keeps its own per-parameter state (``state_dict()`` / ``load_state_dict()``) so a checkpoint can
carry it. The arithmetic follows torch's single-tensor ("foreach=False") code path, operation by
operation, so float64 trajectories agree with torch to rounding.

Row-sparse gradients (``numpy_impl.sparse.RowSparse``, from ``SkipGram(sparse=True)``) are taken
where torch.optim takes the sparse gradients of ``nn.Embedding(sparse=True)``: plain SGD applies
them with a scatter-add, touching only the rows in the batch; SGD with momentum (whose buffer torch
keeps sparse, with the same values) uses them densified. SGD with weight decay and Adam/AdamW
refuse them, as torch does.
"""

import numbers

import numpy as np

from .checks import InputError, positive_int, real
from .sparse import RowSparse

BLOCK = 1 << 15  # elements: a block of a parameter, its gradient and its buffers fits a core's L2 cache


class Optimizer:
    def __init__(self, params, **hparams):
        if not isinstance(params, dict) or not params:
            raise InputError("params must be a non-empty dict name -> array, e.g. model.parameters()")
        for name, value in hparams.items():
            if not isinstance(value, (bool, tuple)):  # numbers: finite and >= 0 (lr="0.1" or nan refused)
                real(value, name, minimum=0)
        self.params = params
        self.hparams = hparams
        self.state = {name: {} for name in params}
        self.steps = 0
        self._scratch = {}  # (shape, dtype) -> buffers for one update's temporaries, shared by all

    @property
    def lr(self):
        return self.hparams["lr"]

    @lr.setter
    def lr(self, value):
        self.hparams["lr"] = float(value)

    def step(self, grads):
        """Update every parameter from ``grads`` (a dict keyed like the parameters)."""
        missing = [name for name in self.params if name not in grads]
        if missing:
            raise ValueError(f"grads has no entry for {', '.join(missing)}")
        for name, param in self.params.items():
            shape = np.shape(grads[name])
            if shape != param.shape:
                raise ValueError(f"grads[{name!r}] has shape {shape}; the parameter has {param.shape}")
            if isinstance(grads[name], RowSparse):
                self._check_sparse(name)
        self.steps += 1
        for name, param in self.params.items():
            grad = grads[name]
            if isinstance(grad, RowSparse) and self._applies_sparse():
                grad.add_to(param, -self.lr)
            else:
                self._update_in_blocks(param, np.asarray(grad).astype(param.dtype, copy=False), self.state[name])

    def _update(self, param, grad, state):
        raise NotImplementedError

    def _update_in_blocks(self, param, grad, state):
        """``_update`` a block of ``BLOCK`` elements at a time: an update makes a dozen element-wise
        passes over the parameter, its gradient and its buffers, which for a large parameter each
        come from memory; block by block they stay in the cache. Element-wise, so the numbers are
        the same. The first step (which makes the buffers) and non-contiguous arrays go whole."""
        arrays = [param, grad, *state.values()]
        if not state or param.size <= BLOCK or not all(a.flags.c_contiguous for a in arrays):
            return self._update(param, grad, state)
        flat_param, flat_grad = param.reshape(-1), grad.reshape(-1)  # views: the blocks write through
        flat_state = {key: value.reshape(-1) for key, value in state.items()}
        for start in range(0, param.size, BLOCK):
            block = slice(start, start + BLOCK)
            self._update(flat_param[block], flat_grad[block], {k: v[block] for k, v in flat_state.items()})

    def _buffers(self, param, count):
        """``count`` preallocated arrays of ``param``'s shape and dtype, for the temporaries of an
        update (``out=``): no allocation per step. Not state: their values never outlive one update."""
        key = (param.shape, param.dtype)
        while len(self._scratch.setdefault(key, [])) < count:
            self._scratch[key].append(np.empty_like(param))
        return self._scratch[key][:count]

    def _check_sparse(self, name):
        """Refuse a row-sparse gradient where torch.optim refuses a sparse one."""
        raise InputError(
            f"{type(self).__name__} does not take sparse gradients (grads[{name!r}]), as in torch"
        )

    def _applies_sparse(self):
        """Whether a row-sparse gradient is applied as it is (a scatter-add) rather than densified."""
        return False

    def state_dict(self):
        """Hyperparameters, step count and per-parameter buffers (copies)."""
        return {
            "hparams": dict(self.hparams),
            "steps": self.steps,
            "state": {name: {k: v.copy() for k, v in s.items()} for name, s in self.state.items()},
        }

    def load_state_dict(self, state_dict):
        """Take ``state_dict`` (as ``state_dict()`` gives it) whole, or nothing: it is checked and
        copied before the optimizer changes."""
        if not isinstance(state_dict, dict) or not {"hparams", "steps", "state"} <= set(state_dict):
            raise InputError("an optimizer state dict has 'hparams', 'steps' and 'state'")
        unknown = set(state_dict["state"]) - set(self.params)
        if unknown:
            raise InputError(f"optimizer state names parameters this optimizer lacks: {sorted(unknown)}")
        extra = set(state_dict["hparams"]) - set(self.hparams)
        if extra:
            raise InputError(
                f"optimizer state has hyperparameters {type(self).__name__} lacks: {sorted(extra)}"
            )
        steps = positive_int(state_dict["steps"], "optimizer steps", minimum=0)
        state = {name: {} for name in self.params}
        for name, buffers in state_dict["state"].items():
            state[name] = {k: _buffer(name, k, v, self.params[name]) for k, v in buffers.items()}
        self.hparams.update(state_dict["hparams"])
        self.steps, self.state = steps, state


class SGD(Optimizer):
    """torch.optim.SGD: weight decay added to the gradient, then (Nesterov) momentum with dampening."""

    def __init__(self, params, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise InputError("Nesterov momentum requires a momentum > 0 and zero dampening (as in torch)")
        super().__init__(
            params,
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
        )

    def _check_sparse(self, name):
        if self.hparams["weight_decay"]:  # torch: "add(sparse, dense) is not supported"
            raise InputError(
                f"SGD with weight_decay does not take sparse gradients (grads[{name!r}]), as in torch"
            )

    def _applies_sparse(self):
        return not self.hparams["momentum"]

    def _update(self, param, grad, state):
        h = self.hparams
        if h["weight_decay"]:
            grad = grad + h["weight_decay"] * param
        if h["momentum"]:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = grad.copy()  # torch starts the buffer at the first gradient
            else:
                buf = state["momentum_buffer"]
                buf *= h["momentum"]
                buf += (1 - h["dampening"]) * grad
            buf = state["momentum_buffer"]
            grad = grad + h["momentum"] * buf if h["nesterov"] else buf
        (scaled,) = self._buffers(param, 1)
        param -= np.multiply(grad, h["lr"], out=scaled)


class Adam(Optimizer):
    """torch.optim.Adam: moments m and v with bias correction; ``weight_decay`` is L2 added to the
    gradient (Adam) or, with ``decoupled_weight_decay``, a shrink of the weights before the step (AdamW).
    ``amsgrad`` normalises by the largest v seen so far."""

    decoupled_weight_decay = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        _check_adam_hparams(lr, betas, eps, weight_decay)
        super().__init__(
            params,
            lr=float(lr),
            betas=(float(betas[0]), float(betas[1])),
            eps=float(eps),
            weight_decay=float(weight_decay),
            amsgrad=bool(amsgrad),
        )

    def _update(self, param, grad, state):
        h = self.hparams
        lr, (beta1, beta2), eps, weight_decay = h["lr"], h["betas"], h["eps"], h["weight_decay"]
        if not state:  # torch creates the buffers lazily, at a parameter's first step
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
            if h["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param)
        if weight_decay != 0:
            if self.decoupled_weight_decay:
                param *= 1 - lr * weight_decay
            else:
                grad = grad + weight_decay * param
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        a, b = self._buffers(param, 2)  # the temporaries, written in place (out=)
        _lerp_(exp_avg, grad, 1 - beta1, a)
        exp_avg_sq *= beta2
        np.multiply(grad, 1 - beta2, out=a)  # addcmul_: value * t1 * t2, left to right
        exp_avg_sq += np.multiply(a, grad, out=a)

        # torch's single-tensor path does the bias correction in Python floats (step as a float)
        step = float(self.steps)
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5
        if h["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
            second_moment = state["max_exp_avg_sq"]
        else:
            second_moment = exp_avg_sq
        denom = np.sqrt(second_moment, out=a)
        denom /= bias_correction2_sqrt
        denom += eps
        update = np.multiply(exp_avg, -step_size, out=b)  # addcdiv_: value * t1 / t2
        param += np.divide(update, denom, out=update)


class AdamW(Adam):
    """torch.optim.AdamW: Adam with decoupled weight decay (w <- w * (1 - lr * weight_decay) before the
    step) and torch's default weight_decay of 1e-2."""

    decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)


def _buffer(name, key, value, param):
    """An optimizer buffer as a copy in the parameter's dtype, checked: its shape, finite values."""
    value = np.asarray(value)
    if value.shape != param.shape or value.dtype.kind != "f" or not np.isfinite(value).all():
        raise InputError(
            f"optimizer buffer {key} of {name} must be finite floats of shape {param.shape}; "
            f"got {value.dtype} of shape {value.shape}"
        )
    return np.array(value, dtype=param.dtype)


def _lerp_(start, end, weight, scratch):
    """In place start + weight * (end - start), with torch's two formulas (chosen by |weight| < 0.5);
    ``scratch``, an array of start's shape, holds the temporary."""
    difference = np.subtract(end, start, out=scratch)
    if abs(weight) < 0.5:
        start += np.multiply(difference, weight, out=difference)
    else:
        np.subtract(end, np.multiply(difference, 1 - weight, out=difference), out=start)


def _check_adam_hparams(lr, betas, eps, weight_decay):
    for name, value in (("lr", lr), ("eps", eps), ("weight_decay", weight_decay)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
            raise InputError(f"{name} must be a number >= 0; got {value!r}")
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise InputError(f"betas must be a pair (beta1, beta2); got {betas!r}")
    for i, beta in enumerate(betas):
        if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not 0 <= beta < 1:
            raise InputError(f"betas[{i}] must be a number in [0, 1); got {beta!r}")


def word2vec_lr(epochs, start_lr=0.025, end_lr=0.0001):
    """word2vec's learning rate as an ``lr_schedule`` for ``fit``: linear from ``start_lr`` to
    ``end_lr`` over all ``epochs``, t being epochs done (fractions counted in pairs)."""
    epochs = positive_int(epochs, "epochs")

    def lr(t):
        return max(end_lr, start_lr - (start_lr - end_lr) * t / epochs)

    return lr
