"""Any error as one line: what a person reads instead of a traceback.

Each stage turns the failures it knows (a bad file, a busy folder) into a
``HighlightError`` that names the file and the reason. What else reaches a command's
top (``highlight.cli.main``) or a batch's per-video guard (``runner.one_line_error``)
is either the file system refusing (a read-only disk, a full one, a file where a
folder should be), said in one line naming the path, or a bug: one line saying so,
the whole traceback written to a file for the bug report.
"""

from __future__ import annotations

import tempfile
import traceback
from pathlib import Path

from highlight import HighlightError
from highlight.discover import printable


def write_report(error: BaseException, prefix: str = "highlight-") -> Path:
    """The full traceback, written to a temporary file for a bug report; the file."""
    with tempfile.NamedTemporaryFile("w", prefix=prefix, suffix=".log", delete=False) as handle:
        handle.write("".join(traceback.format_exception(error)))
    return Path(handle.name)


def error_line(error: Exception) -> str:
    """The one line an error becomes (without ``error: ``); a bug's traceback goes to a report file."""
    if isinstance(error, HighlightError):
        return _first_line(str(error))
    if isinstance(error, OSError) and error.strerror:
        where = error.filename if error.filename is not None else ""
        return f"{printable(where)}: {error.strerror}" if where else error.strerror
    return f"{type(error).__name__}: {_first_line(str(error))} (a bug; full report: {write_report(error)})"


def _first_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return printable(lines[0]) if lines else "no message"
