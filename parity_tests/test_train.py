"""The one NumPy training loop: batch order, history, evaluation, divergence, checkpoints, resume
(in process and after a SIGKILL), and the torch loop fed the same batches."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import numpy_impl
from numpy_impl.checks import InputError
from numpy_impl.data import load_digits
from numpy_impl.optim import SGD
from numpy_impl.training import DivergedError, epoch_batches, fit, load_checkpoint

ROOT = Path(__file__).resolve().parents[1]
THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits()
    return x[:600], y[:600]


def small_mlp(seed=3):
    return numpy_impl.MLP((64, 32, 10), seed=seed, dtype=np.float64)


def train(model, data, **kwargs):
    """SGD with momentum, so that a resume must restore the optimizer's buffers too."""
    options = {"epochs": 3, "batch_size": 32, "seed": 5, "progress": "off"} | kwargs
    return fit(model, SGD(model.parameters(), lr=0.05, momentum=0.9), data, **options)


def assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for name in a:
        assert np.array_equal(a[name], b[name]), f"{name} differs by {np.abs(a[name] - b[name]).max()}"


class Interrupted(Exception):
    pass


class Wrapped:
    """A model as the loop sees it (``parameters``, ``validate``, ``loss_and_backward``), so that a
    test can step in between."""

    def __init__(self, model):
        self.model = model

    def parameters(self):
        return self.model.parameters()

    def validate(self, batch):
        return self.model.validate(batch)

    def loss_and_backward(self, batch, reduction="mean"):
        return self.model.loss_and_backward(batch, reduction)


class StopAtCall(Wrapped):
    """Raises at its ``stop``-th step, as a crash mid-epoch would."""

    def __init__(self, model, stop):
        super().__init__(model)
        self.stop, self.calls = stop, 0

    def loss_and_backward(self, batch, reduction="mean"):
        self.calls += 1
        if self.calls == self.stop:
            raise Interrupted(f"call {self.calls}")
        return super().loss_and_backward(batch, reduction)


class NaNAtCall(StopAtCall):
    def loss_and_backward(self, batch, reduction="mean"):
        self.calls += 1
        loss, backward = self.model.loss_and_backward(batch, reduction)
        return (float("nan") if self.calls == self.stop else loss), backward


class NoisyGradients(Wrapped):
    """A model that draws random numbers while training (as skip-gram draws negatives) in ``rng``."""

    def __init__(self, model, seed):
        super().__init__(model)
        self.rng = np.random.default_rng(seed)

    def loss_and_backward(self, batch, reduction="mean"):
        loss, backward = super().loss_and_backward(batch, reduction)
        noise = {k: 1e-3 * self.rng.standard_normal(v.shape) for k, v in self.parameters().items()}
        return loss, lambda: {k: g + noise[k] for k, g in backward().items()}


class CountedValidation(Wrapped):
    def __init__(self, model):
        super().__init__(model)
        self.validated = []

    def validate(self, batch):
        self.validated.append(len(batch[0]))
        return super().validate(batch)


# -- batch order -----------------------------------------------------------------------------------


def test_epoch_batches_is_a_reproducible_permutation_cut_into_batches():
    plan = epoch_batches(150, 64, seed=7, epoch=2)
    assert [len(rows) for rows in plan] == [64, 64, 22]
    assert np.array_equal(np.sort(np.concatenate(plan)), np.arange(150))
    again = epoch_batches(150, 64, seed=7, epoch=2)
    assert all(np.array_equal(a, b) for a, b in zip(plan, again, strict=True))
    for other in (epoch_batches(150, 64, seed=7, epoch=3), epoch_batches(150, 64, seed=8, epoch=2)):
        assert not np.array_equal(np.concatenate(plan), np.concatenate(other))


@pytest.mark.parametrize(
    "args, message",
    [
        ((0, 4, 0, 0), "empty"),
        ((10, 0, 0, 0), "batch_size"),
        ((10, 2.5, 0, 0), "batch_size"),
        ((10, 4, -1, 0), "seed"),
    ],
)
def test_epoch_batches_rejects_bad_arguments(args, message):
    with pytest.raises(InputError, match=message):
        epoch_batches(*args)


def test_fit_rejects_bad_data_and_settings(digits):
    x, y = digits
    model = small_mlp()
    with pytest.raises(InputError, match="different numbers of rows"):
        train(model, (x, y[:-1]))
    with pytest.raises(InputError, match="0 rows"):
        train(model, (x[:0], y[:0]))
    with pytest.raises(InputError, match="tuple of arrays"):
        train(model, x)
    with pytest.raises(InputError, match="checkpoint_every"):
        train(model, (x, y), checkpoint="c.safetensors", checkpoint_every=0)


