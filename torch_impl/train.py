"""A plain torch training loop, the twin of ``numpy_impl.train.fit`` for side-by-side runs: the same
batches (``epoch_batches``), the same history and progress reporting, and
``loss.backward(); optimizer.step()`` where NumPy calls ``loss_and_grads`` and ``optimizer.step(grads)``.
(Checkpointed and distributed torch training belongs to Lightning, not here.)"""

import math

import torch

from numpy_impl.train import DivergedError, History, Progress, check_data, epoch_batches, epoch_record

from .tensors import as_tensor


def fit(module, optimizer, data, *, epochs, batch_size, seed=0, evaluate=None, progress="auto", desc="train"):
    """Train ``module`` (which has ``loss(batch) -> scalar tensor``) with a ``torch.optim`` optimizer.

    data: a tuple of arrays or tensors indexed by the same rows; evaluate: optional
    ``evaluate(module) -> dict of floats`` after each epoch (run under ``torch.no_grad()``).
    """
    data, n_rows = check_data(data)
    tensors = tuple(as_tensor(a) for a in data)
    history = History()
    reporter = Progress(progress, desc, epochs, math.ceil(n_rows / batch_size))
    try:
        for epoch in range(epochs):
            plan = epoch_batches(n_rows, batch_size, seed, epoch)
            for b, rows in enumerate(plan):
                batch = tuple(t[torch.from_numpy(rows)] for t in tensors)
                optimizer.zero_grad()
                loss = module.loss(batch)
                value = float(loss.detach())
                if not math.isfinite(value):
                    where = (
                        f"step {len(history.step_loss) + 1} (epoch {epoch + 1}, batch {b + 1} of {len(plan)})"
                    )
                    raise DivergedError(f"the loss became {value} at {where}; training stopped")
                loss.backward()
                optimizer.step()
                history.step_loss.append(value)
                reporter.step(value)
            with torch.no_grad():
                metrics = evaluate(module) if evaluate else None
            history.epochs.append(epoch_record(epoch, history, plan, metrics))
            reporter.epoch_done(history.epochs[-1])
    finally:
        reporter.close()
    return history
