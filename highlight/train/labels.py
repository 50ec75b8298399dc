"""The labels file: whole stretches of video at once, because neighbouring frames share a label.

::

    video,start,end,label
    court/IMG_0042.mp4,0,12.5,background
    court/IMG_0042.mp4,12.5,0:18.2,highlight
    # comments and blank lines are ignored

Times are seconds (``12.5``, ``12.5s``) or timestamps (``1:02.5``, ``01:02:03.25``);
video paths are relative to the labels file (absolute paths work too). Ranges of one
video must not overlap with different labels. With two labels ``highlight`` is the
positive one (``--positive`` picks another); with more, each label is a class.

Also here: ``draft_from_manifests`` (a labels file from a run's detected intervals, for
the user to correct) and ``contact_sheet`` (thumbnails with timestamps, to pick ranges
without a video editor).
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from highlight import HighlightError
from highlight.atomic import atomic_path, write_text
from highlight.units import format_timestamp, parse_seconds

COLUMNS = ("video", "start", "end", "label")
DEFAULT_POSITIVE = "highlight"
DRAFT_NEGATIVE = "background"


@dataclass(frozen=True)
class LabelledRange:
    """``label`` holds for every frame of ``video`` with ``start <= t < end``."""

    video: Path  # absolute
    start: float
    end: float
    label: str
    line: int = 0  # where it came from, for error messages

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class LabelSet:
    """The classes a model predicts, in output order, and which one is the highlight.

    Two labels: one sigmoid output, the probability of ``positive`` (labels are
    ``[negative, positive]``). More: one softmax output per label, in sorted order;
    ``positive`` (if any) is the class ``highlight run`` scores.
    """

    labels: tuple[str, ...]
    positive: str | None

    @property
    def binary(self) -> bool:
        return len(self.labels) == 2

    def index(self, label: str) -> int:
        return self.labels.index(label)


def read_labels(path: Path) -> list[LabelledRange]:
    """Parse and check a labels file; every problem names the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise HighlightError(f"{path}: cannot read the labels file ({error.strerror or error})") from None
    rows = [(n, row) for n, row in enumerate(csv.reader(io.StringIO(text)), start=1) if _is_content(row)]
    if not rows:
        raise HighlightError(f"{path}: no labels (expected a header {','.join(COLUMNS)} and one row per range)")
    header_line, header = rows[0]
    columns = [c.strip().lower() for c in header]
    missing = [c for c in COLUMNS if c not in columns]
    if missing:
        raise HighlightError(
            f"{path}:{header_line}: the first line must be the header {','.join(COLUMNS)} (missing: {', '.join(missing)})"
        )
    where = {name: columns.index(name) for name in COLUMNS}
    ranges = [_parse_row(path, n, row, where) for n, row in rows[1:]]
    if not ranges:
        raise HighlightError(f"{path}: no labelled ranges after the header")
    _check_overlaps(path, ranges)
    return ranges


def _is_content(row: list[str]) -> bool:
    return bool(row) and any(cell.strip() for cell in row) and not row[0].lstrip().startswith("#")


def _parse_row(path: Path, line: int, row: list[str], where: dict[str, int]) -> LabelledRange:
    if len(row) < len(where):
        raise HighlightError(f"{path}:{line}: expected {len(COLUMNS)} columns ({','.join(COLUMNS)}), got {len(row)}")
    cell = {name: row[index].strip() for name, index in where.items()}
    if not cell["video"]:
        raise HighlightError(f"{path}:{line}: empty video path")
    if not cell["label"]:
        raise HighlightError(f"{path}:{line}: empty label")
    try:
        start, end = parse_seconds(cell["start"]), parse_seconds(cell["end"])
    except ValueError as error:
        raise HighlightError(f"{path}:{line}: {error}") from None
    if not end > start:
        raise HighlightError(f"{path}:{line}: end ({cell['end']}) must be after start ({cell['start']})")
    video = Path(cell["video"]).expanduser()
    video = video if video.is_absolute() else path.resolve().parent / video
    if not video.is_file():
        raise HighlightError(f"{path}:{line}: video not found: {cell['video']} (paths are relative to the labels file)")
    return LabelledRange(video.resolve(), start, end, cell["label"], line)


def _check_overlaps(path: Path, ranges: list[LabelledRange]) -> None:
    for own in group_by_video(ranges).values():
        for a, b in zip(own, own[1:]):
            if b.start < a.end - 1e-9 and a.label != b.label:
                raise HighlightError(
                    f"{path}:{b.line}: overlaps line {a.line} with a different label "
                    f"({a.label!r} {a.start:g}-{a.end:g} s vs {b.label!r} {b.start:g}-{b.end:g} s)"
                )


def group_by_video(ranges: Iterable[LabelledRange]) -> dict[Path, list[LabelledRange]]:
    """Ranges per video, in time order (videos in first-seen order)."""
    groups: dict[Path, list[LabelledRange]] = {}
    for r in ranges:
        groups.setdefault(r.video, []).append(r)
    return {video: sorted(own, key=lambda r: (r.start, r.end)) for video, own in groups.items()}


