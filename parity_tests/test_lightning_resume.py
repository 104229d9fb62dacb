"""Exact resume beyond Lightning: a ``paritynets-train fit`` killed with SIGKILL in the middle of an
epoch and started again with ``--ckpt_path last`` ends with the weights and optimizer state of the
uninterrupted run, bit for bit (float64, CPU), with no worker processes and with two."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from scripts.train import main

ROOT = Path(__file__).resolve().parents[1]
# 719 steps per epoch (batch 2): the kill lands well inside the first epoch
ARGS = [
    "fit",
    "--config",
    str(ROOT / "configs/mlp.yaml"),
    "--model.init_args.dtype",
    "float64",
    "--model.init_args.sizes",
    "[64, 32, 10]",
    "--model.init_args.optimizer",
    "adam",
    "--model.init_args.lr",
    "0.001",
    "--data.init_args.batch_size",
    "2",
    "--trainer.max_epochs",
    "2",
    "--checkpoint_every",
    "50",
    "--progress",
    "off",
]
STEPS = 2 * 719


def command(root, num_workers, *extra):
    args = [*ARGS, "--trainer.default_root_dir", str(root), "--data.init_args.num_workers", str(num_workers)]
    return [sys.executable, "-m", "scripts.train", *args, *extra]


def environment():
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


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
