"""Lay a ``highlights.json`` out in the Video Sequencer: movie and sound strips per highlight, a marker per peak.

Times become frames by the rule every other timeline the tool writes follows
(``timeline_rules.to_frame``, shipped beside this file), at the rate Blender itself reads
from the recording (the movie strip's ``fps``, 29.97 as 30000/1001); a strip's end is
exclusive. A highlight is a strip of the original recording whose handles are moved
to the highlight's edges, so the editor can still drag them out again.

Where strips go:

* ``END_TO_END``: back to back from the scene's first frame, on two new channels above
  everything (picture, then sound): a first cut of the highlights.
* ``SOURCE_TIMES``: each highlight where it happens in the recording, on two new
  channels: beside the original strip when it is in the scene, lined up with it.
* ``cut_original``: the original strip (and its sound) is cut down to its highlights in
  place, on its own channels; nothing else in the scene moves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import bpy

from .job import is_reviewed, reviewed_highlights
from .timeline_rules import peak_name, to_frame

LAYOUTS = (
    ("END_TO_END", "End to end", "The highlights back to back from the scene's first frame, on new channels"),
    ("SOURCE_TIMES", "At source times", "Each highlight where it happens in the recording, on new channels"),
)


class ManifestError(Exception):
    """A ``highlights.json`` that cannot be laid out; its message is one line naming the file."""


@dataclass(frozen=True)
class Highlight:
    index: int
    start: float
    end: float
    peak: float
    peak_time: float
    name: str  # of its peak marker


@dataclass(frozen=True)
class Manifest:
    path: Path
    recording: Path
    has_audio: bool
    highlights: list[Highlight]


def _highlight(entry: dict, number: int, plugins: dict) -> Highlight:
    """One of the manifest's intervals; only ``start`` and ``end`` are required, as the tool reads them."""
    start, end = float(entry["start"]), float(entry["end"])
    index, peak = int(entry.get("index", number)), float(entry.get("peak", 0.0))
    peak_time = float(entry.get("peak_time", start))
    return Highlight(index, start, end, peak, peak_time, peak_name(plugins, start, end, peak_time, index, peak))


def read_manifest(path: str | Path, command: str | None = None) -> Manifest:
    """The parts of ``highlights.json`` the sequencer needs; ManifestError says in one line what is wrong.

    A recording reviewed in ``highlight review`` is laid out as every other timeline takes
    it (only the kept highlights, with their dragged edges, and the moments added): the
    ``highlight`` ``command`` says which (``job.reviewed_highlights``); without it, an error.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "highlights.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        source = data["source"]
        plugins = data.get("plugins") or {}
        intervals = data.get("intervals") or []
        if is_reviewed(path.parent):
            intervals = _reviewed(path, command)
        highlights = [_highlight(entry, number, plugins) for number, entry in enumerate(intervals, 1)]
        recording = Path(source["path"])
    except FileNotFoundError:
        raise ManifestError(f"{path}: not found") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise ManifestError(f"{path}: not a highlights manifest ({type(error).__name__}: {error})") from None
    if not recording.is_file():
        raise ManifestError(f"{path}: its recording {recording} is not there")
    return Manifest(path, recording, bool(source.get("has_audio")), highlights)


def _reviewed(path: Path, command: str | None) -> list[dict]:
    """The highlights of a reviewed recording, asked of the highlight command."""
    if command is None:
        raise ManifestError(
            f"{path}: reviewed in highlight review; the highlight command, which applies the review, "
            "is needed (set its path in the add-on's preferences)"
        )
    try:
        return reviewed_highlights(command, path.parent)
    except RuntimeError as error:
        raise ManifestError(f"{path}: {error}") from None


def scene_rate(scene) -> Fraction:
    """The scene's frame rate, exactly: fps 30 with base 1.001 is 30000/1001."""
    return Fraction(scene.render.fps) / Fraction(scene.render.fps_base).limit_denominator(1001)


def set_scene_rate(scene, rate: Fraction) -> None:
    """30000/1001 as fps 30 with base 1.001, as Blender's own presets write it."""
    whole = round(rate)
    scene.render.fps = whole
    scene.render.fps_base = float(Fraction(whole) / rate)


def _same_file(strip, recording: Path) -> bool:
    try:
        return Path(bpy.path.abspath(strip.filepath)).resolve() == recording.resolve()
    except (AttributeError, OSError):
        return False


