"""What a person runs: the main job (``main.py``, ``main_job/``) and the benchmarks. An application
on top of ``numpy_impl`` and ``torch_impl``, which never import it."""
