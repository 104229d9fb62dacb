"""DDP scaling efficiency on CPU ranks: seconds per training epoch of 1 process at batch 2b next to
2 ranks at batch b, which train the same global batches (the same examples, step by step).

    python -m scripts.scaling                             # the four configs, prints the table
    python -m scripts.scaling --models mlp --epochs 8
    python -m scripts.scaling --write docs/SCALING.md     # and rewrites the table there

Each run is the real command line in a subprocess, ``paritynets-train fit --config
configs/<model>.yaml`` (plus ``configs/trainer/ddp.yaml`` for 2 ranks: Lightning starts rank 1,
gloo), on the CPU, one thread per process, validation off, timed per epoch by
``scripts.epoch_seconds.EpochSeconds``. The first epoch is a warm-up (the parity gate, first
allocations) and is left out; t is the median of the others. With t1 (1 process, batch 2b) and t2
(2 ranks, batch b each): speed-up = t1 / t2, efficiency = t1 / (2 t2), 1 for perfect scaling (2
ranks halve the epoch), 0.5 for none. ``measure_ddp`` returns the figures (the benchmark imports it).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from numpy_impl.checks import InputError, one_of, positive_int
from scripts.bench.readme import replace_section
from scripts.bench.readme import rewrite as write_section

ROOT = Path(__file__).resolve().parents[1]
MODELS = ("linear", "mlp", "autoencoder", "skipgram")
BEGIN = "<!-- scaling table: written by python -m scripts.scaling --write docs/SCALING.md -->"
END = "<!-- end of scaling table -->"
PREFIX = "epoch seconds: "  # the line scripts.epoch_seconds.EpochSeconds prints


def config_batch_size(model):
    """The batch size of ``configs/<model>.yaml``: the global batch 2b of the measurement."""
    config = yaml.safe_load((ROOT / "configs" / f"{model}.yaml").read_text())
    return int(config["data"]["init_args"]["batch_size"])


def fit_command(model, ranks, batch_size, epochs, root):
    command = [sys.executable, "-m", "scripts.train", "fit", "--config", f"configs/{model}.yaml"]
    if ranks > 1:
        command += ["--config", "configs/trainer/ddp.yaml", "--trainer.devices", str(ranks)]
    return command + [
        "--trainer.accelerator=cpu",
        f"--trainer.max_epochs={epochs}",
        "--trainer.limit_val_batches=0",
        f"--data.init_args.batch_size={batch_size}",
        f"--trainer.default_root_dir={root}",
        "--progress=off",
        "--checkpoint_every=0",
        "--trainer.callbacks+=scripts.epoch_seconds.EpochSeconds",
    ]


def epoch_times(model, ranks, batch_size, epochs, timeout):
    """Seconds of each training epoch of one run (a subprocess of the command line)."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    threads = {v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    env = {**os.environ, "PYTHONPATH": path, **threads}
    with tempfile.TemporaryDirectory() as root:
        done = subprocess.run(
            fit_command(model, ranks, batch_size, epochs, root),
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise RuntimeError(f"{model} on {ranks} rank(s) failed ({done.returncode}):\n{output[-3000:]}")
    return read_epoch_seconds(output)


def read_epoch_seconds(output):
    """The epoch seconds a run printed (its last ``epoch seconds: [...]`` line)."""
    lines = [line for line in output.splitlines() if line.startswith(PREFIX)]
    if not lines:
        raise RuntimeError(f"no '{PREFIX.strip()}' line in the run's output:\n{output[-3000:]}")
    return json.loads(lines[-1].removeprefix(PREFIX))


def efficiency(one_rank, two_ranks):
    """Figures of two runs' epoch seconds (the first epoch of each left out)."""
    t1, t2 = statistics.median(one_rank[1:]), statistics.median(two_ranks[1:])
    return {"t1": t1, "t2": t2, "speedup": t1 / t2, "efficiency": t1 / (2 * t2)}


def measure_ddp(models=MODELS, *, epochs=6, timeout=600):
    """``{model: {"global_batch", "t1", "t2", "speedup", "efficiency", "one_rank", "two_ranks"}}``:
    t1 and t2 are median seconds per epoch of 1 process at the config's batch and 2 ranks at half
    of it; "one_rank" and "two_ranks" every epoch's seconds."""
    epochs = positive_int(epochs, "epochs", minimum=2)  # one warm-up, then at least one timed
    results = {}
    for model in models:
        one_of(model, MODELS, "models")
        batch = config_batch_size(model)
        if batch % 2:
            raise InputError(f"configs/{model}.yaml's batch_size must be even for 2 ranks; got {batch}")
        one = epoch_times(model, 1, batch, epochs, timeout)
        two = epoch_times(model, 2, batch // 2, epochs, timeout)
        results[model] = {"global_batch": batch, **efficiency(one, two), "one_rank": one, "two_ranks": two}
    return results


def table(results, epochs):
    cores = os.cpu_count()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        "| model | global batch 2b | 1 process × 2b, s/epoch | 2 ranks × b, s/epoch | speed-up t1/t2 | efficiency t1/(2 t2) |",
        "|---|---|---|---|---|---|",
    ]
    for model, r in results.items():
        lines.append(
            f"| {model} | {r['global_batch']} | {r['t1']:.3f} | {r['t2']:.3f} | {r['speedup']:.2f} | {r['efficiency']:.2f} |"
        )
    lines.append("")
    lines.append(
        f"Medians of epochs 2-{epochs}, {cores} cores, load average {load} when the table was written."
    )
    return "\n".join(lines)


TABLE = {"markers": (BEGIN, END), "what": "the scaling table"}


def rewrite(text, block):
    """``text`` with what lies between the table's markers replaced by ``block``."""
    return replace_section(text, block, name="the file", **TABLE)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated (default: all four)")
    parser.add_argument("--epochs", type=int, default=6, help="per run, the first a warm-up (default 6)")
    parser.add_argument("--write", metavar="FILE", help="rewrite the table between the markers in FILE")
    args = parser.parse_args(argv)
    models = tuple(m for m in args.models.split(",") if m)
    block = table(measure_ddp(models, epochs=args.epochs), args.epochs)
    print(block)
    if args.write:
        path = write_section(args.write, block, **TABLE)  # written whole, then renamed
        print(f"wrote the table into {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
