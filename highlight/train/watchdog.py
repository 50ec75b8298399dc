"""A training that stops making progress ends, in one line, instead of hanging for good.

A step that never returns (a deadlock in a library's threads: seen once on CI, a
training from the review page that used 14 s of CPU in 16 minutes, before its first
epoch ended) would leave ``highlight train`` waiting forever, and the page, the
terminal or the cluster job with it. Progress is what the training reports as it
goes: a frame sampled, a batch trained or validated, an epoch, a stage begun. When
none comes for ``limit_s``, every thread's stack is written to a file (for a bug
report), one line on stderr names it, and the process exits with ``EXIT_STATUS``.

The limit is at least ``STALL_LIMIT_S`` and ``STALL_FACTOR`` times the longest wait
between two signs of progress seen so far: a slow machine training large batches is
not taken for hung, and a first step that compiles the model has its half hour.
The watch runs in a thread of its own, so it needs nothing from the thread that hangs;
the stacks are written by ``faulthandler``, which needs no lock either.
"""

from __future__ import annotations

import faulthandler
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from types import TracebackType

STALL_LIMIT_S = 1800.0  # no sign of progress for this long (at least): the training is hung
STALL_FACTOR = 10.0  # ... and this many times the longest wait between two signs of progress so far
EXIT_STATUS = 3
_CHECK_EVERY_S = 5.0


class StallWatch:
    """``with StallWatch() as watch: ... watch.progressed()``: exits the process when progress stops."""

    def __init__(
        self, limit_s: float = STALL_LIMIT_S, factor: float = STALL_FACTOR, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.least_s, self.factor, self._clock = limit_s, factor, clock
        self._last = clock()
        self._longest = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="stall-watch", daemon=True)

    @property
    def limit_s(self) -> float:
        """How long without progress means hung, now."""
        return max(self.least_s, self.factor * self._longest)

    def progressed(self) -> None:
        """A sign of progress."""
        now = self._clock()
        self._longest = max(self._longest, now - self._last)
        self._last = now

    def __enter__(self) -> StallWatch:
        self._last = self._clock()
        self._thread.start()
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self._done.set()

    def _watch(self) -> None:
        while not self._done.wait(min(_CHECK_EVERY_S, self.least_s)):
            waited = self._clock() - self._last
            if waited > self.limit_s:
                self._give_up(waited)

    def reporting(self, echo: Callable[[str], None]) -> Callable[[str], None]:
        """``echo`` that also counts each line as progress (a video sampled, an epoch, a stage begun)."""

        def echo_and_count(line: str) -> None:
            self.progressed()
            echo(line)

        return echo_and_count

    def keras_callback(self):
        """A Keras callback that counts every batch trained, validated or predicted as progress."""
        import keras

        hooks = ("on_train_batch_end", "on_test_batch_end", "on_predict_batch_end", "on_epoch_end")
        return keras.callbacks.LambdaCallback(**dict.fromkeys(hooks, lambda *_, **__: self.progressed()))

    def _give_up(self, waited: float) -> None:
        """Stacks to a file, one line on stderr, exit: without any lock the hung thread may hold (print's)."""
        with tempfile.NamedTemporaryFile("w", prefix="highlight-train-hung-", suffix=".log", delete=False) as report:
            report.write(f"no progress for {waited:.0f} s; the stacks of every thread:\n")
            report.flush()
            faulthandler.dump_traceback(report, all_threads=True)
        line = (
            f"error: training stopped: no progress for {waited / 60:.0f} min, it is hung "
            f"(the stacks of its threads: {report.name})\n"
        )
        os.write(sys.stderr.fileno(), line.encode())
        os._exit(EXIT_STATUS)  # a normal exit would wait for the hung thread
