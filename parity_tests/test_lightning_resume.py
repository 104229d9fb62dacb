"""Exact resume beyond Lightning: a ``paritynets-train fit`` killed with SIGKILL in the middle of an
epoch and started again with ``--ckpt_path last`` ends with the weights and optimizer state of the
uninterrupted run, bit for bit (float64, CPU), with no worker processes and with two."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import torch
from ddp_cases import ROOT, environment, fit_args, train_command

from scripts.train import main

# the launch paths' experiment in one process at batch 2: 719 steps per epoch (1,437 rows), the kill
# lands well inside the first epoch
STEPS = 2 * 719


def command(root, num_workers, *extra):
    args = fit_args(root, trainer_config=None, batch_size=2)
    return train_command(*args, "--progress", "off", "--data.init_args.num_workers", str(num_workers), *extra)


def kill_after_first_checkpoint(root, num_workers, log):
    """Start the run, SIGKILL its process group once last.ckpt exists; the killed run's checkpoint."""
    last = root / "version_0/checkpoints/last.ckpt"
    with open(log, "w") as out:
        run = subprocess.Popen(
            command(root, num_workers),
            cwd=ROOT,
            env=environment(),
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
        deadline = time.monotonic() + 180
        while not last.exists() and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
    assert run.returncode == -signal.SIGKILL, Path(log).read_text()[-3000:]
    return torch.load(last, weights_only=False)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    root = tmp_path_factory.mktemp("whole")
    assert main([*command(root, 0)[3:]]) == 0
    return torch.load(root / "version_0/checkpoints/last.ckpt", weights_only=False)


@pytest.mark.parametrize("num_workers", [0, 2])
def test_a_run_killed_mid_epoch_resumes_bit_for_bit(num_workers, uninterrupted, tmp_path):
    killed = kill_after_first_checkpoint(tmp_path, num_workers, tmp_path / "killed.log")
    (position,) = killed["loops"]["fit_loop"]["state_dict"]["combined_loader"]
    assert killed["global_step"] < 719 and position == {
        "epoch": 0,
        "batch": killed["global_step"],
    }  # mid-epoch
    resumed = subprocess.run(
        command(tmp_path, num_workers, "--ckpt_path", "last"),
        cwd=ROOT,
        env=environment(),
        capture_output=True,
        text=True,
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    final = torch.load(tmp_path / "version_0/checkpoints/last.ckpt", weights_only=False)
    assert final["global_step"] == uninterrupted["global_step"] == STEPS
    for name, value in uninterrupted["state_dict"].items():
        assert torch.equal(final["state_dict"][name], value), f"{name} differs after the resume"
    for mine, theirs in zip(
        final["optimizer_states"][0]["state"].values(),
        uninterrupted["optimizer_states"][0]["state"].values(),
        strict=True,
    ):
        assert all(torch.equal(mine[k], theirs[k]) for k in theirs)


def test_a_checkpoint_write_that_fails_midway_leaves_the_previous_file(tmp_path, monkeypatch):
    import torch_impl.lightning.checkpoint_io as checkpoint_io

    io = checkpoint_io.AtomicCheckpointIO()
    path = tmp_path / "checkpoints/last.ckpt"
    io.save_checkpoint({"step": 1}, path)

    def torn_write(obj, f):
        Path(f).write_bytes(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint_io.torch, "save", torn_write)
    with pytest.raises(OSError, match="disk full"):
        io.save_checkpoint({"step": 2}, path)
    assert torch.load(path, weights_only=True) == {"step": 1}
    assert [p.name for p in path.parent.iterdir()] == ["last.ckpt"]  # no temporary file left behind
