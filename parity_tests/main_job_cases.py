"""Shared set-up of the main job's test files: a quick run's config, and what a figure file is."""

from pathlib import Path

from scripts.main_job.config import RunConfig

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def quick_config(out, **options):
    """A smoke run (every section's quick settings) writing below ``out``, without progress output."""
    return RunConfig(out=out, quick=True, progress="off", **options)


def assert_png(path):
    data = Path(path).read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 10_000, path