def label_set(ranges: Sequence[LabelledRange], positive: str | None = None) -> LabelSet:
    """The classes to train, checked: at least two, and a positive label that exists."""
    names = sorted({r.label for r in ranges})
    if len(names) < 2:
        raise HighlightError(
            f"need at least two labels to train (found only {names[0]!r}); label some ranges without the highlight too"
        )
    if positive is not None and positive not in names:
        raise HighlightError(f"--positive {positive!r} is not one of the labels: {', '.join(names)}")
    if len(names) == 2:
        positive = positive or (DEFAULT_POSITIVE if DEFAULT_POSITIVE in names else None)
        if positive is None:
            raise HighlightError(
                f"two labels ({', '.join(names)}) and none is 'highlight': say which with --positive LABEL"
            )
        negative = next(n for n in names if n != positive)
        return LabelSet((negative, positive), positive)
    return LabelSet(tuple(names), positive or (DEFAULT_POSITIVE if DEFAULT_POSITIVE in names else None))


def positive_intervals(
    ranges: Iterable[LabelledRange], positive: str, join_gap: float = 1e-3
) -> list[tuple[float, float]]:
    """The ground-truth highlights of one video: positive ranges, touching ones joined."""
    spans = sorted((r.start, r.end) for r in ranges if r.label == positive)
    joined: list[list[float]] = []
    for start, end in spans:
        if joined and start - joined[-1][1] <= join_gap:
            joined[-1][1] = max(joined[-1][1], end)
        else:
            joined.append([start, end])
    return [(a, b) for a, b in joined]


def format_labels(ranges: Iterable[LabelledRange], relative_to: Path) -> str:
    """The CSV text, video paths relative to ``relative_to`` (the labels file's folder)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in ranges:
        writer.writerow([_relative(r.video, relative_to), _seconds_text(r.start), _seconds_text(r.end), r.label])
    return out.getvalue()


def write_labels(path: Path, ranges: Iterable[LabelledRange]) -> None:
    """The labels file, video paths relative to it so the folder can move; written atomically."""
    path = Path(path)
    write_text(path, format_labels(ranges, path.resolve().parent))


def _relative(video: Path, folder: Path) -> str:
    try:
        return Path(os.path.relpath(video, folder)).as_posix()
    except ValueError:  # another drive on Windows
        return str(video)


def _seconds_text(t: float) -> str:
    return f"{t:.3f}".rstrip("0").rstrip(".") or "0"


def covering_ranges(
    video: Path,
    intervals: Iterable[tuple[float, float]],
    start: float,
    end: float,
    positive: str = DEFAULT_POSITIVE,
    negative: str = DRAFT_NEGATIVE,
) -> list[LabelledRange]:
    """Ranges covering [start, end] of ``video``: ``intervals`` (sorted) as ``positive``, the gaps ``negative``.

    Training needs every frame labelled, not only the highlights: what lies between
    them is the negative class.
    """
    ranges: list[LabelledRange] = []
    cursor = start
    for a, b in intervals:
        a, b = max(a, cursor), min(b, end)
        if b <= a:
            continue
        if a > cursor:
            ranges.append(LabelledRange(video, cursor, a, negative))
        ranges.append(LabelledRange(video, a, b, positive))
        cursor = b
    if cursor < end:
        ranges.append(LabelledRange(video, cursor, end, negative))
    return ranges


def draft_from_manifests(manifest_paths: Sequence[Path]) -> list[LabelledRange]:
    """Ranges covering each analysed video: its detected intervals as ``highlight``, the rest ``background``.

    A run's intervals include the padding around each highlight, so the draft is
    generous on purpose: the user trims the edges rather than hunting for missed ones.
    """
    from highlight.export import manifest as manifests

    ranges: list[LabelledRange] = []
    for path in manifest_paths:
        manifest = manifests.load(Path(path))
        video, duration = manifest.source.path, manifest.source.duration
        if not video or duration <= 0:
            raise HighlightError(f"{path}: no source video or duration in the manifest")
        spans = [(interval.start, interval.end) for interval in manifest.intervals]
        ranges += covering_ranges(Path(video), spans, 0.0, duration)
    return ranges


def contact_sheet(
    video: Path,
    out: Path,
    every: float | None = None,
    columns: int = 6,
    tile_width: int = 240,
    per_page: int = 60,
) -> list[Path]:
    """Thumbnails every ``every`` seconds with their timestamps, as one JPEG per ``per_page`` tiles.

    ``every`` defaults to about ``per_page`` thumbnails for the whole video, rounded to a
    whole second or more. Returns the files written (``out``, or ``out`` with ``_01``,
    ``_02``... before the extension when there are several pages).
    """
    from PIL import Image

    from highlight.export.contact_sheet import render
    from highlight.source import VideoSource

    with VideoSource(Path(video)) as source:
        duration = source.info.duration
        every = every or max(1.0, math.ceil(duration / per_page))
        cells = [
            (Image.fromarray(frame.image(width=tile_width)), format_timestamp(frame.time, precision=1))
            for frame, _ in source.sample([1.0 / every])
        ]
    if not cells:
        raise HighlightError(f"{video}: no frames could be decoded for a contact sheet")
    pages = [cells[k : k + per_page] for k in range(0, len(cells), per_page)]
    written = []
    for number, page in enumerate(pages, start=1):
        path = out if len(pages) == 1 else out.with_name(f"{out.stem}_{number:02d}{out.suffix}")
        title = f"{Path(video).name}: every {every:g} s" + (f", page {number}/{len(pages)}" if len(pages) > 1 else "")
        sheet = render(title, page, columns=columns, cell_width=tile_width)
        with atomic_path(path) as tmp:
            try:
                sheet.save(tmp)
            except (ValueError, OSError) as error:
                raise HighlightError(f"{path}: cannot write the image ({error}; use .jpg or .png)") from None
        written.append(path)
    return written
