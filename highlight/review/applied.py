"""A reviewed recording's highlights as the outputs take them: only what the user kept.

Once every detected highlight of a recording has been kept or rejected in
``highlight review``, the outputs that list highlights show the kept ones with the
edges the user dragged, and the moments the user added: the editor timelines and the
reel (``highlight export``, see ``pipeline.follow_review``) and the HTML report. The
run's intervals in highlights.json stay as the detector found them, so the review can
be changed later; the manifest only says which review its reel follows.
A recording only partly reviewed keeps all its detected highlights: a highlight nobody
looked at is not a rejected one.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from highlight import HighlightError
from highlight.export.manifest import IntervalEntry, Manifest
from highlight.review.marks import KEEP, MARKS_FILE, Mark, RecordingMarks, load_marks, still_applying


def review_file(folder: Path) -> Path | None:
    """The review.json that holds the marks of the recording whose output folder is ``folder``: the nearest above it."""
    folder = Path(folder).resolve()
    return next((root / MARKS_FILE for root in (folder, *folder.parents) if (root / MARKS_FILE).is_file()), None)


def review_of(folder: Path, manifest: Manifest) -> RecordingMarks | None:
    """The marks of the recording whose output folder is ``folder``, from the nearest review.json above it.

    Only those that still apply to the manifest's highlights: after a ``highlight cut``
    the marks of highlights that changed are not applied to their successors.
    """
    path = review_file(folder)
    if path is None:
        return None
    try:
        marks = load_marks(path.parent).get(Path(folder).resolve().relative_to(path.parent).as_posix())
    except HighlightError:
        return None  # an unreadable review changes nothing; the review page says why
    if marks is None:
        return None
    return still_applying(marks, [(i.index, i.start, i.end) for i in manifest.intervals])


def is_reviewed(manifest: Manifest, marks: RecordingMarks | None) -> bool:
    """Every detected highlight marked (or, with none detected, a moment added); earlier marks do not count."""
    if marks is None or not (marks.highlights or marks.added):
        return False
    return all(interval.index in marks.highlights for interval in manifest.intervals)


def reviewed_intervals(folder: Path, manifest: Manifest, marks: RecordingMarks | None) -> list[IntervalEntry]:
    """The highlights the outputs should show: the kept and added ones once reviewed, else the detected ones.

    ``marks``: the recording's (``review_of(folder, manifest)``), read once by the caller so that
    what it writes and the review revision it records come from the same reading.
    """
    if not is_reviewed(manifest, marks):
        return list(manifest.intervals)
    kept = [
        _moved(interval, marks.highlights[interval.index])
        for interval in manifest.intervals
        if marks.highlights[interval.index].status == KEEP
    ]
    last = max((interval.index for interval in manifest.intervals), default=0)
    added = [_added(last + number, mark, folder, manifest) for number, mark in enumerate(marks.added, start=1)]
    return sorted(kept + added, key=lambda interval: interval.start)


def _moved(interval: IntervalEntry, mark: Mark) -> IntervalEntry:
    """The highlight with the user's edges; its clip only where the edges are the clip's."""
    if (mark.start, mark.end) == (interval.start, interval.end):
        return interval
    return dataclasses.replace(
        interval,
        start=mark.start,
        end=mark.end,
        duration=round(mark.end - mark.start, 3),
        peak_time=min(max(interval.peak_time, mark.start), mark.end),
        clip=None,
        slowmo_clip=None,
        clip_start=None,
        clip_end=None,
    )


def _added(index: int, mark: Mark, folder: Path, manifest: Manifest) -> IntervalEntry:
    """A moment the user added, its peak read from the run's scores (none readable: its middle, score 0)."""
    from highlight.export.scores import read_scores

    peak, peak_time = 0.0, (mark.start + mark.end) / 2
    try:
        times, scores, _ = read_scores(Path(folder) / manifest.scores)
        inside = (times >= mark.start) & (times <= mark.end)
        if inside.any():
            best = int(scores[inside].argmax())
            peak, peak_time = float(scores[inside][best]), float(times[inside][best])
    except HighlightError:
        pass
    return IntervalEntry(
        index, mark.start, mark.end, round(mark.end - mark.start, 3), round(peak, 4), round(peak_time, 3)
    )
