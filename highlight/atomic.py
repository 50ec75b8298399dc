"""Write outputs so that a crash never leaves a half-written file that looks finished."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# mkstemp creates files readable by their owner only; outputs are for a web server, an
# editor on another account, a backup: they get the permissions the user's umask gives
# any new file. Read once: os.umask can only be read by setting it.
_UMASK = os.umask(0o022)
os.umask(_UMASK)
FILE_MODE = 0o666 & ~_UMASK


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary path in the same folder, renamed to ``final`` only on success.

    The temporary name keeps the extension (``.clip.tmp-x1y2.mp4``) because writers such
    as ffmpeg choose the container from it, and starts with a dot so that folder scans
    and file browsers skip it.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{final.stem}.tmp-", suffix=final.suffix, dir=final.parent)
    except OSError as error:  # named for the file being written, not the temporary nobody asked for
        raise OSError(error.errno, error.strerror, str(final)) from None
    os.fchmod(fd, FILE_MODE)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(final: Path, text: str) -> None:
    """Write text atomically and fsync it: a crash leaves the old file or the new one, never half.

    A file name that is not UTF-8 (bytes from an old camera's card) reaches Python as
    lone surrogates (``\udce9``), which UTF-8 cannot store: they are written as that
    escape, which JSON reads back as the same surrogate (so the path still opens the
    file) and a person reads as the byte it stands for.
    """
    with atomic_path(final) as tmp:
        with open(tmp, "w", encoding="utf-8", errors="backslashreplace", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())


def write_json(final: Path, data: Any) -> None:
    """JSON for people to read too (indented, UTF-8), written atomically."""
    write_text(final, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def remove_stale_temporaries(folder: Path) -> None:
    """Delete temporaries a killed run left behind (they are never mistaken for outputs)."""
    if folder.is_dir():
        for leftover in folder.glob(".*.tmp-*"):
            leftover.unlink(missing_ok=True)
