"""DDP on two CPU ranks (gloo, forked in-process), float64, against one process:

- 2 ranks of batch b end with the weights of 1 process of batch 2b (<= 1e-10) for the linear
  classifier, the MLP and the autoencoder, also when a global batch is smaller than the world
  (a rank's share is then empty), and the two ranks end bit for bit alike;
- skip-gram ranks train the pairs of 1 process of batch 2b, batch by batch, with negatives of their
  own (each rank's generator): they equal 1 process trained on the ranks' batches put together;
- validation counts every held-out row once (confusion matrix, accuracy and mean loss of one
  process), the epoch's training loss is the mean over all ranks' examples;
- a rank that updates its weights outside autograd is caught when training ends; a parity gate
  failure on one rank stops both; NCCL gets dense embedding tables."""

import numpy as np
import pytest
import torch
from ddp_cases import (
    RankRecord,
    ddp_trainer,
    identical,
    loop_on_the_ranks_batches,
    max_difference,
    state,
    state_of,
)
from lightning_cases import CASES, ScaledLoss, trainer

from torch_impl.lightning import ClassifierSystem, DigitsData, ParityGate, SkipGramSystem, TextData
from torch_impl.lightning.sampling import SkipGramBatches

TOLERANCE = 1e-10
ARRAY_CASES = [c for c in CASES if c.name != "skipgram"]
SKIPGRAM = next(c for c in CASES if c.name == "skipgram")


def two_ranks_and_one_process(case, batch_size, tmp_path, epochs=None, **trainer_options):
    """(final weights of 1 process at batch 2b, of 2 ranks at batch b, the ranks' records)."""
    epochs = epochs or case.epochs
    data_args = case.data_args | {"batch_size": 2 * batch_size}
    one, data = case.system(dtype="float64", **case.system_args), case.data(**data_args)
    trainer(epochs, **trainer_options).fit(one, data)
    two = case.system(dtype="float64", **case.system_args)
    ddp_trainer(epochs, callbacks=[RankRecord(tmp_path)], **trainer_options).fit(
        two, case.data(**data_args | {"batch_size": batch_size})
    )
    return state(one), state(two), RankRecord.read(tmp_path)


@pytest.mark.parametrize("case", ARRAY_CASES, ids=[c.name for c in ARRAY_CASES])
def test_two_ranks_of_b_end_as_one_process_of_2b(case, tmp_path):
    b = case.data_args["batch_size"] // 2
    one, two, ranks = two_ranks_and_one_process(case, b, tmp_path)
    assert max_difference(one, two) <= TOLERANCE
    assert identical(ranks[0]["weights"], ranks[1]["weights"]) and identical(ranks[0]["weights"], two)
    start = state(case.system(dtype="float64", **case.system_args))
    assert max_difference(two, start) > 1e-3  # the weights moved
    first = [r["first_batch"][0] for r in ranks]
    assert first[0].shape[0] == first[1].shape[0] == b and not torch.equal(first[0], first[1])


def test_a_global_batch_smaller_than_the_world_leaves_one_rank_an_empty_share(tmp_path):
    # 1,437 training rows at a global batch of 718: batches of 718, 718 and 1 row
    case = next(c for c in CASES if c.name == "mlp")
    one, two, ranks = two_ranks_and_one_process(case, 359, tmp_path, epochs=3)
    assert max_difference(one, two) <= TOLERANCE
    assert identical(ranks[0]["weights"], ranks[1]["weights"])


def test_skipgram_ranks_draw_their_own_negatives_for_the_pairs_of_one_process():
    data = TextData(**SKIPGRAM.data_args).skipgram_data  # batch 256 per rank, 512 global
    one_process = TextData(**SKIPGRAM.data_args | {"batch_size": 512}).skipgram_data
    ranks = [SkipGramBatches(data, rank=r, world_size=2).batches(0) for r in range(2)]
    single = list(one_process.epoch(0))
    assert len(ranks[0]) == len(ranks[1]) == len(single)
    for b, (share0, share1) in enumerate(zip(*ranks, strict=True)):
        for i in (0, 1):  # centers, contexts: rank 0's share, then rank 1's, are the batch of 2b
            assert np.array_equal(torch.cat([share0[i], share1[i]]).numpy(), single[b][i])
        assert share0[0].shape[0] - share1[0].shape[0] in (0, 1)
    negatives = [torch.cat([batch[2] for batch in r]) for r in ranks]
    n = min(len(negatives[0]), len(negatives[1]))
    assert (negatives[0][:n] != negatives[1][:n]).float().mean() > 0.9  # independent draws
    loop_negatives = torch.from_numpy(np.concatenate([batch[2] for batch in one_process.epoch(0)]))
    assert (torch.cat(negatives)[: len(loop_negatives)] != loop_negatives).float().mean() > 0.9
    counts = np.bincount(torch.cat(negatives).numpy().ravel(), minlength=len(data.vocabulary))
    assert np.corrcoef(counts, data.sampler.probabilities)[0, 1] > 0.95  # unigram^0.75 all the same


