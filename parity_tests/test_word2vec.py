"""word2vec's training, the training layer's in both engines: one SGD step on the gradient of the
summed loss (NumPy's row-sparse scatter-add, torch's autograd with ``torch.optim.SGD``, sparse or
dense), other optimizers as torch.optim treats sparse gradients, one epoch of both engines from one
seed within 1e-10, the float64 loss tally, checkpointed resume, the learning-rate schedule and the
batch source's check of the model."""

import math

import numpy as np
import pytest
import torch
from skipgram_cases import Config, nonzero_state, skipgram_batch
from skipgram_cases import training_step_error as step_error

import numpy_impl.skipgram as numpy_skipgram
import torch_impl.skipgram as torch_skipgram
from numpy_impl import optim as numpy_optim
from numpy_impl import training
from numpy_impl.checks import InputError
from numpy_impl.optim import word2vec_lr
from numpy_impl.skipgram import negative_sampling_loss, pair_scores
from numpy_impl.text import SkipGramData, TokenizedCorpus, bundled_corpus
from scripts.main_job.skipgram import train_word2vec
from torch_impl.bridge import load_numpy_state_dict, to_numpy_state_dict
from torch_impl.train import torch_step


@pytest.mark.parametrize("sparse", [True, False], ids=["sparse", "dense"])
@pytest.mark.parametrize("config", [Config(11, 7, 5, 3), Config(53, 16, 37, 5)], ids=lambda c: c.label)
def test_one_sgd_step_on_the_summed_loss_equals_torch_autograd(config, sparse):
    """NumPy's SGD applying the (row-sparse or dense) gradient against torch.optim.SGD after
    autograd, on a batch where ids repeat."""
    assert step_error(config, sparse=sparse) <= 1e-12


OPTIMIZERS = [
    ("SGD", {"lr": 0.3}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.5, "dampening": 0.3}),
    ("Adam", {"lr": 0.05}),
]


STEP_CASES = [(o, sparse) for o in OPTIMIZERS for sparse in (False, True) if not (sparse and o[0] == "Adam")]


@pytest.mark.parametrize(
    ("optimizer", "sparse"),
    STEP_CASES,
    ids=lambda c: f"{c[0]}-{'-'.join(c[1])}" if isinstance(c, tuple) else f"sparse={c}",
)
def test_steps_follow_the_summed_loss_in_both_engines(optimizer, sparse):
    """The training layer's step (``numpy_step`` / ``torch_step``, reduction="sum") under several
    optimizers: the engines agree to 1e-12 after steps on repeated ids. (Adam takes no sparse
    gradient in either engine: tested below.)"""
    name, hparams = optimizer
    rng = np.random.default_rng(8)
    numpy_model = numpy_skipgram.SkipGram(30, 7, seed=1, dtype=np.float64, sparse=sparse)
    numpy_model.load_state_dict(nonzero_state(numpy_model, rng))
    torch_model = torch_skipgram.SkipGram(30, 7, seed=1, dtype=np.float64, sparse=sparse)
    load_numpy_state_dict(torch_model, numpy_model.state_dict())
    numpy_opt = getattr(numpy_optim, name)(numpy_model.parameters(), **hparams)
    torch_opt = getattr(torch.optim, name)(torch_model.parameters(), **hparams)
    for _ in range(4):
        batch = skipgram_batch(30, 17, 3, rng, distinct_words=5)
        loss = training.numpy_step(numpy_model, numpy_opt, batch, reduction="sum")
        torch_batch = tuple(torch.from_numpy(a) for a in batch)
        assert torch_step(torch_model, torch_opt, torch_batch, reduction="sum") == pytest.approx(
            loss, rel=1e-12
        )
    torch_state = to_numpy_state_dict(torch_model.state_dict())
    for key, value in numpy_model.state_dict().items():
        np.testing.assert_allclose(value, torch_state[key], rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("name", "hparams", "torch_message"),
    [
        ("Adam", {"lr": 0.01}, "Adam does not support sparse gradients"),
        ("AdamW", {"lr": 0.01}, "Adam does not support sparse gradients"),
        ("SGD", {"lr": 0.1, "weight_decay": 0.01}, "add\\(sparse, dense\\) is not supported"),
    ],
)
def test_sparse_gradients_are_refused_where_torch_refuses_them(name, hparams, torch_message):
    batch = skipgram_batch(12, 9, 2, np.random.default_rng(0))
    torch_model = torch_skipgram.SkipGram(12, 4, seed=0, dtype=np.float64, sparse=True)
    with pytest.raises(RuntimeError, match=torch_message):
        torch_step(torch_model, getattr(torch.optim, name)(torch_model.parameters(), **hparams), batch)
    numpy_model = numpy_skipgram.SkipGram(12, 4, seed=0, dtype=np.float64, sparse=True)
    before = numpy_model.state_dict()
    optimizer = getattr(numpy_optim, name)(numpy_model.parameters(), **hparams)
    with pytest.raises(InputError, match=f"{name} .*does not take sparse gradients.*input_vectors"):
        training.numpy_step(numpy_model, optimizer, batch)
    for key, value in numpy_model.state_dict().items():  # refused before any parameter moved
        assert np.array_equal(value, before[key]) and optimizer.steps == 0


