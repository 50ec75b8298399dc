"""What reaches the user's terminal: our lines, not the libraries' logs; a warning once, not once per file.

Three things kept a run's output from being read:

- **Native logs.** MediaPipe, LiteRT, TensorFlow and FFmpeg log from C++ straight to
  file descriptor 2 (about 100 lines per pose video, "Sparsity tensors may not yet be
  fully supported" 76 times), and environment variables silence only some of them.
  ``native_logs_silenced`` points descriptor 2 at /dev/null for the command and gives
  Python's ``sys.stderr`` a descriptor of its own on the real terminal, so every line
  highlight prints (progress, errors, warnings) still shows; ``--verbose`` leaves it
  all. The descriptor is restored on the way out. Worker processes inherit the silence.
- **Warnings repeated per file.** A warning logged while a recording is processed is
  kept with its result (``collected_warnings``) rather than printed between progress
  bars; ``summarise_warnings`` prints each kind once after the table, with a count.
  Log files (``highlight watch``) still get every record.
- **Cursor codes** in a redirected output: bars are drawn only on a terminal (``is_terminal``).
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TextIO

# Environment variables that quiet what they can before the libraries load (the rest
# is caught at the descriptor). Set only where the user has not set them.
QUIET_ENVIRONMENT = {
    "TF_CPP_MIN_LOG_LEVEL": "2",  # TensorFlow's C++ logging: errors only
    "GLOG_minloglevel": "2",  # MediaPipe's glog
    "ABSL_MIN_LOG_LEVEL": "2",  # absl logging (MediaPipe >= 0.10.30)
}
DEFERRED = "highlight_deferred"  # set on a log record kept for the summary: the terminal handler skips it
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


def is_terminal(stream: TextIO | None = None) -> bool:
    """Whether ``stream`` (sys.stderr) is a terminal: where progress bars and cursor codes belong."""
    stream = stream or sys.stderr
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def native_logs_silenced(enabled: bool = True) -> Iterator[None]:
    """Descriptor 2 to /dev/null for the block, ``sys.stderr`` still on the terminal; restored after,
    with the quieting variables of ``QUIET_ENVIRONMENT`` it added.

    Only where ``sys.stderr`` is descriptor 2: a caller that captured it (a test runner,
    an embedding program) already decides where our lines go, and keeps them.
    """
    if not enabled or not _writes_to_descriptor_2(sys.stderr):
        yield
        return
    added = {name: value for name, value in QUIET_ENVIRONMENT.items() if name not in os.environ}
    os.environ.update(added)
    sys.stderr.flush()
    terminal = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    previous = sys.stderr
    # Not closed after the block: a logging handler made inside it may still hold it.
    sys.stderr = os.fdopen(terminal, "w", buffering=1, encoding=previous.encoding, errors="backslashreplace")
    os.dup2(devnull, 2)
    os.close(devnull)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(terminal, 2)
        sys.stderr = previous
        for name in added:  # a program embedding us keeps its own environment once the command is over
            os.environ.pop(name, None)


def quiet_unless_verbose(command: Callable) -> Callable:
    """The command run with the native logs silenced, unless it is given ``verbose=True``."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        with native_logs_silenced(not kwargs.get("verbose", False)):
            return command(*args, **kwargs)

    return wrapper


def _writes_to_descriptor_2(stream: TextIO) -> bool:
    try:
        return stream.fileno() == 2
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError and a ValueError
        return False


class _NotDeferred(logging.Filter):
    """Lets through every record except the warnings kept for the summary."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(record, DEFERRED, False)


def log_to_terminal(verbose: bool) -> None:
    """Warnings (not those kept for the summary) one line each; everything with ``--verbose``."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format=LOG_FORMAT, stream=sys.stderr)
    if not verbose:
        for handler in logging.getLogger().handlers:
            handler.addFilter(_NotDeferred())


class _Collector(logging.Handler):
    """Keeps highlight's warnings (template, text) and marks them as kept."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.kept: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        setattr(record, DEFERRED, True)
        self.kept.append((str(record.msg), record.getMessage()))


@contextmanager
def collected_warnings() -> Iterator[list[tuple[str, str]]]:
    """The warnings highlight logs inside the block, as (template, text); the terminal shows them later."""
    collector = _Collector()
    logger = logging.getLogger("highlight")
    logger.addHandler(collector)
    try:
        yield collector.kept
    finally:
        logger.removeHandler(collector)


def summarise_warnings(warnings: Iterable[tuple[str, str]]) -> list[str]:
    """One line per kind of warning (same template), the first one's text, and how many files had it."""
    kinds: dict[str, list[str]] = {}
    for template, text in warnings:
        kinds.setdefault(template, []).append(text)
    lines = []
    for texts in kinds.values():
        more = len(texts) - 1
        lines.append(f"warning: {texts[0]}" + (f" (and {more} more like it)" if more else ""))
    return lines
