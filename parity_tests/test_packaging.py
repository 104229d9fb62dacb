"""The project's promises about itself: what imports what, what runs without torch, what is pinned."""

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_python(code):
    """``code`` in a fresh interpreter that imports this checkout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)


def test_numpy_impl_imports_without_torch():
    code = (
        "import sys, numpy_impl, numpy_impl.data, numpy_impl.optim, numpy_impl.gradcheck; "
        "assert 'torch' not in sys.modules, 'torch'"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr


# A learner with NumPy only: torch cannot be imported at all (None in sys.modules makes every
# ``import torch`` raise ImportError), and the checker still runs structure and finite differences.
WITHOUT_TORCH = '''
import json, sys
sys.modules["torch"] = None
try:
    import torch
except ImportError:
    pass
else:
    raise SystemExit("torch was importable")
import numpy as np
import numpy_impl
from numpy_impl.gradcheck import check_model

class Broken:
    """A learner's MLP whose output bias gradient is summed over the batch, not averaged."""

    def __init__(self, model):
        self.model = model

    def state_dict(self):
        return self.model.state_dict()

    def parameters(self):
        return self.model.parameters()

    def loss(self, batch):
        return self.model.loss(batch)

    def loss_and_grads(self, batch):
        loss, grads = self.model.loss_and_grads(batch)
        return loss, {**grads, "layers.1.bias": grads["layers.1.bias"] * len(batch[0])}

rng = np.random.default_rng(1)
batch = (rng.standard_normal((7, 13)), rng.integers(0, 5, size=7))
model = numpy_impl.MLP((13, 11, 5), seed=0, dtype=np.float64)
good = check_model(model, batch, finite_differences="exhaustive")
bad = check_model(Broken(model), batch, finite_differences="exhaustive")
loaded = sorted(name for name, module in sys.modules.items() if name.startswith("torch") and module)
print(json.dumps({"good": good.to_dict(), "bad": bad.to_dict(), "bad_text": str(bad), "torch": loaded}))
'''


def test_the_checker_runs_where_torch_cannot_be_imported():
    result = run_python(WITHOUT_TORCH)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    good, bad = out["good"], out["bad"]
    assert out["torch"] == [] and good["ok"] and good["loss"] is None, out["bad_text"]
    assert good["structure"]["ok"] and good["finite_differences"]["ok"]
    assert sum(t["n_total"] for t in good["finite_differences"]["tensors"]) == 11 * 13 + 11 + 5 * 11 + 5
    assert bad["failed_checks"] == ["finite differences"]
    assert [t["name"] for t in bad["finite_differences"]["tensors"] if not t["ok"]] == ["layers.1.bias"]
    assert (
        "hint: yours = N (7) x reference (c = 7): a sum where the reference takes the mean" in out["bad_text"]
    )


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
