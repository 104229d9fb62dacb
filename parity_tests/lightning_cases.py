"""What the Lightning tests share: a quiet in-process Trainer, the four models' three-way cases
(NumPy loop, torch loop, Lightning Trainer from one initialisation on the same batches), and torch
twins broken on purpose for the parity gate to stop."""

import copy
from dataclasses import dataclass, field

import numpy as np
import torch

import numpy_impl.optim as numpy_optim
import torch_impl
from numpy_impl.training import fit as numpy_fit
from scripts.bench.lightning import plain_trainer
from torch_impl import ops as torch_ops
from torch_impl.lightning import AutoencoderSystem, ClassifierSystem, DigitsData, SkipGramSystem, TextData
from torch_impl.train import fit as torch_fit

TEXT = {"sentences": 30, "min_count": 2, "batch_size": 256, "data_seed": 1}  # a small corpus, fast


def trainer(max_epochs=2, callbacks=(), **options):
    """An in-process CPU Trainer without logger, checkpoints, bar or summary (tests add them)."""
    settings = dict(
        num_sanity_val_steps=0,
        reload_dataloaders_every_n_epochs=1,  # skip-gram's epochs differ in length; harmless for arrays
    )
    return plain_trainer(max_epochs, callbacks, **(settings | options))


@dataclass
class ThreeWay:
    """One model trained three ways: ``system`` (its kwargs; the optimizer's are the loops' too)."""

    name: str
    system: type
    system_args: dict
    data: type
    data_args: dict
    numpy_optimizer: object  # (params, **optimizer_args) -> numpy_impl.optim optimizer
    torch_optimizer: object  # the torch.optim class
    optimizer_args: dict
    epochs: int = 2
    loop_args: dict = field(default_factory=dict)

    def make(self):
        """(system, data module), fresh."""
        return self.system(dtype="float64", **self.system_args), self.data(**self.data_args)

    def loop_data(self):
        """What the one loop trains on: (x, y) / (x,) arrays, or SkipGramData."""
        data = self.data(**self.data_args)
        if isinstance(data, TextData):
            return data.skipgram_data, {}
        data.setup()
        arrays = tuple(t.numpy() for t in data.train_arrays)
        return arrays, {"batch_size": self.data_args["batch_size"], "seed": self.data_args["data_seed"]}


CASES = [
    ThreeWay(
        "linear",
        ClassifierSystem,
        {"architecture": "linear", "sizes": (64, 10), "optimizer": "sgd", "lr": 0.1, "momentum": 0.9},
        DigitsData,
        {"batch_size": 64, "data_seed": 5},
        numpy_optim.SGD,
        torch.optim.SGD,
        {"lr": 0.1, "momentum": 0.9},
    ),
    ThreeWay(
        "mlp",
        ClassifierSystem,
        {"sizes": (64, 32, 10), "activation": "tanh", "optimizer": "adam", "lr": 0.01},
        DigitsData,
        {"batch_size": 32, "data_seed": 2},
        numpy_optim.Adam,
        torch.optim.Adam,
        {"lr": 0.01},
    ),
    ThreeWay(
        "autoencoder",
        AutoencoderSystem,
        {"sizes": (64, 32, 4), "optimizer": "adamw", "lr": 0.002, "weight_decay": 0.05},
        DigitsData,
        {"batch_size": 128, "data_seed": 3, "labels": False},
        numpy_optim.AdamW,
        torch.optim.AdamW,
        {"lr": 0.002, "weight_decay": 0.05},
        epochs=3,
    ),
    ThreeWay(
        "skipgram",
        SkipGramSystem,
        {"dim": 16, "lr": 0.025, "end_lr": 0.0001},
        TextData,
        TEXT,
        numpy_optim.SGD,
        torch.optim.SGD,
        {"lr": 0.025},
        loop_args={"reduction": "sum"},
    ),
]


def train_three_ways(case):
    """{engine: final state dict as NumPy arrays} for "numpy", "torch" and "lightning"."""
    system, data = case.make()
    if system.model is None:  # skip-gram sizes its tables from the data
        system.hparams.vocab_size = len(data.vocabulary)
        system.build_twin()
    numpy_model, torch_model = system.numpy_twin(), copy.deepcopy(system.model)
    loop_data, options = case.loop_data()
    options |= {"epochs": case.epochs, "progress": "off", **case.loop_args}
    if system.hparams.lr_schedule == "linear":
        options["lr_schedule"] = numpy_optim.word2vec_lr(
            case.epochs, system.hparams.lr, system.hparams.end_lr
        )
    numpy_fit(
        numpy_model,
        case.numpy_optimizer(numpy_model.parameters(), **case.optimizer_args),
        loop_data,
        **options,
    )
    torch_fit(
        torch_model,
        case.torch_optimizer(torch_model.parameters(), **case.optimizer_args),
        loop_data,
        **options,
    )
    trainer(case.epochs).fit(system, data)
    return {
        "numpy": numpy_model.state_dict(),
        "torch": torch_impl.to_numpy_state_dict(torch_model.state_dict()),
        "lightning": torch_impl.to_numpy_state_dict(system.model.state_dict()),
    }


def max_difference(a, b):
    assert a.keys() == b.keys()
    return max(float(np.abs(a[k] - b[k]).max()) for k in a)


class ScaledLoss(torch_impl.MLP):
    """A torch MLP whose loss is 1 % too large: every gradient is off by the same factor."""

    def loss(self, batch, reduction="mean"):
        return 1.01 * super().loss(batch, reduction)


class ScaledLossSystem(ClassifierSystem):
    """A classification system whose twin is ``ScaledLoss``: what the CLI's gate must stop."""

    def build_twin(self):
        self.model = ScaledLoss(
            self.sizes, self.hparams.activation, seed=self.hparams.seed, dtype=self.hparams.dtype
        )


def leaky_relu(z):
    return torch.nn.functional.leaky_relu(z, 0.01)


def patched_relu(monkeypatch):
    """The torch engine's ReLU replaced by a leaky one (``torch_impl.ops.ACTIVATIONS`` is the
    registry tests patch); the NumPy twin keeps the real ReLU."""
    monkeypatch.setitem(torch_ops.ACTIVATIONS, "relu", leaky_relu)
