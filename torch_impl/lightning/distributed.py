"""What training on several processes adds to one process: which rows a rank trains, which
collective backend runs, and the check that every rank ends with the same weights.

Under DDP a global batch is the one loop's batch (``epoch_batches`` at ``world_size`` times the
per-rank batch size) and rank r trains ``share(n, r, world_size)`` of its n examples: contiguous,
the first ``n % world_size`` ranks one example more. So 2 ranks of batch b see, step by step,
exactly the examples one process of batch 2b sees. ``docs/SCALING.md`` says what equals what.
"""

import hashlib

import torch
import torch.distributed as dist

from numpy_impl.checks import InputError, positive_int


def share(n, rank, world_size):
    """Rank ``rank``'s slice of ``n`` items split into ``world_size`` contiguous shares."""
    n, world_size = positive_int(n, "n", minimum=0), positive_int(world_size, "world_size")
    rank = positive_int(rank, "rank", minimum=0)
    if rank >= world_size:
        raise InputError(f"rank must lie in [0, {world_size}) for world_size {world_size}; got {rank}")
    q, extra = divmod(n, world_size)
    start = rank * q + min(rank, extra)
    return slice(start, start + q + (rank < extra))


def rank_and_world(trainer):
    """(global rank, world size) of the process ``trainer`` runs in; (0, 1) without a trainer."""
    if trainer is None:
        return 0, 1
    return trainer.global_rank, trainer.world_size


def process_group_backend():
    """The collective backend of the running process group ("gloo", "nccl"), None without one."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_backend()
    return None


def end_process_group():
    """Destroy this process's group, if any, once its command is done: Lightning leaves it alive
    (a process may fit and then test), and a process exiting with a gloo group alive aborts
    ("terminate called without an active exception", exit status 134; measured)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def weights_digest(module):
    """SHA-256 of a module's state dict (names, dtypes, shapes and bytes, in key order)."""
    digest = hashlib.sha256()
    for name, tensor in module.state_dict().items():
        value = tensor.detach().cpu().contiguous().reshape(-1)
        digest.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)}".encode())
        digest.update(value.view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


PEER_GONE = (
    "Connection reset by peer",
    "Connection closed by peer",
    "Broken pipe",
    "NCCL communicator was aborted",
)


def lost_peer(err):
    """One line for ``err`` when it is a collective that failed because another rank of the run
    died (gloo raises a bare RuntimeError, NCCL a ``DistError``); None for any other error."""
    if process_group_backend() is None:
        return None
    text = str(err).strip()
    if not (isinstance(err, dist.DistError) or any(s in text for s in PEER_GONE)):
        return None
    reason = next(
        (s for s in PEER_GONE if s in text), text.splitlines()[0][:200] if text else type(err).__name__
    )
    return (
        f"rank {dist.get_rank()} of {dist.get_world_size()}: another process of this DDP run stopped "
        f"({process_group_backend()}: {reason}); the checkpoints written so far are kept: start every "
        "rank again with --ckpt_path last to resume"
    )


class ReplicasDisagree(RuntimeError):
    """Ranks of one DDP run hold different weights (an update outside autograd, or other batches)."""


def check_replicas(system):
    """Every rank's weight digest (a list, rank order); raises ``ReplicasDisagree`` on all ranks
    when they differ. A collective: every rank calls it at the same point."""
    mine = bytes.fromhex(weights_digest(system.model))
    local = torch.tensor(list(mine), dtype=torch.uint8, device=system.device)
    gathered = [torch.empty_like(local) for _ in range(dist.get_world_size())]
    dist.all_gather(gathered, local)  # gloo and NCCL alike (tensors on the rank's device)
    digests = [bytes(row.cpu().tolist()).hex() for row in gathered]
    if len(set(digests)) > 1:
        differing = [r for r, d in enumerate(digests) if d != digests[0]]
        raise ReplicasDisagree(
            f"after training, ranks {differing} hold weights that differ from rank 0's "
            f"(SHA-256 {[d[:12] for d in digests]}): some update bypassed the all-reduced gradients"
        )
    return digests
