"""What ``paritynets-train predict`` leaves behind: the systems' ``predict_step`` outputs (classes,
latent codes, word vectors), concatenated in the order of the predict loader, as
``<run>/predict/predictions.safetensors`` (key ``predictions``), which NumPy reads too."""

import sys
from pathlib import Path

import torch
from lightning.pytorch.callbacks import BasePredictionWriter

from ..bridge import save_state_dict


class SavePredictions(BasePredictionWriter):
    def __init__(self, stream=None):
        super().__init__(write_interval="epoch")
        self.stream = stream

    def write_on_epoch_end(self, trainer, pl_module, predictions, batch_indices):
        log_dir = trainer.log_dir  # a broadcast from rank 0 under DDP: every rank asks
        if not trainer.is_global_zero:
            return
        if log_dir is None:  # fast_dev_run's dummy logger: a smoke test, whose few batches are not kept
            print("fast_dev_run: predictions not written", file=self.stream or sys.stdout, flush=True)
            return
        out = Path(log_dir) / "predictions.safetensors"
        save_state_dict({"predictions": torch.cat([p.detach().cpu() for p in predictions])}, out)
        print(f"wrote {out}", file=self.stream or sys.stdout, flush=True)