def test_skipgram_on_two_ranks_equals_one_process_on_the_ranks_batches(tmp_path):
    # dense tables here: a sparse all-reduce in a forked child trips torch's thread pool (inherited
    # from this process) one run in three; test_ddp_launch trains sparse tables on started ranks
    case, data = SKIPGRAM, TextData(**SKIPGRAM.data_args)
    args = case.system_args | {"vocab_size": len(data.vocabulary), "sparse": False, "dtype": "float64"}
    two, one = SkipGramSystem(**args), SkipGramSystem(**args).model
    ddp_trainer(case.epochs, callbacks=[RankRecord(tmp_path)]).fit(two, data)
    ranks = RankRecord.read(tmp_path)
    assert identical(ranks[0]["weights"], ranks[1]["weights"])
    loop_on_the_ranks_batches(one, data.skipgram_data, case.epochs)
    assert max_difference(ranks[0]["weights"], state_of(one)) <= TOLERANCE
    assert max_difference(ranks[0]["weights"], state_of(SkipGramSystem(**args).model)) > 1e-3


def test_validation_counts_each_row_once_and_the_training_loss_is_over_all_examples(tmp_path):
    def fit(world_size, batch_size):
        system = ClassifierSystem(sizes=(64, 16, 10), dtype="float64", optimizer="adam", lr=0.01)
        data = DigitsData(batch_size=batch_size, data_seed=4, eval_batch_size=50)  # 359 rows: uneven
        make = ddp_trainer if world_size > 1 else trainer
        run = make(1, callbacks=[RankRecord(tmp_path)], limit_val_batches=None)
        run.fit(system, data)
        return {k: float(v) for k, v in run.callback_metrics.items()}, RankRecord.read(tmp_path, world_size)

    one, (single,) = fit(1, 100)  # a short last batch: 1,437 = 14 x 100 + 37
    two, ranks = fit(2, 50)
    assert single["confusion"].sum() == 359
    for record in ranks:
        assert torch.equal(record["confusion"], single["confusion"])
    assert two["val_accuracy"] == one["val_accuracy"]
    assert abs(two["val_loss"] - one["val_loss"]) <= 1e-12
    assert abs(two["train_loss"] - one["train_loss"]) <= 1e-12


class HandUpdate(ClassifierSystem):
    """Rank 1 nudges a weight inside ``no_grad`` after every step: the update DDP never sees."""

    def on_train_batch_end(self, outputs, batch, batch_idx):
        if self.global_rank == 1:
            with torch.no_grad():
                self.model.layers[0].weight[0, 0] += 1e-3


def test_ranks_that_drift_apart_are_caught_when_training_ends():
    system = HandUpdate(sizes=(64, 16, 10), dtype="float64")
    with pytest.raises(Exception, match=r"ranks \[1\] hold weights that differ from rank 0's"):
        ddp_trainer(1, limit_train_batches=3).fit(system, DigitsData(batch_size=32))


class BrokenOnRankOne(ClassifierSystem):
    def configure_model(self):
        super().configure_model()
        if self.global_rank == 1:
            broken = ScaledLoss(self.sizes, seed=self.hparams.seed, dtype=self.hparams.dtype)
            broken.load_state_dict(self.model.state_dict())
            self.model = broken


def test_a_parity_gate_failure_on_one_rank_stops_both():
    system = BrokenOnRankOne(sizes=(64, 16, 10))
    with pytest.raises(Exception, match="parity gate: FAILED"):
        ddp_trainer(1, callbacks=[ParityGate()], limit_train_batches=3).fit(system, DigitsData(batch_size=32))


@pytest.mark.parametrize(("backend", "sparse"), [("nccl", False), ("gloo", True), (None, True)])
def test_embedding_tables_are_dense_where_the_backend_has_no_sparse_all_reduce(backend, sparse):
    system = SkipGramSystem(vocab_size=20, dim=4, sparse=True)
    system.gradients_for(backend)
    tables = (system.model.input_vectors, system.model.output_vectors)
    assert system.model.sparse is sparse and all(t.sparse is sparse for t in tables)
    system.model.loss((torch.tensor([1]), torch.tensor([2]), torch.tensor([[3, 4]])), "sum").backward()
    assert all(t.weight.grad.is_sparse is sparse for t in tables)