def originals(scene, recording: Path) -> list:
    """The scene's strips of ``recording`` (its movie strip and any sound strip of the same file)."""
    found = []
    for strip in scene.sequence_editor.strips_all:
        if strip.type == "MOVIE" and _same_file(strip, recording):
            found.append(strip)
        elif strip.type == "SOUND" and strip.sound and _same_file(strip.sound, recording):
            found.append(strip)
    return found


def _add(editor, kind: str, name: str, recording: Path, channel: int, placed_at: int, first: int, count: int):
    """A ``kind`` (movie or sound) strip of ``recording`` on ``channel`` showing its frames [first, first + count)
    at [placed_at, placed_at + count).

    It is made on a free channel above everything and moved down once trimmed: Blender moves
    a new strip that overlaps another to the next free channel, and the whole recording
    would overlap the highlights already laid.
    """
    free = 1 + max((s.channel for s in editor.strips_all), default=0)
    new_strip = editor.strips.new_movie if kind == "MOVIE" else editor.strips.new_sound
    strip = new_strip(name, str(recording), free, placed_at - first)
    strip.frame_final_start = placed_at
    strip.frame_final_end = placed_at + count
    strip.channel = channel
    return strip


def lay_out(scene, manifest: Manifest, layout: str = "END_TO_END", cut_original: bool = False) -> list:
    """Build the strips and markers of ``manifest`` in ``scene``; returns the movie strips made, in order.

    A scene holding nothing but this recording takes the recording's frame rate and picture
    size (as Blender's own "add movie" does); otherwise the scene keeps its own and the highlights are placed at it.
    """
    editor = scene.sequence_editor or scene.sequence_editor_create()
    found = originals(scene, manifest.recording)
    others = [s for s in editor.strips_all if s not in found]
    movie_original = next((s for s in found if s.type == "MOVIE"), None)
    sound_original = next((s for s in found if s.type == "SOUND"), None)
    if not others:  # the scene is this recording's: its rate and picture size, as Blender reads them
        rate, width, height = _movie_format(editor, manifest.recording, scene.frame_start)
        set_scene_rate(scene, rate)
        if width and height:
            scene.render.resolution_x, scene.render.resolution_y = width, height
    rate = scene_rate(scene)
    if cut_original and movie_original is not None:
        origin = round(movie_original.frame_start)
        video_channel = movie_original.channel
        sound_channel = sound_original.channel if sound_original else None
        for strip in (movie_original, sound_original):
            if strip is not None:
                editor.strips.remove(strip)
    else:
        top = max((s.channel for s in editor.strips_all), default=0)
        video_channel, sound_channel = top + 1, top + 2
        origin = round(movie_original.frame_start) if movie_original is not None else scene.frame_start
    if not manifest.has_audio:
        sound_channel = None
    end_to_end = layout == "END_TO_END" and not cut_original
    position = scene.frame_start
    made = []
    for highlight in manifest.highlights:
        first, end = to_frame(highlight.start, rate), to_frame(highlight.end, rate)
        if end <= first:
            continue
        placed_at = position if end_to_end else origin + first
        name = f"{manifest.recording.stem} #{highlight.index:02d}"
        movie = _add(editor, "MOVIE", name, manifest.recording, video_channel, placed_at, first, end - first)
        if sound_channel is not None:
            _add(editor, "SOUND", f"{name} sound", manifest.recording, sound_channel, placed_at, first, end - first)
        peak = min(max(to_frame(highlight.peak_time, rate), first), end - 1)
        scene.timeline_markers.new(highlight.name, frame=placed_at + peak - first)
        made.append(movie)
        position += end - first
    if made:
        last = max(s.frame_final_end for s in made) - 1
        scene.frame_end = last if not others else max(scene.frame_end, last)
    return made


def _movie_format(editor, recording: Path, frame: int) -> tuple[Fraction, int, int]:
    """(rate, width, height) Blender plays ``recording`` at, read from a movie strip made and removed."""
    channel = 1 + max((s.channel for s in editor.strips_all), default=0)
    probe = editor.strips.new_movie("highlight probe", str(recording), channel, frame)
    try:
        element = probe.elements[0] if len(probe.elements) else None
        size = (element.orig_width, element.orig_height) if element else (0, 0)
        return Fraction(probe.fps).limit_denominator(1001), *size
    finally:
        editor.strips.remove(probe)