@pytest.fixture(scope="module")
def lee_small():
    tokens = TokenizedCorpus(bundled_corpus("lee_background"))
    return SkipGramData(tokens, min_count=5, batch_size=512, seed=11)


def assert_same_state(a, b):
    assert a.keys() == b.keys()
    for name in a:
        assert np.array_equal(a[name], b[name]), name


@pytest.mark.parametrize(
    ("numpy_sparse", "torch_sparse"),
    [(True, True), (True, False), (False, True)],
    ids=["sparse", "torch-dense", "numpy-dense"],
)
def test_one_epoch_of_training_in_both_engines_ends_within_1e_10(lee_small, numpy_sparse, torch_sparse):
    """One seed, the same batches, float64, word2vec's training in each engine's loop: NumPy's
    SGD with a scatter-add (or dense gradients) vs torch.optim.SGD through autograd."""
    vocab_size = len(lee_small.vocabulary)
    numpy_model = numpy_skipgram.SkipGram(vocab_size, 24, seed=4, dtype=np.float64, sparse=numpy_sparse)
    torch_model = torch_skipgram.SkipGram(vocab_size, 24, seed=4, dtype=np.float64, sparse=torch_sparse)
    numpy_history = train_word2vec(numpy_model, lee_small, 1, progress="off")
    torch_history = train_word2vec(torch_model, lee_small, 1, progress="off")
    torch_state = to_numpy_state_dict(torch_model.state_dict())
    for name, value in numpy_model.state_dict().items():
        scale = np.abs(value).max()
        assert np.abs(value - torch_state[name]).max() <= 1e-10 * scale, name
        assert scale > 0.05  # the output table really moved away from zero
    assert numpy_history.epochs[0]["pairs"] == torch_history.epochs[0]["pairs"] > 100_000
    assert numpy_history.epochs[0]["loss_sum"] == pytest.approx(
        torch_history.epochs[0]["loss_sum"], rel=1e-12
    )
    assert numpy_history.step_loss == pytest.approx(torch_history.step_loss, rel=1e-12)


