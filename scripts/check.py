"""``paritynets-check FILE``: check the gradients of a learner's code in a Python file, against a
torch twin by name (through a layout mapping), a torch function, or finite differences alone.
Exit status 0 when every check passes, 1 when one fails, 2 for a usage error.

    paritynets-check two_layer_net.py --reference mlp --weights in,out --labels one-hot --l2 0.005
    paritynets-check my_net.py --forward fwd --backward bwd --params init_params --batch make_batch --json

The file's code is found by name: ``--object`` (an object with loss_and_grads(batch)),
``--loss-and-grads`` or ``--forward`` with ``--backward`` (functions of the parameters); by
default ``forward``/``backward``, else ``loss_and_grads``, else ``model``. ``--params`` and
``--batch`` name a value or a function of no arguments that returns one (default ``params`` /
``init_params()``, ``batch`` / ``make_batch()``). ``docs/checking_your_backprop.md`` walks through it.
"""

import argparse
import contextlib
import importlib.util
import json
import sys
import traceback
from pathlib import Path

from numpy_impl.checks import InputError
from numpy_impl.gradcheck.layout import LABELS, LOSSES

TWINS = ("linear", "mlp", "autoencoder", "skipgram")
FD = "finite-differences"


class UsageError(Exception):
    """A command line that names what the file does not have."""


