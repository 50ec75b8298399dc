"""Headless Chromium for the page tests, watched for renderers that spin.

On CI's two cores, Chromium 156's headless renderers (the page's, and the browser's own
``--top-chrome-webui`` one) have several times spun at 100% of a core each from the
browser's launch, with nothing loaded: a training the page started then starved and the
test timed out. The cause found: the test process had been left at real-time scheduling
(SCHED_FIFO 99) by an AV1 encoder the fault corpus ran in it as root, and the browser
inherited it; a renderer that waits by yielding never lets anything else run then
(``make_samples._scheduling_kept`` and conftest's ``scheduling_unchanged`` keep that from
happening again). The watch stays: the page tests check before each test that no
renderer of their browser is busy on a blank page, and start a fresh browser when one
is, saying so.
"""

from __future__ import annotations

import os
import signal
import time
import warnings
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARGUMENTS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--window-size=1280,1200",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
)
# of one core in each window: an idle renderer uses next to none; one that spins gets at least this much of
# two cores shared with up to seven other busy threads (two test workers, a training's, an encoder's). At 0.5
# the watch's own test failed once, on a fresh clone, with two encodes and a scoring run beside the suite
SPINNING_SHARE = 0.25
WINDOW_SECONDS = 0.5
WATCH_SECONDS = 3.0
LAUNCHES = 3
_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def _children_by_parent() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # the process ended while we looked
            children.setdefault(parent, []).append(int(entry.name))
    return children


def _descendants(pid: int) -> list[int]:
    children, found, todo = _children_by_parent(), [], [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def _is_renderer(pid: int) -> bool:
    try:
        return b"--type=renderer" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS_PER_SECOND  # utime + stime


class HeadlessChromium:
    """One Selenium-driven headless Chromium that can tell when its renderers spin, and start afresh."""

    def __init__(self) -> None:
        self.driver = None
        self.start()

    def start(self) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for argument in ARGUMENTS:
            options.add_argument(argument)
        self.driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)

    def quit(self) -> None:
        """Quit, then kill what the browser left behind: an orphaned renderer can spin on."""
        processes = _descendants(self.driver.service.process.pid)
        self.driver.quit()
        for pid in processes:
            try:
                if b"chromium" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    os.kill(pid, signal.SIGKILL)
            except OSError:
                pass  # already gone

    def spinning(self) -> list[tuple[int, float]]:
        """(pid, share of a core) of each renderer busy all through ``WATCH_SECONDS`` on a blank page."""
        self.driver.get("about:blank")
        return self.busy_renderers()

    def busy_renderers(self) -> list[tuple[int, float]]:
        """(pid, share of a core) of each renderer busy all through ``WATCH_SECONDS``, whatever the page.

        A new browser's renderers work for well under a second after the launch; a spinning
        one stays at a full core for minutes. Renderers idle in any window are let go at once.
        """
        renderers = [pid for pid in _descendants(self.driver.service.process.pid) if _is_renderer(pid)]
        busy: dict[int, float] = {}
        for _ in range(round(WATCH_SECONDS / WINDOW_SECONDS)):
            if not renderers:
                break
            before = {pid: _cpu_seconds(pid) for pid in renderers}
            time.sleep(WINDOW_SECONDS)
            after = {pid: _cpu_seconds(pid) for pid in renderers}
            shares = {
                pid: (after[pid] - before[pid]) / WINDOW_SECONDS
                for pid in renderers
                if None not in (before[pid], after[pid])
            }
            busy = {pid: share for pid, share in shares.items() if share >= SPINNING_SHARE}
            renderers = list(busy)
        return sorted(busy.items())

    def ready(self):
        """The driver, on a blank page with no renderer spinning: restarted (and said so) when one was."""
        for _ in range(LAUNCHES):
            busy = self.spinning()
            if not busy:
                return self.driver
            shares = ", ".join(f"pid {pid} at {share:.0%}" for pid, share in busy)
            warnings.warn(
                f"headless Chromium's renderer spun on a blank page ({shares} of a core); started afresh", stacklevel=2
            )
            self.quit()
            self.start()
        raise RuntimeError(f"headless Chromium's renderers spin on a blank page after {LAUNCHES} launches")
