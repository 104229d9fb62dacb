"""Every way of starting two DDP ranks trains the same weights (float64, CPU, gloo), end to end
through ``paritynets-train`` in subprocesses: the CLI with ``configs/trainer/ddp.yaml`` (Lightning
starts rank 1), ``torchrun --nproc_per_node=2``, two nodes on this machine (``torchrun --nnodes=2``
twice, a 127.0.0.1 rendezvous, ``configs/trainer/multinode.yaml``), and a DDP run killed with
SIGKILL mid-epoch and resumed from ``last.ckpt``. Each ends bit for bit with the weights of 2 ranks
forked in-process (their SHA-256), within 1e-10 of one process at twice the batch, its two ranks
agreeing (the line they print). Skip-gram, sparse tables all-reduced by gloo, trains on two started
ranks what the one loop trains on the ranks' batches put together."""

import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from ddp_cases import (
    MULTINODE,
    ROOT,
    STEPS,
    agreed_digest,
    ddp_reference,
    environment,
    fit_args,
    free_port,
    loop_on_the_ranks_batches,
    max_difference,
    model_digest,
    one_process_reference,
    run_weights,
    state_of,
    torchrun_command,
    train_command,
)
from lightning_cases import TEXT

from torch_impl.lightning import SkipGramSystem, TextData

pytestmark = pytest.mark.slow
TIMEOUT = 300


def run(command):
    done = subprocess.run(
        command, cwd=ROOT, env=environment(), capture_output=True, text=True, timeout=TIMEOUT
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    return output


def check_launch(output, root):
    """The run's ranks agreed on their weights, which are the forked ranks' and, within 1e-10,
    one process's at twice the batch."""
    digest = model_digest(root)
    assert digest.startswith(agreed_digest(output)) and digest == ddp_reference()
    assert max_difference(run_weights(root)[0], one_process_reference()) <= 1e-10


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    return run(train_command(*fit_args(root))), root


def test_the_cli_with_the_ddp_config_trains_what_one_process_of_twice_the_batch_trains(cli_run):
    output, root = cli_run
    check_launch(output, root)
    assert "distributed_backend=gloo" in output and "GLOBAL_RANK: 1, MEMBER: 2/2" in output
    rows = (root / "version_0/metrics.csv").read_text().splitlines()
    records = [dict(zip(rows[0].split(","), r.split(","), strict=True)) for r in rows[1:]]
    accuracy = [float(r["val_accuracy"]) for r in records if r.get("val_accuracy")]
    assert len(accuracy) == 2 and 0.85 < accuracy[-1] < 1.0  # validation ran on the two shares


def test_torchrun_with_two_processes_trains_the_same_weights(tmp_path):
    options = ["--nnodes=1", "--nproc_per_node=2", "--master_addr=127.0.0.1", f"--master_port={free_port()}"]
    check_launch(run([*torchrun_command(*options), *fit_args(tmp_path)]), tmp_path)


def test_two_nodes_on_this_machine_train_the_same_weights(tmp_path):
    port, nodes = free_port(), []
    for node_rank in (0, 1):
        options = ["--nnodes=2", f"--node_rank={node_rank}", "--nproc_per_node=1"]
        options += ["--master_addr=127.0.0.1", f"--master_port={port}"]
        command = [*torchrun_command(*options), *fit_args(tmp_path, trainer_config=MULTINODE)]
        log = open(tmp_path / f"node{node_rank}.log", "w")  # noqa: SIM115 (closed below)
        nodes.append((subprocess.Popen(command, cwd=ROOT, env=environment(), stdout=log, stderr=log), log))
    for process, log in nodes:
        process.wait(timeout=TIMEOUT)
        log.close()
    outputs = [(tmp_path / f"node{r}.log").read_text() for r in (0, 1)]
    assert [p.returncode for p, _ in nodes] == [0, 0], outputs[0][-3000:] + outputs[1][-3000:]
    assert "GLOBAL_RANK: 0, MEMBER: 1/2" in outputs[0] and "GLOBAL_RANK: 1, MEMBER: 2/2" in outputs[1]
    check_launch(outputs[0], tmp_path)


def children(pid):
    """The pids of a process's children (Linux)."""
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def start_and_kill_after_first_checkpoint(root, whole_group=True):
    """Start the DDP run and SIGKILL it once last.ckpt exists: both ranks, or rank 1 alone (the
    child Lightning started). The finished launcher and what it printed."""
    last = root / "version_0/checkpoints/last.ckpt"
    with open(root / "killed.log", "w") as log:
        started = subprocess.Popen(
            train_command(*fit_args(root)),
            cwd=ROOT,
            env=environment(),
            stdout=log,
            stderr=log,
            start_new_session=True,  # rank 1 is its child: the group dies at once
        )
        deadline = time.monotonic() + TIMEOUT
        while not (last.exists() and children(started.pid)) and started.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.005)
        if whole_group:
            os.killpg(started.pid, signal.SIGKILL)
        else:
            for rank_1 in children(started.pid):
                os.kill(rank_1, signal.SIGKILL)
        try:
            started.wait(timeout=120)  # rank 0 must notice, not wait in a collective for its timeout
        finally:
            if started.poll() is None:  # rank 0 hung: end it, the assertions below fail
                os.killpg(started.pid, signal.SIGKILL)
    return started, (root / "killed.log").read_text()


