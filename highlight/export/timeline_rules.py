"""The two rules every editor timeline follows: which frame a time is, and what a peak's marker is called.

* A time in seconds is the frame whose start is nearest, ``floor(seconds * rate + 1/2)``,
  in exact fractions of the manifest's decimal seconds and the exact rate: the manifest
  keeps milliseconds, so a time that was a frame's timestamp maps back to that frame.
* A peak's marker is named by what the plugins found there. Plugins leave their results
  in ``highlights.json`` under ``plugins.<name>``; the timed parts of a result are lists
  of entries with ``start`` and ``end`` seconds (the reps plugin's ``sets``, a shot
  counter's ``shots``). The entry that holds the peak (else the one overlapping the
  highlight most) names the marker: "squat set: 8 reps", "shot 3"; else the highlight's
  number and strength.

Pure standard library, reading plain values: the Blender add-on ships this file and runs
it in Blender's Python, where ``highlight`` itself is not installed, so its strips and
markers land where, and are named as, every other timeline's.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any


def to_frame(seconds: float, rate: Fraction) -> int:
    """The frame nearest to ``seconds`` (the one rounding rule every format shares)."""
    return math.floor(Fraction(str(seconds)) * rate + Fraction(1, 2))


# Count fields a timed entry may carry, in the order they are preferred for its name.
COUNT_FIELDS = ("reps", "count", "shots")


def peak_name(plugins: dict[str, Any], start: float, end: float, peak_time: float, index: int, peak: float) -> str:
    """The marker name of the highlight [start, end] whose score peaked at ``peak_time``."""
    best: tuple[float, str] | None = None
    for plugin, result in sorted(plugins.items()):
        if not isinstance(result, dict) or "error" in result:
            continue
        for key, entries in result.items():
            if not isinstance(entries, list):
                continue
            for number, entry in enumerate(entries, 1):
                overlap = _overlap(entry, start, end)
                if overlap <= 0:
                    continue
                holds_peak = _number(entry.get("start")) <= peak_time <= _number(entry.get("end"))
                rank = overlap + (1e9 if holds_peak else 0.0)
                if best is None or rank > best[0]:
                    best = (rank, describe(plugin, key, number, entry))
    return best[1] if best else f"highlight {index} peak {peak:.2f}"


def describe(plugin: str, key: str, number: int, entry: dict[str, Any]) -> str:
    """'squat set: 8 reps' for a set with an exercise and a count; 'shot 3' for the third of ``shots``."""
    kind = key[:-1] if key.endswith("s") and len(key) > 1 else key
    what = entry.get("exercise") or entry.get("label") or entry.get("name")
    for field in COUNT_FIELDS:
        count = entry.get(field)
        if isinstance(count, int) and not isinstance(count, bool):
            return f"{what or plugin} {kind}: {count} {field}"
    return f"{what} {kind} {number}" if what else f"{kind} {number}"


def _overlap(entry: Any, start: float, end: float) -> float:
    if not isinstance(entry, dict) or "start" not in entry or "end" not in entry:
        return 0.0
    first, last = _number(entry["start"]), _number(entry["end"])
    if not (math.isfinite(first) and math.isfinite(last)):
        return 0.0
    return min(end, last) - max(start, first)


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")
