"""``paritynets-mutate``: prove that a gradient check bites. Each known learner bug of
``numpy_impl.gradcheck.mutants`` is injected in turn into the NumPy models, and a check runs
under it: ours against the torch twins (the default; ``--models`` picks models), or your own
pytest tests (``--pytest ARGS``: one pytest session per bug, through the plugin
``numpy_impl.gradcheck.mutants.plugin``). A bug that passes is a bug your check cannot see; an
equivalent rewrite that fails is a false alarm. Exit status 0 when every bug is caught and no
equivalent rewrite fails, 1 otherwise.

    paritynets-mutate                         # our checker over the four models (CI runs this)
    paritynets-mutate --models mlp --json
    paritynets-mutate --pytest tests/test_backprop.py -x -q
"""

import argparse
import json
import os
import subprocess
import sys

from numpy_impl.gradcheck import mutants


def build_parser():
    parser = argparse.ArgumentParser(prog="paritynets-mutate", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--models", default=",".join(mutants.MODELS), help=f"comma-separated, of {', '.join(mutants.MODELS)}"
    )
    parser.add_argument("--mutants", metavar="A,B", help="only these mutants (default: all)")
    parser.add_argument("--json", action="store_true", help="the figures and every outcome as JSON")
    parser.add_argument(
        "--pytest", nargs=argparse.REMAINDER, metavar="ARGS", help="run pytest ARGS under each mutant instead"
    )
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    names = set(args.mutants.split(",")) if args.mutants else None
    unknown = sorted((names or set()) - set(mutants.BY_NAME))
    if unknown:
        parser.error(f"--mutants: unknown {', '.join(unknown)}; known: {', '.join(mutants.BY_NAME)}")
    if args.pytest is not None:
        return run_pytest(args.pytest, names)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    if not models or any(m not in mutants.MODELS for m in models):
        parser.error(f"--models: choose from {', '.join(mutants.MODELS)}; got {args.models!r}")
    for name in sorted(names or ()):  # a named mutant that would run nowhere: say so, not "0/0 caught"
        mutant = mutants.BY_NAME[name]
        if mutant.layer != "gradients":
            parser.error(
                f"--mutants: {name} is a bug of the {mutant.layer} layer, which no gradient check sees; "
                "run it with --pytest"
            )
        if not set(mutant.models) & set(models):
            parser.error(f"--mutants: {name} reaches {', '.join(mutant.models)}, not --models {','.join(models)}")
    from torch_impl.parity.mutate import run_mutants

    run = run_mutants(tuple(models), names)
    print(json.dumps(run.to_dict(), indent=1) if args.json else "\n".join(run.lines()))
    return 0 if run.ok else 1


def run_pytest(pytest_args, names):
    """One pytest session per mutant; caught when pytest fails its tests (exit status 1)."""
    rows, ok = [], True
    for mutant in mutants.ALL:
        if names and mutant.name not in names:
            continue
        env = {**os.environ, "PARITYNETS_MUTANT": mutant.name}
        command = [sys.executable, "-m", "pytest", "-p", "numpy_impl.gradcheck.mutants.plugin", *pytest_args]
        status = subprocess.run(command, env=env, capture_output=True, text=True).returncode
        verdict = {0: "passes", 1: "caught"}.get(status, f"pytest exit status {status}")
        ok = ok and verdict == ("passes" if mutant.equivalent else "caught")
        rows.append(f"{mutant.name:<34} {'equivalent' if mutant.equivalent else 'bug':<10} {verdict}")
    print("\n".join(rows))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
