"""A real SLURM job: a one-node cluster started in a temporary directory (``slurm_cluster.py``),
``scripts/slurm/train.sbatch`` submitted with ``sbatch`` (2 tasks, ``srun``), SIGUSR1 sent to its
tasks mid-epoch (what ``--signal=SIGUSR1@90`` sends before the time limit): the run writes
``last.ckpt`` at a step boundary and requeues itself, SLURM starts the script again, and the
requeued job resumes and ends with the weights every other DDP launch path trains, bit for bit.
Skipped, with the reason, only where SLURM's daemons are not installed or not run as root."""

import sys
import time

import pytest
import slurm_cluster
import torch
from ddp_cases import ROOT, STEPS, agreed_digest, ddp_reference, environment, fit_args, model_digest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        slurm_cluster.missing() is not None, reason=f"no SLURM here: {slurm_cluster.missing()}"
    ),
]
TIMEOUT = 240


def job_arguments(root):
    """``fit_args`` without ``fit`` and the config files (the script adds them), each step paused
    (``SlowSteps``) so that the signal lands mid-run however slowly it is delivered."""
    args = fit_args(root)[1:]
    for _ in range(2):  # the model's config, then the trainer's
        i = args.index("--config")
        del args[i : i + 2]
    return [*args, "--trainer.callbacks+=slurm_cluster.SlowSteps"]


def wait_for(condition, what, details=lambda: "", timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} after {timeout} s{details()}")
        time.sleep(0.05)


def tail(log):
    return log.read_text()[-4000:] if log.exists() else f"(no {log} yet)"


def requeued(cluster, job, log):
    """Whether the job has been requeued and runs again; an error, with the job's log, when it
    ended instead (not requeued, or its second run failed). A requeued job pends for the
    credential lifetime (``slurm_cluster.CRED_EXPIRE``) before it starts."""
    fields = cluster.job(job)
    again = fields.get("Restarts", "0") != "0"
    if fields["JobState"] in slurm_cluster.ENDED and not (again and fields["JobState"] == "COMPLETED"):
        raise AssertionError(
            f"the job ended {fields['JobState']} ({fields.get('ExitCode')}), "
            f"{'after' if again else 'without'} being requeued:\n{tail(log)}{cluster.logs()}"
        )
    return again and fields["JobState"] in ("RUNNING", "COMPLETED")  # COMPLETING: still the first run


def test_an_sbatch_job_requeued_on_sigusr1_resumes_and_ends_with_the_ddp_weights(tmp_path):
    reference = ddp_reference()
    root, log = tmp_path / "run", tmp_path / "job.log"
    last = root / "version_0/checkpoints/last.ckpt"
    env = environment()
    env |= {"PARITYNETS_PYTHON": sys.executable, "PYTHONPATH": f"{ROOT / 'parity_tests'}:{env['PYTHONPATH']}"}
    with slurm_cluster.Cluster(tmp_path / "cluster") as cluster:
        script = ROOT / "scripts/slurm/train.sbatch"
        job = cluster.submit(
            script, str(ROOT / "configs/mlp.yaml"), *job_arguments(root), cwd=ROOT, env=env, output=log
        )

        def details():
            return f"\n{cluster.job(job)}\n{tail(log)}{cluster.logs()}"

        wait_for(last.exists, f"no {last}", details)
        cluster.run(["scancel", "--signal=USR1", job])  # to the job's tasks, as --signal=SIGUSR1@90 does
        wait_for(lambda: requeued(cluster, job, log), "the job was not requeued and started again", details)
        ended = cluster.wait(job, TIMEOUT)
        output = log.read_text()
        assert ended["JobState"] == "COMPLETED" and ended["ExitCode"] == "0:0", (
            output[-4000:] + cluster.logs()
        )
    assert "restart 0: 1 node(s) x 2 task(s)" in output and "restart 1: 1 node(s) x 2 task(s)" in output
    requeued_at = int(output.split("requeue: wrote ")[1].split(" at step ")[1].split(";")[0])
    assert 0 < requeued_at < STEPS and requeued_at % 10 == 0  # a checked step boundary, mid-run
    assert f"Restored all states from the checkpoint at {last}" in output
    assert torch.load(last, weights_only=False)["global_step"] == STEPS
    assert model_digest(root) == reference and reference.startswith(agreed_digest(output))
