"""Files the project writes (checkpoints, state dicts, vectors, summaries, plots) are written
atomically: an error midway leaves the previous file whole and no temporary file behind."""

import json
from pathlib import Path

import numpy as np
import pytest

import numpy_impl.state
from numpy_impl.files import atomic_open, atomic_path
from numpy_impl.state import load_safetensors, save_safetensors


class Boom(Exception):
    pass


def test_an_error_midway_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "summary.json"
    target.write_text('{"old": true}')
    with pytest.raises(Boom), atomic_open(target) as f:
        f.write('{"new": ')
        raise Boom
    assert json.loads(target.read_text()) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_success_replaces_the_file_and_creates_missing_folders(tmp_path):
    target = tmp_path / "a" / "b" / "out.txt"
    with atomic_open(target) as f:
        f.write("done\n")
    assert target.read_text() == "done\n"
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"again")
        assert target.read_text() == "done\n"  # the target changes only when the block ends
    assert target.read_bytes() == b"again"


def test_a_failed_safetensors_write_keeps_the_previous_weights(tmp_path, monkeypatch):
    path = tmp_path / "weights.safetensors"
    save_safetensors({"w": np.arange(3.0)}, path)

    def crash_midway(arrays, filename, metadata=None):
        Path(filename).write_bytes(b"half a header")
        raise Boom

    monkeypatch.setattr(numpy_impl.state, "save_file", crash_midway)
    with pytest.raises(Boom):
        save_safetensors({"w": np.arange(5.0)}, path)
    monkeypatch.undo()
    np.testing.assert_array_equal(load_safetensors(path)["w"], np.arange(3.0))
    assert [p.name for p in tmp_path.iterdir()] == ["weights.safetensors"]
