"""The loop's batches as Lightning's sampler, and resuming from a checkpoint at any step: the
sampler's order is ``epoch_batches``'s, skip-gram's items are ``SkipGramData.epoch(e)``'s batches,
the loader's position is the number of batches trained (also with worker processes reading
ahead), and a run resumed from any of its checkpoints (mid-epoch or at an epoch's end) ends with
the uninterrupted run's weights, bit for bit."""

import numpy as np
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning_cases import TEXT, trainer

from numpy_impl.text import SkipGramData
from numpy_impl.training import epoch_batches
from torch_impl.lightning import (
    AtomicCheckpointIO,
    ClassifierSystem,
    DigitsData,
    ResumableLoader,
    SkipGramBatches,
    SkipGramSystem,
    TextData,
)
from torch_impl.lightning.sampling import ArrayBatches

# the resumed trainers are given no checkpoint callbacks of their own: Lightning says so
pytestmark = pytest.mark.filterwarnings("ignore:Be aware that when using `ckpt_path`")


def arrays(n=103):
    x = torch.arange(n * 2, dtype=torch.float64).reshape(n, 2)
    return x, torch.arange(n)


def test_epochs_follow_the_loops_permutations():
    loader = ResumableLoader(ArrayBatches(arrays(), 10, seed=7))
    for epoch in (0, 3):
        loader.sampler.set_epoch(epoch)
        rows = [y.numpy() for _, y in loader]
        expected = epoch_batches(103, 10, 7, epoch)
        assert len(loader) == len(expected) == 11
        assert all(np.array_equal(a, b) for a, b in zip(rows, expected, strict=True))