def build_parser():
    parser = argparse.ArgumentParser(prog="paritynets-check", description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("file", type=Path, help="the Python file with your code, parameters and a batch")
    add("--object", metavar="NAME", help="an object with loss_and_grads(batch) (or a function that makes it)")
    add("--loss-and-grads", metavar="NAME", help="a function loss_and_grads(params, batch) -> (loss, grads)")
    add("--forward", metavar="NAME", help="a function forward(params, batch) -> (loss, cache)")
    add("--backward", metavar="NAME", help="a function backward(cache) -> grads (or (grads, intermediates))")
    add(
        "--params",
        metavar="NAME",
        help="the parameters: a dict, or a function returning one (default params / init_params)",
    )
    add(
        "--batch",
        metavar="NAME",
        help="the batch: a tuple, or a function returning one (default batch / make_batch)",
    )
    add(
        "--reference",
        default=FD,
        help=f"{FD} (default, no torch), a torch twin ({', '.join(TWINS)}), or FILE.py:FUNCTION, a torch "
        "function f(params, batch) -> loss in your layout",
    )
    add("--activation", default="relu", help="the twin's activation (mlp, autoencoder; default relu)")
    add(
        "--weights",
        type=lambda text: "".join(text.split()),  # "in, out" as the Python Layout writes it, or "in,out"
        choices=("out,in", "in,out"),
        metavar="in,out|out,in",
        help="your 2-D weights' layout: in,out for x @ W; out,in for torch's x @ W.T (the default with "
        "a twin; without one the hints read it from your shapes)",
    )
    add("--labels", choices=LABELS, default="ids", help="your y: class ids or one-hot rows")
    add("--loss", choices=LOSSES, default="mean", help="your loss over the batch: mean or sum")
    add("--l2", type=float, default=0.0, help="your loss adds L2 * sum(W**2) over the 2-D weights")
    add("--names", metavar="A=B,...", help="your names -> the reference's (default: paired layer by layer)")
    add("--finite-differences", choices=("sampled", "exhaustive", "none"), default="sampled")
    add("--seed", type=int, default=0, help="seed of the sampled finite differences")
    add("--json", action="store_true", help="print the report as JSON (for autograders and CI)")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    # with --json, stdout carries the report alone: what your code prints goes to stderr
    quiet = contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext()
    try:
        with quiet:
            report = run(args)
    except (UsageError, InputError) as err:
        print(f"paritynets-check: error: {err}", file=sys.stderr)
        return 2
    print(json.dumps(report.to_dict(), indent=1) if args.json else report)
    return 0 if report.ok else 1


def run(args):
    module = load(args.file)
    code, params = find_code(module, args), None
    if not hasattr(code, "loss_and_grads"):
        params = value(module, args.params, ("params", "init_params"), "parameters", "--params")
    batch = value(module, args.batch, ("batch", "make_batch"), "batch", "--batch")
    options = {
        "finite_differences": None if args.finite_differences == "none" else args.finite_differences,
        "seed": args.seed,
    }
    layout = make_layout(args, twin=args.reference in TWINS)
    if args.reference == FD:
        from numpy_impl.gradcheck import check

        return check(code, batch, params=params, layout=layout, **options)
    from torch_impl.parity import check

    if args.reference in TWINS:
        return check(
            code, batch, args.reference, params=params, layout=layout, activation=args.activation, **options
        )
    # a torch function is written in your own layout: nothing to map
    return check(code, batch, torch_function(args.reference, args.file), params=params, **options)


def make_layout(args, twin):
    """The ``Layout`` the options describe; None without a twin when none is given, so that the
    hints read your weights' layout from their shapes."""
    from numpy_impl.gradcheck import Layout

    given = args.weights or args.names or args.labels != "ids" or args.loss != "mean" or args.l2
    if not (twin or given):
        return None
    names = None
    if args.names:
        pairs = [item.split("=", 1) for item in args.names.split(",")]
        if any(len(pair) != 2 for pair in pairs):
            raise UsageError(f"--names takes yours=theirs pairs separated by commas; got {args.names!r}")
        names = {a.strip(): b.strip() for a, b in pairs}
    weights = (args.weights or "out,in").replace(",", ", ")
    return Layout(names=names, weights=weights, labels=args.labels, loss=args.loss, l2=args.l2)


def load(path):
    """The file as a module (its folder importable, for the files it imports itself)."""
    if not path.is_file():
        raise UsageError(f"no file at {path}")
    sys.path.insert(0, str(path.resolve().parent))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    with running(str(path)):
        spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def running(what, advice=""):
    """Your code's own exceptions as one usage error: what went wrong and where in your file."""
    try:
        yield
    except (UsageError, InputError):
        raise
    except Exception as err:  # noqa: BLE001 -- anything the learner's file raises
        raise UsageError(f"{what} does not run: {type(err).__name__}: {err}{where(err)}{advice}") from err


def where(err):
    """`` (file, line N)`` of the innermost frame in the learner's code."""
    if isinstance(err, SyntaxError):  # its message names the file and line already
        return ""
    frames = [
        f
        for f in traceback.extract_tb(err.__traceback__)
        if "site-packages" not in f.filename and f.filename != __file__
    ]
    return f" ({frames[-1].filename}, line {frames[-1].lineno})" if frames else ""


def find_code(module, args):
    if args.forward or args.backward:
        if not (args.forward and args.backward):
            raise UsageError("--forward and --backward go together")
        return attribute(module, args.forward), attribute(module, args.backward)
    if args.loss_and_grads:
        return attribute(module, args.loss_and_grads)
    if args.object:
        found = attribute(module, args.object)
        if hasattr(found, "loss_and_grads") and not isinstance(found, type):
            return found
        if not callable(found):
            raise UsageError(
                f"--object {args.object} ({type(found).__name__}) is neither an object with "
                "loss_and_grads(batch) nor a class or function of no arguments that makes one"
            )
        with running(f"{args.object}()", f"; or make it in your file (model = {args.object}(...)) and name that"):
            made = found()
        if not hasattr(made, "loss_and_grads"):
            raise UsageError(f"{args.object}() gives a value of type {type(made).__name__}, with no loss_and_grads(batch)")
        return made
    if hasattr(module, "forward") and hasattr(module, "backward"):
        return module.forward, module.backward
    for name in ("loss_and_grads", "model"):
        if hasattr(module, name):
            return getattr(module, name)
    raise UsageError(
        f"{module.__file__} has no forward/backward, loss_and_grads or model: name yours with --forward "
        "and --backward, --loss-and-grads or --object"
    )


def value(module, name, defaults, what, option):
    """A value the file defines under ``name`` (or the first of ``defaults`` it has); a function of
    no arguments is called."""
    for candidate in [name] if name else defaults:
        if hasattr(module, candidate):
            found = getattr(module, candidate)
            if not callable(found):
                return found
            called = f"{candidate}() (the {what}, called with no arguments)"
            advice = f"; or set one in your file ({defaults[0]} = {candidate}(...)) and name it with {option}"
            with running(called, advice):
                return found()
    raise UsageError(
        f"{module.__file__} defines no {' or '.join([name] if name else defaults)} (the {what}): name it with {option}"
    )


def attribute(module, name):
    if not hasattr(module, name):
        raise UsageError(f"{module.__file__} has no {name!r}")
    return getattr(module, name)


def torch_function(spec, default_file):
    """``FILE.py:FUNCTION`` (or ``FUNCTION`` in the checked file) as a torch function."""
    path, _, name = spec.rpartition(":")
    module = load(Path(path)) if path.endswith(".py") else load(default_file) if not path else None
    if module is None or not callable(getattr(module, name, None)):
        raise UsageError(
            f"--reference must be {FD}, one of {', '.join(TWINS)}, or [FILE.py:]FUNCTION, a torch function "
            f"of your parameters; got {spec!r}"
        )
    return getattr(module, name)


if __name__ == "__main__":
    sys.exit(main())
