"""The scripts of docs/SCALING.md: ``scripts/gpu_check.sh`` without CUDA (one line, status 0),
``scripts.device_throughput.measure`` on the CPU (the benchmark's GPU figures come from it), and
``scripts.scaling`` (the definition of the efficiency, the table rewritten between its markers in
docs/SCALING.md, one real 1-process vs 2-rank measurement through the command line), and the docs'
launch commands (every CPU one parses; every file they cite exists)."""

import math
import os
import re
import shlex
import statistics
import subprocess
import sys

import pytest
import torch

from numpy_impl.checks import InputError
from scripts import device_throughput, scaling
from torch_impl.lightning.cli import TrainCLI

ROOT = scaling.ROOT


def gpu_check(tmp_path, python, **env):
    done = subprocess.run(
        ["bash", str(ROOT / "scripts/gpu_check.sh")],
        cwd=tmp_path,  # the script finds the repository itself
        env={**os.environ, "PARITYNETS_PYTHON": str(python), "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout, done.stderr


def test_the_gpu_check_with_cuda_hidden_says_so_in_one_line_and_exits_0(tmp_path):
    status, out, err = gpu_check(tmp_path, sys.executable, CUDA_VISIBLE_DEVICES="")
    assert (status, err) == (0, "")
    assert out.count("\n") == 1 and out.startswith("no GPU: skipped: torch.cuda.is_available() is False")


def test_the_gpu_check_without_torch_says_so_in_one_line_and_exits_0(tmp_path):
    no_torch = tmp_path / "python"
    no_torch.write_text("#!/bin/sh\necho 'ModuleNotFoundError: torch' >&2\nexit 1\n")
    no_torch.chmod(0o755)
    status, out, err = gpu_check(tmp_path, no_torch)
    assert (status, err) == (0, "")
    assert out.count("\n") == 1 and out.startswith("no GPU: skipped: no torch at ")


def test_the_gpu_check_fails_where_a_gpu_is_listed_but_the_python_has_no_torch(tmp_path):
    (tmp_path / "bin").mkdir()
    for name, script in (("python", "exit 1"), ("bin/nvidia-smi", "echo 'GPU 0: NVIDIA H200 (UUID: GPU-0)'")):
        (tmp_path / name).write_text(f"#!/bin/sh\n{script}\n")
        (tmp_path / name).chmod(0o755)
    path = f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}"
    status, out, _ = gpu_check(tmp_path, tmp_path / "python", PATH=path)
    assert status == 1 and "nvidia-smi lists a GPU but" in out and "no GPU: skipped" not in out


def test_throughput_on_the_cpu_is_a_positive_rate_per_model():
    results = device_throughput.measure("cpu", steps=2, warmup=1, repeats=3)
    assert list(results) == list(device_throughput.MODELS)
    for name, r in results.items():
        assert set(r) == {"unit", "per_second", "batch_size", "steps", "seconds"}
        assert r["unit"] == ("words/s" if name == "skipgram" else "examples/s")
        assert math.isfinite(r["per_second"]) and r["per_second"] > 0
        assert len(r["seconds"]) == 3 and all(s > 0 for s in r["seconds"])
        if name != "skipgram":  # examples per timed block over the median block's seconds
            assert r["per_second"] == pytest.approx(2 * 256 / statistics.median(r["seconds"]))
    text = device_throughput.table({"cpu": results})
    assert text.splitlines()[0].split() == ["model", "unit", "cpu"] and "words/s" in text


def test_throughput_refuses_an_unknown_model_or_a_missing_device():
    with pytest.raises(InputError, match="models must be one of"):
        device_throughput.measure("cpu", models=("cnn",))
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="without CUDA"):
            device_throughput.measure("cuda", models=("linear",))


def test_the_efficiency_leaves_the_first_epoch_out_and_is_one_for_halved_epochs():
    figures = scaling.efficiency([10.0, 2.0, 4.0], [10.0, 1.0, 2.0])  # medians 3 and 1.5
    assert figures == {"t1": 3.0, "t2": 1.5, "speedup": 2.0, "efficiency": 1.0}
    assert scaling.efficiency([5.0, 2.0, 2.0], [5.0, 2.0, 2.0])["efficiency"] == 0.5  # no gain


