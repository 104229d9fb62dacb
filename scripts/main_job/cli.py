"""The main job's command line: parse options, run the selected sections one after the other,
print each section's report and write ``summary.json`` beside the plots.

A section is a module of this package with one function ``run_<section>(out_dir, seed, epochs, ...)``
returning a dict. The function receives those of these options its signature names: out_dir (a
subdirectory per section), seed, epochs, data (the shared split ``((x_train, y_train), (x_test,
y_test))``: digits, or MNIST with ``--mnist``), mnist, corpus, dtype, quick, progress, split_seed.
Options left unset are not passed, so a section keeps its own defaults; a section whose ``epochs``
has no default gets ``--epochs``, else the module's ``EPOCHS`` (``QUICK_EPOCHS`` with ``--quick``),
else ``REFERENCE_EPOCHS`` below. The result's ``report`` (or the module's ``format_<section>(result)``)
is printed, its ``files`` (or ``figures``) listed. Modules are imported only when their section runs;
a section whose module is absent is not offered.
"""

import argparse
import importlib
import importlib.util
import inspect
import json
import sys
import time
from pathlib import Path

from numpy_impl.files import atomic_open

from .data import load_split

SECTIONS = ("classifiers", "autoencoder", "skipgram")
REFERENCE_EPOCHS = {"autoencoder": 20}  # issue 4's reference run, for a run function without a default
QUICK_EPOCHS = 2


def available_sections():
    return [name for name in SECTIONS if importlib.util.find_spec(f"{__package__}.{name}") is not None]


def build_parser():
    sections = available_sections()
    parser = argparse.ArgumentParser(
        prog="paritynets",
        description="Train every model from one seed in NumPy and in torch on the same batches; report "
        "accuracies and how far the two engines drift apart; write plots.",
    )
    parser.add_argument(
        "--only",
        default=",".join(sections),
        help=f"comma-separated sections to run, in order (default: all available: {','.join(sections)})",
    )
    parser.add_argument(
        "--mnist", metavar="DIR", type=Path, help="train on the MNIST IDX files in DIR, not digits"
    )
    parser.add_argument("--corpus", metavar="FILE", type=Path, help="text corpus for the skip-gram section")
    parser.add_argument(
        "--epochs", type=int, help="epochs for every section (default: each section's reference)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="the one seed: initial weights and batch order (0)"
    )
    parser.add_argument(
        "--split-seed", type=int, default=42, help="seed of the 80/20 train/test shuffle (42, as in SPEC.md)"
    )
    parser.add_argument(
        "--dtype",
        choices=("float64", "float32"),
        default="float64",
        help="float64 (default) puts the NumPy-vs-torch differences at rounding level",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("outputs/main_job"),
        help="output directory (default outputs/main_job)",
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: each section shrinks its work")
    parser.add_argument("--progress", choices=("auto", "bar", "lines", "off"), default="auto")
    parser.add_argument("--threads", type=int, default=1, help="BLAS and torch threads (default 1)")
    return parser


def parse_args(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    args.sections = [s.strip() for s in args.only.split(",") if s.strip()]
    available = available_sections()
    for section in args.sections:
        if section not in SECTIONS:
            parser.error(f"--only: unknown section {section!r}; choose from {', '.join(available)}")
        if section not in available:
            parser.error(
                f"--only: section {section!r} is not part of this version; available: {', '.join(available)}"
            )
    if not args.sections:
        parser.error("--only names no section")
    if args.epochs is not None and args.epochs < 1:
        parser.error(f"--epochs must be at least 1; got {args.epochs}")
    if args.seed < 0 or args.split_seed < 0:
        parser.error("--seed and --split-seed must be >= 0")
    if args.threads < 1:
        parser.error(f"--threads must be at least 1; got {args.threads}")
    if args.mnist is not None and not args.mnist.is_dir():
        parser.error(f"--mnist: no directory at {args.mnist} (expected one holding *-idx3-ubyte[.gz] files)")
    if args.corpus is not None and not args.corpus.is_file():
        parser.error(f"--corpus: no file at {args.corpus}")
    return args


def run_section(section, args, split):
    module = importlib.import_module(f"{__package__}.{section}")
    function = getattr(module, f"run_{section}")
    parameters = inspect.signature(function).parameters
    epochs = (
        args.epochs if args.epochs is not None else _default_epochs(section, module, parameters, args.quick)
    )
    options = {
        "out_dir": args.out / section,
        "seed": args.seed,
        "epochs": epochs,
        "mnist": args.mnist,
        "corpus": args.corpus,
        "dtype": args.dtype,
        "quick": args.quick,
        "progress": args.progress,
        "split_seed": args.split_seed,
    }
    takes_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    kwargs = {k: v for k, v in options.items() if v is not None and (takes_all or k in parameters)}
    if "data" in parameters:
        split = split or load_split(args.mnist, args.split_seed)
        kwargs["data"] = ((split.x_train, split.y_train), (split.x_test, split.y_test))
    result = dict(function(**kwargs) or {})
    if not result.get("report") and hasattr(module, f"format_{section}"):
        result["report"] = getattr(module, f"format_{section}")(result)
    return result, split


def _default_epochs(section, module, parameters, quick):
    """None where the function has its own default; else the module's or the reference setting."""
    parameter = parameters.get("epochs")
    if parameter is None or parameter.default is not inspect.Parameter.empty:
        return None
    if quick:
        return getattr(module, "QUICK_EPOCHS", QUICK_EPOCHS)
    return getattr(module, "EPOCHS", REFERENCE_EPOCHS.get(section, 1))


def main(argv=None):
    args = parse_args(argv)
    from threadpoolctl import threadpool_limits

    from numpy_impl.checks import InputError

    results, split = {}, None
    try:
        with threadpool_limits(limits=args.threads):
            import torch

            torch.set_num_threads(args.threads)
            for section in args.sections:
                started = time.perf_counter()
                result, split = run_section(section, args, split)
                result["seconds"] = round(time.perf_counter() - started, 2)
                results[section] = result
                print_result(section, result)
    except (InputError, FileNotFoundError, ConnectionError, FloatingPointError) as err:
        print(f"paritynets: error: {err}", file=sys.stderr)
        return 2 if not isinstance(err, FloatingPointError) else 1
    args.out.mkdir(parents=True, exist_ok=True)
    summary = args.out / "summary.json"
    argv = sys.argv[1:] if argv is None else list(argv)
    with atomic_open(summary) as f:
        json.dump({"argv": argv, **results}, f, indent=1, default=_plain)
    print(f"\nsummary: {summary}")
    return 0


def print_result(section, result):
    print(f"\n== {section} ({result['seconds']:.1f} s) ==")
    if result.get("report"):
        print(result["report"])
    else:
        for key, value in result.items():
            if isinstance(value, (int, float, str)) and key != "seconds":
                print(f"{key}: {value}")
    files = result.get("files") or list((result.get("figures") or {}).values())
    for path in files:
        print(f"wrote {path}")
    sys.stdout.flush()


def _plain(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "__dict__"):
        return {k: v for k, v in vars(value).items() if not k.startswith("_")}
    return str(value)
