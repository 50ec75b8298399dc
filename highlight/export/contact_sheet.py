"""A contact sheet per video: every highlight's peak frame in a grid, with its times.

One JPEG (``contact_sheet.jpg`` in the video's output folder) that a file browser
shows as a preview: what a recording's highlights are, without opening a clip.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from highlight import HighlightError
from highlight.atomic import atomic_path
from highlight.export import manifest as manifests
from highlight.export.manifest import IntervalEntry, Manifest
from highlight.export.region_overlay import marks_from_manifest
from highlight.export.thumbnails import THUMB_WIDTH, grab_frames, moment_times
from highlight.units import counted, format_timestamp

CONTACT_SHEET_FILE = "contact_sheet.jpg"
COLUMNS = 4
_GAP, _LABEL_HEIGHT, _HEADER_HEIGHT = 8, 22, 34
_BACKGROUND, _TEXT, _MUTED = (24, 24, 27), (240, 240, 240), (170, 170, 175)


def cell_label(interval: IntervalEntry) -> str:
    """Number, time range and peak under each thumbnail: enough to find the clip again."""
    return (
        f"#{interval.index:02d}  {format_timestamp(interval.start, 1)}-{format_timestamp(interval.end, 1)}"
        f"  peak {interval.peak:.2f}"
    )


def render(
    title: str, cells: list[tuple[Image.Image | None, str]], columns: int = COLUMNS, cell_width: int = THUMB_WIDTH
) -> Image.Image:
    """The grid: a title line, then one thumbnail and label per highlight (grey where none)."""
    heights = [image.height * cell_width // image.width for image, _ in cells if image is not None]
    cell_height = max(heights, default=cell_width * 9 // 16)
    columns = max(1, min(columns, len(cells) or 1))
    rows = max(1, math.ceil(len(cells) / columns))
    title_font = _font(16)
    title_width = math.ceil(title_font.getlength(title)) + 2 * _GAP  # the title whole, even over one thumbnail
    width = max(_GAP + columns * (cell_width + _GAP), title_width)
    height = _HEADER_HEIGHT + rows * (cell_height + _LABEL_HEIGHT + _GAP) + _GAP
    sheet = Image.new("RGB", (width, height), _BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    draw.text((_GAP, 8), title, fill=_TEXT, font=title_font)
    small = _font(13)
    for k, (image, label) in enumerate(cells):
        x = _GAP + (k % columns) * (cell_width + _GAP)
        y = _HEADER_HEIGHT + (k // columns) * (cell_height + _LABEL_HEIGHT + _GAP)
        if image is None:
            draw.rectangle([x, y, x + cell_width - 1, y + cell_height - 1], fill=(60, 60, 64))
        else:
            thumb = image.resize((cell_width, image.height * cell_width // image.width))
            sheet.paste(thumb, (x, y + (cell_height - thumb.height) // 2))
        draw.text((x + 2, y + cell_height + 4), label, fill=_MUTED, font=small)
    return sheet


def write_contact_sheet(folder: Path, manifest: Manifest, peaks: dict[int, Image.Image] | None = None) -> Path:
    """Write ``contact_sheet.jpg``; ``peaks`` (highlight index -> image) saves decoding them again.

    Given ``peaks`` are the report's stills, which carry the run's regions already;
    frames decoded here get them drawn (``--region`` green, ``--exclude`` red, hatched).
    """
    intervals = manifest.intervals
    if peaks is None:
        fps = manifest.source.fps or 30.0
        times = {i.index: moment_times(i, fps)["peak"] for i in intervals}
        frames = grab_frames(Path(manifest.source.path), times.values())
        try:
            marks = marks_from_manifest(manifest)
        except ValueError as error:
            raise HighlightError(f"{Path(folder) / manifests.MANIFEST_FILE}: {error}") from None
        peaks = {index: marks.draw(frames[t]) if t in frames else None for index, t in times.items()}
    stem = Path(manifest.source.path).name
    title = f"{stem}: {counted(len(intervals), 'highlight')}, {format_timestamp(manifest.source.duration, 0)} recording"
    sheet = render(title, [(peaks.get(i.index), cell_label(i)) for i in intervals])
    path = Path(folder) / CONTACT_SHEET_FILE
    with atomic_path(path) as tmp:
        sheet.save(tmp, "JPEG", quality=85)
    return path


def make_contact_sheet(folder: Path) -> Path:
    """The contact sheet of one output folder, from its highlights.json and the recording."""
    return write_contact_sheet(folder, manifests.load(Path(folder)))


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()