def test_overfit_batches_trains_the_first_epochs_batches_in_every_epoch():
    """``trainer.overfit_batches``: the data modules' loaders repeat epoch 0's batches, and Lightning
    keeps them (it rebuilds a loader whose sampler is not a SequentialSampler, which ours refuses)."""
    loader = ResumableLoader(ArrayBatches(arrays(), 10, seed=7), first_epoch_only=True)
    first = [y.numpy() for _, y in loader]
    loader.sampler.set_epoch(3)
    assert all(np.array_equal(a, b) for a, b in zip([y for _, y in loader], first, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(first, epoch_batches(103, 10, 7, 0), strict=True))
    system = ClassifierSystem(sizes=(64, 8, 10))
    data = DigitsData(batch_size=64)
    seen = []
    system.on_train_batch_start = lambda batch, batch_idx: seen.append(batch[1].clone())
    trainer(max_epochs=3, overfit_batches=2).fit(system, data)
    assert len(seen) == 6
    assert all(torch.equal(seen[i], seen[i % 2]) for i in range(6))  # batches 0, 1 in each epoch


def test_the_schedule_progress_is_the_loops():
    sampler = ResumableLoader(ArrayBatches(arrays(), 10, seed=7)).sampler
    sampler.set_epoch(2)
    assert [sampler.progress(b) for b in (0, 1, 10)] == [2.0, 2 + 10 / 103, 2 + 100 / 103]


@pytest.mark.parametrize("num_workers", [0, 2])
def test_the_position_counts_batches_handed_to_training(num_workers):
    loader = ResumableLoader(ArrayBatches(arrays(), 10, seed=7), num_workers=num_workers)
    batches = iter(loader)
    for _ in range(4):
        next(batches)
    assert loader.state_dict() == {"epoch": 0, "batch": 4}  # workers have read further ahead
    for _ in batches:
        pass
    assert loader.state_dict() == {"epoch": 1, "batch": 0}  # after the last batch: the next epoch


@pytest.mark.parametrize("num_workers", [0, 2])
def test_a_restored_loader_goes_on_where_training_stopped(num_workers):
    loader = ResumableLoader(ArrayBatches(arrays(), 10, seed=7), num_workers=num_workers)
    loader.load_state_dict({"epoch": 3, "batch": 8})
    rest = [y.numpy() for _, y in loader]
    expected = epoch_batches(103, 10, 7, 3)[8:]
    assert all(np.array_equal(a, b) for a, b in zip(rest, expected, strict=True)) and len(rest) == 3
    assert len(list(loader)) == 11  # the resume position is used once
    loader.load_state_dict({"epoch": 3, "batch": 8})
    loader.sampler.set_epoch(4)
    assert len(list(loader)) == 11  # and only in its own epoch


def test_skipgram_items_are_the_loops_batches():
    data = TextData(**TEXT).skipgram_data
    batches = SkipGramBatches(data)
    reference = SkipGramData(data.corpus, min_count=2, batch_size=256, seed=1, vocabulary=data.vocabulary)
    lengths = []
    for epoch in (0, 1):
        keys, sizes = batches.plan(epoch)
        expected = list(reference.epoch(epoch))
        assert keys == [(epoch, b) for b in range(len(expected))]
        assert sizes == [len(b[0]) for b in expected]
        for key, batch in zip(keys, expected, strict=True):
            assert all(np.array_equal(t.numpy(), a) for t, a in zip(batches[key], batch, strict=True))
        lengths.append(sum(sizes))
    assert lengths[0] != lengths[1]  # subsampling is redrawn: why the loader is rebuilt every epoch


def test_skipgram_data_refuses_a_trainer_that_keeps_its_first_loader():
    with pytest.raises(ValueError, match="reload_dataloaders_every_n_epochs: 1"):
        trainer(1, reload_dataloaders_every_n_epochs=0).fit(SkipGramSystem(dim=8), TextData(**TEXT))


def resume_from_every_checkpoint(make, tmp_path, epochs, every, num_workers=0):
    """Train once, keeping a checkpoint every ``every`` steps and at each epoch's end; resume a fresh
    system from each and compare the final weights with the uninterrupted run's."""
    system, data = make(num_workers)
    steps = ModelCheckpoint(tmp_path, "{step}", every_n_train_steps=every, save_top_k=-1)
    ends = ModelCheckpoint(tmp_path, "end-{epoch}", save_top_k=-1, save_on_train_epoch_end=True)
    trainer(epochs, callbacks=[steps, ends], enable_checkpointing=True, plugins=[AtomicCheckpointIO()]).fit(
        system, data
    )
    final = system.model.state_dict()
    checkpoints = sorted(tmp_path.glob("*.ckpt"))
    for path in checkpoints:
        system, data = make(num_workers)
        trainer(epochs).fit(system, data, ckpt_path=path)
        differs = [k for k, v in system.model.state_dict().items() if not torch.equal(v, final[k])]
        assert not differs, f"resumed from {path.name}: {differs} differ"
    return [p.name for p in checkpoints]


def mlp(num_workers):
    system = ClassifierSystem(sizes=(64, 16, 10), dtype="float64", optimizer="adam", lr=0.01)
    return system, DigitsData(batch_size=128, data_seed=4, num_workers=num_workers)


def skipgram(num_workers):
    return SkipGramSystem(dim=8, dtype="float64"), TextData(**(TEXT | {"num_workers": num_workers}))


def test_resuming_an_mlp_from_any_checkpoint_is_exact(tmp_path):
    names = resume_from_every_checkpoint(mlp, tmp_path, epochs=3, every=5)
    assert "step=10.ckpt" in names and "end-epoch=1.ckpt" in names  # mid-epoch (12 per epoch) and ends


def test_resuming_skipgram_from_any_checkpoint_is_exact(tmp_path):
    names = resume_from_every_checkpoint(skipgram, tmp_path, epochs=2, every=10)
    assert "end-epoch=0.ckpt" in names and len(names) >= 4


def test_resuming_with_worker_processes_is_exact(tmp_path):
    resume_from_every_checkpoint(mlp, tmp_path, epochs=2, every=9, num_workers=2)
