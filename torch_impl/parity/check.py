"""``check_model`` of a NumPy model against its torch twin: ``numpy_impl.gradcheck.check_model``
with autograd through the twin as the reference."""

from numpy_impl import gradcheck

from .autograd import autograd_reference


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
    return gradcheck.check_model(
        numpy_model,
        batch,
        reference,
        finite_differences=finite_differences,
        fd_directions=fd_directions,
        fd_entries=fd_entries,
        seed=seed,
        sizes=sizes,
    )
