"""The one training loop, for every model and both engines: epochs of mini-batches, one optimizer
step per batch, a history, an optional learning-rate schedule, and checkpoints.

    model = MLP((64, 128, 10), seed=0, dtype=np.float64)
    opt = SGD(model.parameters(), lr=0.1)
    history = fit(model, opt, (x, y), epochs=30, batch_size=64, seed=0, checkpoint="run/ckpt.safetensors")

A model has ``parameters()`` (the live dict name -> array the optimizer updates), ``validate(batch)``
and ``loss_and_backward(batch, reduction)``; it computes, the loop and the optimizer decide how the
parameters move. ``reduction="sum"`` steps on the gradient of the batch's summed loss, word2vec's
update. The engine is the ``step``: ``numpy_step`` here, ``torch_impl.train.torch_step`` for torch
(``loss.backward(); optimizer.step()``); each sets the learning rate its own optimizer's way.
"""

import math
import time
from dataclasses import dataclass
from functools import partial

from ..checks import InputError, one_of, positive_int
from ..ops import REDUCTIONS
from ..stopping import Stopped, deferred_stop, signal_name
from .batches import batch_check, batch_source
from .checkpoint import Checkpointer
from .history import DivergedError, History, epoch_record
from .progress import Progress, check_mode
from .run_key import run_key


def numpy_step(model, optimizer, batch, lr=None, reduction="mean"):
    """One optimizer step of a NumPy model at learning rate ``lr`` (None: the optimizer's own);
    returns the batch's loss under ``reduction``. A non-finite loss returns before the update, so
    the weights stay those of the last good step."""
    if lr is not None:
        optimizer.lr = lr
    loss, backward = model.loss_and_backward(batch, reduction)
    loss = float(loss)
    if math.isfinite(loss):
        optimizer.step(backward())
    return loss


def fit(
    model,
    optimizer,
    data,
    *,
    epochs,
    batch_size=None,
    seed=None,
    lr_schedule=None,
    reduction="mean",
    evaluate=None,
    checkpoint=None,
    checkpoint_every=None,
    resume=False,
    progress="auto",
    desc="train",
    step=numpy_step,
):
    """Train ``model`` with ``optimizer`` for ``epochs`` passes over ``data``; return the History.

    data: a tuple of arrays (then ``batch_size`` and ``seed``, default 0, cut and shuffle it) or a
        batch source with ``epoch(e)`` (``numpy_impl.training.batches``); validated once, here.
    lr_schedule: optional ``lr_schedule(t) -> lr`` set before every step, where t = epoch (0-based)
        + the share of the epoch's examples already done; e.g. ``word2vec_lr(epochs)``.
    reduction: "mean" (the default) or "sum", the loss whose gradient each step follows.
    evaluate: optional ``evaluate(model) -> dict of floats`` after every epoch, joining its record.
    checkpoint: a file path, written at every epoch's end and every ``checkpoint_every`` steps;
        ``resume``: go on from it (same run), to end bit for bit as an uninterrupted run.
    progress: "auto" (a bar on a terminal, else a line per epoch), "bar", "lines" or "off" (stderr).
    step: ``step(model, optimizer, batch, lr=, reduction=) -> loss``, the engine's optimizer step.

    A NaN/inf loss raises DivergedError naming the step, before that step's update; the last
    checkpoint on disk stays the last good one.
    """
    source = batch_source(data, batch_size, seed)
    positive_int(epochs, "epochs", minimum=0)
    one_of(reduction, REDUCTIONS, "reduction")
    check_mode(progress)
    key = partial(run_key, model, optimizer, source, reduction, lr_schedule)
    checkpoints = Checkpointer(checkpoint, checkpoint_every, model, optimizer, key)
    checkpoints.hold()  # from here on a second run on this checkpoint is refused
    try:
        with deferred_stop() as stop:  # Ctrl-C / SIGTERM end the run at a step's end, checkpointed
            history, first_epoch, start = checkpoints.resume() if resume else (History(), 0, 0)
            run = Run(model, optimizer, step, batch_check(source, model), lr_schedule, reduction, history)
            run.checkpoints, run.stop = checkpoints, stop
            run.train(source, epochs, first_epoch, start, evaluate, (progress, desc))
    finally:
        checkpoints.release()
    return history


