"""Regenerates the generated parts of docs/checking_your_backprop.md from real runs of
``paritynets-check`` on ``two_layer_net.py``, as written and with the walkthrough's bug put in.

    python docs/examples/walkthrough.py          # rewrite the doc's generated blocks
    python docs/examples/walkthrough.py --check  # exit 1 if the doc is out of date

Each block sits between ``<!-- generated: NAME -->`` and ``<!-- end -->``; the test suite runs
``--check``'s comparison, so the doc never drifts from what the checker prints. The comparison
(``matches``) lets the error figures differ by rounding: a float64 difference of 4.4e-16 on one
machine is 8.9e-16 on another (BLAS kernels sum in different orders), and the checker prints them.
"""

import contextlib
import io
import math
import re
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOC = HERE.parent / "checking_your_backprop.md"
CODE = HERE / "two_layer_net.py"
CORRECT, BUGGY = "    dz1 = dh1 * (z1 > 0)\n", "    dz1 = dh1\n"
TWIN = ["--reference", "mlp", "--weights", "in,out", "--labels", "one-hot", "--l2", "0.005"]
TORCH_FREE = ["--weights", "in,out", "--finite-differences", "exhaustive"]


def report(args, bug=False):
    """What ``paritynets-check two_layer_net.py ARGS`` prints (with the bug put in)."""
    from scripts.check import main

    source = CODE.read_text()
    assert CORRECT in source, "the walkthrough's line is no longer in two_layer_net.py"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / CODE.name
        path.write_text(source.replace(CORRECT, BUGGY) if bug else source)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = main([str(path), *args])
    return f"$ paritynets-check two_layer_net.py {' '.join(args)}\n{out.getvalue().rstrip()}\n(exit status {status})"


def blocks():
    backward = CODE.read_text().split("def backward(cache):")[1].split("\n\n\n")[0]
    return {
        "backward": "def backward(cache):" + backward,
        "buggy_twin": report(TWIN, bug=True),
        "buggy_torch_free": report(TORCH_FREE, bug=True),
        "fixed_twin": report(TWIN),
    }


NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?"
# an error figure: rounding moves it (|diff| 4.4e-16 or 8.9e-16, a finite-difference error 3.26e-09 or
# 3.29e-09); a value, a tolerance, a shape or a count it leaves alone to ~10 digits
ERROR = re.compile(rf"(?:(?<=\|diff\| )|(?<=norm-rel )|(?<=max\|ref\| )){NUMBER}")


def matches(fresh, current, rel=1e-9, error_factor=4.0):
    """Whether two renderings say the same: the same words and verdicts, values within ``rel``,
    and error figures within ``error_factor`` of each other (the same order of magnitude)."""
    errors = [[float(e) for e in ERROR.findall(t)] for t in (fresh, current)]
    rest = [re.split(NUMBER, ERROR.sub("ERROR", t)) for t in (fresh, current)]
    values = [[float(v) for v in re.findall(NUMBER, ERROR.sub("ERROR", t))] for t in (fresh, current)]
    if rest[0] != rest[1] or len(errors[0]) != len(errors[1]):
        return False
    close = all(math.isclose(a, b, rel_tol=rel) for a, b in zip(*values, strict=True))
    return close and all(max(a, b) <= error_factor * min(a, b) for a, b in zip(*errors, strict=True))


def render(text):
    for name, content in blocks().items():
        fence = "python" if name == "backward" else "text"
        pattern = rf"(<!-- generated: {name} -->\n).*?(<!-- end -->)"
        text, count = re.subn(
            pattern,
            lambda m, c=content, f=fence: f"{m.group(1)}```{f}\n{c}\n```\n{m.group(2)}",
            text,
            flags=re.S,
        )
        assert count == 1, f"the doc has no block {name}"
    return text


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent.parent))
    current = DOC.read_text()
    fresh = render(current)
    if "--check" in sys.argv:
        sys.exit(0 if matches(fresh, current) else 1)
    DOC.write_text(fresh)