def test_data_is_validated_once_where_it_enters(digits):
    """Arrays are validated once, all rows as one batch, not at every step; a batch source without
    ``check_model`` has each batch validated."""
    x, y = digits
    model = CountedValidation(small_mlp())
    history = train(model, (x, y), epochs=2)
    assert model.validated == [600] and len(history.step_loss) == 38

    class Batches:  # a batch source of its own, which vouches for nothing
        def epoch(self, epoch):
            return [(x[:100], y[:100]), (x[100:150], y[100:150])]

    model = CountedValidation(small_mlp())
    fit(model, SGD(model.parameters(), lr=0.1), Batches(), epochs=2, progress="off")
    assert model.validated == [100, 50, 100, 50]
    with pytest.raises(InputError, match="reduction must be one of 'mean', 'sum'"):
        train(small_mlp(), (x, y), reduction="total")


def test_the_old_module_name_is_the_same_loop():
    import numpy_impl.train
    import numpy_impl.training

    assert numpy_impl.train.fit is numpy_impl.training.fit
    assert set(numpy_impl.train.__all__) >= {
        "fit",
        "History",
        "DivergedError",
        "load_checkpoint",
        "epoch_batches",
    }


# -- training, history, evaluation -----------------------------------------------------------------


def test_fit_learns_and_keeps_a_history_with_evaluations(digits):
    x, y = digits
    model = small_mlp()
    calls = []

    def evaluate(m):
        calls.append(1)
        return {"accuracy": np.mean(m.logits(x).argmax(1) == y)}

    history = train(model, (x, y), epochs=4, evaluate=evaluate)
    assert len(history.step_loss) == 4 * 19  # ceil(600 / 32) steps per epoch
    assert len(calls) == 4 and [r["epoch"] for r in history.epochs] == [1, 2, 3, 4]
    losses, accuracy = history.metric("loss"), history.metric("accuracy")
    assert losses[-1] < 0.5 * losses[0] and accuracy[-1] > 0.9
    weights = np.array([len(r) for r in epoch_batches(600, 32, 5, 3)], dtype=float)
    assert np.isclose(losses[-1], np.dot(history.step_loss[-19:], weights) / 600)  # mean over examples


def test_fit_is_deterministic_and_the_seed_matters(digits):
    runs = [small_mlp(), small_mlp(), small_mlp()]
    for model, seed in zip(runs, (5, 5, 6), strict=True):
        train(model, digits, epochs=1, seed=seed)
    assert_same_weights(runs[0].state_dict(), runs[1].state_dict())
    assert not np.array_equal(
        runs[0].parameters()["layers.0.weight"], runs[2].parameters()["layers.0.weight"]
    )


def test_progress_prints_one_line_per_epoch_when_not_a_terminal(digits, capsys):
    train(small_mlp(), digits, epochs=3, progress="auto", desc="mlp")
    err = capsys.readouterr().err
    assert "\r" not in err
    lines = err.strip().splitlines()
    assert (
        len(lines) == 3
        and lines[0].startswith("mlp epoch 1/3  loss ")
        and lines[2].startswith("mlp epoch 3/3")
    )


def test_the_torch_loop_sees_the_same_batches(digits):
    torch = pytest.importorskip("torch")
    import torch_impl
    from torch_impl.train import fit as fit_torch

    x, y = digits

    def run(engine_fit, model, sgd, epochs=2, seed=5):
        opt = sgd(model.parameters(), lr=0.1)
        return engine_fit(model, opt, (x, y), epochs=epochs, batch_size=32, seed=seed, progress="off")

    numpy_model = small_mlp()
    torch_model = torch_impl.MLP((64, 32, 10), seed=3, dtype=np.float64)
    numpy_history = run(fit, numpy_model, SGD)
    torch_history = run(fit_torch, torch_model, torch.optim.SGD)
    assert len(numpy_history.step_loss) == len(torch_history.step_loss) == 38
    assert np.max(np.abs(np.subtract(numpy_history.step_loss, torch_history.step_loss))) < 1e-12
    torch_weights = torch_impl.to_numpy_state_dict(torch_model.state_dict())
    for name, value in numpy_model.state_dict().items():
        assert np.max(np.abs(value - torch_weights[name])) < 1e-12, name
    # a different batch order is visible at once: the test above would catch a mismatch
    other = torch_impl.MLP((64, 32, 10), seed=3, dtype=np.float64)
    reordered = run(fit_torch, other, torch.optim.SGD, epochs=1, seed=6)
    assert abs(reordered.step_loss[1] - numpy_history.step_loss[1]) > 1e-6


