"""The export stage's one entry: a video's clips, slow motion, reel and manifest from its intervals.

Analysis (``highlight.pipeline``) decides *what* the highlights are; this module decides
nothing, it writes them. ``process_video`` and ``recut`` both end here, so a clip is
named, reused and recorded the same way whether it comes from a new run or a re-cut.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from highlight.export import clips as clip_writer
from highlight.export.clip_methods import ClipSource, method_for_plain_clips
from highlight.export.manifest import IntervalEntry, Manifest
from highlight.export.stream_copy import ClipEdges
from highlight.intervals import Interval
from highlight.plugin_api import overlay_drawers
from highlight.source import VideoInfo

if TYPE_CHECKING:  # only for the annotation: settings imports export.clips, which loads this package
    from highlight.settings import RunSettings

Progress = Callable[[float], None]  # called with the video time reached, in seconds
REEL_FILE = "reel.mp4"


def write_outputs(
    info: VideoInfo,
    out_dir: Path,
    intervals: list[Interval],
    settings: RunSettings,
    manifest: Manifest,
    reusable: set[str] = frozenset(),
    progress: Progress | None = None,
) -> Manifest:
    """Clips, slow motion, reel and the manifest; the manifest is saved after each clip.

    The manifest lists only clips that exist, so a run killed half-way resumes at the
    first missing clip (``reusable`` names the files an earlier attempt finished), and
    ``complete`` turns true only when everything is written. Returns ``manifest``, updated.
    """
    started = time.perf_counter()
    manifest.intervals = []
    manifest.reel = None
    manifest.complete = False
    manifest.settings = settings.to_dict()
    manifest.settings_key = settings.key
    if settings.clips and intervals:
        _write_clips(info, out_dir, intervals, settings, manifest, reusable, progress)
    else:
        manifest.intervals = [IntervalEntry.from_interval(i, interval) for i, interval in enumerate(intervals, start=1)]
    manifest.timing = {**manifest.timing, "write_s": round(time.perf_counter() - started, 3)}
    manifest.complete = True
    manifest.save(out_dir)
    return manifest


def _write_clips(
    info: VideoInfo,
    out_dir: Path,
    intervals: list[Interval],
    settings: RunSettings,
    manifest: Manifest,
    reusable: set[str],
    progress: Progress | None,
) -> None:
    """Each interval's clip (by the chosen method) and slow motion, then the reel (re-encoded)."""
    drawers = overlay_drawers(settings.overlay, out_dir, settings.given_plugin_options())
    plain = method_for_plain_clips(settings.clip_method, overlay=bool(drawers))
    with ClipSource(info, drawers) as source:
        for index, interval in enumerate(intervals, start=1):
            entry = IntervalEntry.from_interval(index, interval)
            written: list[ClipEdges] = []
            entry.clip = _ensure(
                out_dir,
                clip_writer.clip_name(index, interval),
                reusable,
                lambda p, i=interval, w=written: w.append(plain.write(source, i, p, settings.clip)),
            )
            # Where the clip really starts and ends; for one an earlier attempt wrote, worked out again.
            edges = written[0] if written else plain.edges(info, interval)
            entry.clip_start, entry.clip_end = round(edges.start, 3), round(edges.end, 3)
            if settings.slowmo:
                entry.slowmo_clip = _ensure(
                    out_dir,
                    clip_writer.clip_name(index, interval, "_slowmo"),
                    reusable,
                    lambda p, i=interval: clip_writer.write_clip(
                        source.moviepy(), i, p, settings.clip, settings.slowmo
                    ),
                )
            manifest.intervals.append(entry)
            manifest.save(out_dir)
            if progress:
                progress(interval.end)
        if settings.reel:
            manifest.reel = _ensure(
                out_dir,
                REEL_FILE,
                set(),
                lambda p: clip_writer.write_reel(source.moviepy(), intervals, p, settings.clip),
            )


def _ensure(out_dir: Path, name: str, reusable: set[str], write: Callable[[Path], None]) -> str:
    """Write ``name`` unless an earlier attempt already finished it; the name, for the manifest."""
    path = out_dir / name
    if not (name in reusable and path.is_file()):
        write(path)
    return name
