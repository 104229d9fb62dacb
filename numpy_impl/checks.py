"""Input checks shared by both engines, so bad input fails with the same sentence in NumPy and
torch. They are duck-typed: NumPy arrays and torch tensors both offer ``ndim``, ``shape``, ``dtype``
and the few reductions used here.

A batch check has two halves. What shapes and dtypes tell is read from metadata alone and costs
nothing on a GPU; the torch twins' ``loss`` runs only that half (``values=False``). Label ranges and
finiteness read the values, which on a GPU is a host sync: that half runs where data enters, in
``validate`` (and in the NumPy models' public ``loss`` / ``loss_and_grads``)."""

import math
import numbers

import numpy as np

SEED_MAX = 2**32 - 1  # the largest seed every consumer takes (NumPy's legacy seeding, gensim, Lightning)


class InputError(ValueError):
    """Bad input to a model, a loader or a converter; the message names the problem."""


class InputTypeError(InputError, TypeError):
    """An argument of the wrong kind (None where an array goes...): an InputError and a TypeError."""


class MissingFileError(InputError, FileNotFoundError):
    """A file or directory named by an argument is not there (both an InputError and a
    FileNotFoundError, so either ``except`` catches it)."""


def positive_int(value, name, minimum=1):
    """``value`` as an int when it is an integer >= ``minimum``; else an ``InputError`` naming ``name``.

    The one size check of every model in both engines: bools, floats (12.5 and 12.0 alike), None
    and strings are refused, not rounded."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputError(f"{name} must be an integer >= {minimum}; got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise InputError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def seed(value, name="seed"):
    """``value`` as an int when it is an integer seed in [0, 2**32 - 1]; else an ``InputError``.

    One range for every seed of the project, checked where it enters: NumPy takes larger seeds,
    but gensim and Lightning's ``seed_everything`` refuse them, deep inside their own code."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= value <= SEED_MAX:
        raise InputError(f"{name} must be an integer in [0, {SEED_MAX}] (2**32 - 1); got {value!r}")
    return int(value)


def real(value, name, *, minimum=None, maximum=None, below=None):
    """``value`` as a float when it is a finite real number within the bounds given (``minimum`` <=
    value <= ``maximum``, value < ``below``); bools, strings, None, NaN and inf are refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise InputError(f"{name} must be a finite number; got {value!r} ({type(value).__name__})")
    if minimum is not None and value < minimum:
        raise InputError(f"{name} must be >= {minimum}; got {value!r}")
    if maximum is not None and value > maximum:
        raise InputError(f"{name} must be <= {maximum}; got {value!r}")
    if below is not None and value >= below:
        raise InputError(f"{name} must be < {below}; got {value!r}")
    return float(value)


def positive_ints(values, name, min_length=1):
    """A sequence of sizes, each checked by ``positive_int`` (named ``name[i]``), as a tuple of ints."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__") or len(values) < min_length:
        raise InputError(
            f"{name} must be a sequence of at least {min_length} positive integers; got {values!r}"
        )
    return tuple(positive_int(v, f"{name}[{i}]") for i, v in enumerate(values))


def one_of(value, choices, name):
    """``value`` when it is one of ``choices``; else an ``InputError`` listing them."""
    if not isinstance(value, str) or value not in choices:
        raise InputError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def check_classifier_batch(batch, n_features, n_classes, cast, *, values=True):
    """``(x, y)`` checked: x floats (N >= 1, n_features), returned cast by ``cast`` to the model's
    dtype; y integer class ids (N,). With ``values``, also y in [0, n_classes) and x finite *after*
    the cast (1e39 is finite in float64 and inf in a float32 model)."""
    x, y = unpack(batch, ("x", "y"))
    x = check_features(x, n_features, cast)
    check_not_empty(x)
    check_labels(y, len(x), n_classes, values=values)
    if values:
        check_finite(x, "x")
    return x, y


def check_reconstruction_batch(batch, n_features, cast, *, values=True):
    """``(x,)`` checked as ``check_classifier_batch`` checks x; returns ``(x,)`` cast. The target
    is x itself."""
    (x,) = unpack(batch, ("x",))
    x = check_features(x, n_features, cast)
    check_not_empty(x)
    if values:
        check_finite(x, "x")
    return (x,)


def unpack(batch, names):
    if not isinstance(batch, (tuple, list)) or len(batch) != len(names):
        raise InputError(f"a batch is a tuple ({', '.join(names)}); got {_describe(batch)}")
    return tuple(batch)


def check_features(x, n_features, cast, name="x"):
    """x as (N, n_features) floats of any precision, cast by ``cast``; metadata only. Integer,
    bool and complex input is refused rather than silently converted."""
    if x.ndim != 2:
        raise InputError(f"{name} must be 2-D (N, {n_features}); got shape {tuple(x.shape)}")
    if x.shape[1] != n_features:
        raise InputError(f"{name} has {x.shape[1]} features per row; the model expects {n_features}")
    if not _is_float(x):
        raise InputError(f"{name} must hold floats; got dtype {x.dtype}")
    return cast(x)


def check_not_empty(x, name="x"):
    if x.shape[0] == 0:
        raise InputError(f"{name} is an empty batch (0 rows); a loss needs at least one example")


def check_labels(y, n_rows, n_classes, name="y", *, values=True):
    if y.ndim != 1 or y.shape[0] != n_rows:
        raise InputError(f"{name} must have shape ({n_rows},), one class id per row; got {tuple(y.shape)}")
    if not is_int(y):
        raise InputError(f"{name} must hold integer class ids; got dtype {y.dtype} (cast labels to int)")
    if not values:
        return
    low, high = int_range(y)
    if low < 0 or high >= n_classes:
        raise InputError(
            f"{name} has labels in [{low}, {high}]; the model has {n_classes} classes (ids 0..{n_classes - 1})"
        )


def int_range(a):
    """(min, max) of an integer array or tensor; torch has no min/max for uint16/32/64, so those
    are read through float64 (exact for every value a class id can take)."""
    if hasattr(a.dtype, "is_floating_point") and str(a.dtype) in _WIDE_UNSIGNED:
        a = a.double()
    return int(a.min()), int(a.max())


_WIDE_UNSIGNED = ("torch.uint16", "torch.uint32", "torch.uint64")


def check_finite(a, name):
    finite = np.isfinite(a) if isinstance(a, np.ndarray) else a.isfinite()
    if not bool(finite.all()):
        bad = int((~finite).sum())
        raise InputError(f"{name} has {bad} NaN/inf value(s); the first is at index {_first_false(finite)}")


def _first_false(finite):
    flat = np.asarray(finite.cpu() if hasattr(finite, "cpu") else finite).ravel()
    return tuple(int(i) for i in np.unravel_index(int(np.argmin(flat)), tuple(finite.shape)))


def _is_float(a):
    return a.dtype.is_floating_point if hasattr(a.dtype, "is_floating_point") else a.dtype.kind == "f"


def is_int(a):
    """Whether a NumPy array or torch tensor holds integers (not bool, not floats)."""
    if hasattr(a.dtype, "is_floating_point"):  # torch
        return not a.dtype.is_floating_point and not a.dtype.is_complex and str(a.dtype) != "torch.bool"
    return a.dtype.kind in "iu"


def _describe(obj):
    if hasattr(obj, "shape"):
        return f"{type(obj).__name__} of shape {tuple(obj.shape)}"
    if isinstance(obj, (tuple, list)):
        return f"a {type(obj).__name__} of {len(obj)}"
    return type(obj).__name__