# -- divergence --------------------------------------------------------------------------------


def test_a_nan_loss_stops_training_naming_the_step_and_keeps_the_last_good_checkpoint(digits, tmp_path):
    path = tmp_path / "ckpt.safetensors"
    model = small_mlp()
    with pytest.raises(
        DivergedError, match=r"nan at step 23 \(epoch 2, batch 4 of 19\).*after step 20.*intact"
    ):
        train(NaNAtCall(model, 23), digits, checkpoint=path, checkpoint_every=5)
    checkpoint = load_checkpoint(path)
    assert checkpoint.step == 20 and (checkpoint.epoch, checkpoint.batch) == (1, 1)
    assert all(np.isfinite(v).all() for v in checkpoint.weights.values())
    # the last good checkpoint is a sound place to go on from: resuming gives the uninterrupted run
    resumed, reference = small_mlp(), small_mlp()
    train(resumed, digits, checkpoint=path, checkpoint_every=5, resume=True)
    train(reference, digits)
    assert_same_weights(resumed.state_dict(), reference.state_dict())


def test_real_divergence_is_stopped_before_a_broken_checkpoint(digits, tmp_path):
    path = tmp_path / "ckpt.safetensors"
    model = small_mlp()
    optimizer = SGD(model.parameters(), lr=1e308)  # the first update makes the logits overflow
    with np.errstate(all="ignore"), pytest.raises(DivergedError, match="step") as info:
        fit(
            model,
            optimizer,
            digits,
            epochs=2,
            batch_size=32,
            checkpoint=path,
            checkpoint_every=1,
            progress="off",
        )
    assert "nan" in str(info.value).lower() or "inf" in str(info.value).lower()
    assert path.exists() and all(np.isfinite(v).all() for v in load_checkpoint(path).weights.values())


# -- checkpoints and resume --------------------------------------------------------------------------


def test_checkpoint_holds_weights_optimizer_state_and_position(digits, tmp_path):
    path = tmp_path / "ckpt.safetensors"
    model = small_mlp()
    history = train(model, digits, epochs=1, checkpoint=path, checkpoint_every=7)
    checkpoint = load_checkpoint(path)
    assert (checkpoint.epoch, checkpoint.batch, checkpoint.step) == (1, 0, 19)
    assert_same_weights(checkpoint.weights, model.state_dict())
    assert checkpoint.history.step_loss == history.step_loss and checkpoint.history.epochs == history.epochs
    state = checkpoint.optimizer_state
    assert state["hparams"]["momentum"] == 0.9 and state["steps"] == 19
    assert set(state["state"]) == set(model.parameters())
    assert all(set(buffers) == {"momentum_buffer"} for buffers in state["state"].values())
    assert list(tmp_path.iterdir()) == [path]  # no temp file left behind


@pytest.mark.parametrize("stop", [8, 20, 38, 39])  # mid-epoch; first of epoch 2; last of epoch 2; first of 3
def test_resume_after_an_interruption_gives_the_uninterrupted_weights(digits, tmp_path, stop):
    path = tmp_path / "ckpt.safetensors"
    reference = small_mlp()
    reference_history = train(
        NoisyGradients(reference, 11), digits, evaluate=lambda m: {"w": m.parameters()["layers.1.bias"][0]}
    )

    model = small_mlp()
    with pytest.raises(Interrupted):
        train(NoisyGradients(StopAtCall(model, stop), 11), digits, checkpoint=path, checkpoint_every=3)
    resumed = small_mlp()
    history = train(
        NoisyGradients(resumed, 11),
        digits,
        checkpoint=path,
        checkpoint_every=3,
        resume=True,
        evaluate=lambda m: {"w": m.parameters()["layers.1.bias"][0]},
    )
    assert_same_weights(resumed.state_dict(), reference.state_dict())
    assert history.step_loss == reference_history.step_loss
    assert history.epochs[-1] == reference_history.epochs[-1]


def test_resume_without_a_checkpoint_starts_fresh_and_a_finished_run_stays_finished(digits, tmp_path):
    path = tmp_path / "ckpt.safetensors"
    first, reference = small_mlp(), small_mlp()
    train(first, digits, epochs=2, checkpoint=path, resume=True)
    train(reference, digits, epochs=2)
    assert_same_weights(first.state_dict(), reference.state_dict())
    again = small_mlp(seed=99)  # different initial weights: all of them must come from the checkpoint
    history = train(again, digits, epochs=2, checkpoint=path, resume=True)
    assert len(history.step_loss) == 38
    assert_same_weights(again.state_dict(), reference.state_dict())
    longer, longer_reference = small_mlp(), small_mlp()  # more epochs than the checkpointed run: it goes on
    train(longer, digits, epochs=3, checkpoint=path, resume=True)
    train(longer_reference, digits, epochs=3)
    assert_same_weights(longer.state_dict(), longer_reference.state_dict())


