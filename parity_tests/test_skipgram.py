"""Skip-gram (SGNS) against its torch twin: the battery of ``skipgram_cases`` (loss, both tables'
gradients vs autograd in float64 and float32, finite differences; at a zero output table, non-zero
output vectors, repeated ids, negatives equal to the positive, after SGD steps, huge scores, a
batch of 1), the training update in both engines, one epoch of training from one seed, the
initialisations, the float64 loss tally and bad input."""

import math

import numpy as np
import pytest
import torch
from skipgram_cases import CASES, CONFIGS, Config, case_inputs, nonzero_state, run_case, skipgram_batch
from skipgram_cases import training_step_error as step_error

import numpy_impl.skipgram as numpy_skipgram
import torch_impl.skipgram as torch_skipgram
from numpy_impl import optim as numpy_optim
from numpy_impl import train as numpy_train
from numpy_impl.checks import InputError
from numpy_impl.skipgram import negative_sampling_loss, pair_scores, word2vec_lr
from numpy_impl.text import SkipGramData, TokenizedCorpus, bundled_corpus
from scripts.main_job.skipgram import train_word2vec
from torch_impl.bridge import load_numpy_state_dict, to_numpy_state_dict

NAMES = ["input_vectors.weight", "output_vectors.weight"]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_parity_with_torch(case):
    report = run_case(case)
    assert report.ok, str(report)
    assert [g.name for g in report.gradients] == NAMES[::-1]
    if case.config.dtype == np.float64:  # the acceptance figure
        assert max(g.max_error_over_scale for g in report.gradients) <= 1e-10, str(report)
        if case.config.finite_differences:
            assert report.finite_differences is not None and report.finite_differences.ok


def test_battery_covers_what_verification_asks():
    points = {case.point for case in CASES}
    assert {"init", "nonzero_output", "repeated_ids", "negative_is_positive"} <= points
    assert {c.dtype for c in CONFIGS} == {np.float32, np.float64}
    assert any(c.finite_differences == "exhaustive" for c in CONFIGS)
    assert all(c.n not in (c.vocab_size, c.dim, c.negatives) for c in CONFIGS)
    numpy_model, _, batch = case_inputs(CASES[0])
    assert not numpy_model.state_dict()["output_vectors.weight"].any()  # "init" has a zero output table
    _, grads = numpy_model.loss_and_grads(batch)
    assert not grads["input_vectors.weight"].any()  # ... where the input gradient is exactly zero


def test_loss_is_the_mean_over_pairs_of_the_sgns_formula():
    model = numpy_skipgram.SkipGram(6, 3, seed=1, dtype=np.float64)
    model.load_state_dict(nonzero_state(model, np.random.default_rng(0)))
    centers, contexts, negatives = np.array([0, 4]), np.array([2, 2]), np.array([[1, 2, 5], [3, 3, 0]])
    v, u = model.state_dict()["input_vectors.weight"], model.state_dict()["output_vectors.weight"]

    def log_sigmoid(x):
        return -math.log1p(math.exp(-x))

    per_pair = [
        -log_sigmoid(u[c] @ v[w]) - sum(log_sigmoid(-(u[k] @ v[w])) for k in ks)
        for w, c, ks in zip(centers, contexts, negatives, strict=True)
    ]
    assert model.loss((centers, contexts, negatives)) == pytest.approx(sum(per_pair) / 2, rel=1e-14)


def test_gradient_formulas_of_spec_per_pair():
    """SPEC.md: dv_w = (σ(u_c·v_w) - 1)u_c + Σ_k σ(u_k·v_w)u_k; du_c = (σ(u_c·v_w) - 1)v_w; du_k = σ(u_k·v_w)v_w."""
    rng = np.random.default_rng(3)
    v, u = rng.standard_normal((1, 4)), rng.standard_normal((1, 3, 4))
    scores, scores_backward = pair_scores(v, u)
    _, loss_backward = negative_sampling_loss(scores)
    dv, du = scores_backward(loss_backward(np.ones(1))[0])
    sig = 1 / (1 + np.exp(-(u[0] @ v[0])))
    np.testing.assert_allclose(
        dv[0], (sig[0] - 1) * u[0, 0] + sig[1] * u[0, 1] + sig[2] * u[0, 2], rtol=1e-13
    )
    np.testing.assert_allclose(du[0, 0], (sig[0] - 1) * v[0], rtol=1e-13)
    np.testing.assert_allclose(du[0, 1:], sig[1:, None] * v[0], rtol=1e-13)


