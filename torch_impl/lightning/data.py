"""DataModules over the loaders both engines share (``numpy_impl.data``, ``numpy_impl.text``).

Images: ``DigitsData`` (scikit-learn's bundled digits, the default), ``MnistIdxData`` (a directory
of MNIST IDX files), ``OpenMLMnistData`` (full MNIST through the ``fetch_openml`` cache); each
shuffled with ``split_seed`` (42) and cut 80/20 by ``numpy_impl.data.shuffle_split``, the held-out
20 % serving as the validation set after every epoch and as the test set. Text: ``TextData``
(a bundled corpus, a file or directory, or a file from the Hugging Face hub) for skip-gram.

Training batches come from ``ResumableLoader`` (``sampling.py``): the loop's batches in the loop's
order, one map-style item per batch. ``check_model(model)`` validates the data against the model
once (and casts it to the model's dtype), as the loop's batch sources do.

Under DDP ``batch_size`` is per rank (Lightning's convention: the global batch is ``world_size``
times it), each rank trains its share of every global batch and validates / tests its share of the
held-out rows, each row on exactly one rank (``sampling.InOrder``); predictions run on all rows.
"""

from functools import cached_property

import lightning.pytorch as pl
import numpy as np
import torch
from torch.utils.data import DataLoader

from numpy_impl.data import fetch_mnist, load_digits, load_mnist_idx, shuffle_split
from numpy_impl.embeddings import WordVectors, evaluate
from numpy_impl.text import SkipGramData, hub_corpus, load_corpus

from ..tensors import as_tensor
from .distributed import rank_and_world
from .sampling import ArrayBatches, InOrder, ResumableLoader, SkipGramBatches


def overfitting(trainer):
    """Whether ``trainer.overfit_batches`` asks for the same first batches in every epoch."""
    return trainer is not None and trainer.overfit_batches > 0


class ArrayData(pl.LightningDataModule):
    """Arrays from ``load()``, split 80/20. Batches are ``(x, y)``, or ``(x,)`` with ``labels=False``
    (the autoencoder's); ``data_seed`` orders them (``epoch_batches``; named apart from the model's
    ``seed``, as Lightning logs both modules' hyperparameters together and refuses a clash).
    ``eval_batch_size``: the validation / test / predict batches, in order."""

    def __init__(
        self,
        batch_size: int = 64,
        data_seed: int = 0,
        labels: bool = True,
        split_seed: int = 42,
        test_fraction: float = 0.2,
        eval_batch_size: int = 1000,
        num_workers: int = 0,
    ):
        super().__init__()
        self.save_hyperparameters()
        self.train_arrays = self.test_arrays = None

    def load(self):
        """(x float64 (N, D), y int64 (N,))."""
        raise NotImplementedError

    def setup(self, stage=None):
        if self.train_arrays is None:
            h = self.hparams
            train, test = shuffle_split(*self.load(), test_fraction=h.test_fraction, seed=h.split_seed)
            keep = slice(None) if h.labels else slice(0, 1)
            self.train_arrays = tuple(as_tensor(a) for a in train[keep])
            self.test_arrays = tuple(as_tensor(a) for a in test[keep])

    def check_model(self, model):
        self.setup()
        self.train_arrays = tuple(model.validate(self.train_arrays))
        self.test_arrays = tuple(model.validate(self.test_arrays))

    def train_dataloader(self):
        h = self.hparams
        rank, world_size = rank_and_world(self.trainer)
        batches = ArrayBatches(self.train_arrays, h.batch_size, h.data_seed, rank=rank, world_size=world_size)
        return ResumableLoader(batches, num_workers=h.num_workers, first_epoch_only=overfitting(self.trainer))

    def _in_order(self, tensors, split=True):
        rank, world_size = rank_and_world(self.trainer)
        keys = InOrder(
            len(tensors[0]), self.hparams.eval_batch_size, rank=rank, world_size=world_size, split=split
        )
        return DataLoader(ArrayBatches(tensors, 1), batch_size=None, sampler=keys)

    def val_dataloader(self):
        return self._in_order(self.test_arrays)

    def test_dataloader(self):
        return self._in_order(self.test_arrays)

    def predict_dataloader(self):
        return self._in_order(self.test_arrays[:1], split=False)


class DigitsData(ArrayData):
    """scikit-learn's bundled 8x8 digits (1,797 images, 64 features in [0, 1])."""

    def load(self):
        return load_digits()


