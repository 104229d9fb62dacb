"""The torch side's speed choices keep the numbers: the signed one-logsigmoid skip-gram loss gives
the textbook form's gradients bit for bit, batches gathered with ``index_select`` are the rows, the
thread count is set where documented (the plain loop's ``threads=``, ``paritynets-train
--threads``) and put back, and the Lightning benchmark trains the loop's weights exactly. Nothing
here is timed: speed is measured by ``scripts/bench`` as ratios, never asserted in a test."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import torch_impl
from numpy_impl.checks import InputError
from numpy_impl.data import load_digits
from torch_impl.lightning.sampling import ArrayBatches
from torch_impl.threads import set_threads, use_threads
from torch_impl.train import fit


def textbook_loss(model, batch):
    """-log σ(s_0) - Σ_k log σ(-s_k) summed over pairs, the context's term and the negatives'
    apart, from the same (B, 1 + K) scores (the twin's former form)."""
    centers, contexts, negatives = batch
    targets = torch.cat([contexts[:, None], negatives], dim=1)
    scores = (model.output_vectors(targets) * model.input_vectors(centers)[:, None]).sum(-1)
    return (-F.logsigmoid(scores[:, 0]) - F.logsigmoid(-scores[:, 1:]).sum(-1)).sum()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sparse", [False, True])
def test_signed_loss_has_the_textbook_gradients_bit_for_bit(dtype, sparse):
    rng = np.random.default_rng(0)
    ids = [torch.from_numpy(rng.integers(0, 30, size=s)) for s in ((64,), (64,), (64, 5))]
    ids[2][:, 0] = ids[1]  # a negative equal to the context, and repeated rows throughout
    grads = []
    for loss in (lambda m: m.loss(ids, "sum"), lambda m: textbook_loss(m, ids)):
        model = torch_impl.SkipGram(30, 8, seed=1, dtype=dtype, sparse=sparse)
        with torch.no_grad():  # non-zero output vectors: every gradient term is exercised
            model.output_vectors.weight.copy_(torch.randn(30, 8, generator=torch.Generator().manual_seed(2)))
        loss(model).backward()
        grads.append([p.grad.to_dense() for p in model.parameters()])
    for ours, textbook in zip(*grads, strict=True):
        assert torch.equal(ours, textbook)


def test_array_batches_are_the_rows_in_key_order():
    x, y = torch.randn(50, 4), torch.arange(50)
    rows = torch.tensor([7, 3, 3, 49, 0])
    bx, by = ArrayBatches((x, y), batch_size=5)[rows]
    assert torch.equal(bx, x[rows]) and torch.equal(by, y[rows])


def test_threads_are_set_for_the_run_and_put_back():
    before = torch.get_num_threads()
    seen = []
    x, y = load_digits()
    model = torch_impl.LinearClassifier(64, 10, seed=0, dtype=np.float64)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    fit(
        model,
        opt,
        (x[:64], y[:64]),
        epochs=1,
        batch_size=32,
        progress="off",
        threads=2,
        evaluate=lambda m: seen.append(torch.get_num_threads()) or {},
    )
    assert seen == [2] and torch.get_num_threads() == before
    with set_threads(None) as n:
        assert n == before


@pytest.mark.parametrize("bad", [0, 1.5, True])
def test_a_bad_thread_count_is_refused_by_name(bad):
    with pytest.raises(InputError, match="threads"):
        with set_threads(bad):
            pass
    with pytest.raises(InputError, match="threads"):
        use_threads(bad)


def test_paritynets_train_takes_threads(tmp_path):
    from torch_impl.lightning.cli import TrainCLI

    before = torch.get_num_threads()
    try:
        cli = TrainCLI(
            args=["--config", "configs/mlp.yaml", f"--trainer.default_root_dir={tmp_path}", "--threads=1"],
            run=False,
        )
        assert cli.config.threads == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_the_lightning_benchmark_trains_the_loops_weights():
    from scripts.bench.lightning import lightning_vs_loop

    result = lightning_vs_loop(None, hidden=16, epochs=2, batch_size=256, rounds=1)
    assert result["same_weights"] is True  # the system's fit and the loss-only module's
    assert result["loss_only"] > 0 and result["loss_only_ratio"] == result["loss_only"] / result["loop"]
    assert result["sizes"] == [64, 16, 10] and result["epochs_timed"] == 1
    assert result["threads"] == torch.get_num_threads()


def test_lightnings_hook_bookkeeping_skips_nn_modules_setattr(monkeypatch):
    """Lightning names the hook under way ~45 times a step; a system stores that name directly
    (nn.Module's __setattr__ would check it against every parameter and submodule)."""
    from scripts.bench.lightning import lightning_fit

    calls = []
    original = torch.nn.Module.__setattr__

    def counted(module, name, value):
        calls.append(name)
        original(module, name, value)

    monkeypatch.setattr(torch.nn.Module, "__setattr__", counted)
    lightning_fit((64, 16, 10), None, 1, 256, 0.1)  # the digits: 6 steps
    assert "_current_fx_name" not in calls
    assert calls.count("total") > 0  # the metrics' own states still go through nn.Module


def test_the_skipgram_benchmarks_lightning_engine_runs_from_any_directory(tmp_path, monkeypatch):
    """``paritynets-bench`` is an installed command: its Lightning engine finds the skip-gram config
    in the repository, not in the caller's working directory, and trains the twins' epoch."""
    from scripts.bench.skipgram import words_per_second

    monkeypatch.chdir(tmp_path)
    setting = {"corpus": "lee_background", "epochs": 1, "quality": False}
    lightning = words_per_second("lightning", **setting)
    numpy = words_per_second("numpy", **setting)
    assert lightning["words"] == numpy["words"] > 0  # the same subsampled epoch
    assert lightning["words_per_s"] > 0 and lightning["threads"] == torch.get_num_threads()
