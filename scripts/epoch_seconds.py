"""A Lightning callback that times training epochs, for measurements run through the real command
line (``scripts/scaling.py``):

    paritynets-train fit --config configs/mlp.yaml --trainer.callbacks+=scripts.epoch_seconds.EpochSeconds

Each training epoch is timed from its start to its end (validation, when it runs, falls inside;
the checkpoint written at the epoch's end does not: Lightning runs checkpoint callbacks last).
Rank 0 prints one line when training ends, ``epoch seconds: [0.41, 0.38, ...]`` (JSON), which
``scripts.scaling.read_epoch_seconds`` reads (``announce=False``: kept in ``seconds`` only, as
``scripts/bench/lightning.py`` reads them)."""

import json
import time

import lightning.pytorch as pl

from scripts.scaling import PREFIX


class EpochSeconds(pl.Callback):
    def __init__(self, announce: bool = True):
        self.seconds, self.started, self.announce = [], None, announce

    def on_train_epoch_start(self, trainer, pl_module):
        self.started = time.perf_counter()

    def on_train_epoch_end(self, trainer, pl_module):
        self.seconds.append(time.perf_counter() - self.started)

    def on_train_end(self, trainer, pl_module):
        if self.announce and trainer.is_global_zero:
            print(PREFIX + json.dumps(self.seconds), flush=True)
