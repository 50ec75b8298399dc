"""One highlight process per video output folder at a time.

Starting a video deletes the temporaries a killed run left in its folder
(``atomic.remove_stale_temporaries``); a second process doing that beside a live one
would delete the live one's half-written files, and both would do all the work. So
whoever writes into a video's folder (``run``, the watch worker, ``cut``) first takes an
exclusive ``flock`` on a lock file inside it, and a process that finds it taken skips
that video with ``FolderBusy`` rather than waiting: the other process is doing exactly
this work, and waiting behind a long recording would only stall the rest of the batch.

``flock`` locks belong to the open file: the kernel releases them when the process dies,
however it dies (SIGKILL included), so a crash never leaves a folder locked for ever.
The holder deletes the file before it lets go, so no ``.highlight.lock`` stays behind in
the outputs. That would race with a process that opened the old file just before: it
could lock the deleted file while a third locks a new one. So a lock counts only once
the locked file is still the one at the path (same inode); otherwise the taker opens again.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

from highlight import HighlightError
from highlight.atomic import FILE_MODE, remove_stale_temporaries

LOCK_FILE = ".highlight.lock"  # starts with a dot: folder scans and file browsers skip it

try:
    import fcntl
except ImportError:  # not POSIX: no lock, and the docs say so
    fcntl = None


class FolderBusy(HighlightError):
    """Another highlight process holds the folder's lock; the message names the folder and, if known, its pid.

    It starts with ``busy:`` rather than a path: callers put the video's name in front."""


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold ``folder``'s lock for the block; ``FolderBusy`` at once if another process has it."""
    if not folder.is_dir():
        raise HighlightError(f"{folder}: no such folder")
    handle = _locked(folder)
    if handle is None:  # nothing this process may write there, so nothing it could break: no lock needed
        yield
        return
    try:
        with contextlib.suppress(OSError):  # a read-only descriptor: the lock holds, the pid is not told
            os.ftruncate(handle, 0)
            os.write(handle, f"{os.getpid()}\n".encode())
        yield
    finally:
        with contextlib.suppress(OSError):  # a read-only folder keeps its lock file
            os.unlink(folder / LOCK_FILE)  # still held: a process waiting on this file will see it gone
        os.close(handle)  # releases the lock


def _locked(folder: Path) -> int | None:
    """The lock file's descriptor, locked, and still the file at the path; FolderBusy if another holds it."""
    while True:
        handle = _open_lock_file(folder)
        if handle is None or fcntl is None:
            return handle
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            message = _busy_message(folder, handle)
            os.close(handle)
            raise FolderBusy(message) from None
        if _is_at_path(handle, folder / LOCK_FILE):
            return handle
        os.close(handle)  # the holder deleted it as we opened it: take the new one


def _is_at_path(handle: int, path: Path) -> bool:
    try:
        at_path = os.stat(path)
    except OSError:
        return False
    opened = os.fstat(handle)
    return (opened.st_dev, opened.st_ino) == (at_path.st_dev, at_path.st_ino)


def _open_lock_file(folder: Path) -> int | None:
    """The lock file, created if need be; read-only where the folder is (flock works on either).

    None where it can be neither created nor opened: a folder this process cannot write
    in (outputs on a read-only disk, another user's). A rerun there still finds its
    finished videos ``already done`` rather than failing on the lock.
    """
    path = folder / LOCK_FILE
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    except OSError as error:
        if error.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise
    try:
        return os.open(path, os.O_RDONLY)
    except OSError:
        return None


def remove_temporaries_when_free(folder: Path) -> None:
    """Clean a dead worker's temporaries, unless a live process holds the folder (they are then its own)."""
    if not folder.is_dir():
        return
    with contextlib.suppress(FolderBusy, OSError), folder_lock(folder):
        remove_stale_temporaries(folder)


def _busy_message(folder: Path, handle: int) -> str:
    """The holder wrote its pid after locking; it may not have yet, so the pid is optional."""
    owner = os.pread(handle, 32, 0).decode(errors="replace").strip()
    pid = f" (pid {owner})" if owner.isdigit() else ""
    return f"busy: another highlight process{pid} is working on {folder}"