def test_resume_refuses_a_checkpoint_of_another_run(digits, tmp_path):
    path = tmp_path / "ckpt.safetensors"
    train(small_mlp(), digits, epochs=1, checkpoint=path)
    with pytest.raises(InputError, match="seed=5, this run has seed=6"):
        train(small_mlp(), digits, checkpoint=path, resume=True, seed=6)
    with pytest.raises(InputError, match="n_rows"):
        train(small_mlp(), (digits[0][:500], digits[1][:500]), checkpoint=path, resume=True)
    with pytest.raises(
        InputError, match=r"model.sizes=\[64, 32, 10\], this run has model.sizes=\[64, 16, 10\]"
    ):
        other = numpy_impl.MLP((64, 16, 10), seed=3, dtype=np.float64)
        train(other, digits, checkpoint=path, resume=True)
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="not a readable checkpoint"):
        load_checkpoint(path)


def test_a_failed_checkpoint_write_leaves_the_previous_checkpoint(digits, tmp_path, monkeypatch):
    import numpy_impl.state

    path = tmp_path / "ckpt.safetensors"
    train(small_mlp(), digits, epochs=1, checkpoint=path)
    before = path.read_bytes()

    def crash_midway(tensors, filename, metadata=None):
        Path(filename).write_bytes(b"half a checkp")
        raise OSError("disk full")

    monkeypatch.setattr(numpy_impl.state, "save_file", crash_midway)
    with pytest.raises(OSError, match="disk full"):
        train(small_mlp(), digits, epochs=2, checkpoint=path, resume=True)
    assert path.read_bytes() == before
    assert list(tmp_path.iterdir()) == [path]


CHILD = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    import numpy_impl
    from numpy_impl.data import load_digits
    from numpy_impl.optim import SGD
    from numpy_impl.state import save_safetensors
    from numpy_impl.train import fit

    mode, checkpoint, out = sys.argv[1:4]
    x, y = load_digits()
    model = numpy_impl.MLP((64, 32, 10), seed=3, dtype=np.float64)

    class Announced:  # tells the parent each step it starts; slow mode gives it time to kill us mid-epoch
        def __init__(self, model):
            self.model, self.calls = model, 0

        def parameters(self):
            return self.model.parameters()

        def validate(self, batch):
            return self.model.validate(batch)

        def loss_and_backward(self, batch, reduction):
            self.calls += 1
            print(self.calls, flush=True)
            if mode == "slow":
                time.sleep(0.01)
            return self.model.loss_and_backward(batch, reduction)

    fit(Announced(model), SGD(model.parameters(), lr=0.05, momentum=0.9), (x[:600], y[:600]), epochs=3,
        batch_size=32, seed=5, checkpoint=checkpoint or None, checkpoint_every=5, resume=True, progress="off")
    save_safetensors(model.state_dict(), out)
    """
)


def run_child(mode, checkpoint, out, **popen):
    env = os.environ | THREADS
    args = [sys.executable, "-c", CHILD, mode, str(checkpoint or ""), str(out)]
    return subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen
    )


def test_kill_9_mid_epoch_then_resume_gives_bit_identical_weights(tmp_path):
    from numpy_impl.state import load_safetensors

    reference = run_child("fast", None, tmp_path / "reference.safetensors")
    assert reference.wait(timeout=120) == 0, reference.stderr.read()

    path = tmp_path / "ckpt.safetensors"
    victim = run_child("slow", path, tmp_path / "never.safetensors")
    seen = 0
    while seen < 27:  # epoch 2 has steps 20..38: kill it in the middle of that epoch
        line = victim.stdout.readline()
        assert line, f"the child ended before being killed: {victim.stderr.read()}"
        seen = int(line)
    victim.send_signal(signal.SIGKILL)
    assert victim.wait(timeout=30) == -signal.SIGKILL
    assert not (tmp_path / "never.safetensors").exists()

    checkpoint = load_checkpoint(path)  # complete and readable although the process died
    assert checkpoint.epoch == 1 and 0 < checkpoint.batch < 19 and checkpoint.step % 5 == 0

    resumed = run_child("fast", path, tmp_path / "resumed.safetensors")
    out, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    assert len(out.split()) == 57 - checkpoint.step  # it went on from the checkpoint, not from scratch
    assert_same_weights(
        load_safetensors(tmp_path / "resumed.safetensors"),
        load_safetensors(tmp_path / "reference.safetensors"),
    )
