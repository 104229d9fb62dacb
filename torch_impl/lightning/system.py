"""What every system shares: a plain twin (``nn.Module``) inside a ``LightningModule``.

The twin is built from the system's typed hyperparameters with the NumPy twin's constructor
arguments, so its initial weights are the NumPy initialisation. A training step is the twin's
``loss(batch, reduction)``; Lightning does ``loss.backward()`` and ``optimizer.step()`` as the
plain loop does. Nothing in a step reads a tensor's value (no host sync): the epoch's mean loss
accumulates in a torchmetrics object on the device and is computed once, at the epoch's end.

``numpy_twin()`` is the same model in NumPy at the twin's current weights (float64, CPU), the
parity gate's counterpart; the twins' classes come from ``TWINS``.

Under DDP a rank's loss is scaled so that DDP's average of the ranks' gradients is the gradient
of the global batch's loss, as one process computes it (``rank_loss``); the gradients are
all-reduced by DDP's autograd hooks, nothing updates weights by hand, and at the end of training
every rank's weights are checked to be the same (``distributed.check_replicas``).
"""

import math
from typing import Literal

import lightning.pytorch as pl
import numpy as np
import torch
from torchmetrics import Metric

import numpy_impl
import torch_impl
from numpy_impl.checks import InputError
from numpy_impl.training import DivergedError

from ..bridge import to_numpy_state_dict
from ..tensors import torch_dtype
from .distributed import check_replicas
from .metrics import ExampleMean
from .optimizers import build_optimizer, check_hparams, schedule, set_lr

TWINS = {
    name: (getattr(numpy_impl, name), getattr(torch_impl, name))
    for name in ("LinearClassifier", "MLP", "Autoencoder", "SkipGram")
}


