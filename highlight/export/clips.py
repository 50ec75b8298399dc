"""Highlight clips, slow-motion versions and the reel, written with moviepy.

Every file is encoded to a temporary name and renamed when complete. Clips are H.264
+ AAC in MP4 with ``+faststart``: what phones, browsers and editors all open.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from highlight import HighlightError
from highlight.atomic import atomic_path
from highlight.intervals import Interval
from highlight.source import VideoInfo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClipSettings:
    preset: str = "veryfast"  # x264 speed/size trade-off; clips are short, speed wins
    crf: int = 20  # visually near-lossless for sports footage
    threads: int = max(1, os.cpu_count() or 1)


def clip_name(index: int, interval: Interval, suffix: str = "") -> str:
    return f"clip_{index:03d}_{interval.start:.2f}-{interval.end:.2f}{suffix}.mp4"


@contextlib.contextmanager
def open_source(info: VideoInfo) -> Iterator:
    """The recording as a moviepy clip, upright.

    moviepy 2.2 reads rotation only from the old ``rotate`` tag, while ffmpeg (which
    rotates phone videos as it decodes) now reports a display matrix; without help,
    moviepy would take the rotated frames for unrotated ones and scramble them. Asking
    for the upright size makes its frame size match what ffmpeg delivers.
    """
    from moviepy import VideoFileClip

    upright = (info.width, info.height) if info.rotation % 180 else None
    try:
        clip = VideoFileClip(info.path, audio=info.has_audio, target_resolution=upright)
    except (OSError, KeyError, IndexError, ValueError) as error:
        raise HighlightError(f"{info.path}: moviepy cannot open it ({error})") from None
    try:
        yield clip
    finally:
        clip.close()


def with_overlays(source_clip, drawers: list):
    """The clip with each drawer, (RGB image, source time) -> image, applied to every frame.

    Applied before cutting, so that the times the drawers see are times of the source.
    """
    if not drawers:
        return source_clip

    def draw(get_frame, t):
        image = get_frame(t)
        for drawer in drawers:
            image = drawer(image, t)
        return image

    return source_clip.transform(draw, apply_to=[])


def write_clip(source_clip, interval: Interval, path: Path, settings: ClipSettings, speed: float = 1.0) -> None:
    """One interval as a file; ``speed`` < 1 writes slow motion (without audio, which would drone)."""
    from moviepy import vfx

    part = _subclip(source_clip, interval)
    if speed != 1.0:
        part = part.without_audio().with_effects([vfx.MultiplySpeed(speed)])
    _write(part, path, settings)


def write_reel(source_clip, intervals: list[Interval], path: Path, settings: ClipSettings) -> None:
    """All highlights of one video, in order, as one file."""
    from moviepy import concatenate_videoclips

    parts = [_subclip(source_clip, i) for i in intervals]
    _write(concatenate_videoclips(parts), path, settings)


def _subclip(source_clip, interval: Interval):
    """The interval's part; its end is clamped to what moviepy reads as the clip's length,
    which can be a few milliseconds shorter than the container's duration."""
    end = min(interval.end, source_clip.duration) if source_clip.duration else interval.end
    return source_clip.subclipped(min(interval.start, end), end)


def _write(clip, path: Path, settings: ClipSettings) -> None:
    with atomic_path(path) as tmp:
        clip.write_videofile(
            str(tmp),
            codec="libx264",
            audio_codec="aac" if clip.audio is not None else None,
            audio=clip.audio is not None,
            preset=settings.preset,
            threads=settings.threads,
            ffmpeg_params=["-crf", str(settings.crf), "-pix_fmt", "yuv420p", "-movflags", "+faststart"],
            temp_audiofile_path=str(path.parent),
            logger=None,
        )
