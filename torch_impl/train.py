"""The torch side of the one training loop: ``numpy_impl.training.fit`` with a torch step, so both
engines see the same batches, learning-rate schedule, history and progress reporting; where NumPy
calls ``loss_and_backward`` and ``optimizer.step(grads)``, torch calls ``loss.backward()`` and
``optimizer.step()``, autograd giving the gradients (sparse ones too, for ``nn.Embedding(sparse=
True)``). (Checkpointed and distributed torch training belongs to Lightning, not here.)"""

import math

import torch

from numpy_impl import training

from .tensors import as_tensor
from .threads import set_threads


def torch_step(module, optimizer, batch, lr=None, reduction="mean"):
    """One ``torch.optim`` step of ``module`` (which has ``loss(batch, reduction) -> scalar
    tensor``) at learning rate ``lr`` (None: the optimizer's own), set in every parameter group.
    Returns the batch's loss; a non-finite one returns before the update."""
    if lr is not None:
        for group in optimizer.param_groups:
            group["lr"] = lr
    optimizer.zero_grad()
    loss = module.loss(batch, reduction)
    value = float(loss.detach())  # the loop records it: one host read per step, not per loss
    if math.isfinite(value):
        loss.backward()
        optimizer.step()
    return value


def fit(module, optimizer, data, *, evaluate=None, threads=None, **options):
    """Train ``module`` with a ``torch.optim`` optimizer; ``options`` as ``numpy_impl.training.fit``
    (epochs, batch_size, seed, lr_schedule, reduction, progress, desc), checkpoints aside.
    ``threads``: torch and BLAS threads during the run (``torch_impl.threads``; None: as they are).

    data: a tuple of arrays or tensors indexed by the same rows, or a batch source; evaluate:
    optional ``evaluate(module) -> dict of floats`` after each epoch (run under ``torch.no_grad()``).
    """
    kept = sorted(set(options) & {"checkpoint", "checkpoint_every", "resume", "step"})
    if kept:
        raise TypeError(
            f"torch_impl.train.fit does not take {', '.join(kept)}; checkpointed torch runs use Lightning"
        )
    if not hasattr(data, "epoch"):
        data, _ = training.check_data(data)
        data = tuple(as_tensor(a) for a in data)

    def evaluate_without_grad(model):
        with torch.no_grad():
            return evaluate(model)

    without_grad = evaluate_without_grad if evaluate else None
    with set_threads(threads):
        return training.fit(module, optimizer, data, evaluate=without_grad, step=torch_step, **options)
