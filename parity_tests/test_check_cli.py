"""``paritynets-check FILE`` (``scripts/check.py``) as a learner runs it, the walkthrough that is
generated from its runs, and the example test file of docs/examples."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import check as cli
from scripts import main as paritynets

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs" / "examples"
NET = EXAMPLES / "two_layer_net.py"
TWIN = ["--reference", "mlp", "--weights", "in,out", "--labels", "one-hot", "--l2", "0.005"]
sys.path.insert(0, str(EXAMPLES))
import walkthrough  # noqa: E402


def buggy(tmp_path, old="    dz1 = dh1 * (z1 > 0)\n", new="    dz1 = dh1\n"):
    path = tmp_path / "two_layer_net.py"
    path.write_text(NET.read_text().replace(old, new))
    return path


def test_correct_code_exits_0_and_a_bug_exits_1_with_the_report(tmp_path, capsys):
    assert cli.main([str(NET), *TWIN]) == 0
    assert capsys.readouterr().out.rstrip().endswith("RESULT: OK")
    assert cli.main([str(buggy(tmp_path)), *TWIN]) == 1
    out = capsys.readouterr().out
    assert "first divergent: dz1" in out and "the ReLU mask is missing" in out


def test_json_for_autograders(tmp_path, capsys):
    assert cli.main([str(buggy(tmp_path)), "--weights", "in,out", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["failed_checks"] == ["finite differences"]
    assert [t["name"] for t in report["finite_differences"]["tensors"] if not t["ok"]] == ["b1", "W1"]


def test_code_named_on_the_command_line(tmp_path, capsys):
    source = NET.read_text() + (
        "\n\ndef my_loss_and_grads(p, b):\n    loss, cache = forward(p, b)\n    return loss, backward(cache)[0]\n"
        "\n\ndef torch_loss(p, b):\n    import torch\n\n    x, y = b\n    z = torch.relu(x @ p['W1'] + p['b1']) @ p['W2'] + p['b2']\n"
        "    penalty = 0.5 * REG * ((p['W1'] ** 2).sum() + (p['W2'] ** 2).sum())\n"
        "    return -(y * torch.log_softmax(z, 1)).sum() / len(x) + penalty\n"
        "\n\nsome_params = init_params(64, 16, 10, seed=4)\n"
    )
    path = tmp_path / "net.py"
    path.write_text(source)
    arguments = [
        str(path),
        "--loss-and-grads",
        "my_loss_and_grads",
        "--params",
        "some_params",
        "--batch",
        "make_batch",
    ]
    assert cli.main([*arguments, "--reference", f"{path}:torch_loss"]) == 0, capsys.readouterr().out
    assert "gradients vs the torch function torch_loss" in capsys.readouterr().out


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["missing.py"], "no file at missing.py"),
        ([str(NET), "--forward", "forward"], "--forward and --backward go together"),
        ([str(NET), "--params", "nothing"], "defines no nothing (the parameters): name it with --params"),
        ([str(NET), "--reference", "resnet"], "--reference must be finite-differences, one of linear, mlp"),
        ([str(NET), "--reference", "mlp"], "y looks one-hot (shape (32, 10), one 1 per row)"),
        (
            [str(NET), "--reference", "mlp", "--labels", "one-hot"],
            "are your weights (in, out)? Layout(weights='in, out') (paritynets-check --weights in,out)",
        ),
        ([str(NET), "--names", "W1"], "--names takes yours=theirs pairs"),
    ],
)
def test_usage_errors_exit_2_with_a_message(arguments, message, capsys):
    assert cli.main(arguments) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("spelling", ["in,out", "in, out", " in , out "])
def test_the_weights_layout_is_read_as_the_python_layout_writes_it(spelling, capsys):
    assert cli.main([str(NET), *TWIN[:2], "--weights", spelling, *TWIN[4:]]) == 0
    assert "weights (in, out)" in capsys.readouterr().out


def test_paritynets_check_dispatches_to_it(capsys):
    assert paritynets.main(["check", str(NET), "--weights", "in,out"]) == 0
    assert "RESULT: OK" in capsys.readouterr().out


def test_as_a_program(tmp_path):
    """The module run as a program, as the console script runs it: exit status and JSON."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "scripts.check", str(buggy(tmp_path)), *TWIN, "--json"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr[-2000:]
    assert json.loads(result.stdout)["first_divergent_intermediate"] == "dz1"


def test_the_walkthrough_is_what_the_checker_prints():
    text = walkthrough.DOC.read_text()
    assert walkthrough.matches(walkthrough.render(text), text), (
        "docs/checking_your_backprop.md is stale: python docs/examples/walkthrough.py"
    )


