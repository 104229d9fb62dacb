"""Thin entry points; the logic lives in ``numpy_impl`` and ``torch_impl``."""
