"""Seconds per epoch of Lightning beside the plain torch loop, on the same batches, in one run.

    python -m scripts.bench.lightning                          # MNIST 8k rows, MLP 784-128-10, batch 256
    python -m scripts.bench.lightning --mnist ''               # the bundled digits, MLP 64-128-10
    python -m scripts.bench.lightning --rounds 5 --epochs 6 --json out.json

``lightning_vs_loop(...)`` trains the same MLP (float32, SGD, lr 0.1) from the same initial weights
on the same batches (``epoch_batches``) with ``torch_impl.train.fit``, with ``Trainer.fit`` over a
``ClassifierSystem`` (parity gate, checkpoints, logger and validation off, so that what differs is
Lightning's machinery per step) and with ``Trainer.fit`` over a ``LightningModule`` whose
step is the twin's loss and nothing else (``loss_only_module``: what Lightning costs whatever a module
does), one after the other, ``rounds`` times. Each fit's first epoch is a warm-up; the figures are
the medians of the other epochs' seconds over all rounds, and the final weights of the three are
compared (they are the same numbers). One thread by default, reported.
"""

import argparse
import statistics
import sys
import warnings

import numpy as np

from .data import default_mnist

# the IDX test set (10,000 images): 8,000 training rows after the split; found as the tests find it
MNIST = default_mnist()


def training_rows(mnist):
    """The training split (80 %) of MNIST IDX files in ``mnist``, or of the digits when None."""
    from numpy_impl.data import load_digits, shuffle_split

    from .epochs import mnist_rows

    if mnist:
        return mnist_rows(None, mnist)  # all 8,000
    return shuffle_split(*load_digits(), test_fraction=0.2, seed=42)[0]


def loop_fit(sizes, train, epochs, batch_size, lr):
    import torch

    import torch_impl
    from torch_impl.train import fit

    model = torch_impl.MLP(sizes, seed=0, dtype=np.float32)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    history = fit(model, optimizer, train, epochs=epochs, batch_size=batch_size, seed=0, progress="off")
    return history.seconds, model


def plain_trainer(max_epochs, callbacks=(), **options):
    """A quiet one-process CPU Trainer with Lightning's extras off (logger, checkpoints, progress
    bar, model summary, validation), so that what runs is the system's training; ``options``
    override any setting."""
    import lightning.pytorch as pl

    from torch_impl.lightning.cli import quiet_lightning

    quiet_lightning()
    settings = dict(
        max_epochs=max_epochs,
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        limit_val_batches=0,
        callbacks=list(callbacks),
    )
    return pl.Trainer(**(settings | options))


def loss_only_module(model, lr):
    """The least a ``LightningModule`` can be: its training step is ``model``'s loss, its optimizer
    SGD at ``lr``, every other hook Lightning's default (the class is made here: importing Lightning
    costs seconds)."""
    import lightning.pytorch as pl
    import torch

    class LossOnly(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.model = model

        def training_step(self, batch, batch_idx):
            return self.model.loss(batch)

        def configure_optimizers(self):
            return torch.optim.SGD(self.model.parameters(), lr=lr)

    return LossOnly()


def lightning_fit(sizes, mnist, epochs, batch_size, lr, loss_only=False):
    """Seconds per epoch and the trained twin of a ``ClassifierSystem`` fit, or with ``loss_only`` of
    ``loss_only_module`` over the same twin and batches (the data checked against it beforehand, as
    the system's ``configure_model`` does)."""
    from scripts.epoch_seconds import EpochSeconds
    from torch_impl.lightning import ClassifierSystem, DigitsData, MnistIdxData

    system = ClassifierSystem(sizes=sizes, lr=lr)
    data = MnistIdxData(mnist, batch_size=batch_size) if mnist else DigitsData(batch_size=batch_size)
    if loss_only:
        data.check_model(system.model)
    timer = EpochSeconds(announce=False)
    with warnings.catch_warnings():  # the loss-only module has no validation_step (validation is off)
        warnings.filterwarnings("ignore", message="You passed in a `val_dataloader` but have no")
        plain_trainer(epochs, callbacks=[timer]).fit(
            loss_only_module(system.model, lr) if loss_only else system, data
        )
    return timer.seconds, system.model


def lightning_vs_loop(mnist=MNIST, *, hidden=128, epochs=6, batch_size=256, lr=0.1, rounds=5):
    """The three fits ``rounds`` times in turn: {"loop", "lightning", "loss_only": median s/epoch,
    "ratio" (lightning / loop), "loss_only_ratio" (loss_only / loop), "same_weights", "steps",
    "epochs_timed", "threads", "sizes", "batch_size"}."""
    import torch

    from numpy_impl.checks import positive_int

    positive_int(epochs, "epochs", minimum=2)  # the first of each fit warms up
    positive_int(rounds, "rounds")
    train = training_rows(mnist)
    sizes = (train[0].shape[1], hidden, int(train[1].max()) + 1)
    fits = {
        "loop": lambda: loop_fit(sizes, train, epochs, batch_size, lr),
        "lightning": lambda: lightning_fit(sizes, mnist, epochs, batch_size, lr),
        "loss_only": lambda: lightning_fit(sizes, mnist, epochs, batch_size, lr, loss_only=True),
    }
    seconds = {name: [] for name in fits}
    same = True
    for _ in range(rounds):
        models = {}
        for name, fit in fits.items():
            timed, models[name] = fit()
            seconds[name] += timed[1:]  # each fit's first epoch warms up
        expected = models["loop"].state_dict()
        for model in (models["lightning"], models["loss_only"]):
            weights = model.state_dict()
            same = same and all(torch.equal(v, weights[k]) for k, v in expected.items())
    p, q, r = (statistics.median(seconds[name]) for name in ("loop", "lightning", "loss_only"))
    return {
        "sizes": list(sizes),
        "batch_size": batch_size,
        "steps": -(-len(train[0]) // batch_size),
        "epochs_timed": len(seconds["loop"]),
        "loop": p,
        "lightning": q,
        "ratio": q / p,
        "loss_only": r,
        "loss_only_ratio": r / p,
        "same_weights": same,
        "threads": torch.get_num_threads(),
    }


def report(r):
    steps = r["steps"]
    return (
        f"MLP {tuple(r['sizes'])}, float32, batch {r['batch_size']}, {steps} steps per epoch, "
        f"{r['threads']} thread(s), median of {r['epochs_timed']} epochs each:\n"
        f"  plain torch loop  {r['loop']:.4f} s/epoch ({1e3 * r['loop'] / steps:.3f} ms/step)\n"
        f"  Lightning         {r['lightning']:.4f} s/epoch ({1e3 * r['lightning'] / steps:.3f} ms/step)\n"
        f"  loss-only module  {r['loss_only']:.4f} s/epoch ({1e3 * r['loss_only'] / steps:.3f} ms/step): "
        "a LightningModule whose step is only the loss\n"
        f"  ratio {r['ratio']:.3f} (the loss-only module's {r['loss_only_ratio']:.3f}); "
        f"final weights identical: {r['same_weights']}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench.lightning", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--mnist", default=MNIST, help="a directory of MNIST IDX files ('': the digits)")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads (default 1)")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)
    from torch_impl.threads import set_threads

    from .helpers import refused_by

    with refused_by(parser), set_threads(args.threads):
        result = lightning_vs_loop(
            args.mnist or None,
            hidden=args.hidden,
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            rounds=args.rounds,
        )
    print(report(result))
    if args.json:
        from numpy_impl.files import write_json

        write_json(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
