"""The skip-gram system: word2vec's SGNS trained on ``(centers, contexts, negatives)`` batches of a
``TextData`` module, word2vec's way by default (per-pair gradients summed over a batch, plain SGD,
the learning rate decaying linearly from 0.025 to 0.0001 over all epochs, counted in pairs).

Metrics: the SGNS loss per pair over each epoch, and the word-similarity scores (wordsim353,
simlex999 Spearman; analogy accuracy) of the input vectors as the validation stage (after every
epoch) and the test stage, whose one batch is the vocabulary's ids. ``vocab_size=None`` takes the data's
vocabulary size when the run starts (``configure_model``); it is then saved with the checkpoint.

Under DDP with NCCL (several GPUs) the tables train with dense gradients whatever ``sparse`` says:
NCCL has no all-reduce of sparse tensors. Gloo (CPU ranks) all-reduces sparse ones.
"""

from typing import Literal

import torch
from lightning.pytorch.utilities import rank_zero_info

from .distributed import process_group_backend
from .system import TwinSystem

SPARSE_BACKENDS = ("gloo",)  # collective backends with an all-reduce of sparse tensors


class SkipGramSystem(TwinSystem):
    def __init__(
        self,
        vocab_size: int | None = None,
        dim: int = 100,
        init: Literal["gensim", "word2vec"] = "gensim",
        sparse: bool = True,
        lr: float = 0.025,
        lr_schedule: Literal["constant", "linear"] = "linear",
        reduction: Literal["mean", "sum"] = "sum",
        **options,
    ):
        super().__init__(lr=lr, lr_schedule=lr_schedule, reduction=reduction, **options)
        self.vocabulary = None  # the data's words, saved with checkpoints (for the export)
        if vocab_size is not None:
            self.build_twin()

    def twin_spec(self):
        h = self.hparams
        return "SkipGram", {"vocab_size": h.vocab_size, "dim": h.dim, "init": h.init, "sparse": h.sparse}

    def build_deferred_twin(self):
        datamodule = self.datamodule()
        if not hasattr(datamodule, "vocabulary"):
            raise ValueError(
                "SkipGramSystem(vocab_size=None) takes its vocabulary size from a TextData module"
            )
        self.hparams.vocab_size = len(datamodule.vocabulary)
        self.build_twin()

    def setup(self, stage):
        datamodule = self.datamodule()
        if hasattr(datamodule, "vocabulary"):
            self.vocabulary = list(datamodule.vocabulary.words)

    def configure_model(self):
        super().configure_model()
        self.gradients_for(process_group_backend())

    def gradients_for(self, backend):
        """Dense table gradients when the collective backend cannot all-reduce sparse ones (the
        weights and their updates are the same numbers either way)."""
        if self.model.sparse and backend is not None and backend not in SPARSE_BACKENDS:
            for table in (self.model.input_vectors, self.model.output_vectors):
                table.sparse = False
            self.model.sparse = False
            rank_zero_info(f"skip-gram: dense embedding gradients ({backend} has no sparse all-reduce)")

    def validation_step(self, batch, batch_idx):
        self._log_scores("val", self.model(batch[0]))

    def test_step(self, batch, batch_idx):
        self._log_scores("test", self.model(batch[0]))

    def _log_scores(self, stage, vectors):
        scores = self.trainer.datamodule.scores(vectors.detach().cpu().numpy())
        for name, value in scores.items():
            self.log_epoch_value(f"{stage}_{name}", torch.tensor(value, dtype=torch.float64))

    def predict_step(self, batch, batch_idx):
        """The word vectors of a batch of ids."""
        return self.model(batch[0])

    def on_save_checkpoint(self, checkpoint):
        checkpoint["vocabulary"] = self.vocabulary

    def on_load_checkpoint(self, checkpoint):
        self.vocabulary = checkpoint.get("vocabulary")