def resume_ends_as_the_uninterrupted_run(root, uninterrupted):
    output = run(train_command(*fit_args(root), "--ckpt_path", "last"))
    check_launch(output, root)
    resumed, uninterrupted = run_weights(root)[1], run_weights(uninterrupted)[1]
    assert resumed["global_step"] == uninterrupted["global_step"] == STEPS
    states = zip(*(c["optimizer_states"][0]["state"].values() for c in (resumed, uninterrupted)), strict=True)
    for mine, theirs in states:
        assert all(np.array_equal(mine[k].numpy(), theirs[k].numpy()) for k in ("exp_avg", "exp_avg_sq"))


def test_a_ddp_run_killed_mid_epoch_and_resumed_from_last_ckpt_ends_as_the_uninterrupted_run(
    cli_run, tmp_path
):
    started, output = start_and_kill_after_first_checkpoint(tmp_path)
    assert started.returncode == -signal.SIGKILL, output[-3000:]
    killed_at = torch.load(tmp_path / "version_0/checkpoints/last.ckpt", weights_only=False)["global_step"]
    assert 0 < killed_at < STEPS // 2  # in the first epoch
    resume_ends_as_the_uninterrupted_run(tmp_path, cli_run[1])


def test_a_ddp_run_whose_rank_1_is_killed_stops_in_one_line_and_resumes_as_the_uninterrupted_run(
    cli_run, tmp_path
):
    started, output = start_and_kill_after_first_checkpoint(tmp_path, whole_group=False)
    assert started.returncode == 1, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    last_line = output.strip().splitlines()[-1]
    assert last_line.startswith("paritynets-train: rank 0 of 2: another process of this DDP run stopped")
    assert "--ckpt_path last" in last_line
    assert not list(tmp_path.rglob("*.tmp"))
    checkpoint = torch.load(tmp_path / "version_0/checkpoints/last.ckpt", weights_only=False)
    assert 0 < checkpoint["global_step"] < STEPS
    resume_ends_as_the_uninterrupted_run(tmp_path, cli_run[1])


def test_skipgram_with_sparse_tables_on_two_ranks_trains_what_the_loop_trains_on_their_batches(tmp_path):
    data_args = [f"--data.init_args.{k}={v}" for k, v in TEXT.items()]
    args = [
        *data_args,
        "--model.init_args.dim=16",
        "--model.init_args.dtype=float64",
        "--trainer.max_epochs=2",
    ]
    args += ["--trainer.accelerator=cpu", f"--trainer.default_root_dir={tmp_path}", "--progress=off"]
    config = [
        "--config",
        str(ROOT / "configs/skipgram.yaml"),
        "--config",
        str(ROOT / "configs/trainer/ddp.yaml"),
    ]
    output = run(train_command("fit", *config, *args))
    assert model_digest(tmp_path).startswith(agreed_digest(output)) and "dense embedding" not in output
    data = TextData(**TEXT)
    model = SkipGramSystem(vocab_size=len(data.vocabulary), dim=16, dtype="float64", sparse=True).model
    loop_on_the_ranks_batches(model, data.skipgram_data, epochs=2)
    weights = run_weights(tmp_path)[0]
    assert max_difference(weights, state_of(model)) <= 1e-10
