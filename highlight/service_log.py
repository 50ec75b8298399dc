"""Logging for the long-running commands (`highlight watch`, `highlight live`).

They run for hours, often under systemd: each event is a timestamped INFO line, to
stderr (which the journal keeps) and to a rotating log file in the output folder, so
what happened overnight can be read the next morning without the journal.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path


def setup_service_logging(log_file: Path, verbose: bool) -> None:
    """INFO lines (DEBUG with ``verbose``) to stderr and to ``log_file``, rotated at 1 MB, three kept."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S")
    to_stderr = logging.StreamHandler(sys.stderr)
    to_file = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=1_000_000, backupCount=3, encoding="utf-8", errors="backslashreplace"
    )  # a file name that is not UTF-8 is logged escaped, not lost with its line
    package = logging.getLogger("highlight")
    for handler in list(package.handlers):
        package.removeHandler(handler)
    for handler in (to_stderr, to_file):
        handler.setFormatter(formatter)
        package.addHandler(handler)
    package.setLevel(logging.DEBUG if verbose else logging.INFO)
    package.propagate = False
