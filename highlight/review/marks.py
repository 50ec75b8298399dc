"""What the user marked in ``highlight review``, and the labels file it becomes.

Two files in the output folder, both rewritten atomically after every mark so that a
closed tab loses nothing and a second review continues where the first stopped:

- ``review.json``: the marks themselves (per recording: each detected highlight kept or
  rejected with its edges, and the moments the user added). Labels alone cannot say
  which detected highlight was rejected, so the marks are kept as they were made; marks
  of highlights a ``highlight cut`` has changed since are kept too (``earlier``).
- ``review_labels.csv``: the project's labels format (``video,start,end,label``, see
  highlight/train/labels.py), ready for ``highlight train``. Kept and added moments are
  ``highlight``; the stretch around each reviewed moment is ``background``, because a
  model learns "not it" best from the same scene and light just before and after.
  Detected highlights nobody has looked at yet are left out: they are neither. Every mark
  the user made is here, on the span it was made on, including those no longer applied
  to the outputs after a cut: what the user said of those seconds is still true.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from highlight import HighlightError
from highlight.atomic import write_json
from highlight.train.labels import LabelledRange, covering_ranges, write_labels

MARKS_FILE = "review.json"
LABELS_FILE = "review_labels.csv"
FORMAT_VERSION = 1
KEEP, REJECT = "keep", "reject"
BACKGROUND_AROUND_S = 10.0  # background labelled on each side of a reviewed moment
SPAN_TOLERANCE_S = 0.002  # spans are stored to the millisecond


@dataclass(frozen=True)
class Mark:
    """A reviewed span: ``status`` is keep or reject (added moments are always kept)."""

    start: float
    end: float
    status: str = KEEP
    detected: tuple[float, float] | None = None  # a detected highlight's span as it was when marked

    def as_dict(self) -> dict[str, Any]:
        spans = {"detected": list(self.detected)} if self.detected else {}
        return {"start": self.start, "end": self.end, "status": self.status, **spans}


@dataclass
class RecordingMarks:
    """One recording's marks: detected highlights by their index, and added moments.

    ``revision`` counts the saves of this recording's marks: the outputs made from a
    review (the reel) say which revision they follow. ``earlier``: marks of highlights
    whose span a ``highlight cut`` has changed since; no longer applied to the outputs
    nor shown on the page, but still training labels (``recording_ranges``).
    """

    highlights: dict[int, Mark] = field(default_factory=dict)
    added: list[Mark] = field(default_factory=list)
    revision: int = 0
    earlier: list[Mark] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        earlier = {"earlier": [mark.as_dict() for mark in self.earlier]} if self.earlier else {}
        return {
            "revision": self.revision,
            "highlights": {str(index): mark.as_dict() for index, mark in sorted(self.highlights.items())},
            "added": [mark.as_dict() for mark in self.added],
            **earlier,
        }

    def is_empty(self) -> bool:
        return not self.highlights and not self.added and not self.earlier


@dataclass(frozen=True)
class Detected:
    """What ``review`` needs of a recording's run: its video, length and detected highlights."""

    video: Path
    duration: float
    highlights: Sequence[tuple[int, float, float]]  # (index, start, end)


def parse_recording_marks(data: Any, duration: float) -> RecordingMarks:
    """Marks as the page sends them, checked; ValueError with a one-line reason when they are not."""
    if not isinstance(data, Mapping):
        raise ValueError("marks must be an object with 'highlights' and 'added'")
    highlights = data.get("highlights") or {}
    added = data.get("added") or []
    if not isinstance(highlights, Mapping) or not isinstance(added, list):
        raise ValueError("'highlights' must be an object and 'added' a list")
    marks = RecordingMarks()
    for key, value in highlights.items():
        if not str(key).isdigit():
            raise ValueError(f"highlight {key!r}: not an index")
        marks.highlights[int(key)] = _parse_mark(value, duration, allowed=(KEEP, REJECT))
    marks.added = sorted((_parse_mark(value, duration, allowed=(KEEP,)) for value in added), key=lambda m: m.start)
    return marks


def _parse_mark(value: Any, duration: float, allowed: tuple[str, ...]) -> Mark:
    if not isinstance(value, Mapping):
        raise ValueError("a mark must be an object with start, end and status")
    status = value.get("status", KEEP)
    if status not in allowed:
        raise ValueError(f"status {status!r}: expected {' or '.join(allowed)}")
    try:
        start, end = float(value["start"]), float(value["end"])
    except (KeyError, TypeError, ValueError):
        raise ValueError("a mark needs start and end in seconds") from None
    if not (math.isfinite(start) and math.isfinite(end)):
        raise ValueError("start and end must be numbers")
    start, end = round(max(start, 0.0), 3), round(min(end, duration), 3)
    if not end > start:
        raise ValueError(f"end ({end:g} s) must be after start ({start:g} s) and inside the recording")
    return Mark(start, end, status)


def load_marks(out: Path) -> dict[str, RecordingMarks]:
    """The marks saved in ``out`` (none yet: empty); HighlightError names the file when it is unreadable."""
    path = Path(out) / MARKS_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {key: _saved_marks(value) for key, value in (data.get("recordings") or {}).items()}
    except (OSError, ValueError, TypeError, AttributeError) as error:
        raise HighlightError(f"{path}: unreadable review marks ({error}); move it away to start again") from None