class TwinSystem(pl.LightningModule):
    """The base of the systems. Subclasses build ``self.model`` with ``build_twin`` from
    ``twin_spec() -> (twin class name, constructor arguments)``."""

    def __init__(
        self,
        *,
        seed: int = 0,
        dtype: Literal["float32", "float64"] = "float32",
        optimizer: Literal["sgd", "adam", "adamw"] = "sgd",
        lr: float = 0.1,
        momentum: float = 0.0,
        weight_decay: float | None = None,
        betas: tuple[float, float] = (0.9, 0.999),
        lr_schedule: Literal["constant", "linear"] = "constant",
        end_lr: float = 0.0001,
        reduction: Literal["mean", "sum"] = "mean",
    ):
        super().__init__()
        self.save_hyperparameters()  # the subclass's arguments too (Lightning reads the callers' frames)
        check_hparams(self.hparams)
        self.model = None
        self.train_loss = ExampleMean()
        self._lr_schedule = None
        self._logged_epoch = None

    def __setattr__(self, name, value):
        # Lightning sets _current_fx_name around every hook, ~45 times a step: nn.Module's
        # __setattr__ checks each against the parameters, buffers and submodules (a quarter of
        # Lightning's own time per step on a CPU); a plain string attribute needs none of that
        if name == "_current_fx_name":
            object.__setattr__(self, name, value)
        else:
            super().__setattr__(name, value)

    # the twin
    def twin_spec(self):
        raise NotImplementedError

    def build_twin(self):
        name, args = self.twin_spec()
        self.model = TWINS[name][1](**args, seed=self.hparams.seed, dtype=self.hparams.dtype)

    def numpy_twin(self):
        """The NumPy twin in float64 holding the torch twin's current weights."""
        name, args = self.twin_spec()
        model = TWINS[name][0](**args, seed=self.hparams.seed, dtype=np.float64)
        model.load_state_dict(to_numpy_state_dict(self.model.state_dict()))
        return model

    def metrics_in_model_dtype(self):
        """float64 metric states for a float64 run. Called when a stage starts: moving a module
        to its device (``.to``) puts torchmetrics states back to float32."""
        if torch_dtype(self.hparams.dtype) == torch.float64:
            for module in self.modules():
                if isinstance(module, Metric):
                    module.set_dtype(torch.float64)

    def on_fit_start(self):
        self.metrics_in_model_dtype()

    def on_test_start(self):
        self.metrics_in_model_dtype()

    def on_validation_start(self):
        self.metrics_in_model_dtype()

    # set-up
    def build_deferred_twin(self):
        """Build a twin whose sizes come from the data (skip-gram's vocabulary); none by default."""
        raise ValueError(f"{type(self).__name__} has no model; its constructor builds it")

    def configure_model(self):
        """Build the twin if its sizes waited for the data, then check the data against it once,
        where it enters (``check_model``, as the loop's batch sources do), so that no training step
        validates a batch."""
        if self.model is None:
            self.build_deferred_twin()
        if hasattr(self.datamodule(), "check_model"):
            self.datamodule().check_model(self.model)

    def datamodule(self):
        """The trainer's data module; None outside a run (``load_from_checkpoint`` has none)."""
        try:
            return getattr(self.trainer, "datamodule", None)
        except RuntimeError:  # Lightning's "not attached to a Trainer"
            return None

    def configure_optimizers(self):
        h = self.hparams
        sparse = bool(getattr(self.model, "sparse", False))
        self._lr_schedule = schedule(h.lr_schedule, self.trainer.max_epochs, h.lr, h.end_lr)
        return build_optimizer(
            self.model.parameters(),
            h.optimizer,
            lr=h.lr,
            momentum=h.momentum,
            weight_decay=h.weight_decay,
            betas=h.betas,
            sparse=sparse,
        )

    def transfer_batch_to_device(self, batch, device, dataloader_idx):
        """Batches stay where the loaders made them on a CPU run (host tensors, nothing to move:
        Lightning would walk the batch and call ``.to`` on each tensor every step)."""
        if device.type == "cpu":
            return batch
        return super().transfer_batch_to_device(batch, device, dataloader_idx)

    # training
    def training_sampler(self):
        """The training loader's ``EpochSampler`` (it knows the epoch's batches and examples)."""
        sampler = getattr(self.trainer.train_dataloader, "sampler", None)
        if not hasattr(sampler, "examples"):
            raise InputError(
                "lr_schedule 'linear' and DDP count the examples of each batch; the training loader "
                "must be a torch_impl.lightning.ResumableLoader (its sampler knows the epoch's examples)"
            )
        return sampler

    def on_train_batch_start(self, batch, batch_idx):
        if self._lr_schedule is not None:
            progress = self.training_sampler().progress(batch_idx)
            set_lr(self.optimizers().optimizer, self._lr_schedule(progress))

    def training_step(self, batch, batch_idx):
        n, reduction = batch[0].shape[0], self.hparams.reduction
        if self.trainer.world_size == 1:
            loss = self.model.loss(batch, reduction)  # the one loop's step, operation for operation
            per_example, share = (loss.detach() / n if reduction == "sum" else loss.detach()), 1.0
        else:
            loss, per_example, share = self.rank_loss(batch, self.training_sampler().examples(batch_idx))
        if n:  # a rank's share of a batch smaller than the world is empty
            self.train_loss.update(per_example, n)  # the loop's epoch loss: a mean over examples
        # self.log costs about a millisecond a call on a CPU: log the epoch's metric object once
        # (Lightning computes it at the epoch's end) and the step's loss every log_every_n_steps
        if self._logged_epoch != self.current_epoch:
            self.log("train_loss", self.train_loss, on_step=False, on_epoch=True)
            self._logged_epoch = self.current_epoch
        every = self.trainer.log_every_n_steps  # 0: no step's loss logged (Lightning's meaning)
        if every and self.global_step % every == 0:
            step_loss = per_example * share  # summed over ranks: the global batch's mean
            self.log(
                "train_loss_step", step_loss, on_step=True, on_epoch=False, sync_dist=True, reduce_fx="sum"
            )
        return loss

    def rank_loss(self, batch, n_global):
        """(loss to backpropagate, this rank's loss per example, its share n / n_global) for a rank
        of ``world_size`` training ``n`` of the global batch's ``n_global`` examples. DDP averages
        the ranks' gradients; scaled by world_size * n / n_global (mean) or world_size (sum), the
        average is the gradient of the global batch's mean or summed loss."""
        n, world_size = batch[0].shape[0], self.trainer.world_size
        if self.hparams.reduction == "sum" or n == 0:  # an empty share's sum is 0 (its mean is NaN)
            total = self.model.loss(batch, "sum")
            scale = world_size if self.hparams.reduction == "sum" else 0.0
            return total * scale, total.detach() / max(n, 1), n / n_global
        mean = self.model.loss(batch, "mean")  # over this share's elements (MSE: examples x features)
        return mean * (world_size * n / n_global), mean.detach(), n / n_global

    def on_train_epoch_end(self):
        loss = float(self.train_loss.compute())  # one host read per epoch, not per step
        if not math.isfinite(loss):
            raise DivergedError(
                f"the mean training loss of epoch {self.current_epoch + 1} is {loss}; training stopped "
                "(checkpoints written since the loss became NaN/inf hold NaN/inf weights)"
            )

    def on_train_end(self):
        if self.trainer.world_size > 1:
            digests = check_replicas(self)
            if self.trainer.is_global_zero:
                print(f"ddp: the {len(digests)} ranks end with the same weights (SHA-256 {digests[0][:16]})")

    def log_epoch_value(self, name, value):
        """An epoch's figure (the same on every rank: computed from synced metric states or from
        the same weights), logged with ``sync_dist`` as Lightning asks of epoch values under DDP."""
        self.log(name, value, sync_dist=True, batch_size=1)
