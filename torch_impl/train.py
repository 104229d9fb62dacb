"""The torch side of the one training loop: ``numpy_impl.train.fit`` with a torch step, so both
engines see the same batches, learning-rate schedule, history and progress reporting; where NumPy
calls ``loss_and_grads`` and ``optimizer.step(grads)``, torch calls ``loss.backward()`` and
``optimizer.step()``. (Checkpointed and distributed torch training belongs to Lightning, not here.)"""

import math

import torch

from numpy_impl import train as numpy_train

from .tensors import as_tensor


def torch_step(module, optimizer, batch):
    """One ``torch.optim`` step of ``module`` (which has ``loss(batch) -> scalar tensor``, or its own
    ``train_step(batch, optimizer)``); returns the batch's loss, before the update when not finite."""
    train_step = getattr(module, "train_step", None)
    if train_step is not None:
        return float(train_step(batch, optimizer))
    optimizer.zero_grad()
    loss = module.loss(batch)
    value = float(loss.detach())
    if math.isfinite(value):
        loss.backward()
        optimizer.step()
    return value


def fit(module, optimizer, data, *, evaluate=None, **options):
    """Train ``module`` with a ``torch.optim`` optimizer; ``options`` as ``numpy_impl.train.fit``
    (epochs, batch_size, seed, lr_schedule, progress, desc), checkpoints aside.

    data: a tuple of arrays or tensors indexed by the same rows, or a batch source; evaluate:
    optional ``evaluate(module) -> dict of floats`` after each epoch (run under ``torch.no_grad()``).
    """
    kept = sorted(set(options) & {"checkpoint", "checkpoint_every", "resume", "step"})
    if kept:
        raise TypeError(
            f"torch_impl.train.fit does not take {', '.join(kept)}; checkpointed torch runs use Lightning"
        )
    if not hasattr(data, "epoch"):
        data, _ = numpy_train.check_data(data)
        data = tuple(as_tensor(a) for a in data)

    def evaluate_without_grad(model):
        with torch.no_grad():
            return evaluate(model)

    without_grad = evaluate_without_grad if evaluate else None
    return numpy_train.fit(module, optimizer, data, evaluate=without_grad, step=torch_step, **options)