@dataclass
class Run:
    """What ``fit`` keeps for the steps of a run."""

    model: object
    optimizer: object
    step: object
    validate: object  # None when the batch source vouched for its batches
    lr_schedule: object
    reduction: str
    history: History
    checkpoints: Checkpointer | None = None
    stop: object = None  # the DeferredStop of the run
    progress: Progress | None = None

    def train(self, source, epochs, first_epoch, start, evaluate, progress):
        """Epochs ``first_epoch`` to ``epochs``, the first from batch ``start``; after each one its
        record (with ``evaluate``'s metrics) and a checkpoint."""
        history = self.history
        try:
            for epoch in range(first_epoch, epochs):
                started, plan = time.perf_counter(), source.epoch(epoch)
                self.progress = self.progress or Progress(
                    *progress, epochs, len(plan), len(history.step_loss)
                )
                sizes, lr = self.train_epoch(epoch, plan, start if epoch == first_epoch else 0)
                metrics = dict(getattr(plan, "record", None) or {}) | ({"lr": lr} if lr is not None else {})
                metrics |= dict(evaluate(self.model) if evaluate else {})
                history.epochs.append(epoch_record(epoch, history.step_loss[-len(sizes) :], sizes, metrics))
                history.seconds.append(time.perf_counter() - started)
                self.progress.epoch_done(history.epochs[-1])
                self.checkpoints.save(history, epoch + 1, 0)
                self.stop_if_asked(f"the end of epoch {epoch + 1}")
        finally:
            if self.progress is not None:
                self.progress.close()

    def stop_if_asked(self, where):
        """After a step: raise ``Stopped`` when a signal came during it, checkpointed here."""
        if self.stop.signum is None:
            return
        message = f"stopped by {signal_name(self.stop.signum)} at {where}"
        if self.checkpoints.path is not None:
            message += f"; checkpoint {self.checkpoints.path} holds step {len(self.history.step_loss)}"
        raise Stopped(self.stop.signum, message)

    def train_epoch(self, epoch, plan, start):
        """Train on ``plan``'s batches from batch ``start`` on (the earlier ones were trained before
        the checkpoint and are iterated so that the source's random draws repeat). Returns the
        epoch's batch sizes and the last learning rate set."""
        n_examples = getattr(plan, "n_examples", None)
        if self.lr_schedule is not None and not n_examples:
            raise InputError(f"an lr_schedule needs the epoch's n_examples; {type(plan).__name__} has none")
        sizes, done, lr = [], 0, None  # done: examples of this epoch before the batch
        for b, batch in enumerate(plan):
            if b >= start:
                lr = None if self.lr_schedule is None else self.lr_schedule(epoch + done / n_examples)
                where = f"epoch {epoch + 1}, batch {b + 1} of {len(plan)}"
                self.train_step(batch, lr, where)
                mid_epoch = b + 1 < len(plan)
                if mid_epoch and (
                    self.stop.signum or self.checkpoints.due(len(self.history.step_loss), True)
                ):
                    self.checkpoints.save(self.history, epoch, b + 1)
                    self.stop_if_asked(f"step {len(self.history.step_loss)} ({where})")
            sizes.append(len(batch[0]))
            done += sizes[-1]
        return sizes, lr

    def train_step(self, batch, lr, where):
        if self.validate is not None:
            batch = self.validate(batch)
        loss = self.step(self.model, self.optimizer, batch, lr=lr, reduction=self.reduction)
        if not math.isfinite(loss):
            raise DivergedError(
                f"the loss became {loss} at step {len(self.history.step_loss) + 1} ({where}); "
                + self.checkpoints.last_good()
            )
        loss = loss / len(batch[0]) if self.reduction == "sum" else loss  # the history keeps it per example
        self.history.step_loss.append(loss)
        self.progress.step(loss)
