"""Stopping a long-running command cleanly on Ctrl-C or SIGTERM (`highlight watch`, `highlight live`).

The default handlers end the process wherever it is, possibly in the middle of a write.
These only set an event, which the command checks between units of work: the file in
progress is abandoned or the highlight in progress written, and the command returns.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Iterator

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def stopped_by_signals(stop: threading.Event, what: str) -> Iterator[None]:
    """While inside, SIGINT and SIGTERM set ``stop`` (logged once, saying ``what`` happens next).

    The previous handlers come back on the way out. Only the main thread may set
    handlers: called from another thread (a test, an embedding program), nothing is
    installed and the caller's own way of stopping applies.
    """

    def on_signal(signum: int, _frame) -> None:
        if not stop.is_set():
            log.info("%s received: %s", signal.Signals(signum).name, what)
        stop.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {signum: signal.signal(signum, on_signal) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
