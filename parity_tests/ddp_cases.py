"""What the DDP tests share: an in-process DDP trainer (``ddp_fork``: never ``strategy="ddp"``
inside pytest, whose rank 1 would run the whole session again), a callback that leaves each
rank's weights and first batch on disk, and the one experiment every launch path trains (CLI,
torchrun, two nodes, SLURM), with the commands that start it."""

import os
import socket
import sys
import tempfile
from datetime import timedelta
from functools import cache
from pathlib import Path

import lightning.pytorch as pl
import numpy as np
import torch
from lightning.pytorch.strategies import DDPStrategy
from lightning_cases import trainer

import numpy_impl.optim as numpy_optim
import torch_impl
from torch_impl.lightning.distributed import weights_digest
from torch_impl.lightning.sampling import SkipGramBatches
from torch_impl.train import fit as torch_fit

ROOT = Path(__file__).resolve().parents[1]


def ddp_trainer(max_epochs=2, world_size=2, callbacks=(), **options):
    """``lightning_cases.trainer`` on ``world_size`` forked CPU processes (gloo)."""
    strategy = DDPStrategy(start_method="fork", timeout=timedelta(seconds=60))
    return trainer(max_epochs, callbacks, strategy=strategy, devices=world_size, **options)


class RankRecord(pl.Callback):
    """Each rank writes ``rank<r>.pt`` into ``directory`` at the end of training: its final weights
    (NumPy), its first training batch and its last validation confusion matrix, if any."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.first_batch = None

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if self.first_batch is None:
            self.first_batch = tuple(t.clone() for t in batch)

    def on_train_end(self, trainer, pl_module):
        record = {
            "weights": torch_impl.to_numpy_state_dict(pl_module.model.state_dict()),
            "first_batch": self.first_batch,
            "confusion": getattr(pl_module, "confusion_matrices", {}).get("val"),
        }
        torch.save(record, self.directory / f"rank{trainer.global_rank}.pt")

    @staticmethod
    def read(directory, world_size=2):
        return [torch.load(Path(directory) / f"rank{r}.pt", weights_only=False) for r in range(world_size)]


def state(system):
    return torch_impl.to_numpy_state_dict(system.model.state_dict())


def state_of(module):
    return {k: v.detach().numpy() for k, v in module.state_dict().items()}


class ConcatenatedRanks:
    """A batch source for the one loop: epoch e's batches are the ranks' shares of each global
    skip-gram batch put back together, pairs and each rank's own negatives."""

    def __init__(self, data, world_size):
        self.ranks = [SkipGramBatches(data, rank=r, world_size=world_size) for r in range(world_size)]

    def epoch(self, epoch):
        shares = zip(*(ranks.batches(epoch) for ranks in self.ranks), strict=True)
        return Batches(tuple(torch.cat(parts) for parts in zip(*batch, strict=True)) for batch in shares)


class Batches(list):
    @property
    def n_examples(self):  # what the loop's learning-rate schedule counts
        return sum(len(batch[0]) for batch in self)


def loop_on_the_ranks_batches(model, data, epochs, world_size=2, lr=0.025, end_lr=0.0001):
    """Train a torch skip-gram twin with the one loop, word2vec's way, on the global batches that
    ``world_size`` ranks train (``ConcatenatedRanks``)."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    schedule = numpy_optim.word2vec_lr(epochs, lr, end_lr)
    source = ConcatenatedRanks(data, world_size)
    torch_fit(model, optimizer, source, epochs=epochs, lr_schedule=schedule, reduction="sum", progress="off")


def max_difference(a, b):
    assert a.keys() == b.keys()
    return max(float(np.abs(np.asarray(a[k]) - np.asarray(b[k])).max()) for k in a)


def identical(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


# The launch paths' experiment: the MLP 64-32-10 on the digits, float64, Adam, 2 epochs of 360
# global batches (long enough for a kill to land mid-run; the last one holds 1 of the 1,437 rows,
# so rank 1's share of it is empty); per rank batch 2, one process batch 4.
EXPERIMENT = [
    "--config",
    str(ROOT / "configs/mlp.yaml"),
    "--model.init_args.dtype",
    "float64",
    "--model.init_args.sizes",
    "[64, 32, 10]",
    "--model.init_args.optimizer",
    "adam",
    "--model.init_args.lr",
    "0.001",
    "--trainer.max_epochs",
    "2",
    "--trainer.accelerator",
    "cpu",
    "--checkpoint_every",
    "50",
    "--progress",
    "lines",
]
STEPS = 2 * 360
DDP = str(ROOT / "configs/trainer/ddp.yaml")
MULTINODE = str(ROOT / "configs/trainer/multinode.yaml")


def fit_args(root, trainer_config=DDP, batch_size=2):
    """``fit`` arguments of the experiment (the trainer file after the model's, as the README has it)."""
    trainer = ["--config", trainer_config] if trainer_config else []
    return [
        "fit",
        *EXPERIMENT[:2],
        *trainer,
        *EXPERIMENT[2:],
        "--data.init_args.batch_size",
        str(batch_size),
        "--trainer.default_root_dir",
        str(root),
    ]


def environment():
    """The children's environment: this worktree first on the path, one thread each."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    threads = {v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    return {**os.environ, "PYTHONPATH": path, **threads}


def train_command(*args):
    return [sys.executable, "-m", "scripts.train", *args]


def torchrun_command(*options):
    """``torchrun`` as the interpreter running the suite has it (the console script is this module)."""
    return [sys.executable, "-m", "torch.distributed.run", *options, "-m", "scripts.train"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_weights(root, version="version_0"):
    """(weights as NumPy arrays, checkpoint) of a run's ``last.ckpt``."""
    checkpoint = torch.load(Path(root) / version / "checkpoints/last.ckpt", weights_only=False)
    weights = {k.removeprefix("model."): v.numpy() for k, v in checkpoint["state_dict"].items()}
    return weights, checkpoint


@cache
def one_process_reference():
    """The experiment in one process at batch 4, run here in-process: what 2 ranks of 2 train."""
    from scripts.train import main

    with tempfile.TemporaryDirectory() as root:
        assert main(fit_args(root, trainer_config=None, batch_size=4)) == 0
        return run_weights(root)[0]


@cache
def ddp_reference():
    """The digest of the experiment's weights on 2 ranks forked from this process (``ddp_fork``,
    the CLI in-process), which every launch path's ranks must print."""
    from scripts.train import main

    with tempfile.TemporaryDirectory() as root:
        assert main([*fit_args(root), "--trainer.strategy", "ddp_fork"]) == 0
        return model_digest(root)


def model_digest(root, version="version_0"):
    """``weights_digest`` of the twin in a run's ``last.ckpt`` (the digest its ranks printed)."""
    from torch_impl.lightning.export import load_system

    return weights_digest(load_system(Path(root) / version / "checkpoints/last.ckpt").model)


def agreed_digest(output):
    """The digest in the line a DDP fit prints when its ranks end with the same weights."""
    lines = [
        line for line in output.splitlines() if line.startswith("ddp: the 2 ranks end with the same weights")
    ]
    assert len(lines) == 1, output[-3000:]
    return lines[0].rsplit("SHA-256 ", 1)[1].rstrip(")")
