"""Ctrl-C and SIGTERM under Lightning: the run stops at the end of the batch under way, once the
weights and the optimizer agree, writes ``last.ckpt`` there (the checkpoint ``--ckpt_path last``
goes on from, bit for bit) and raises ``numpy_impl.stopping.Stopped``, which ``paritynets-train``
turns into one line and status 130 / 143.

Lightning's own handling is set aside for the training loop of a single process: on SIGINT it
stops without a checkpoint and exits with status 1, on SIGTERM it stops without one too. With
several processes the SIGTERM handling stays Lightning's, which tells the other ranks.
"""

from pathlib import Path

from lightning.pytorch.callbacks import Callback, ModelCheckpoint

from numpy_impl.stopping import Stopped, deferred_stop, signal_name


class StopCleanly(Callback):
    def __init__(self):
        self._block, self._stop = None, None

    def on_train_start(self, trainer, pl_module):
        if trainer.world_size == 1:
            self._block = deferred_stop(force=True)  # over Lightning's handlers, for the loop's length
            self._stop = self._block.__enter__()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if self._stop is None or self._stop.signum is None:
            return
        signum, path = self._stop.signum, last_checkpoint_path(trainer)
        kept = "no checkpoint callback to write it"
        if path is not None:
            trainer.save_checkpoint(path)
            kept = f"{path} holds it"
        raise Stopped(signum, f"stopped by {signal_name(signum)} after step {trainer.global_step}; {kept}")

    def on_train_end(self, trainer, pl_module):
        self._restore()

    def on_exception(self, trainer, pl_module, exception):
        self._restore()

    def teardown(self, trainer, pl_module, stage):
        self._restore()

    def _restore(self):
        if self._block is not None:
            self._block.__exit__(None, None, None)
        self._block, self._stop = None, None


def last_checkpoint_path(trainer):
    """Where the run's ``ModelCheckpoint(save_last=True)`` keeps ``last.ckpt``, or None."""
    for callback in trainer.checkpoint_callbacks:
        if isinstance(callback, ModelCheckpoint) and callback.save_last and callback.dirpath:
            return Path(callback.dirpath) / f"{callback.CHECKPOINT_NAME_LAST}{callback.FILE_EXTENSION}"
    return None
