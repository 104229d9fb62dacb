"""docs/lightning.md points at real code: every module, class, function and file it names exists,
in this repository or, for the Lightning facts, in Lightning's own source."""

import importlib
import re
from pathlib import Path

import lightning
import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = (ROOT / "docs/lightning.md").read_text()
LIGHTNING = Path(lightning.__file__).parent
TICKED = re.findall(r"`([^`\s]+)`", GUIDE)
DOTTED = sorted({t for t in TICKED if re.fullmatch(r"(numpy_impl|torch_impl|scripts)(\.\w+)+", t)})
FILES = sorted({t for t in TICKED if re.fullmatch(r"[\w/.]+\.(py|md|yaml)", t) and "/" in t})
# (Lightning file, a name in it): "(`loops/fit_loop.py`, `on_advance_end`"
LIGHTNING_NAMES = sorted(set(re.findall(r"\(`([\w/]+\.py)`,\s+`(\w+)`", GUIDE)))


def resolve(dotted):
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            target = getattr(target, name)
        return target
    raise ModuleNotFoundError(dotted)


def lightning_file(path):
    for base in (LIGHTNING / "pytorch", LIGHTNING):
        if (base / path).is_file():
            return base / path
    return None


def test_the_guide_names_enough_to_check():
    assert len(DOTTED) >= 30 and len(FILES) >= 10 and len(LIGHTNING_NAMES) >= 4


@pytest.mark.parametrize("name", DOTTED)
def test_every_name_the_guide_cites_exists(name):
    assert resolve(name) is not None


@pytest.mark.parametrize("path", FILES)
def test_every_file_the_guide_cites_exists(path):
    assert (ROOT / path).is_file() or lightning_file(path) is not None, path


@pytest.mark.parametrize(("path", "name"), LIGHTNING_NAMES)
def test_every_lightning_source_fact_points_at_real_code(path, name):
    assert name in lightning_file(path).read_text(), f"{name} is not in lightning's {path}"


def test_model_checkpoints_last_lookup_is_where_the_guide_says():
    from lightning.pytorch.callbacks import ModelCheckpoint

    assert callable(ModelCheckpoint._find_last_checkpoints)
    assert "ModelCheckpoint._find_last_checkpoints" in GUIDE
