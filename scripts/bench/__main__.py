"""``python -m scripts.bench``: the thread variables are pinned here, before anything imports NumPy."""

from .threads import pin_environment

pin_environment()

from .cli import main  # noqa: E402  (NumPy must load after the variables are set)

if __name__ == "__main__":
    raise SystemExit(main())
