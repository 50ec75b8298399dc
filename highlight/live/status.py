"""The status line: one line on the terminal, rewritten in place, with what the session sees now.

``live 00:12:31  ACTION 0.82  clips 4 (last clip_004_...)  dropped 12  reconnects 1`` and,
when a plugin reports results while the stream goes on (``Plugin.live_results``), its
headline fields: the exercise, the reps, the current set, the last form flag, reps per
person (``exercise squat  reps 7  set 2 (3 reps)  per person P1 7, P2 5``).
Plugins are read generically (known keys, whatever plugin sends them), so fields a
plugin adds later appear without a change here.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from highlight.units import format_timestamp

REFRESH_S = 0.25  # at most four rewrites a second: readable, and cheap on a busy machine
# Keys of a plugin's results shown on the status line, in this order, with their labels.
SHOWN_RESULTS = (("exercise", "exercise"), ("count", "reps"))
FORM_KEYS = ("last_form_flag", "form_flags", "form")  # a flag, or a list whose last entry is the latest


def plugin_fields(results: dict[str, Any]) -> list[str]:
    """The status-line fields of plugin results: exercise, reps, current set, last form flag, reps per person."""
    fields = []
    for result in results.values():
        if not isinstance(result, dict):
            continue
        for key, label in SHOWN_RESULTS:
            if result.get(key) not in (None, "", "auto"):
                fields.append(f"{label} {result[key]}")
        sets = result.get("sets")
        if isinstance(sets, list) and sets:
            fields.append(f"set {len(sets)} ({_reps_in(sets[-1])} reps)")
        flag = _last_form_flag(result)
        if flag:
            fields.append(f"form: {flag}")
        people = result.get("people")
        if isinstance(people, list) and len(people) > 1:
            counts = [f"P{p.get('person', k + 1)} {p.get('count', '?')}" for k, p in enumerate(people)]
            fields.append("per person " + ", ".join(counts))
    return fields


def _reps_in(a_set: Any) -> Any:
    return a_set.get("reps", "?") if isinstance(a_set, dict) else "?"


def _last_form_flag(result: dict[str, Any]) -> str:
    for key in FORM_KEYS:
        value = result.get(key)
        if isinstance(value, list):
            value = value[-1] if value else None
        if isinstance(value, dict):
            value = value.get("flag") or value.get("name") or value.get("message")
        if value:
            return str(value)
    return ""


class StatusLine:
    """Rewrites one terminal line (only on a terminal: a log file gets the log lines, not this)."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr  # read now: a quiet command points sys.stderr elsewhere than at import
        self.enabled = self.stream.isatty()
        self._shown = 0.0

    def show(self, text: str) -> None:
        now = time.monotonic()
        if not self.enabled or now - self._shown < REFRESH_S:
            return
        self._shown = now
        self.stream.write("\r" + text + "\x1b[K")
        self.stream.flush()

    def end(self) -> None:
        if self.enabled and self._shown:
            self.stream.write("\n")
            self.stream.flush()


def describe(session) -> str:
    """The line for a ``LiveSession`` as it is now."""
    source = session.source
    state = "ACTION" if session.intervals.earliest_needed() is not None else "quiet"
    parts = [
        f"live {format_timestamp(session.now)}",
        f"{state} {session.latest_score:.2f}",
        f"clips {session.writer.written}" + (f" (last {session.writer.last_clip})" if session.writer.last_clip else ""),
    ]
    if source.live.dropped:
        parts.append(f"dropped {source.live.dropped}")
    if source.live.reconnects:
        parts.append(f"reconnects {source.live.reconnects}")
    parts += plugin_fields(session.live_plugin_results())
    return "  ".join(parts)
