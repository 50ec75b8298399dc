"""Times the way users write them: ``0.5s``, ``500ms``, ``2m``, ``1:02.5``, ``01:02:03.25`` or ``12``."""

from __future__ import annotations

import re

_SUFFIXES = {"ms": 0.001, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
_NUMBER_WITH_UNIT = re.compile(r"^([0-9]*\.?[0-9]+)\s*([a-z]*)$")


def parse_seconds(text: str | float | int) -> float:
    """Parse a duration or timestamp into seconds; raise ValueError with the accepted forms."""
    if isinstance(text, (int, float)):
        value = float(text)
    else:
        value = _parse_text(text.strip().lower())
    if value < 0:
        raise ValueError(f"time must not be negative: {text!r}")
    return value


def _parse_text(text: str) -> float:
    if ":" in text:
        parts = text.split(":")
        if len(parts) > 3 or not all(re.fullmatch(r"[0-9]*\.?[0-9]+", p) for p in parts):
            raise ValueError(f"not a timestamp: {text!r} (use hh:mm:ss.s or mm:ss.s)")
        seconds = 0.0
        for part in parts:
            seconds = seconds * 60 + float(part)
        return seconds
    match = _NUMBER_WITH_UNIT.match(text)
    if not match or (match.group(2) and match.group(2) not in _SUFFIXES):
        raise ValueError(f"not a duration: {text!r} (examples: 0.5s, 500ms, 2m, 1:02.5)")
    return float(match.group(1)) * _SUFFIXES.get(match.group(2) or "s", 1.0)


def counted(count: int, noun: str) -> str:
    """'1 highlight', '3 highlights': the counts people read in summaries."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def format_timestamp(seconds: float, precision: int = 2) -> str:
    """``hh:mm:ss.ss``, for tables and file names people read."""
    minutes, secs = divmod(round(max(seconds, 0.0), precision), 60)
    hours, minutes = divmod(int(minutes), 60)
    width = 3 + precision if precision else 2
    return f"{hours:02d}:{minutes:02d}:{secs:0{width}.{precision}f}"
