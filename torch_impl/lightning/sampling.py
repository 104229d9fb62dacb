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
Under DDP each rank's dataset plans the same global batches (the loop's, at ``world_size`` times
the per-rank batch size) and keys only this rank's share of each (``distributed.share``); the
sizes a plan gives are the global batches', so the learning-rate schedule and the loss's scale are
those of one process. The samplers are ``DistributedSampler``s: Lightning replaces the sampler of
any other loader with its own under DDP (which shuffles, pads and would reorder the loop's batches).
"""

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler, SequentialSampler

from numpy_impl.checks import positive_int
from numpy_impl.training.batches import epoch_batches

from .distributed import share


class EpochSampler(DistributedSampler):
    """The keys of ``dataset.plan(epoch)`` from ``start`` on; ``state_dict`` = the next batch."""

    def __init__(self, dataset):  # DistributedSampler.__init__ would ask len(dataset) and a process group
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

    def examples(self, batch):
        """The number of examples in global batch ``batch`` of this epoch (all ranks' shares)."""
        _, _, done, n_examples = self.plan()
        return (done[batch + 1] if batch + 1 < len(done) else n_examples) - done[batch]

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


class FirstEpochSampler(EpochSampler, SequentialSampler):
    """Epoch 0's keys in every epoch, for ``trainer.overfit_batches``: the same first batches each
    epoch. A ``SequentialSampler`` to Lightning, which would otherwise rebuild the loader (from
    arguments it does not take) to turn a shuffling sampler off."""

    def set_epoch(self, epoch):
        pass


class ResumableLoader(DataLoader):
    """A DataLoader of whole batches over an ``EpochSampler`` that knows how far training got;
    ``first_epoch_only``: a ``FirstEpochSampler``."""

    def __init__(self, dataset, *, num_workers=0, first_epoch_only=False):
        sampler = (FirstEpochSampler if first_epoch_only else EpochSampler)(dataset)
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
    of their rows; epoch e's batches are the loop's ``epoch_batches(n_rows, batch_size, seed, e)``,
    with ``batch_size`` per rank: rank ``rank`` of ``world_size`` keys its share of each."""

    def __init__(self, tensors, batch_size, seed=0, *, rank=0, world_size=1):
        self.tensors = tuple(tensors)
        self.batch_size = positive_int(batch_size, "batch_size")
        self.seed = positive_int(seed, "seed", minimum=0)
        self.rank, self.world_size = rank, positive_int(world_size, "world_size")

    def __len__(self):
        return len(self.tensors[0])

    def plan(self, epoch):
        size, world = self.batch_size * self.world_size, self.world_size
        batches = epoch_batches(len(self), size, self.seed, epoch)
        keys = [torch.from_numpy(rows[share(len(rows), self.rank, world)]) for rows in batches]
        return keys, [len(rows) for rows in batches]

    def __getitem__(self, rows):
        return tuple(t.index_select(0, rows) for t in self.tensors)  # t[rows]: 10x slower on the CPU


class SkipGramBatches(Dataset):
    """The batches of ``SkipGramData.epoch(e)`` as a map: ``dataset[(e, b)]`` is batch b of epoch e,
    the loop's very batch (negatives included). An epoch is drawn once per process and kept.

    Under DDP (``world_size`` > 1) the global batches hold the epoch's pairs, in the loop's order,
    ``world_size`` times ``data.batch_size`` at a time; rank r trains its share of each and draws
    their negatives from its own generator, ``default_rng([seed, epoch, world_size, r])`` (the
    loop's single stream would give every rank the negatives of rank 0's position otherwise)."""

    def __init__(self, data, *, rank=0, world_size=1):
        self.data, self.rank, self.world_size = data, rank, positive_int(world_size, "world_size")
        self._epoch = None  # (epoch, its batches as tensors, the global batches' sizes)

    def batches(self, epoch):
        if self._epoch is None or self._epoch[0] != epoch:
            if self.world_size == 1:
                batches = [tuple(torch.from_numpy(a) for a in batch) for batch in self.data.epoch(epoch)]
                self._epoch = (epoch, batches, [len(batch[0]) for batch in batches])
            else:
                self._epoch = (epoch, *self.rank_batches(epoch))
        return self._epoch[1]

    def rank_batches(self, epoch):
        """(this rank's batches, the global batches' sizes) of epoch ``epoch``."""
        data, pairs = self.data, self.data.epoch(epoch)  # the loop's pairs; its negatives unused
        rng = np.random.default_rng([data.seed, epoch, self.world_size, self.rank])
        size, batches, sizes = data.batch_size * self.world_size, [], []
        for start in range(0, pairs.n_pairs, size):
            n = min(size, pairs.n_pairs - start)
            part = share(n, self.rank, self.world_size)
            mine = slice(start + part.start, start + part.stop)
            centers, contexts = pairs.centers[mine], pairs.contexts[mine]
            negatives = data.sampler.draw(rng, (len(centers), data.negatives))
            batches.append(tuple(torch.from_numpy(a) for a in (centers, contexts, negatives)))
            sizes.append(n)
        return batches, sizes

    def plan(self, epoch):
        batches = self.batches(epoch)
        return [(epoch, b) for b in range(len(batches))], self._epoch[2]

    def __getitem__(self, key):
        epoch, b = key
        return self.batches(epoch)[b]


class InOrder(DistributedSampler, SequentialSampler):  # in order: Lightning keeps it under overfit_batches
    """Evaluation batches in order: ``eval_batch_size`` rows at a time of this rank's share of the
    rows (``split``; every row lies in exactly one rank's share, so metrics synced over ranks count
    each once), or of all rows on every rank. Keys for ``ArrayBatches``."""

    def __init__(self, n_rows, eval_batch_size, *, rank=0, world_size=1, split=True):
        rows = torch.arange(n_rows)[share(n_rows, rank, world_size) if split else slice(None)]
        if split and world_size > 1 and len(rows) == 0:
            raise ValueError(
                f"the evaluation set has {n_rows} rows, fewer than the {world_size} ranks: every rank "
                "needs one (a rank without a batch would skip the metrics' synchronisation)"
            )
        self.keys = list(rows.split(eval_batch_size))

    def __len__(self):
        return len(self.keys)

    def __iter__(self):
        return iter(self.keys)

    def set_epoch(self, epoch):
        pass  # the same rows every epoch
