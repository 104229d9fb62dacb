"""The main job's command line: parse the options into a RunConfig, run the selected sections of
``SECTIONS`` in their order, print each one's report and the files it wrote, and write every
section's numbers to ``summary.json`` beside the plots."""

import argparse
import json
import sys
import time
from pathlib import Path

from numpy_impl.checks import InputError
from numpy_impl.files import atomic_open

from .config import PROGRESS, RunConfig


def classifiers(config):
    from .classifiers import run_classifiers

    return run_classifiers(config)


def autoencoder(config):
    from .autoencoder import run_autoencoder

    return run_autoencoder(config)


def skipgram(config):
    from .skipgram import run_skipgram

    return run_skipgram(config)


# name -> section, in the order they run. Each section imports its module when it runs, so a run
# without the skip-gram section never imports gensim.
SECTIONS = {"classifiers": classifiers, "autoencoder": autoencoder, "skipgram": skipgram}


def build_parser():
    parser = argparse.ArgumentParser(
        prog="paritynets",
        description="Train every model from one seed in NumPy and in torch on the same batches; report "
        "accuracies and how far the two engines drift apart; write plots. Reference settings and "
        "measured runs: docs/main_job.md.",
    )
    add = parser.add_argument
    add(
        "--only", default=",".join(SECTIONS), help=f"comma-separated sections (default: {','.join(SECTIONS)})"
    )
    add("--mnist", metavar="DIR", type=Path, help="train on the MNIST IDX files in DIR, not digits")
    add("--corpus", metavar="FILE", type=Path, help="text corpus for the skip-gram section")
    add("--epochs", type=int, help="epochs for every section (default: each section's reference)")
    add("--seed", type=int, default=0, help="the one seed: initial weights and batch order (0)")
    add("--split-seed", type=int, default=42, help="seed of the 80/20 train/test shuffle (42)")
    add(
        "--dtype",
        choices=("float64", "float32"),
        default="float64",
        help="float64 (default) puts the NumPy-vs-torch differences at rounding level",
    )
    add("--out", type=Path, default=RunConfig.out, help=f"output directory (default {RunConfig.out})")
    add("--quick", action="store_true", help="a smoke run: each section shrinks its work")
    add("--progress", choices=PROGRESS, default="auto")
    add("--threads", type=int, default=1, help="BLAS and torch threads (default 1)")
    return parser


def parse_args(argv=None):
    """(RunConfig, the sections to run, threads); bad options end the program with a message."""
    parser = build_parser()
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        parser.error(f"--only: unknown section {unknown[0]!r}; choose from {', '.join(SECTIONS)}")
    if not sections:
        parser.error("--only names no section")
    if args.threads < 1:
        parser.error(f"--threads must be at least 1; got {args.threads}")
    if args.mnist is not None and not args.mnist.is_dir():
        parser.error(f"--mnist: no directory at {args.mnist} (expected one holding *-idx3-ubyte[.gz] files)")
    if args.corpus is not None and not args.corpus.is_file():
        parser.error(f"--corpus: no file at {args.corpus}")
    options = vars(args)
    fields = ("out", "seed", "split_seed", "epochs", "dtype", "quick", "progress", "mnist", "corpus")
    try:
        config = RunConfig(**{name: options[name] for name in fields})
    except InputError as err:
        parser.error(str(err))
    return config, sections, args.threads


def main(argv=None):
    config, sections, threads = parse_args(argv)
    from threadpoolctl import threadpool_limits

    summary = {"argv": sys.argv[1:] if argv is None else list(argv)}
    try:
        with threadpool_limits(limits=threads):
            import torch

            torch.set_num_threads(threads)
            for name in sections:
                summary[name] = run_section(name, config)
    except (InputError, FileNotFoundError, ConnectionError, FloatingPointError) as err:
        print(f"paritynets: error: {err}", file=sys.stderr)
        return 1 if isinstance(err, FloatingPointError) else 2
    path = config.out / "summary.json"
    with atomic_open(path) as f:
        json.dump(summary, f, indent=1, default=_plain)
    print(f"\nsummary: {path}")
    return 0


def run_section(name, config):
    """Run one section, print its report and files; its entry of ``summary.json``."""
    started = time.perf_counter()
    result = SECTIONS[name](config)
    seconds = round(time.perf_counter() - started, 2)
    print(f"\n== {name} ({seconds:.1f} s) ==")
    print(result.report)
    for path in result.files.values():
        print(f"wrote {path}")
    sys.stdout.flush()
    files = {key: str(path) for key, path in result.files.items()}
    return {**result.numbers, "report": result.report, "files": files, "seconds": seconds}


def _plain(value):
    """JSON for what ``json`` does not know: NumPy arrays and scalars, paths."""
    return value.tolist() if hasattr(value, "tolist") else str(value)
