"""The main job: ``paritynets [options]`` or ``python -m scripts.main [options]`` (``--help`` lists them).
The command line lives in ``scripts/main_job/cli.py``, its sections beside it."""

import sys

from scripts.main_job.cli import main

if __name__ == "__main__":
    sys.exit(main())
