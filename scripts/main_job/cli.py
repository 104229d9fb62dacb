"""The main job's command line: parse the options into a RunConfig, check the data and the output
directory before any work, run the selected sections of ``SECTIONS`` in their order, print each
one's report and the files it wrote, and write every finished section's numbers to
``summary.json`` beside the plots as soon as it finishes. The run owns ``--out`` while it lasts
(a second run there is refused, naming the first); Ctrl-C or SIGTERM end it with one line and
status 130 / 143, the finished sections kept."""

import argparse
import os
import sys
import time
from pathlib import Path

from numpy_impl.checks import InputError
from numpy_impl.files import check_writable_directory, remove_stale_temporaries_below, write_json
from numpy_impl.idx import check_idx_directory
from numpy_impl.locks import PathLock, remove_stale_locks_below
from numpy_impl.stopping import Stopped, stop_on_signals

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
    if args.threads > available_cores():  # thousands of BLAS threads crash OpenBLAS
        parser.error(
            f"--threads must be at most {available_cores()}, the cores this process may use; got {args.threads}"
        )
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


def available_cores():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def check_inputs(config, sections):
    """Before any work: the data each section will read is readable and ``--out`` is a writable
    directory (created when missing), so that a bad run fails in a second, not after training."""
    if config.mnist is not None and {"classifiers", "autoencoder"} & set(sections):
        check_idx_directory(config.mnist)
    if config.corpus is not None and "skipgram" in sections:
        from numpy_impl.text.corpus import Corpus

        next(iter(Corpus.from_path(config.corpus)), None)  # opens it and reads its first line
    check_writable_directory(config.out, "--out")


def main(argv=None):
    config, sections, threads = parse_args(argv)
    summary = Summary(config.out / "summary.json", sys.argv[1:] if argv is None else list(argv))
    try:
        check_inputs(config, sections)
        with PathLock(config.out, "output directory --out", directory=True), stop_on_signals():
            remove_stale_temporaries_below(config.out)
            remove_stale_locks_below(config.out)
            run_sections(config, sections, threads, summary)
    except Stopped as stop:
        summary.unfinished(str(stop))
        print(f"paritynets: {stop} in section {summary.running}; {summary.kept()}", file=sys.stderr)
        return stop.code
    except (InputError, FileNotFoundError, ConnectionError, FloatingPointError) as err:
        summary.unfinished(f"error: {err}")
        kept = f" ({summary.kept()})" if summary.running else ""
        print(f"paritynets: error: {err}{kept}", file=sys.stderr)
        return 1 if isinstance(err, FloatingPointError) else 2
    print(f"\nsummary: {summary.path}")
    return 0


def run_sections(config, sections, threads, summary):
    from torch_impl.threads import set_threads  # torch's and the BLAS pools', in one place

    with set_threads(threads):
        for name in sections:
            summary.running = name
            summary.add(name, run_section(name, config))
        summary.running = None


class Summary:
    """``summary.json``: rewritten (atomically) as soon as each section finishes, so a run that
    stops or fails keeps the sections it finished; ``running`` names the section under way."""

    def __init__(self, path, argv):
        self.path, self.entries, self.running = path, {"argv": argv}, None

    def add(self, name, entry):
        self.entries[name] = entry
        self.write(self.entries)

    def unfinished(self, reason):
        """The run stopped in section ``running``: the finished ones and why, when any section ran."""
        if self.running is not None:
            self.write(self.entries | {"unfinished": {"section": self.running, "reason": reason}})

    def write(self, entries):
        write_json(self.path, entries, default=_plain)

    def kept(self):
        done = [k for k in self.entries if k != "argv"]
        return (
            f"{self.path} keeps the finished sections ({', '.join(done)})"
            if done
            else "no section had finished"
        )


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
