"""The classification system: the linear classifier or the MLP, trained on ``(x, y)`` batches,
with accuracy, mean loss and a confusion matrix per stage (torchmetrics, accumulated on the
device, computed at the end of each validation / test epoch)."""

import csv
from pathlib import Path
from typing import Literal

import torch
from torch import nn
from torchmetrics.classification import MulticlassAccuracy, MulticlassConfusionMatrix

from numpy_impl.checks import InputError, one_of, positive_ints

from .metrics import ExampleMean
from .system import TwinSystem


class ClassificationMetrics(nn.Module):
    """One stage's metrics: mean loss over examples, accuracy, confusion matrix (rows: true class)."""

    def __init__(self, n_classes):
        super().__init__()
        n = max(n_classes, 2)  # one output unit is a binary classifier
        self.loss = ExampleMean()
        self.accuracy = MulticlassAccuracy(n, average="micro", validate_args=False)
        self.confusion = MulticlassConfusionMatrix(n, validate_args=False)

    def update(self, loss, logits, y):
        predicted = predictions(logits)
        self.loss.update(loss, y.shape[0])
        self.accuracy.update(predicted, y)
        self.confusion.update(predicted, y)


class ClassifierSystem(TwinSystem):
    """``architecture``: "mlp" (``MLP(sizes, activation)``) or "linear" (``LinearClassifier(sizes[0],
    sizes[1])``); ``sizes`` start with the data's features and end with its classes."""

    def __init__(
        self,
        architecture: Literal["mlp", "linear"] = "mlp",
        sizes: tuple[int, ...] = (64, 128, 10),
        activation: Literal["relu", "sigmoid", "tanh", "identity"] = "relu",
        **options,
    ):
        super().__init__(**options)
        one_of(architecture, ("mlp", "linear"), "architecture")
        self.sizes = positive_ints(sizes, "sizes", min_length=2)
        if architecture == "linear" and len(self.sizes) != 2:
            raise InputError(f"a linear classifier has sizes (n_features, n_classes); got {list(sizes)}")
        self.build_twin()
        self.val_metrics = ClassificationMetrics(self.sizes[-1])
        self.test_metrics = ClassificationMetrics(self.sizes[-1])
        self.confusion_matrices = {}  # stage -> the last computed (C, C) matrix, on the CPU

    def twin_spec(self):
        if self.hparams.architecture == "linear":
            return "LinearClassifier", {"n_features": self.sizes[0], "n_classes": self.sizes[1]}
        return "MLP", {"sizes": self.sizes, "activation": self.hparams.activation}

    def _evaluate(self, batch, metrics):
        x, y = batch
        logits = self.model.logits(x)
        metrics.update(self.model.loss(batch), logits, y)

    def validation_step(self, batch, batch_idx):
        self._evaluate(batch, self.val_metrics)

    def test_step(self, batch, batch_idx):
        self._evaluate(batch, self.test_metrics)

    def on_validation_epoch_end(self):
        self._log_stage("val", self.val_metrics)

    def on_test_epoch_end(self):
        self._log_stage("test", self.test_metrics)

    def _log_stage(self, stage, metrics):
        self.log_epoch_value(f"{stage}_loss", metrics.loss.compute())
        self.log_epoch_value(f"{stage}_accuracy", metrics.accuracy.compute())
        matrix = metrics.confusion.compute().cpu()
        self.confusion_matrices[stage] = matrix
        for metric in (metrics.loss, metrics.accuracy, metrics.confusion):
            metric.reset()
        if self.trainer.loggers and not self.trainer.sanity_checking:
            log_dir = self.trainer.log_dir  # a broadcast from rank 0 under DDP: every rank asks
            if log_dir is not None and self.trainer.is_global_zero:  # None: fast_dev_run's dummy logger
                write_matrix(matrix, Path(log_dir) / f"{stage}_confusion_matrix.csv")

    def predict_step(self, batch, batch_idx):
        return predictions(self.model.logits(batch[0]))


def predictions(logits):
    """The predicted class of each row: the largest logit, or logit > 0 for one output unit."""
    return logits.argmax(dim=1) if logits.shape[1] > 1 else (logits[:, 0] > 0).long()


def write_matrix(matrix, path):
    """A confusion matrix as CSV: one row per true class, one column per predicted class."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["true \\ predicted", *range(matrix.shape[1])])
        for i, row in enumerate(torch.as_tensor(matrix).tolist()):
            writer.writerow([i, *row])