def _saved_marks(data: Any) -> RecordingMarks:
    """Marks as saved: as the page sends them, plus the revision, each mark's detected span and the earlier marks."""
    marks = parse_recording_marks(data, math.inf)
    marks.revision = int(data.get("revision") or 0)
    for key, value in (data.get("highlights") or {}).items():
        marks.highlights[int(key)] = replace(marks.highlights[int(key)], detected=_detected_span(value))
    marks.earlier = [
        replace(_parse_mark(value, math.inf, allowed=(KEEP, REJECT)), detected=_detected_span(value))
        for value in data.get("earlier") or []
    ]
    return marks


def _detected_span(value: Mapping) -> tuple[float, float] | None:
    span = value.get("detected")
    if span is None:
        return None
    start, end = (float(t) for t in span)
    return (start, end)


def marked_on(marks: RecordingMarks, highlights: Sequence[tuple[int, float, float]]) -> RecordingMarks:
    """Each mark of a detected highlight with the span it was made on (``highlights``: (index, start, end))."""
    spans = {index: (start, end) for index, start, end in highlights}
    return replace(
        marks,
        highlights={i: replace(mark, detected=spans.get(i, mark.detected)) for i, mark in marks.highlights.items()},
    )


def still_applying(marks: RecordingMarks, highlights: Sequence[tuple[int, float, float]]) -> RecordingMarks:
    """The marks that apply to the recording's detected ``highlights`` (index, start, end) as they are now.

    Highlights are marked by their number; a ``highlight cut`` with other thresholds
    numbers other highlights the same way. A mark made on a highlight whose span has
    changed since no longer applies (that highlight is unreviewed again), so that a
    rejection never removes a highlight nobody rejected; it moves to ``earlier``, where
    only the training labels read it. Marks saved without their span apply.
    """
    spans = {index: (start, end) for index, start, end in highlights}

    def applies(index: int, mark: Mark) -> bool:
        if index not in spans:
            return False
        return mark.detected is None or all(abs(a - b) <= SPAN_TOLERANCE_S for a, b in zip(mark.detected, spans[index]))

    kept = {index: mark for index, mark in marks.highlights.items() if applies(index, mark)}
    gone = [mark for index, mark in marks.highlights.items() if not applies(index, mark)]
    return replace(marks, highlights=kept, earlier=[*marks.earlier, *gone])


def save_marks(out: Path, marks: Mapping[str, RecordingMarks], detected: Mapping[str, Detected]) -> Path:
    """Write ``review.json`` and ``review_labels.csv`` (atomically); the labels file's path."""
    out = Path(out)
    kept = {key: value for key, value in sorted(marks.items()) if not value.is_empty()}
    write_json(
        out / MARKS_FILE,
        {"format": FORMAT_VERSION, "recordings": {key: value.as_dict() for key, value in kept.items()}},
    )
    ranges = [
        labelled
        for key, value in kept.items()
        if key in detected
        for labelled in recording_ranges(detected[key], value)
    ]
    path = out / LABELS_FILE
    write_labels(path, ranges)
    return path


def recording_ranges(detected: Detected, marks: RecordingMarks) -> list[LabelledRange]:
    """One recording's labelled ranges: kept and added moments as highlight, the background around them.

    The background reaches ``BACKGROUND_AROUND_S`` either side of every reviewed moment
    (kept, rejected or added), never into a detected highlight nobody has reviewed. The
    earlier marks (made before a cut changed their highlight) label their own seconds
    too, where no mark applying now says otherwise: a later word wins.
    """
    current = list(marks.highlights.values()) + list(marks.added)
    reviewed = current + list(marks.earlier)
    if not reviewed:
        return []
    said_now = _joined((m.start, m.end) for m in current)
    positives = _joined(
        [(m.start, m.end) for m in current if m.status == KEEP]
        + _without(_joined((m.start, m.end) for m in marks.earlier if m.status == KEEP), said_now)
    )
    windows = _joined(
        (max(m.start - BACKGROUND_AROUND_S, 0.0), min(m.end + BACKGROUND_AROUND_S, detected.duration)) for m in reviewed
    )
    unreviewed = _joined((start, end) for index, start, end in detected.highlights if index not in marks.highlights)
    ranges: list[LabelledRange] = []
    for start, end in _without(windows, _without(unreviewed, _joined((m.start, m.end) for m in reviewed))):
        ranges += covering_ranges(detected.video, positives, start, end)
    return ranges


def _joined(spans: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Spans sorted, overlapping or touching ones joined."""
    joined: list[list[float]] = []
    for start, end in sorted(spans):
        if joined and start <= joined[-1][1]:
            joined[-1][1] = max(joined[-1][1], end)
        else:
            joined.append([start, end])
    return [(a, b) for a, b in joined]


def _without(spans: list[tuple[float, float]], holes: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """``spans`` with ``holes`` cut out (both sorted and disjoint)."""
    result = []
    for start, end in spans:
        cursor = start
        for a, b in holes:
            if b <= cursor or a >= end:
                continue
            if a > cursor:
                result.append((cursor, a))
            cursor = max(cursor, b)
        if cursor < end:
            result.append((cursor, end))
    return result
