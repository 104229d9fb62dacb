"""The batches Lightning trains on, in the one loop's order, and where a resumed run picks up.

One item of a dataset here is one whole batch (the loader runs with ``batch_size=None``): a
dataset has ``plan(epoch) -> (keys, sizes)``, the keys of that epoch's batches in training order
and their numbers of examples, and ``dataset[key]`` is the batch. For arrays a key is the row
indices of a batch, ``epoch_batches(n_rows, batch_size, seed, epoch)`` as the loop cuts them; for
skip-gram it is (epoch, b), batch b of ``SkipGramData.epoch(epoch)``. So Lightning sees exactly
the loop's batches, and one batch is one fancy index, not ``batch_size`` item look-ups and a collate.

``EpochSampler`` walks one epoch's keys (Lightning calls its ``set_epoch``); ``ResumableLoader``
counts the batches it has handed to training, and its ``state_dict`` (next batch: epoch, index)
is what Lightning stores in a checkpoint for a stateful training loader and gives back to
``load_state_dict`` before the resumed run first iterates. The count is taken at the loader's
output, not at the sampler, because worker processes read keys from the sampler ahead of training.
(A distributed sampler later only has to yield this rank's share of each key's rows.)
"""

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from numpy_impl.checks import positive_int
from numpy_impl.training.batches import epoch_batches


class EpochSampler(Sampler):
    """The keys of ``dataset.plan(epoch)`` from ``start`` on; ``state_dict`` = the next batch."""

    def __init__(self, dataset):
        self.dataset, self.epoch, self.start = dataset, 0, 0
        self._planned = None  # (epoch, keys, examples done before each batch, examples in the epoch)

    def set_epoch(self, epoch):
        if epoch != self.epoch:
            self.start = 0  # a resume position belongs to its own epoch
        self.epoch = int(epoch)

    def plan(self):
        if self._planned is None or self._planned[0] != self.epoch:
            keys, sizes = self.dataset.plan(self.epoch)
            done = np.concatenate([[0], np.cumsum(sizes)]).tolist()  # Python ints
            self._planned = (self.epoch, keys, done[:-1], done[-1])
        return self._planned

    def progress(self, batch):
        """Epochs done before batch ``batch`` of this epoch, counted in examples: what the loop's
        ``lr_schedule(t)`` is given (``epoch + done / n_examples``, the same float operations)."""
        _, _, done, n_examples = self.plan()
        return self.epoch + done[batch] / n_examples

    def __len__(self):
        return len(self.plan()[1])

    def __iter__(self):
        # a DataLoader iterator may call this more than once as it starts (with workers it does):
        # the resume position stays until the loader has started its iterator
        return iter(self.plan()[1][self.start :])

    def state_dict(self):
        return {"epoch": self.epoch, "batch": self.start}

    def load_state_dict(self, state):
        self.epoch, self.start = int(state["epoch"]), int(state["batch"])


class ResumableLoader(DataLoader):
    """A DataLoader of whole batches over an ``EpochSampler`` that knows how far training got."""

    def __init__(self, dataset, *, num_workers=0):
        sampler = EpochSampler(dataset)
        num_workers = positive_int(num_workers, "num_workers", minimum=0)
        super().__init__(
            dataset, batch_size=None, sampler=sampler, num_workers=num_workers, persistent_workers=False
        )
        self._position = (0, 0)

    def __iter__(self):
        epoch, start = self.sampler.epoch, self.sampler.start
        self._position = (epoch, start)
        batches = super().__iter__()  # reads the sampler from ``start`` (workers begin at once)
        self.sampler.start = 0  # the next epoch starts at its first batch
        for index, batch in enumerate(batches, start + 1):
            self._position = (epoch, index)  # batch index-1 goes to training now
            yield batch

    def state_dict(self):
        """The next batch to train; after an epoch's last batch, the start of the next epoch."""
        epoch, batch = self._position
        if batch >= len(self.sampler):
            return {"epoch": epoch + 1, "batch": 0}
        return {"epoch": epoch, "batch": batch}

    def load_state_dict(self, state):
        self.sampler.load_state_dict(state)
        self._position = (self.sampler.epoch, self.sampler.start)


class ArrayBatches(Dataset):
    """Tensors indexed by the same rows, served a batch at a time: ``dataset[rows]`` is the tuple
    of their rows; epoch e's batches are the loop's ``epoch_batches(n_rows, batch_size, seed, e)``."""

    def __init__(self, tensors, batch_size, seed=0):
        self.tensors = tuple(tensors)
        self.batch_size = positive_int(batch_size, "batch_size")
        self.seed = positive_int(seed, "seed", minimum=0)

    def __len__(self):
        return len(self.tensors[0])

    def plan(self, epoch):
        keys = [
            torch.from_numpy(rows) for rows in epoch_batches(len(self), self.batch_size, self.seed, epoch)
        ]
        return keys, [len(rows) for rows in keys]

    def __getitem__(self, rows):
        return tuple(t[rows] for t in self.tensors)


class SkipGramBatches(Dataset):
    """The batches of ``SkipGramData.epoch(e)`` as a map: ``dataset[(e, b)]`` is batch b of epoch e,
    the loop's very batch (negatives included). An epoch is drawn once per process and kept."""

    def __init__(self, data):
        self.data = data
        self._epoch = None  # (epoch, its batches as tensors)

    def batches(self, epoch):
        if self._epoch is None or self._epoch[0] != epoch:
            batches = [tuple(torch.from_numpy(a) for a in batch) for batch in self.data.epoch(epoch)]
            self._epoch = (epoch, batches)
        return self._epoch[1]

    def plan(self, epoch):
        batches = self.batches(epoch)
        return [(epoch, b) for b in range(len(batches))], [len(batch[0]) for batch in batches]

    def __getitem__(self, key):
        epoch, b = key
        return self.batches(epoch)[b]