@pytest.mark.parametrize("route", ["compiled kernel", "public sparse product", "non-contiguous table"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scatter_add_accumulates_repeated_ids(route, dtype, monkeypatch):
    """Both routes of the scatter-add equal np.add.at, which accumulates (W[idx] += G does not)."""
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 7, size=(40, 3))  # 120 entries over 7 rows: every id repeats
    weights, rows = rng.standard_normal((40, 3)), rng.standard_normal((40, 5))
    table = rng.standard_normal((7, 5))
    expected = table.copy()
    np.add.at(expected, ids, weights[:, :, None] * rows[:, None, :])
    if route == "public sparse product":
        monkeypatch.setattr(numpy_skipgram, "_csc_matvecs", None)
    target = (
        table.astype(dtype) if route != "non-contiguous table" else np.asfortranarray(table.astype(dtype))
    )
    numpy_skipgram.scatter_add_outer(target, ids, weights.astype(dtype), rows.astype(dtype))
    np.testing.assert_allclose(target, expected, rtol=1e-5 if dtype == np.float32 else 1e-13, atol=1e-5)
    flat = table.astype(dtype)
    numpy_skipgram.scatter_add(flat, ids[:, 0], rows.astype(dtype))
    expected = table.copy()
    np.add.at(expected, ids[:, 0], rows)
    np.testing.assert_allclose(flat, expected, rtol=1e-5 if dtype == np.float32 else 1e-13, atol=1e-5)


@pytest.mark.parametrize("config", [Config(11, 7, 5, 3), Config(53, 16, 37, 5)], ids=lambda c: c.label)
def test_numpy_training_step_equals_an_autograd_sgd_step(config):
    """sgd_step (scatter from dscores, no (B, 1 + K, d) gradient) against torch autograd on the
    summed loss, on a batch where ids repeat."""
    assert step_error(config) <= 1e-12


@pytest.mark.parametrize("sparse", [False, True])
def test_torch_steps_hand_written_and_autograd_agree(sparse):
    rng = np.random.default_rng(5)
    hand = torch_skipgram.SkipGram(40, 9, seed=2, dtype=np.float64, sparse=sparse)
    auto = torch_skipgram.SkipGram(40, 9, seed=2, dtype=np.float64, sparse=sparse)
    state = nonzero_state(numpy_skipgram.SkipGram(40, 9, dtype=np.float64), rng)
    load_numpy_state_dict(hand, state)
    load_numpy_state_dict(auto, state)
    for _ in range(3):
        batch = tuple(torch.from_numpy(a) for a in skipgram_batch(40, 23, 4, rng, distinct_words=6))
        assert hand.sgd_step(batch, 0.2) == pytest.approx(auto.autograd_step(batch, 0.2), rel=1e-13)
    for name in NAMES:
        torch.testing.assert_close(hand.state_dict()[name], auto.state_dict()[name], rtol=0, atol=1e-13)
    if sparse:
        auto.loss(batch).backward()
        assert auto.input_vectors.weight.grad.is_sparse


@pytest.fixture(scope="module")
def lee_small():
    tokens = TokenizedCorpus(bundled_corpus("lee_background"))
    return SkipGramData(tokens, min_count=5, batch_size=512, seed=11)


def assert_same_state(a, b):
    assert a.keys() == b.keys()
    for name in a:
        assert np.array_equal(a[name], b[name]), name


def test_one_epoch_of_training_in_both_engines_ends_within_1e_10(lee_small):
    """One seed, the same batches, float64: NumPy's sgd_step vs torch's hand-written index_add_ path."""
    numpy_model = numpy_skipgram.SkipGram(len(lee_small.vocabulary), 24, seed=4, dtype=np.float64)
    torch_model = torch_skipgram.SkipGram(len(lee_small.vocabulary), 24, seed=4, dtype=np.float64)
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


def test_epoch_loss_is_a_float64_tally_of_every_pair(lee_small):
    """gensim's float32 running loss stalls at 2**24 ulp steps; ours sums every pair's loss in float64
    even for a float32 model."""
    model = numpy_skipgram.SkipGram(len(lee_small.vocabulary), 10, seed=1, dtype=np.float32)
    shadow = numpy_skipgram.SkipGram(len(lee_small.vocabulary), 10, seed=1, dtype=np.float32)
    pair_losses = []
    for batch in lee_small.epoch(0):
        centers, targets = batch[0], np.concatenate([batch[1][:, None], batch[2]], axis=1)
        params = shadow.parameters()
        scores, _ = pair_scores(
            params["input_vectors.weight"][centers], params["output_vectors.weight"][targets]
        )
        pair_losses.append(negative_sampling_loss(scores)[0].astype(np.float64))
        shadow.sgd_step(batch, 0.01)
    record = train_word2vec(model, lee_small, 1, start_lr=0.01, end_lr=0.01, progress="off").epochs[0]
    assert isinstance(record["loss_sum"], float)
    assert record["loss_sum"] == pytest.approx(math.fsum(np.concatenate(pair_losses)), rel=1e-12)
    assert record["loss"] == pytest.approx(record["loss_sum"] / record["pairs"])
    assert_same_state(model.state_dict(), shadow.state_dict())


@pytest.mark.parametrize(
    "optimizer",
    [("SGD", {"lr": 0.3}), ("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"lr": 0.05})],
    ids=["plain-sgd-fused", "momentum", "adam"],
)
def test_train_step_follows_the_summed_loss_in_both_engines(optimizer):
    """train_step = optimizer.step(gradient of the summed loss), fused for plain SGD, autograd or
    loss_and_grads otherwise; the two engines agree to 1e-12 after steps on repeated ids."""
    name, hparams = optimizer
    rng = np.random.default_rng(8)
    numpy_model = numpy_skipgram.SkipGram(30, 7, seed=1, dtype=np.float64)
    numpy_model.load_state_dict(nonzero_state(numpy_model, rng))
    reference = numpy_skipgram.SkipGram(30, 7, seed=1, dtype=np.float64)
    reference.load_state_dict(numpy_model.state_dict())
    torch_model = torch_skipgram.SkipGram(30, 7, seed=1, dtype=np.float64)
    load_numpy_state_dict(torch_model, numpy_model.state_dict())
    numpy_opt = getattr(numpy_optim, name)(numpy_model.parameters(), **hparams)
    reference_opt = getattr(numpy_optim, name)(reference.parameters(), **hparams)
    torch_opt = getattr(torch.optim, name)(torch_model.parameters(), **hparams)
    for _ in range(4):
        batch = skipgram_batch(30, 17, 3, rng, distinct_words=5)
        loss = numpy_model.train_step(batch, numpy_opt)
        assert torch_model.train_step(batch, torch_opt) == pytest.approx(loss, rel=1e-12)
        reference_loss, grads = reference.loss_and_grads(batch)
        reference_opt.step({key: grad * len(batch[0]) for key, grad in grads.items()})
        assert loss == pytest.approx(reference_loss, rel=1e-12)
    torch_state = to_numpy_state_dict(torch_model.state_dict())
    for key, value in numpy_model.state_dict().items():
        np.testing.assert_allclose(value, torch_state[key], rtol=0, atol=1e-12)
        np.testing.assert_allclose(value, reference.state_dict()[key], rtol=0, atol=1e-12)


def test_checkpointed_training_resumes_mid_epoch_bit_for_bit(lee_small, tmp_path):
    """The one loop's checkpoints work for skip-gram: an interrupted run, resumed, redraws the same
    negatives and ends with the uninterrupted run's vectors."""
    vocab_size = len(lee_small.vocabulary)

    def run(epochs, **options):
        model = numpy_skipgram.SkipGram(vocab_size, 8, seed=2, dtype=np.float64)
        history = numpy_train.fit(
            model,
            numpy_optim.SGD(model.parameters(), lr=0.025),
            lee_small,
            epochs=epochs,
            lr_schedule=word2vec_lr(2),
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
    state = numpy_train.load_checkpoint(checkpoint)
    assert state.epoch == 2 and state.meta["run"]["vocabulary"] == vocab_size


def test_learning_rate_decays_linearly_to_the_floor(lee_small):
    """word2vec's schedule: 0.025 - (0.025 - 0.0001) x (share of all epochs' pairs done), per batch."""
    model = numpy_skipgram.SkipGram(len(lee_small.vocabulary), 8, seed=0)
    history = train_word2vec(model, lee_small, 2, progress="off").epochs
    for epoch, record in enumerate(history):
        done_before_last_batch = (record["pairs"] - 1) // 512 * 512
        expected = 0.025 - 0.0249 * (epoch + done_before_last_batch / record["pairs"]) / 2
        assert record["lr"] == pytest.approx(expected, rel=1e-12)
    assert history[1]["lr"] < 0.0001 + 0.0249 * 512 / history[1]["pairs"]  # nearly down to the floor
    assert history[1]["loss"] < history[0]["loss"]


@pytest.mark.parametrize(("init", "bound"), [("gensim", 1.0), ("word2vec", 0.5)])
def test_initialisations(init, bound):
    model = numpy_skipgram.SkipGram(500, 40, seed=3, init=init)
    twin = torch_skipgram.SkipGram(500, 40, seed=3, init=init)
    vectors = model.state_dict()["input_vectors.weight"]
    assert vectors.dtype == np.float32
    assert np.abs(vectors).max() <= bound / 40 and np.abs(vectors).max() > 0.99 * bound / 40
    assert abs(vectors.mean()) < 0.01 * bound / 40
    assert not model.state_dict()["output_vectors.weight"].any()
    for name, value in twin.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), model.state_dict()[name])
    assert not np.array_equal(numpy_skipgram.SkipGram(500, 40, seed=4).vectors, model.vectors)
    assert list(model.state_dict()) == list(twin.state_dict()) == NAMES


def test_huge_scores_do_not_overflow():
    numpy_model, _, batch = case_inputs(next(c for c in CASES if c.point == "huge_scores"))
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, grads = numpy_model.loss_and_grads(batch)
        numpy_model.sgd_step(batch, 0.01)
    assert np.isfinite(loss) and loss > 10
    assert all(np.isfinite(g).all() for g in grads.values())


BAD_BATCHES = [
    (
        (np.array([0, 1]), np.array([1, 2]), np.array([[3], [9]])),
        "negatives has word ids in \\[3, 9\\]; the vocabulary has 5",
    ),
    ((np.array([0, -1]), np.array([1, 2]), np.array([[3], [4]])), "centers has word ids in \\[-1, 0\\]"),
    ((np.array([0.0, 1.0]), np.array([1, 2]), np.array([[3], [4]])), "centers must hold integer word ids"),
    ((np.array([0, 1]), np.array([1, 2, 3]), np.array([[3], [4]])), "contexts must have shape \\(2,\\)"),
    ((np.array([0, 1]), np.array([1, 2]), np.array([3, 4])), "negatives must have shape \\(2, K\\)"),
    ((np.array([], dtype=int), np.array([], dtype=int), np.zeros((0, 2), int)), "non-empty"),
    ((np.array([0, 1]), np.array([1, 2])), "a batch is a tuple \\(centers, contexts, negatives\\)"),
]


@pytest.mark.parametrize(("batch", "message"), BAD_BATCHES)
def test_bad_batches_fail_with_the_same_message_in_both_engines(batch, message):
    numpy_model, torch_model = numpy_skipgram.SkipGram(5, 3), torch_skipgram.SkipGram(5, 3)
    with pytest.raises(InputError, match=message):
        numpy_model.loss_and_grads(batch)
    with pytest.raises(InputError, match=message):
        numpy_model.sgd_step(batch, 0.1)
    with pytest.raises(InputError, match=message):
        torch_model.loss(tuple(torch.from_numpy(a) for a in batch))


def test_bad_constructor_arguments():
    for kwargs, message in [
        ({"vocab_size": 1, "dim": 3}, "vocab_size must be an integer >= 2"),
        ({"vocab_size": 5, "dim": 0}, "dim must be a positive integer"),
        ({"vocab_size": 5, "dim": 3, "init": "xavier"}, "init must be one of"),
        ({"vocab_size": 5, "dim": 3, "dtype": np.int32}, "dtype must be float32 or float64"),
    ]:
        with pytest.raises(ValueError, match=message):
            numpy_skipgram.SkipGram(**kwargs)
    with pytest.raises(InputError, match="epochs must be a positive integer"):
        word2vec_lr(0)
