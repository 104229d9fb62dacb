"""Optimizers with torch.optim's exact semantics, updating a model's live parameters in place.

    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)      # torch.optim.SGD(model.parameters(), ...)
    loss, grads = model.loss_and_grads(batch)
    opt.step(grads)                                          # loss.backward(); opt.step()

Each keeps its own per-parameter state (``state_dict()`` / ``load_state_dict()``) so a checkpoint can
carry it. The arithmetic follows torch's single-tensor ("foreach=False") code path, operation by
operation, so float64 trajectories agree with torch to rounding.
"""

import numpy as np


class Optimizer:
    def __init__(self, params, **hparams):
        if not isinstance(params, dict) or not params:
            raise ValueError("params must be a non-empty dict name -> array, e.g. model.parameters()")
        for name, value in hparams.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
                raise ValueError(f"{name} must be >= 0; got {value}")
        self.params = params
        self.hparams = hparams
        self.state = {name: {} for name in params}
        self.steps = 0

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
        self.steps += 1
        for name, param in self.params.items():
            grad = np.asarray(grads[name])
            if grad.shape != param.shape:
                raise ValueError(f"grads[{name!r}] has shape {grad.shape}; the parameter has {param.shape}")
            self._update(param, grad.astype(param.dtype, copy=False), self.state[name])

    def _update(self, param, grad, state):
        raise NotImplementedError

    def state_dict(self):
        """Hyperparameters, step count and per-parameter buffers (copies)."""
        return {
            "hparams": dict(self.hparams),
            "steps": self.steps,
            "state": {name: {k: v.copy() for k, v in s.items()} for name, s in self.state.items()},
        }

    def load_state_dict(self, state_dict):
        unknown = set(state_dict["state"]) - set(self.params)
        if unknown:
            raise ValueError(f"optimizer state names parameters this optimizer lacks: {sorted(unknown)}")
        self.hparams.update(state_dict["hparams"])
        self.steps = int(state_dict["steps"])
        self.state = {name: {} for name in self.params}
        for name, buffers in state_dict["state"].items():
            self.state[name] = {k: np.array(v, dtype=self.params[name].dtype) for k, v in buffers.items()}


class SGD(Optimizer):
    """torch.optim.SGD: weight decay added to the gradient, then (Nesterov) momentum with dampening."""

    def __init__(self, params, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum > 0 and zero dampening (as in torch)")
        super().__init__(
            params,
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
        )

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
        param -= h["lr"] * grad
