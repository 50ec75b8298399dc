"""Find the recordings to process: files and folders, searched recursively."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

from highlight.export.manifest import MANIFEST_FILE

log = logging.getLogger(__name__)

VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm"})


def is_video_name(path: Path) -> bool:
    """Decide by extension (case-insensitive); the content is checked when the file is opened."""
    return path.suffix.lower() in VIDEO_EXTENSIONS and not path.name.startswith(".")


def find_videos(inputs: Iterable[Path], exclude: Iterable[Path] = ()) -> list[Path]:
    """Every video under ``inputs``, sorted, each file once (``file_identity``) under the first path found.

    Folders in ``exclude`` (the output folder) are never scanned, so a second run does
    not take last run's clips for new recordings; unless the input is that folder or
    lies in it (``--out`` the recordings folder itself): then the outputs are told
    apart by their manifests (``_files_below``). A file named explicitly is taken
    whatever its extension: the user asked for it, and a bad one gets a clear error later.
    """
    found: dict[object, Path] = {}
    for item in inputs:
        item = Path(item).expanduser()
        if item.is_dir():
            excluded = [f.resolve() for f in exclude if not is_inside(item.resolve(), f)]
            for path in _files_below(item):
                # A broken link is listed too: it gets a "cannot read" error, not silence.
                resolved = _resolve(path)
                if resolved is not None and is_video_name(path) and not any(is_inside(resolved, f) for f in excluded):
                    found.setdefault(file_identity(path), path)
        elif item.exists() or item.is_symlink():
            found.setdefault(file_identity(item), item)
        else:
            raise FileNotFoundError(f"{item}: no such file or folder")
    return list(found.values())


def file_identity(path: Path) -> object:
    """What makes two paths one file: its device and inode (through links, hard links, ``a/../a``).

    A path that cannot be followed (a broken link) is only itself.
    """
    try:
        status = path.stat()
    except OSError:
        return Path(path).absolute()
    return (status.st_dev, status.st_ino)


def _files_below(folder: Path) -> list[Path]:
    """Every file (or link to one) below ``folder``, sorted; a folder that cannot be listed is reported, not skipped silently.

    Linked folders are not followed (os.walk's default): a link back up the tree would
    otherwise be scanned for ever. A folder holding a ``highlights.json`` is an output
    folder of some run (its clips are not recordings), and so is everything below it.
    """
    files = []

    def unreadable(error: OSError) -> None:
        log.warning("%s: folder skipped, cannot be listed (%s)", printable(error.filename), error.strerror or error)

    for root, folders, names in os.walk(folder, onerror=unreadable):
        if MANIFEST_FILE in names:
            log.info("%s: skipped, the outputs of an earlier run", printable(root))
            folders.clear()
            continue
        files += [Path(root) / name for name in names]
    return sorted(files)


def _resolve(path: Path) -> Path | None:
    """The file a path leads to; None (with a one-line warning naming it) for a symlink loop."""
    try:
        return path.resolve(strict=False)
    except (RuntimeError, OSError) as error:  # Python < 3.13 raises RuntimeError for a loop
        log.warning("%s: skipped, a symlink loop (%s)", printable(path), error)
        return None


def printable(path: Path | str) -> str:
    """A path as one line: control characters (a newline in a file name) shown escaped."""
    text = str(path)
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def is_inside(path: Path, folder: Path) -> bool:
    """``path`` is ``folder`` or below it; ``folder`` is resolved, ``path`` taken as given (callers resolve it
    once, or pass a watched path that must keep its name when it is a link)."""
    folder = Path(folder).resolve()
    return path == folder or folder in Path(path).parents
