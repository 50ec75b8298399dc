"""Find the recordings to process: files and folders, searched recursively."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm"})


def is_video_name(path: Path) -> bool:
    """Decide by extension (case-insensitive); the content is checked when the file is opened."""
    return path.suffix.lower() in VIDEO_EXTENSIONS and not path.name.startswith(".")


def find_videos(inputs: Iterable[Path], exclude: Iterable[Path] = ()) -> list[Path]:
    """Every video under ``inputs``, sorted and without duplicates.

    Folders in ``exclude`` (the output folder) are never scanned, so a second run does
    not take last run's clips for new recordings. A file named explicitly is taken
    whatever its extension: the user asked for it, and a bad one gets a clear error later.
    """
    excluded = [p.resolve() for p in exclude]
    found: dict[Path, None] = {}
    for item in inputs:
        item = Path(item).expanduser()
        if item.is_dir():
            for path in sorted(item.rglob("*")):
                # A broken link is listed too: it gets a "cannot read" error, not silence.
                if (path.is_file() or path.is_symlink()) and is_video_name(path) and not any(is_inside(path.resolve(), folder) for folder in excluded):
                    found.setdefault(path, None)
        elif item.exists() or item.is_symlink():
            found.setdefault(item, None)
        else:
            raise FileNotFoundError(f"{item}: no such file or folder")
    return list(found)


def is_inside(path: Path, folder: Path) -> bool:
    """``path`` is ``folder`` or below it; ``folder`` is resolved, ``path`` taken as given (callers resolve it
    once, or pass a watched path that must keep its name when it is a link)."""
    folder = Path(folder).resolve()
    return path == folder or folder in Path(path).parents
