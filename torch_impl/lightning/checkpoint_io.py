"""Checkpoint files a crash cannot leave half-written. Lightning 2.6 writes a checkpoint into a
temporary file of the system's temp directory and moves it over the target when done, which is a
copy, not an atomic rename, when the two are on different filesystems, and never fsyncs. Here the
temporary file lies beside the target, is flushed to disk, then renamed over it
(``numpy_impl.files.atomic_path``), so a run killed at any instant leaves the previous checkpoint
or the new one."""

import torch
from lightning.fabric.plugins import TorchCheckpointIO

from numpy_impl.files import atomic_path


class AtomicCheckpointIO(TorchCheckpointIO):
    def save_checkpoint(self, checkpoint, path, storage_options=None):
        if storage_options is not None:
            raise TypeError(f"{type(self).__name__} takes no storage_options; got {storage_options!r}")
        with atomic_path(path) as tmp:
            torch.save(checkpoint, tmp)
