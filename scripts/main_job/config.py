"""What every section of the main job is given and what it gives back, and the one table of the
sections' reference settings (``docs/main_job.md`` says where each number comes from).

A section is a function ``run(config: RunConfig) -> SectionResult``. It reads its settings with
``config.settings(name)``: the reference row below, with the quick row laid over it under
``quick=True`` and ``epochs`` replaced when the run sets them.
"""

from dataclasses import dataclass, field
from pathlib import Path

from numpy_impl.arrays import float_dtype
from numpy_impl.checks import InputError, one_of, positive_int
from numpy_impl.checks import seed as check_seed

REFERENCE = {
    "classifiers": {"epochs": 30, "lr": 0.1, "batch_size": 64, "hidden": 128},
    "autoencoder": {"epochs": 20, "lr": 1e-3, "batch_size": 256, "hidden": (400, 200), "latent": 2},
    # lee_background is small: gensim's default 5 epochs leave it barely trained
    "skipgram": {"epochs": 10, "batch_size": 1024, "dim": 100, "corpus": "lee_background", "sentences": None},
}
QUICK = {  # a smoke run: every section shrinks its work
    "classifiers": {"epochs": 2},
    "autoencoder": {"epochs": 2, "hidden": (32, 16), "train_rows": 512, "test_rows": 256},
    "skipgram": {"epochs": 1, "dim": 32, "sentences": 120},
}
PROGRESS = ("auto", "bar", "lines", "off")


@dataclass(frozen=True)
class RunConfig:
    """One run of the main job. out: the root output directory (a section writes below
    ``out/<section>``); seed: initial weights and batch order; split_seed: the 80/20 train/test
    shuffle; epochs: every section's epochs, None for each one's reference; dtype: "float64" or
    "float32"; mnist: a directory of MNIST IDX files (None: the embedded digits); corpus: the
    skip-gram text (None: gensim's bundled lee_background)."""

    out: Path = Path("outputs/main_job")
    seed: int = 0
    split_seed: int = 42
    epochs: int | None = None
    dtype: str = "float64"
    quick: bool = False
    progress: str = "auto"
    mnist: Path | None = None
    corpus: Path | None = None

    def __post_init__(self):
        check_seed(self.seed, "seed")  # gensim takes no seed >= 2**32: refused here, before any work
        check_seed(self.split_seed, "split_seed")
        if self.epochs is not None:
            positive_int(self.epochs, "epochs")
        object.__setattr__(self, "dtype", float_dtype(self.dtype).name)
        one_of(self.progress, PROGRESS, "progress")
        if not isinstance(self.quick, bool):
            raise InputError(f"quick must be True or False; got {self.quick!r}")
        object.__setattr__(self, "out", Path(self.out))

    def settings(self, section):
        """The section's settings for this run: a fresh dict, reference < quick < ``epochs``."""
        settings = REFERENCE[section] | (QUICK[section] if self.quick else {})
        if self.epochs is not None:
            settings["epochs"] = self.epochs
        return settings

    def section_dir(self, section):
        return self.out / section


@dataclass
class SectionResult:
    """What a section gives back: the text the main job prints, the files it wrote (name -> path)
    and the numbers that go into ``summary.json``."""

    report: str
    files: dict = field(default_factory=dict)
    numbers: dict = field(default_factory=dict)
