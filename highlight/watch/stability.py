"""When is a file in the watched folder a finished recording?

Phones, file managers and browsers copy in very different ways: some write the final
name from the first byte, others a temporary name renamed at the end. A file is taken
only when all three checks agree:

1. its name is not a temporary or partial one (``.part``, ``.crdownload``, ``.tmp``,
   names starting with ``.`` or ``~``), and it has a video extension;
2. its size and modification time have not changed for the settle time;
3. it opens and its first frame decodes (``highlight.source.probe``). That check runs
   in the worker child, not here (a file that crashes the decoder must not take the
   daemon down); a file that does not decode is retried with backoff, because a copy
   that stalled for longer than the settle time looks the same as a corrupt file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from highlight.discover import is_video_name
from highlight.source import VideoInfo, probe

TEMPORARY_SUFFIXES = frozenset({".part", ".partial", ".crdownload", ".download", ".tmp", ".temp", ".!qb"})


def is_temporary_name(path: Path) -> bool:
    """A name that copy tools, browsers and editors use for a file that is not finished."""
    name = Path(path).name
    return name.startswith((".", "~")) or Path(name).suffix.lower() in TEMPORARY_SUFFIXES


def is_candidate(path: Path) -> bool:
    """Worth watching: a video extension and not a temporary name."""
    path = Path(path)
    return is_video_name(path) and not is_temporary_name(path)


def decodable(path: Path) -> VideoInfo:
    """Open the recording and decode its first frame; raise HighlightError with the reason."""
    return probe(path)


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    since: float  # when size and mtime were last seen to change


class SettleTracker:
    """Files that may still be growing, and when each last changed.

    ``observe`` is called for every filesystem event (and the start-up scan); ``settled``
    returns the files whose size and mtime have not changed for ``settle`` seconds.
    Polling stat() rather than trusting events alone means a writer that pauses and
    resumes, or a filesystem that sends no close event, is still handled.
    """

    def __init__(self, settle: float):
        self.settle = settle
        self._files: dict[Path, _Seen | None] = {}

    def __len__(self) -> int:
        return len(self._files)

    def __contains__(self, path: object) -> bool:
        return path in self._files

    def observe(self, path: Path) -> None:
        self._files.setdefault(Path(path), None)

    def settled(self, now: float) -> list[Path]:
        ready = []
        for path, seen in list(self._files.items()):
            try:
                stat = os.stat(path)
            except OSError:  # deleted or renamed away while settling
                del self._files[path]
                continue
            if seen is None or (stat.st_size, stat.st_mtime_ns) != (seen.size, seen.mtime_ns):
                self._files[path] = _Seen(stat.st_size, stat.st_mtime_ns, now)
            elif now - seen.since >= self.settle:
                del self._files[path]
                if stat.st_size > 0:  # an empty placeholder comes back with its next write event
                    ready.append(path)
        return ready
