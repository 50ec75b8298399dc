"""The export stage's one entry: a video's clips, slow motion, reel and manifest from its intervals.

Analysis (``highlight.pipeline``) decides *what* the highlights are; this module decides
nothing, it writes them. ``process_video`` and ``recut`` both end here, so a clip is
named, reused and recorded the same way whether it comes from a new run or a re-cut.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from highlight.export import clips as clip_writer
from highlight.export.clip_methods import ClipSource, method_for_plain_clips
from highlight.export.manifest import IntervalEntry, Manifest, ReelReview
from highlight.export.stream_copy import ClipEdges
from highlight.intervals import Interval
from highlight.plugin_api import overlay_drawers
from highlight.source import VideoInfo

if TYPE_CHECKING:  # only for the annotation: settings imports export.clips, which loads this package
    from highlight.settings import RunSettings

Progress = Callable[[float], None]  # called with the video time reached, in seconds
REEL_FILE = "reel.mp4"
CLIPS_AT_ONCE = os.cpu_count() or 1  # copied or smart clips written at once: one a core (see ``_write_clips``)


def write_outputs(
    info: VideoInfo,
    out_dir: Path,
    intervals: list[Interval],
    settings: RunSettings,
    manifest: Manifest,
    reusable: set[str] = frozenset(),
    progress: Progress | None = None,
    check_source: Callable[[], None] | None = None,
) -> Manifest:
    """Clips, slow motion, reel and the manifest; the manifest is saved after each clip.

    The manifest lists only clips that exist, so a run killed half-way resumes at the
    first missing clip (``reusable`` names the files an earlier attempt finished), and
    ``complete`` turns true only when everything is written and ``check_source`` (which
    raises when the recording changed meanwhile) passes. Returns ``manifest``, updated.
    """
    started = time.perf_counter()
    manifest.intervals = []
    manifest.reel, manifest.reel_review = None, None  # a run's or a cut's reel plays the detected highlights
    manifest.complete = False
    manifest.settings = settings.to_dict()
    manifest.settings_key = settings.key
    if settings.clips and intervals:
        _write_clips(info, out_dir, intervals, settings, manifest, reusable, progress)
    else:
        manifest.intervals = [IntervalEntry.from_interval(i, interval) for i, interval in enumerate(intervals, start=1)]
    manifest.timing = {**manifest.timing, "write_s": round(time.perf_counter() - started, 3)}
    if check_source is not None:
        check_source()
    manifest.complete = True
    manifest.save(out_dir)
    remove_unlisted(out_dir, manifest)
    return manifest


def rewrite_reel(
    info: VideoInfo,
    out_dir: Path,
    intervals: list[Interval],
    settings: RunSettings,
    manifest: Manifest,
    follows: ReelReview | None,
    check_source: Callable[[], None],
) -> Manifest:
    """The reel alone, made again from ``intervals`` (a review's), the clips left as they are.

    A reel the manifest lists is always the one it says it is: the manifest stops listing
    the old reel before anything is written, and lists the new one, with the review it
    ``follows``, only once it is encoded, checked and renamed into place (clips.write_reel).
    A write that fails leaves the old reel, and the manifest's word on it, as they were.
    With no intervals (everything rejected) there is no reel.
    """
    before = (manifest.reel, manifest.reel_review)
    manifest.reel, manifest.reel_review = None, None
    manifest.save(out_dir)
    path = out_dir / REEL_FILE
    if intervals:
        drawers = overlay_drawers(settings.overlay, out_dir, settings.given_plugin_options())
        try:
            with ClipSource(info, drawers) as source, source.moviepy() as clip:
                clip_writer.write_reel(clip, intervals, path, settings.clip)
        except BaseException:
            manifest.reel, manifest.reel_review = before
            manifest.save(out_dir)
            raise
    else:
        path.unlink(missing_ok=True)
    check_source()
    manifest.reel, manifest.reel_review = (REEL_FILE if intervals else None), follows
    manifest.save(out_dir)
    return manifest


def remove_unlisted(out_dir: Path, manifest: Manifest) -> None:
    """Delete the clips and reel an earlier run or cut left that ``manifest`` no longer lists.

    A re-analysis or a re-cut finds other intervals, so other clip names: the old clips
    would stay in the folder, unlisted, and be taken for highlights. Only names this
    writer makes (``clip_writer.is_clip_name``, the reel) are candidates, and only
    directly in the folder: whatever else a person keeps there, or a hand-edited
    manifest names, is never deleted.
    """
    listed = set(manifest.output_files())
    for path in out_dir.iterdir():
        ours = clip_writer.is_clip_name(path.name) or path.name == REEL_FILE
        if ours and path.name not in listed and (path.is_file() or path.is_symlink()):
            path.unlink(missing_ok=True)


def _write_clips(
    info: VideoInfo,
    out_dir: Path,
    intervals: list[Interval],
    settings: RunSettings,
    manifest: Manifest,
    reusable: set[str],
    progress: Progress | None,
) -> None:
    """Each interval's clip (by the chosen method) and slow motion, then the reel (re-encoded).

    Copied and smart clips are written several at once, one a core: each is one
    decoder and one encoder that keep about a core busy (FFmpeg works without the
    GIL), so on two cores two at once take little more than one. They are recorded
    in the manifest in order, each once it and every clip before it exist, so a run
    killed half-way still resumes at the first clip the manifest does not list.
    """
    drawers = overlay_drawers(settings.overlay, out_dir, settings.given_plugin_options())
    plain = method_for_plain_clips(settings.clip_method, overlay=bool(drawers))
    at_once = 1 if plain.re_encodes else max(1, min(len(intervals), CLIPS_AT_ONCE))

    def write_plain(index: int, interval: Interval) -> tuple[str, ClipEdges]:
        written: list[ClipEdges] = []
        name = _ensure(
            out_dir,
            clip_writer.clip_name(index, interval),
            reusable,
            lambda p: written.append(plain.write(source, interval, p, settings.clip)),
        )
        # Where the clip really starts and ends; for one an earlier attempt wrote, worked out again.
        return name, written[0] if written else plain.edges(info, interval)

    def write_slowmo(interval: Interval, path: Path) -> None:
        with source.moviepy() as clip:  # re-encoded from moviepy's one reader, which one writer holds at a time
            clip_writer.write_clip(clip, interval, path, settings.clip, settings.slowmo)

    def write_reel(path: Path) -> None:
        with source.moviepy() as clip:
            clip_writer.write_reel(clip, intervals, path, settings.clip)

    def plain_clips(pool: ThreadPoolExecutor | None) -> Iterator[tuple[str, ClipEdges]]:
        """Each plain clip's (name, edges), in order: written on the pool's threads, or here when asked for."""
        numbered = list(enumerate(intervals, start=1))
        if pool is None:  # a re-encode: on this thread, so that an interrupt stops it at once
            return (write_plain(index, interval) for index, interval in numbered)
        clips = [pool.submit(write_plain, index, interval) for index, interval in numbered]
        return (clip.result() for clip in clips)

    with ClipSource(info, drawers) as source, contextlib.ExitStack() as stack:
        pool = None
        if at_once > 1:
            pool = stack.enter_context(ThreadPoolExecutor(at_once, thread_name_prefix="clip"))
            stack.callback(pool.shutdown, cancel_futures=True)  # after a failure, no clip not yet begun is started
        for index, (interval, (name, edges)) in enumerate(zip(intervals, plain_clips(pool)), start=1):
            entry = IntervalEntry.from_interval(index, interval)
            entry.clip, entry.clip_start, entry.clip_end = name, round(edges.start, 3), round(edges.end, 3)
            if settings.slowmo:
                entry.slowmo_clip = _ensure(
                    out_dir,
                    clip_writer.clip_name(index, interval, clip_writer.SLOWMO_SUFFIX),
                    reusable,
                    lambda p, i=interval: write_slowmo(i, p),
                )
            manifest.intervals.append(entry)
            manifest.save(out_dir)
            if progress:
                progress(interval.end)
        if settings.reel:
            manifest.reel = _ensure(out_dir, REEL_FILE, set(), write_reel)


def _ensure(out_dir: Path, name: str, reusable: set[str], write: Callable[[Path], None]) -> str:
    """Write ``name`` unless an earlier attempt already finished it; the name, for the manifest."""
    path = out_dir / name
    if not (name in reusable and path.is_file()):
        write(path)
    return name
