"""The main job: ``paritynets [options]`` or ``python -m scripts.main [options]`` (``--help`` lists them).
The orchestrator lives in ``scripts/main_job/cli.py``."""

import sys

from scripts.main_job.cli import main

if __name__ == "__main__":
    sys.exit(main())
