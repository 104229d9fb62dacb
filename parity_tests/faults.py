"""The fault battery's drivers: runs killed with SIGKILL at random moments, then resumed.

    python parity_tests/faults.py numpy DIR [KILLS] [SEED]       # the NumPy loop (default 100 kills)
    python parity_tests/faults.py lightning DIR [KILLS] [SEED]   # paritynets-train fit (default 30)

Each prints its figures as one JSON line. A driver is a fresh interpreter that imports the code
once and forks every run, so a run starts in milliseconds, shares nothing with the others (each
trial has its own folder) and is a real process that ``kill -9`` ends wherever it is: in a step,
in the middle of a checkpoint write, in the set-up. A trial starts a run, kills it after a random
delay drawn from [0, the length of an uninterrupted run), checks that every checkpoint on disk
reads back whole, starts the run again (resuming from the checkpoint when there is one), lets it
finish, and compares its final weights and optimizer state with those of the uninterrupted run,
bit for bit; it also counts the temporary files and locks left after that next start. A kill
that comes after the run has finished is not counted as one: the trial is drawn again.
"""

import json
import os
import random
import re
import shutil
import signal
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def forked(function, *args, log=None):
    """Run ``function(*args)`` in a child process (stdout and stderr to ``log``); its pid."""
    pid = os.fork()
    if pid:
        return pid
    try:
        fd = os.open(log or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        code = function(*args) or 0
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def wait(pid):
    """('killed', None) or ('exited', status) of a child."""
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return "killed", os.WTERMSIG(status)
    return "exited", os.WEXITSTATUS(status)


def timed(run, folder):
    """Seconds a forked ``run(folder)`` takes from start to finish (the folder is removed after)."""
    folder.mkdir(parents=True)
    started = time.perf_counter()
    status = wait(forked(run, folder, log=folder / "log"))
    seconds = time.perf_counter() - started
    assert status == ("exited", 0), (folder / "log").read_text()[-3000:]
    shutil.rmtree(folder)
    return seconds


def battery(kind, root, kills, seed, signals=4):
    """The figures of ``kills`` kills of ``kind``'s run ("numpy" or "lightning") under ``root``."""
    started = time.perf_counter()
    trials = NumpyTrials(root) if kind == "numpy" else LightningTrials(root)
    length = trials.reference()
    rng, figures, number = random.Random(seed), Counter(), 0
    while figures["kills"] < kills:
        folder = root / f"trial{number:03d}"
        number += 1
        folder.mkdir(parents=True)
        pid = forked(trials.run, folder, log=folder / "killed.log")
        time.sleep(rng.uniform(0.0, 0.9 * length))  # a little short of the fastest run: few redraws
        os.kill(pid, signal.SIGKILL)
        if wait(pid) != ("killed", signal.SIGKILL):
            figures["finished before the kill (drawn again)"] += 1
            shutil.rmtree(folder)
            continue
        figures["kills"] += 1
        figures = trials.after_kill(folder, figures)
        resumed = wait(forked(trials.run, folder, log=folder / "resumed.log"))
        if resumed != ("exited", 0):
            figures["resumes that failed"] += 1
            print((folder / "resumed.log").read_text()[-3000:], file=sys.stderr)
            continue
        figures = trials.after_resume(folder, figures)
        shutil.rmtree(folder)
    for i in range(signals):
        figures = stop_trial(
            trials, root / f"stop{i}", (signal.SIGINT, signal.SIGTERM)[i % 2], rng, length, figures
        )
    figures["uninterrupted run (s)"] = round(length, 3)
    figures["battery (s)"] = round(time.perf_counter() - started, 1)
    return dict(figures)


def stop_trial(trials, folder, signum, rng, length, figures):
    """Ctrl-C or SIGTERM in the middle of training: the run must end with 128 + signum and one
    line naming the step, its checkpoint must hold that step, and the resumed run must end as
    the uninterrupted one."""
    folder.mkdir(parents=True)
    log = folder / "stopped.log"
    pid = forked(trials.run, folder, log=log)
    while not trials.checkpointed(folder) and not os.waitpid(pid, os.WNOHANG)[0]:
        time.sleep(0.001)
    time.sleep(rng.uniform(0.0, length / 4))
    os.kill(pid, signum)
    status = wait(pid)
    lines = [line for line in log.read_text().splitlines() if trials.ours(line)]
    step = trials.step_named(lines[-1]) if lines else None
    name = signal.Signals(signum).name
    figures = count(
        figures,
        **{
            f"stops by {name}": True,
            f"stops by {name} with status {128 + signum}": status == ("exited", 128 + signum),
            f"stops by {name} in one line": len(lines) == 1 and name in lines[0],
            f"stops by {name} checkpointed at the step they name": step is not None
            and step == trials.saved_step(folder),
        },
    )
    if wait(forked(trials.run, folder, log=folder / "resumed.log")) == ("exited", 0):
        figures = trials.after_resume(folder, figures, f"stops by {name}: ")
    shutil.rmtree(folder)
    return figures


def count(figures, **more):
    out = Counter(figures)
    for key, value in more.items():
        out[key.replace("_", " ")] += int(value)  # keyword spellings read as words
    return out


class NumpyTrials:
    """An MLP trained with Adam by ``numpy_impl.training.fit``, a checkpoint after every step."""

    def __init__(self, root):
        import numpy as np

        self.root, self.np = root, np
        rng = np.random.default_rng(0)
        self.data = rng.standard_normal((160, 6)), rng.integers(0, 3, 160)

    def fit(self, checkpoint=None):
        import numpy_impl
        from numpy_impl.optim import Adam
        from numpy_impl.training import fit

        model = numpy_impl.MLP((6, 16, 3), seed=0, dtype=self.np.float64)
        optimizer = Adam(model.parameters(), lr=0.01)
        options = {"epochs": 3, "batch_size": 8, "seed": 1, "progress": "off"}
        if checkpoint is not None:
            options |= {"checkpoint": checkpoint, "checkpoint_every": 1, "resume": True}
        fit(model, optimizer, self.data, **options)
        return model, optimizer

    def run(self, folder):
        from numpy_impl.state import save_safetensors
        from numpy_impl.stopping import Stopped

        try:
            model, optimizer = self.fit(folder / "ckpt.safetensors")
        except Stopped as stop:
            print(f"fit: {stop}", flush=True)
            return stop.code
        buffers = {f"{n}.{k}": v for n, s in optimizer.state_dict()["state"].items() for k, v in s.items()}
        save_safetensors(model.state_dict() | buffers, folder / "final.safetensors")

    def reference(self):
        model, optimizer = self.fit()
        state = optimizer.state_dict()["state"]
        self.expected = model.state_dict() | {f"{n}.{k}": v for n, s in state.items() for k, v in s.items()}
        return min(timed(self.run, self.root / f"timing{i}") for i in range(2))

    def checkpointed(self, folder):
        return (folder / "ckpt.safetensors").exists()

    def ours(self, line):
        return line.startswith("fit: ")

    def step_named(self, line):
        found = re.search(r"holds step (\d+)", line)
        return int(found[1]) if found else None

    def saved_step(self, folder):
        from numpy_impl.training import load_checkpoint

        return load_checkpoint(folder / "ckpt.safetensors").step

    def after_kill(self, folder, figures):
        from numpy_impl.checks import InputError
        from numpy_impl.files import temporaries
        from numpy_impl.training import load_checkpoint

        path = folder / "ckpt.safetensors"
        corrupt = False
        if path.exists():
            try:
                load_checkpoint(path)
            except InputError:
                corrupt = True
        return count(
            figures,
            killed_before_the_first_checkpoint=not path.exists(),
            corrupt_checkpoints=corrupt,
            kills_that_left_a_temporary_file=bool(temporaries(folder)),
        )

    def after_resume(self, folder, figures, prefix=""):
        from numpy_impl.files import temporaries
        from numpy_impl.state import load_safetensors

        final = load_safetensors(folder / "final.safetensors")
        same = final.keys() == self.expected.keys() and all(
            final[k].dtype == self.expected[k].dtype and self.np.array_equal(final[k], self.expected[k])
            for k in final
        )
        return count(
            figures,
            **{f"{prefix}resumes_bit_identical": same},
            **{f"{prefix}temporary_files_after_the_next_start": len(temporaries(folder))},
            **{f"{prefix}lock_files_after_the_next_start": len(list(folder.glob(".*.lock")))},
        )


class LightningTrials:
    """``paritynets-train fit`` of the linear model on digits (float64, Adam, 2 epochs of 90 steps,
    ``last.ckpt`` every 3 steps), resumed with ``--ckpt_path last`` (or started anew when the
    kill came before the first checkpoint)."""

    ARGS = [
        "fit",
        "--config",
        str(ROOT / "configs/linear.yaml"),
        "--model.init_args.dtype",
        "float64",
        "--model.init_args.optimizer",
        "adam",
        "--model.init_args.lr",
        "0.01",
        "--data.init_args.batch_size",
        "16",
        "--trainer.max_epochs",
        "2",
        "--checkpoint_every",
        "3",
        "--progress",
        "off",
        "--trainer.accelerator",
        "cpu",  # the runs are forks of a process that has trained: CUDA does not survive a fork
    ]

    def __init__(self, root):
        import torch

        from scripts.train import main  # Lightning is imported once, here, before the forks

        self.root, self.main, self.torch = root, main, torch

    def run(self, folder):
        runs = folder / "runs"
        resume = ["--ckpt_path", "last"] if list(runs.glob("version_*/checkpoints/last.ckpt")) else []
        return self.main([*self.ARGS, "--trainer.default_root_dir", str(runs), *resume])

    def final(self, folder):
        (last,) = sorted((folder / "runs").glob("version_*/checkpoints/last.ckpt"))[-1:]
        return self.torch.load(last, weights_only=True)

    def reference(self):
        """The uninterrupted run, here (which also loads what a first run loads, so that the forks
        start warm), then the length of the shorter of two forked runs."""
        folder = self.root / "reference"
        folder.mkdir(parents=True)
        assert self.run(folder) == 0
        self.expected = self.final(folder)
        return min(timed(self.run, self.root / f"timing{i}") for i in range(2))

    def checkpointed(self, folder):
        return bool(list((folder / "runs").glob("version_*/checkpoints/last.ckpt")))

    def ours(self, line):
        return line.startswith("paritynets-train: ")

    def step_named(self, line):
        return int(line.split(" after step ")[1].split(";")[0]) if " after step " in line else None

    def saved_step(self, folder):
        return self.final(folder)["global_step"]

    def after_kill(self, folder, figures):
        from numpy_impl.files import temporaries

        checkpoints = sorted((folder / "runs").rglob("*.ckpt"))
        corrupt = 0
        for path in checkpoints:
            try:
                self.torch.load(path, weights_only=True)
            except Exception:
                corrupt += 1
        return count(
            figures,
            killed_before_the_first_checkpoint=not list((folder / "runs").rglob("last.ckpt")),
            corrupt_checkpoints=corrupt,
            kills_that_left_a_temporary_file=bool(temporaries(folder)),
        )

    def after_resume(self, folder, figures, prefix=""):
        from numpy_impl.files import temporaries

        final, expected = self.final(folder), self.expected
        same = final["global_step"] == expected["global_step"] and all(
            self.torch.equal(final["state_dict"][k], v) for k, v in expected["state_dict"].items()
        )
        for mine, theirs in zip(
            final["optimizer_states"][0]["state"].values(),
            expected["optimizer_states"][0]["state"].values(),
            strict=True,
        ):
            same = same and all(self.torch.equal(mine[k], theirs[k]) for k in theirs)
        return count(
            figures,
            **{f"{prefix}resumes_bit_identical": same},
            **{f"{prefix}temporary_files_after_the_next_start": len(temporaries(folder))},
            **{
                f"{prefix}lock_files_after_the_next_start": len(
                    list((folder / "runs").rglob(".paritynets.lock"))
                )
            },
        )


if __name__ == "__main__":
    kind, root = sys.argv[1], Path(sys.argv[2])
    kills = int(sys.argv[3]) if len(sys.argv) > 3 else {"numpy": 100, "lightning": 30}[kind]
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    print(json.dumps(battery(kind, root, kills, seed)))