def test_epoch_loss_is_a_float64_tally_of_every_batch(lee_small):
    """gensim's float32 running loss stalls once it is large; ours adds each batch's summed loss
    in float64, even for a float32 model (each batch's sum is float32, like torch's)."""
    model = numpy_skipgram.SkipGram(len(lee_small.vocabulary), 10, seed=1, dtype=np.float32, sparse=True)
    shadow = numpy_skipgram.SkipGram(len(lee_small.vocabulary), 10, seed=1, dtype=np.float32, sparse=True)
    optimizer = numpy_optim.SGD(shadow.parameters(), lr=0.01)
    pair_losses, batch_losses = [], []
    for batch in lee_small.epoch(0):
        centers, targets = batch[0], np.concatenate([batch[1][:, None], batch[2]], axis=1)
        params = shadow.parameters()
        scores, _ = pair_scores(
            params["input_vectors.weight"][centers], params["output_vectors.weight"][targets]
        )
        pair_losses.append(negative_sampling_loss(scores)[0].astype(np.float64))
        batch_losses.append(training.numpy_step(shadow, optimizer, batch, reduction="sum"))
    record = train_word2vec(model, lee_small, 1, start_lr=0.01, end_lr=0.01, progress="off").epochs[0]
    assert isinstance(record["loss_sum"], float)
    assert record["loss_sum"] == pytest.approx(math.fsum(batch_losses), rel=1e-14)
    assert record["loss_sum"] == pytest.approx(math.fsum(np.concatenate(pair_losses)), rel=1e-6)
    assert record["loss"] == pytest.approx(record["loss_sum"] / record["pairs"])
    assert_same_state(model.state_dict(), shadow.state_dict())


def test_checkpointed_training_resumes_mid_epoch_bit_for_bit(lee_small, tmp_path):
    """The one loop's checkpoints work for skip-gram: an interrupted run, resumed, redraws the same
    negatives and ends with the uninterrupted run's vectors."""
    vocab_size = len(lee_small.vocabulary)

    def run(epochs, **options):
        model = numpy_skipgram.SkipGram(vocab_size, 8, seed=2, dtype=np.float64, sparse=True)
        history = training.fit(
            model,
            numpy_optim.SGD(model.parameters(), lr=0.025),
            lee_small,
            epochs=epochs,
            lr_schedule=word2vec_lr(2),
            reduction="sum",
            progress="off",
            **options,
        )
        return model, history

    whole, whole_history = run(2)
    checkpoint = tmp_path / "sgns.safetensors"
    run(1, checkpoint=checkpoint, checkpoint_every=100)  # stops after epoch 1 (a finished run's file)
    resumed, resumed_history = run(2, checkpoint=checkpoint, resume=True)
    assert_same_state(resumed.state_dict(), whole.state_dict())
    assert resumed_history.step_loss == whole_history.step_loss
    state = training.load_checkpoint(checkpoint)
    assert state.epoch == 2 and state.meta["run"]["vocabulary"] == vocab_size
    assert state.meta["run"]["reduction"] == "sum"


def test_learning_rate_decays_linearly_to_the_floor(lee_small):
    """word2vec's schedule: 0.025 - (0.025 - 0.0001) x (share of all epochs' pairs done), per batch."""
    model = numpy_skipgram.SkipGram(len(lee_small.vocabulary), 8, seed=0, sparse=True)
    history = train_word2vec(model, lee_small, 2, progress="off").epochs
    for epoch, record in enumerate(history):
        done_before_last_batch = (record["pairs"] - 1) // 512 * 512
        expected = 0.025 - 0.0249 * (epoch + done_before_last_batch / record["pairs"]) / 2
        assert record["lr"] == pytest.approx(expected, rel=1e-12)
    assert history[1]["lr"] < 0.0001 + 0.0249 * 512 / history[1]["pairs"]  # nearly down to the floor
    assert history[1]["loss"] < history[0]["loss"]
    with pytest.raises(InputError, match="epochs must be an integer >= 1"):
        word2vec_lr(0)


def test_the_batch_source_checks_the_model_once(lee_small):
    """SkipGramData makes ids of its own vocabulary only: the loop asks it once whether the model
    has room for them, instead of validating every batch."""
    small = numpy_skipgram.SkipGram(len(lee_small.vocabulary) - 1, 4)
    with pytest.raises(InputError, match=f"vocabulary has {len(lee_small.vocabulary)} words; the model has"):
        train_word2vec(small, lee_small, 1, progress="off")
    assert training.batch_check(lee_small, numpy_skipgram.SkipGram(len(lee_small.vocabulary), 4)) is None
