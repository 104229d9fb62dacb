"""The project's promises about itself: what imports what, what is pinned."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_numpy_impl_imports_without_torch():
    code = "import sys, numpy_impl, numpy_impl.data, numpy_impl.optim; assert 'torch' not in sys.modules, 'torch'"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_plain_torch_use_does_not_import_lightning():
    code = "import sys, torch_impl; assert 'lightning' not in sys.modules, 'lightning'"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_runtime_dependencies_and_lock():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {dep.split(">")[0].split("=")[0].split("<")[0].strip() for dep in project["dependencies"]}
    wanted = {
        "numpy",
        "torch",
        "lightning",
        "scikit-learn",
        "huggingface-hub",
        "safetensors",
        "tqdm",
        "matplotlib",
    }
    assert wanted | {"gensim"} <= names
    assert project["requires-python"] == ">=3.11"
    dev = {d.split(">")[0] for d in project["optional-dependencies"]["dev"]}
    assert {"pytest", "hypothesis", "ruff"} <= dev
    pins = dict(line.split("==") for line in (ROOT / "constraints.txt").read_text().split() if "==" in line)
    assert pins["torch"] == "2.13.0"
    for name in wanted | {"gensim", "pytest", "hypothesis", "ruff"}:
        assert name in {k.lower().replace("_", "-") for k in pins}, f"{name} is not pinned in constraints.txt"