def test_the_walkthrough_comparison_allows_rounding_only():
    doc = "OK   loss: yours 2.68887858443424  |diff| 4.44e-16  allowed 2.69e-12\n  OK   b2  (10,)  norm-rel 3.26e-09\n"
    assert walkthrough.matches(doc.replace("4.44e-16", "8.88e-16").replace("3.26e-09", "3.29e-09"), doc)
    assert not walkthrough.matches(doc.replace("4.44e-16", "4.44e-12"), doc)  # an error of another order
    assert not walkthrough.matches(doc.replace("3.26e-09", "3.26e-05"), doc)
    assert not walkthrough.matches(doc.replace("2.68887858443424", "2.68887878443424"), doc)  # a value
    assert not walkthrough.matches(doc.replace("2.69e-12", "2.69e-10"), doc)  # a tolerance
    assert not walkthrough.matches(doc.replace("(10,)", "(11,)"), doc)
    assert not walkthrough.matches(doc.replace("OK   b2", "FAIL b2"), doc)


def test_the_example_test_file_passes_and_bites(monkeypatch):
    import test_two_layer_net as example

    example.test_gradients_match_finite_differences()
    example.test_gradients_match_the_torch_mlp()
    forward, backward = example.net.forward, example.net.backward

    def no_mask_backward(cache):
        grads, intermediates = backward(cache)
        x, _, params, z1, h1, probs = cache
        grads["W1"] = x.T @ intermediates["dh1"] + example.net.REG * params["W1"]
        return grads, intermediates

    monkeypatch.setattr(example.net, "backward", no_mask_backward)
    for test in (example.test_gradients_match_finite_differences, example.test_gradients_match_the_torch_mlp):
        with pytest.raises(AssertionError, match="RESULT: FAIL"):
            test()
    assert example.net.forward is forward


def learner_file(tmp_path, text, name="net.py"):
    path = tmp_path / name
    path.write_text(NET.read_text() + "\n" + text)
    return str(path)


@pytest.mark.parametrize(
    "text, arguments, message",
    [
        ("def broken(:\n", [], "does not run: SyntaxError"),
        (
            "raise ValueError('the data folder is missing')\n",
            [],
            "net.py does not run: ValueError: the data folder",
        ),
        (
            "def needs_sizes(n_in, n_out):\n    return {}\n",
            ["--params", "needs_sizes"],
            "needs_sizes() (the parameters, called with no arguments) does not run: TypeError",
        ),
        (
            "class Net:\n    def __init__(self, n_in):\n        pass\n\n    def loss_and_grads(self, batch):\n        pass\n",
            ["--object", "Net"],
            "Net() does not run: TypeError",
        ),
        (
            "model = 3\n",
            ["--object", "model"],
            "--object model (int) is neither an object with loss_and_grads",
        ),
        (
            "def make():\n    return 3\n",
            ["--object", "make"],
            "make() gives a value of type int, with no loss_and_grads",
        ),
    ],
)
def test_what_your_file_raises_is_one_line_and_exit_2(tmp_path, capsys, text, arguments, message):
    """A file that does not run, or names what cannot be called as the CLI calls it: a usage error
    naming it and the line of your file, not a traceback."""
    assert cli.main([learner_file(tmp_path, text), *arguments]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err, err
    if "ValueError" in message:
        assert f"net.py, line {len(NET.read_text().splitlines()) + 2})" in err  # where in your file


def test_a_class_named_with_object_is_made_with_no_arguments(tmp_path, capsys):
    text = (
        "class Net:\n    def __init__(self):\n        self.params = init_params(64, 16, 10, seed=4)\n\n"
        "    def state_dict(self):\n        return self.params\n\n"
        "    def loss_and_grads(self, batch):\n        loss, cache = forward(self.params, batch)\n"
        "        return loss, backward(cache)[0]\n"
    )
    assert cli.main([learner_file(tmp_path, text), "--object", "Net", "--weights", "in,out"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("RESULT: OK")


def test_json_stays_json_when_your_code_prints(tmp_path, capsys):
    text = "print('loading the digits')\n_forward = forward\n\n\ndef forward(p, b):\n    print('a step')\n    return _forward(p, b)\n"
    assert cli.main([learner_file(tmp_path, text), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["ok"] is True
    assert "loading the digits" in captured.err and "a step" in captured.err


def test_without_a_twin_the_transpose_hint_reads_your_layout_from_your_shapes(tmp_path, capsys):
    """No --weights and no twin: the hint is written for the layout your shapes chain in (here
    (in, out)), not for a default the CLI would have assumed."""
    path = buggy(tmp_path, old='grads = {"W1": dW1,', new='grads = {"W1": dW1.T,')
    assert cli.main([str(path)]) == 1
    out = capsys.readouterr().out
    assert "your weights are (in, out) (z = x @ W), so dW = x.T @ dz, not dz.T @ x" in out, out


def test_nothing_compared_is_not_ok_and_exits_1(capsys):
    """No reference and no finite differences: structure alone says nothing of the values."""
    assert cli.main([str(NET), "--finite-differences", "none"]) == 1
    out = capsys.readouterr().out
    assert "RESULT: NOT CHECKED (nothing compared your gradients: no reference; finite differences off" in out
