"""The checker's entry points with torch references: ``check`` for learner code against a twin
by name, a torch module or a torch function, and ``check_model`` of a NumPy model against its
torch twin (``numpy_impl.gradcheck``'s core with autograd as the reference)."""

from numpy_impl import gradcheck
from numpy_impl.gradcheck.learner import as_learner

from .autograd import autograd_reference
from .references import resolve


def check(code, batch, reference=None, *, params=None, layout=None, activation="relu", **options):
    """``numpy_impl.gradcheck.check`` with ``reference`` also one of: a twin's name ("linear",
    "mlp", "autoencoder", "skipgram"; sized from your parameters, ``activation`` for the MLP and
    autoencoder), a torch module with ``loss(batch)`` (a twin), or a torch function
    ``f(params, batch) -> loss`` in your own names and layout. ``layout`` (a ``Layout``) maps your
    code onto a twin's names and layout. Other options as ``numpy_impl.gradcheck.check``."""
    learner = as_learner(code, params)
    reference = resolve(reference, learner.state_dict(), layout, activation)
    return gradcheck.check(learner, batch, reference, layout=layout, **options)


def assert_gradients(code, batch, reference=None, **options):
    """For your own tests: ``check`` (same arguments), then ``raise_if_failed``, so that pytest
    shows the whole report when the check fails. Returns the report when it passes."""
    return check(code, batch, reference, **options).raise_if_failed()


def check_model(
    numpy_model,
    torch_model,
    batch,
    *,
    finite_differences="sampled",
    fd_directions=3,
    fd_entries=10,
    seed=0,
    sizes=None,
):
    """Compare ``numpy_model`` with ``torch_model`` on ``batch``; returns a ``ParityReport``.

    ``finite_differences``: "sampled", "exhaustive" (tiny models) or None; they run on float64
    models only. ``torch_model=None`` skips loss and autograd parity (structure and finite
    differences still run). ``sizes`` names sizes for the hints (default: N, and D for a 2-D x).
    Neither model is changed: the twin is copied before the NumPy weights are loaded into it.
    """
    reference = autograd_reference(torch_model) if torch_model is not None else None
    return gradcheck.check(
        numpy_model,
        batch,
        reference,
        finite_differences=finite_differences,
        fd_directions=fd_directions,
        fd_entries=fd_entries,
        seed=seed,
        sizes=sizes,
    )
