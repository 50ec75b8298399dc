"""The page tests' guard against spinning renderers (tests/headless_chromium.py) sees a busy one."""

from __future__ import annotations

import time

from tests.headless_chromium import WATCH_SECONDS


def test_a_renderer_busy_for_longer_than_the_watch_is_seen_and_an_idle_one_is_not(browser, chromium):
    assert chromium.busy_renderers() == []
    busy_for = WATCH_SECONDS + 2
    # Late enough that chromedriver has answered: it waits for a loop that starts at once.
    browser.execute_script(
        f"setTimeout(() => {{ const t = Date.now(); while (Date.now() - t < {busy_for * 1000}); }}, 300)"
    )
    started = time.monotonic()
    time.sleep(0.5)
    busy = chromium.busy_renderers()  # busy in each window by the watch's measure: a loaded machine gives it less
    assert len(busy) == 1, busy
    time.sleep(max(0.0, busy_for - (time.monotonic() - started)) + 0.5)
    assert chromium.busy_renderers() == []
