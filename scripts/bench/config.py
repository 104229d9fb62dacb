"""What a run measures: the full benchmark's sizes, or ``--quick``'s tiny ones (a smoke run for the
tests and CI: one repeat, a few hundred rows, two points per curve; its figures mean nothing)."""

from dataclasses import dataclass, field
from pathlib import Path

from numpy_impl.checks import InputError

MODELS = ("linear", "mlp", "autoencoder", "skipgram")
ENGINES = ("numpy", "torch", "lightning")
MIN_REPEATS = 5


@dataclass(frozen=True)
class Settings:
    out: Path = Path("bench")
    mnist: str | None = None
    quick: bool = False
    repeats: int = MIN_REPEATS
    warmup: int = 1
    rows: int = 8000
    batches: tuple = (64, 256)
    models: tuple = MODELS
    baseline_epochs: int = 10
    growth_rows: tuple = (1000, 2000, 4000, 8000)
    widths: tuple = (32, 64, 128, 256, 512, 1024)
    growth_batches: tuple = (16, 32, 64, 128, 256, 512, 1024)
    min_counts: tuple = (20, 10, 5, 2)  # skip-gram's vocabulary: words seen at least this often
    skipgram: dict = field(default_factory=dict)  # the skip-gram benchmark's own setting (head500)
    memory: dict = field(default_factory=lambda: {"models": MODELS, "batches": (64, 256), "engines": ENGINES})


QUICK = dict(
    repeats=1,
    warmup=0,
    rows=256,
    batches=(256,),
    baseline_epochs=1,
    growth_rows=(128, 256),
    widths=(32, 64),
    growth_batches=(64, 128),
    min_counts=(20, 5),
    skipgram={"corpus": "lee_background", "epochs": 1},
    memory={"models": ("linear",), "batches": (256,), "engines": ("numpy", "torch")},
)


def settings(out, mnist=None, quick=False, repeats=None):
    """The run's ``Settings``; a full run times every figure at least ``MIN_REPEATS`` times."""
    if quick:
        return Settings(out=Path(out), mnist=mnist, quick=True, **QUICK)
    repeats = MIN_REPEATS if repeats is None else repeats
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < MIN_REPEATS:
        raise InputError(
            f"repeats must be an integer >= {MIN_REPEATS} (medians of 5 or more); got {repeats!r}"
        )
    return Settings(out=Path(out), mnist=mnist, repeats=repeats)