def test_a_run_s_epoch_seconds_are_read_from_its_output():
    output = "Seed set to 0\nepoch seconds: [0.5, 0.25]\nddp: the 2 ranks end with the same weights\n"
    assert scaling.read_epoch_seconds(output) == [0.5, 0.25]
    with pytest.raises(RuntimeError, match="no 'epoch seconds:' line"):
        scaling.read_epoch_seconds("Seed set to 0\n")


def test_the_table_is_rewritten_between_its_markers_in_docs_scaling():
    doc = (ROOT / "docs/SCALING.md").read_text()
    old = doc.split(scaling.BEGIN)[1].split(scaling.END)[0]
    rows = [line for line in old.splitlines() if line.startswith("| ")][1:]
    assert [row.split("|")[1].strip() for row in rows] == list(scaling.MODELS)
    new = scaling.rewrite(doc, "NEW TABLE")
    assert new.replace(f"{scaling.BEGIN}\nNEW TABLE\n{scaling.END}", "") == doc.replace(
        f"{scaling.BEGIN}{old}{scaling.END}", ""
    )
    assert scaling.rewrite(new, old.strip("\n")) == doc
    with pytest.raises(InputError, match="markers"):
        scaling.rewrite("no markers here", "table")


@pytest.mark.slow
def test_one_process_and_two_ranks_are_timed_through_the_command_line():
    results = scaling.measure_ddp(("linear",), epochs=2)
    r = results["linear"]
    assert r["global_batch"] == 64 and len(r["one_rank"]) == len(r["two_ranks"]) == 2
    assert r["t1"] == r["one_rank"][1] and r["t2"] == r["two_ranks"][1] > 0
    assert r["efficiency"] == pytest.approx(r["t1"] / (2 * r["t2"]))
    assert "| linear | 64 |" in scaling.table(results, 2)


SCALING = (ROOT / "docs/SCALING.md").read_text()
README_SECTION = (ROOT / "README.md").read_text().split("## Scaling\n")[1].split("\n## ")[0]
CITED = sorted(
    {
        t
        for t in re.findall(r"`([^`\s]+)`", SCALING)
        if re.fullmatch(r"[\w/.]+\.(py|md|yaml|sh|sbatch)", t) and "/" in t
    }
)


def train_commands(text):
    """The ``fit`` arguments of every ``paritynets-train`` / ``-m scripts.train`` command in the
    bash blocks of ``text`` (continued lines joined), those that need a GPU or data left out."""
    blocks = "\n".join(re.findall(r"```bash\n(.*?)```", text, flags=re.S)).replace("\\\n", " ")
    commands = []
    for line in blocks.splitlines():
        line = line.split("#", 1)[0]
        for marker in ("paritynets-train ", "-m scripts.train "):
            if marker in line and "gpu.yaml" not in line and "mlp_mnist70k" not in line:
                commands.append(shlex.split(line.split(marker, 1)[1]))
    return commands


@pytest.mark.parametrize("path", CITED)
def test_every_file_docs_scaling_cites_exists(path):
    assert (ROOT / path).is_file() or (ROOT / "parity_tests" / path).is_file(), path


@pytest.mark.parametrize("args", train_commands(SCALING + README_SECTION), ids=lambda a: " ".join(a[1:5]))
def test_every_cpu_launch_command_of_the_docs_parses(args, tmp_path):
    assert args[0] == "fit"
    cli = TrainCLI(args=[*args[1:], "--trainer.default_root_dir", str(tmp_path)], run=False)
    assert cli.trainer.max_epochs >= 1 and cli.model is not None


def test_the_docs_give_every_launch_path():
    assert len(train_commands(SCALING)) >= 4 and len(train_commands(README_SECTION)) >= 3
    for text in (SCALING, README_SECTION):
        for needle in (
            "configs/trainer/gpu.yaml",
            "--nnodes=2",
            "sbatch scripts/slurm/train.sbatch",
            "gpu_check.sh",
        ):
            assert needle in text, needle
