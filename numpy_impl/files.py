"""Writing files so that a crash or an error leaves the old file or the new one, never half of
one: write a temporary file beside the target, flush it to disk, give it the mode a plain
``open`` would have (the umask's, or the replaced file's), rename it over the target, then flush
the directory so that the rename itself survives a power cut.

A temporary file is named ``.<target name>.<host>-<pid>.<random>.tmp``: a process killed while
writing (``kill -9``) leaves it behind, and ``remove_stale_temporaries`` (called by every write of
the same target and when a run starts) removes those whose process on this host is gone.
"""

import errno
import json
import os
import re
import socket
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .checks import InputError

_HOST = re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname()) or "host"
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.(?P<host>[A-Za-z0-9_-]+)-(?P<pid>\d+)\.[^.]+\.tmp$")


@contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; when the block succeeds it replaces ``path``
    (fsync'd first, the directory after), when it raises the temporary file is removed and
    ``path`` is untouched."""
    path = Path(path)
    make_directory(path.parent, f"the folder of {path}")
    remove_stale_temporaries(path.parent, path.name)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{_HOST}-{os.getpid()}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, _mode_for(path))  # mkstemp makes 0600 whatever the umask
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)


@contextmanager
def atomic_open(path, mode="w", encoding="utf8"):
    """``open(path, mode)`` for writing, atomically (see ``atomic_path``)."""
    with atomic_path(path) as tmp, open(tmp, mode, encoding=None if "b" in mode else encoding) as f:
        yield f


def write_json(path, value, default=None):
    """``value`` as indented JSON (``default`` converts what JSON lacks), written atomically."""
    with atomic_open(path) as f:
        f.write(json.dumps(value, indent=1, default=default) + "\n")


def make_directory(path, what):
    """``path`` created with its parents when missing; an ``InputError`` naming ``what`` when it
    cannot be (a file in the way, no permission, a read-only filesystem)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{what} {path} is a file, not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"cannot create {what} ({path}): {err.strerror or err}") from err
    return path


def check_writable_directory(path, what):
    """``path`` as a directory this process can write into (created when missing), checked by
    writing and removing a file there, so that a run refuses a bad output folder before it starts."""
    path = make_directory(path, what)
    try:
        fd, probe = tempfile.mkstemp(dir=path, prefix=f".write-test.{_HOST}-{os.getpid()}.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise InputError(f"{what} {path} is not writable: {err.strerror or err}") from err
    return path


def fsync_directory(directory):
    """Flush ``directory``'s entries (a rename) to disk; a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as err:  # some filesystems refuse fsync on a directory
        if err.errno not in (errno.EINVAL, errno.EBADF, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


def remove_stale_temporaries(directory, name=None):
    """Remove the temporary files in ``directory`` (of target ``name`` only, when given) left by
    writers on this host that are no longer running; returns the paths removed."""
    removed = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        found = _TEMPORARY.match(entry.name)
        if not found or (name is not None and found["name"] != name) or found["host"] != _HOST:
            continue
        if not _running(int(found["pid"])):
            Path(entry.path).unlink(missing_ok=True)
            removed.append(Path(entry.path))
    return removed


def remove_stale_temporaries_below(root):
    """``remove_stale_temporaries`` in ``root`` and every folder below it (a run's output tree)."""
    removed = []
    for directory, _, _ in os.walk(root):
        removed += remove_stale_temporaries(directory)
    return removed


def temporaries(directory):
    """The temporary files of ``atomic_path`` under ``directory`` (recursively), finished or not."""
    return sorted(p for p in Path(directory).rglob(".*.tmp") if _TEMPORARY.match(p.name))


def _running(pid):
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _mode_for(path):
    """The replaced file's permission bits, or what ``open`` gives a new file: 0666 less the umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        return 0o666 & ~current_umask()


def current_umask():
    """The process's umask, read without changing it where Linux shows it in /proc."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore (not thread-safe, hence the /proc path first)
    os.umask(mask)
    return mask
