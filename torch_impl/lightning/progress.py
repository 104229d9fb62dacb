"""One line per epoch on stdout, for logs: Lightning's progress bar does not notice that stdout is
not a terminal and writes a carriage return per refresh (tens of kilobytes for a few short epochs).
The CLI turns the bar on only on a terminal and this callback on otherwise."""

import sys
import time

import lightning.pytorch as pl


class EpochLines(pl.Callback):
    """``epoch 3/10  train_loss 0.1234  val_accuracy 0.9560  (4.2 s)`` after every training epoch:
    the epoch's metrics (those logged per epoch; validation runs before the epoch ends)."""

    def __init__(self, stream=None):
        self.stream = stream
        self.started = None

    def on_train_start(self, trainer, pl_module):
        self.started = time.perf_counter()

    def on_train_epoch_end(self, trainer, pl_module):
        if not trainer.is_global_zero:
            return
        metrics = {
            name: float(value)
            for name, value in sorted(trainer.callback_metrics.items())
            if not name.endswith("_step") and value.numel() == 1
        }
        shown = "  ".join(f"{name} {value:.4g}" for name, value in metrics.items())
        elapsed = time.perf_counter() - self.started
        line = f"epoch {trainer.current_epoch + 1}/{trainer.max_epochs}  {shown}  ({elapsed:.1f} s)"
        print(line, file=self.stream or sys.stdout, flush=True)
