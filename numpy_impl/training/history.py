"""What a training run produced: the loss of every step and one record per finished epoch, or
a ``DivergedError``."""

from dataclasses import dataclass, field

import numpy as np


class DivergedError(FloatingPointError):
    """The loss (or the weights) became NaN/inf; training stopped and wrote no checkpoint after it."""


@dataclass
class History:
    """The loss of every optimizer step, per example of its batch (the batch's mean loss, or with
    ``reduction="sum"`` its summed loss divided by its examples), and one record per finished
    epoch (``epoch`` 1-based, ``loss`` = the mean loss over the epoch's examples, ``loss_sum`` =
    their summed loss in float64, ``examples``, the last ``lr`` under a schedule, what the batch
    source reports about the epoch, and evaluation metrics). ``seconds``: wall time of each epoch
    trained in this process (not checkpointed: a resumed run times only its part)."""

    step_loss: list = field(default_factory=list)
    epochs: list = field(default_factory=list)
    seconds: list = field(default_factory=list)

    def metric(self, name):
        """One metric across epochs, e.g. ``history.metric("test_accuracy")``."""
        return [record[name] for record in self.epochs]


def epoch_record(epoch, losses, sizes, metrics=None):
    """The record of finished ``epoch`` (0-based) from its batches' per-example ``losses`` and
    ``sizes``: the mean loss over examples, the summed loss (float64), the number of examples, and
    ``metrics``."""
    sizes = np.array(sizes, dtype=np.float64)
    loss_sum = float(np.array(losses, dtype=np.float64) @ sizes)
    record = {"epoch": epoch + 1, "loss": float(loss_sum / sizes.sum()), "loss_sum": loss_sum}
    record["examples"] = int(sizes.sum())
    for name, value in dict(metrics or {}).items():
        record[name] = value if isinstance(value, int) else float(value)
    return record
