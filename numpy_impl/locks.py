"""A run owns its paths: a lock file beside a checkpoint (``.<name>.lock``) or inside an output
directory (``.paritynets.lock``), held with ``flock`` for as long as the run lasts. A second run
on the same path is refused with a message naming the first (its pid, host, start time and
command). The operating system drops a ``flock`` when its process dies, ``kill -9`` included, so
a killed run never leaves a path locked; the next run takes the lock file over."""

import fcntl
import os
import socket
import sys
import time
from pathlib import Path

from .checks import InputError
from .files import make_directory


class PathInUseError(InputError):
    """Another running process owns the checkpoint or the directory."""


DIRECTORY_LOCK = ".paritynets.lock"


def lock_file_for(path, directory=False):
    """Where the lock of ``path`` lives: inside it for a directory, beside it for a file."""
    path = Path(path)
    return path / DIRECTORY_LOCK if directory else path.with_name(f".{path.name}.lock")


class PathLock:
    """``with PathLock(path, "checkpoint"):`` holds ``path`` for this process, or raises
    ``PathInUseError``; ``what`` names the path in the message, ``directory`` puts the lock inside
    ``path`` (created when missing) rather than beside it."""

    def __init__(self, path, what="path", *, directory=False):
        self.path, self.what = Path(path), what
        self.lock_path, self._fd = lock_file_for(self.path, directory), None

    def acquire(self):
        make_directory(self.lock_path.parent, f"the folder of {self.what} {self.path}")
        while True:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 4096).decode(errors="replace").strip() or "another process"
                os.close(fd)
                raise PathInUseError(
                    f"{self.what} {self.path} is in use by another run: {holder}; wait for it to "
                    f"finish or stop it (its lock is {self.lock_path})"
                ) from None
            if _same_file(fd, self.lock_path):  # not a file a finishing holder has just unlinked
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, describe_process().encode())
        self._fd = fd
        return self

    def release(self):
        if self._fd is None:
            return
        self.lock_path.unlink(missing_ok=True)  # unlink while still holding it, then let go
        os.close(self._fd)
        self._fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def remove_stale_locks_below(root):
    """Remove the lock files under ``root`` that no process holds (left by runs killed with
    ``kill -9``, in folders no later run takes over); returns the paths removed."""
    removed = []
    for path in Path(root).rglob(".*.lock") if Path(root).is_dir() else ():
        try:
            fd = os.open(path, os.O_RDWR)
        except OSError:
            continue
        try:
            head = os.read(fd, 4)
            # ours says "pid ..."; a run killed between creating its directory lock and writing it
            # leaves it empty, and only this project names a file .paritynets.lock
            if not (head.startswith(b"pid ") or (head == b"" and path.name == DIRECTORY_LOCK)):
                continue  # not one of ours
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if _same_file(fd, path):
                path.unlink()
                removed.append(path)
        except BlockingIOError:
            pass  # held: a live run's
        finally:
            os.close(fd)
    return removed


def describe_process():
    """This process in words: pid, host, start time and command line."""
    command = " ".join(sys.argv) if sys.argv and sys.argv[0] else sys.executable
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    return f"pid {os.getpid()} on {socket.gethostname()}, since {started} ({command[:300]})"


def _same_file(fd, path):
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False
