"""The main job: ``paritynets [options]`` or ``python -m scripts.main [options]`` (``--help`` lists them).
The command line lives in ``scripts/main_job/cli.py``, its sections beside it. ``paritynets check``
and ``paritynets mutate`` are the gradient checker's tools (``scripts/check.py``, ``scripts/mutate.py``)."""

import sys

from scripts.main_job.cli import main as main_job

TOOLS = {"check": "scripts.check", "mutate": "scripts.mutate"}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] and argv[0] in TOOLS:
        import importlib

        return importlib.import_module(TOOLS[argv[0]]).main(argv[1:])
    return main_job(argv)


if __name__ == "__main__":
    sys.exit(main())