class MnistIdxData(ArrayData):
    """MNIST from a directory of IDX files (``*-idx3-ubyte[.gz]`` with their ``*-idx1-ubyte[.gz]``)."""

    def __init__(self, directory: str, **options):
        super().__init__(**options)

    def load(self):
        return load_mnist_idx(self.hparams.directory)


class OpenMLMnistData(ArrayData):
    """Full MNIST (70,000 images) through scikit-learn's ``fetch_openml``, cached in ``cache_dir``
    (downloaded in ``prepare_data`` when not cached; a clear error offline)."""

    def __init__(self, cache_dir: str | None = None, **options):
        super().__init__(**options)

    def prepare_data(self):
        fetch_mnist(self.hparams.cache_dir)  # disk only: fills the cache

    def load(self):
        return fetch_mnist(self.hparams.cache_dir)


class TextData(pl.LightningDataModule):
    """Skip-gram batches of a corpus: ``corpus`` is a bundled name (``lee_background``, ``head500``)
    or a text file or directory, or the file ``hub_filename`` of the hub dataset ``hub_repo``;
    ``sentences`` keeps only the first ones (a quick run). ``data_seed`` draws the subsampling,
    windows and negatives of every epoch (``SkipGramData``'s seed). ``stemmed``: the corpus is
    Porter-stemmed (``head500``), so the evaluation sets are stemmed too.

    Epochs differ in length (subsampling is redrawn per epoch), so the trainer must rebuild the
    training loader every epoch: ``trainer.reload_dataloaders_every_n_epochs: 1``."""

    def __init__(
        self,
        corpus: str = "lee_background",
        hub_repo: str | None = None,
        hub_filename: str | None = None,
        sentences: int | None = None,
        min_count: int = 5,
        window: int = 5,
        negatives: int = 5,
        sample: float = 0.001,
        batch_size: int = 1024,
        shuffle: bool = False,
        data_seed: int = 0,
        stemmed: bool = False,
        num_workers: int = 0,
    ):
        super().__init__()
        self.save_hyperparameters()

    @cached_property
    def skipgram_data(self):
        h = self.hparams
        source = hub_corpus(h.hub_repo, h.hub_filename) if h.hub_repo else load_corpus(h.corpus)
        if h.sentences is not None:
            source = [sentence for _, sentence in zip(range(h.sentences), source, strict=False)]
        settings = dict(min_count=h.min_count, window=h.window, negatives=h.negatives, sample=h.sample)
        return SkipGramData(source, batch_size=h.batch_size, shuffle=h.shuffle, seed=h.data_seed, **settings)

    @property
    def vocabulary(self):
        return self.skipgram_data.vocabulary

    def check_model(self, model):
        self.skipgram_data.check_model(model)

    def train_dataloader(self):
        if self.trainer is not None and self.trainer.reload_dataloaders_every_n_epochs != 1:
            raise ValueError(
                "skip-gram epochs differ in length (subsampling is redrawn every epoch): set "
                "trainer.reload_dataloaders_every_n_epochs: 1 so that each epoch trains all its batches"
            )
        rank, world_size = rank_and_world(self.trainer)
        batches = SkipGramBatches(self.skipgram_data, rank=rank, world_size=world_size)
        loader = ResumableLoader(
            batches, num_workers=self.hparams.num_workers, first_epoch_only=overfitting(self.trainer)
        )
        loader.sampler.set_epoch(self.trainer.current_epoch if self.trainer is not None else 0)
        return loader

    def _vocabulary_ids(self):
        """One batch, the vocabulary's ids, on every rank: the scores are functions of the whole
        table, which every rank holds (the same, ``distributed.check_replicas``)."""
        ids = torch.arange(len(self.vocabulary))
        return DataLoader(
            ArrayBatches([ids], 1), batch_size=None, sampler=InOrder(len(ids), len(ids), split=False)
        )

    def val_dataloader(self):
        return self._vocabulary_ids()

    def test_dataloader(self):
        return self._vocabulary_ids()

    def predict_dataloader(self):
        return self._vocabulary_ids()

    def scores(self, vectors):
        """The headline evaluation figures of the vectors (V, d) of this vocabulary's words."""
        result = evaluate(WordVectors(self.vocabulary.words, np.asarray(vectors)), stem=self.hparams.stemmed)
        return {
            "wordsim353": result["wordsim353"]["spearman"],
            "simlex999": result["simlex999"]["spearman"],
            "analogy_accuracy": result["analogies"]["accuracy"],
        }
