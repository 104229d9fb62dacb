"""Swapping a mutant's replacements in and putting the originals back.

A patch is an (owner, attribute or key, replacement) triple; an owner is a module, a class or a dict
(a registry such as ``numpy_impl.ops.ACTIVATIONS``). Models look their operations up at call time,
so a patched operation reaches every model that calls it.
"""

from contextlib import contextmanager

_ABSENT = object()


def _get(owner, key):
    """What ``owner`` itself holds under ``key`` (a class may inherit it: then nothing to put back)."""
    return owner.get(key, _ABSENT) if isinstance(owner, dict) else owner.__dict__.get(key, _ABSENT)


def _set(owner, key, value):
    if isinstance(owner, dict):
        if value is _ABSENT:
            del owner[key]
        else:
            owner[key] = value
    elif value is _ABSENT:
        delattr(owner, key)
    else:
        setattr(owner, key, value)


@contextmanager
def patched(patches):
    """Apply ``patches`` for the duration of the block; the originals always come back."""
    originals = [(owner, key, _get(owner, key)) for owner, key, _ in patches]
    try:
        for owner, key, replacement in patches:
            _set(owner, key, replacement)
        yield
    finally:
        for owner, key, original in reversed(originals):
            _set(owner, key, original)
