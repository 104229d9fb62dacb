"""The bad-input battery (``bad_input_cases.py``, one row per case): every hostile-but-realistic
input gets the error its row names, from the project's own code, with a message naming the
culprit, and leaves the disk (and, where the row says, the model) exactly as it found it."""

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest
from bad_input_cases import CASES, KINDS, CLIFailure

ROOT = Path(__file__).resolve().parents[1]
OURS = tuple(str(ROOT / package) for package in ("numpy_impl", "torch_impl", "scripts"))


def snapshot(directory):
    """Every file and folder below ``directory``: path -> (mode, SHA-256 of the bytes)."""
    found = {}
    for root, dirs, files in os.walk(directory):
        for name in dirs + files:
            path = Path(root, name)
            content = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
            found[str(path.relative_to(directory))] = (path.stat().st_mode, content)
    return found


def same(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return np.array_equal(a, b)


def test_the_battery_has_at_least_120_cases_covering_every_class():
    assert len(CASES) >= 120
    assert len({case.id for case in CASES}) == len(CASES)
    assert {case.kind for case in CASES} == set(KINDS)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input(case, tmp_path):
    prepared = case.prepare(tmp_path) if case.prepare else tmp_path
    disk = snapshot(tmp_path)
    memory = case.state(prepared) if case.state else None
    with pytest.raises(case.error) as raised:
        case.act(prepared)
    message = str(raised.value)
    for name in case.names:
        assert name.format(tmp=tmp_path) in message, f"{name!r} not named in: {message}"
    if isinstance(raised.value, CLIFailure):
        assert raised.value.code == case.code, message
        assert "Traceback" not in message, message
    else:
        assert str(raised.traceback[-1].path).startswith(OURS), f"raised in {raised.traceback[-1].path}"
    assert snapshot(tmp_path) == disk, "the disk changed"
    if case.state:
        assert same(case.state(prepared), memory), "a refused call changed the model"
