"""Rows measured by the helpers' functions alone: skip-gram beside gensim (c), the machine's matmul
rate (e), the GPU (g). Each takes the run's ``Settings`` and its ``Images`` and returns the row's
figures; ``helpers.run_row`` adds its status."""

from .helpers import Skipped, call, helper


def skipgram_speed(s, images):
    """Effective words/s (words kept after subsampling per second of training) of every engine and
    of gensim with 1 and 2 workers, the same corpus and settings, in interleaved rounds; ratios to
    gensim's one worker in the same rounds, and the quality scores."""
    side_by_side = helper("scripts.bench.skipgram", "side_by_side")
    engines = ("numpy",) if s.quick else ("numpy", "torch-autograd", "lightning")
    result = side_by_side(engines, repeats=s.repeats, gensim_workers=(1, 2), **s.skipgram)
    return {"setting": result["setting"], "engines": result["medians"]}


def machine(s, images):
    """The machine's float32 matmul rate on one thread and the NumPy MLP 784-128-10 step's rate at
    batch 256, measured in turn so that both see the same load, and the step's share."""
    share = helper("scripts.bench.epochs", "mlp_step_share")
    found = call(share, batch=256, rows=s.rows, repeats=s.repeats, data=images.rows(s.rows))
    return {
        "matmul_gflops": found["matmul"] / 1e9,
        "mlp_step_gflops": found["step"] / 1e9,
        "fraction": found["fraction"],
        "what": "256x784 @ 784x128 float32 matmul vs the NumPy MLP 784-128-10 step at batch 256",
    }


def gpu(s, images):
    """The torch twins' training throughput on the GPU beside the CPU (a CUDA machine only)."""
    import torch

    if not torch.cuda.is_available():
        raise Skipped("skipped: no CUDA device here (torch.cuda.is_available() is False)")
    measure = helper("scripts.device_throughput", "measure")
    options = {"steps": 2, "warmup": 1, "repeats": 1} if s.quick else {"repeats": s.repeats}
    by_device = {device: call(measure, device, **options) for device in ("cuda", "cpu")}
    return {"devices": by_device, "name": torch.cuda.get_device_name()}
