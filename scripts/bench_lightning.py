"""Seconds per epoch of Lightning next to the plain torch loop, on the same batches.

    python scripts/bench_lightning.py                                # digits, MLP 64-128-10
    python scripts/bench_lightning.py --mnist ../shared/data/mnist   # MNIST IDX, MLP 784-512-10

Both train the same MLP (float32, SGD lr 0.1, batch 256 by default) from the same initial weights
on the same batches (``epoch_batches``): ``torch_impl.train.fit`` and ``Trainer.fit`` over a
``ClassifierSystem`` with the parity gate, checkpoints, logger and validation off, so that what
differs is Lightning's machinery per step. Epochs are timed in turn, the first of each left out
(warm-up); the figure is the median. One thread, as the suite runs.
"""

import argparse
import statistics
import time

import numpy as np
import torch


class EpochTimer:
    """A Lightning callback timing each training epoch (the class is made when Lightning is imported)."""

    @staticmethod
    def make():
        import lightning.pytorch as pl

        class Timer(pl.Callback):
            def __init__(self):
                self.seconds, self.started = [], None

            def on_train_epoch_start(self, trainer, pl_module):
                self.started = time.perf_counter()

            def on_train_epoch_end(self, trainer, pl_module):
                self.seconds.append(time.perf_counter() - self.started)

        return Timer()


def split(mnist):
    from numpy_impl.data import load_digits, load_mnist_idx, shuffle_split

    x, y = load_mnist_idx(mnist) if mnist else load_digits()
    return shuffle_split(x, y, test_fraction=0.2, seed=42)[0]


def torch_loop(sizes, train, epochs, batch_size, lr):
    import torch_impl
    from torch_impl.train import fit

    model = torch_impl.MLP(sizes, seed=0, dtype=np.float32)
    history = fit(
        model, torch.optim.SGD(model.parameters(), lr=lr), train, epochs=epochs, batch_size=batch_size, seed=0
    )
    return history.seconds, model


def lightning_fit(sizes, mnist, epochs, batch_size, lr):
    import lightning.pytorch as pl

    from torch_impl.lightning import ClassifierSystem, DigitsData, MnistIdxData
    from torch_impl.lightning.cli import quiet_lightning

    quiet_lightning()
    system = ClassifierSystem(sizes=sizes, lr=lr)
    data = MnistIdxData(mnist, batch_size=batch_size) if mnist else DigitsData(batch_size=batch_size)
    timer = EpochTimer.make()
    trainer = pl.Trainer(
        max_epochs=epochs,
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        limit_val_batches=0,
        callbacks=[timer],
    )
    trainer.fit(system, data)
    return timer.seconds, system.model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mnist", help="a directory of MNIST IDX files (default: the digits)")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=0.1)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    sizes = (784, 512, 10) if args.mnist else (64, 128, 10)
    train = split(args.mnist)
    plain, plain_model = torch_loop(sizes, train, args.epochs, args.batch_size, args.lr)
    lit, lit_model = lightning_fit(sizes, args.mnist, args.epochs, args.batch_size, args.lr)
    lit_weights = lit_model.state_dict()
    same = all(torch.equal(v, lit_weights[k]) for k, v in plain_model.state_dict().items())
    steps = -(-len(train[0]) // args.batch_size)
    p, q = statistics.median(plain[1:]), statistics.median(lit[1:])
    print(
        f"MLP {sizes}, batch {args.batch_size}, {steps} steps per epoch, median of epochs 2-{args.epochs}:\n"
        f"  plain torch loop  {p:.4f} s/epoch ({1e3 * p / steps:.3f} ms/step)\n"
        f"  Lightning         {q:.4f} s/epoch ({1e3 * q / steps:.3f} ms/step)\n"
        f"  ratio {q / p:.3f}; final weights identical: {same}"
    )


if __name__ == "__main__":
    main()
