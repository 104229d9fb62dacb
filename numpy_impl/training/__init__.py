"""The one training loop in its parts: ``loop`` (``fit`` and the NumPy step), ``batches`` (where
data enters), ``checkpoint`` (exact resume), ``progress`` (bar or lines), ``history`` (what a run
produced). ``numpy_impl.train`` is the same names under their older home."""

from .batches import ArrayBatches, ArrayEpoch, batch_check, batch_source, check_data, epoch_batches
from .checkpoint import (
    CHECKPOINT_FORMAT,
    Checkpoint,
    Checkpointer,
    load_checkpoint,
    restore_checkpoint,
    save_checkpoint,
)
from .history import DivergedError, History, epoch_record
from .loop import fit, numpy_step
from .progress import Progress

__all__ = [
    "CHECKPOINT_FORMAT",
    "ArrayBatches",
    "ArrayEpoch",
    "Checkpoint",
    "Checkpointer",
    "DivergedError",
    "History",
    "Progress",
    "batch_check",
    "batch_source",
    "check_data",
    "epoch_batches",
    "epoch_record",
    "fit",
    "load_checkpoint",
    "numpy_step",
    "restore_checkpoint",
    "save_checkpoint",
]
