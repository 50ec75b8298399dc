"""Still frames of each highlight (its first frame, its peak and its last frame) for people to look at.

Frames are found with ``VideoSource.window``, in time order, one seek per cluster of
moments; the report keeps the JPEGs and does not extract them again.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from pathlib import Path

from PIL import Image

from highlight.export.manifest import IntervalEntry
from highlight.source import VideoSource

THUMB_WIDTH = 320
MOMENTS = ("start", "peak", "end")


def moment_times(interval: IntervalEntry, fps: float) -> dict[str, float]:
    """When each still is taken: the clip's first frame, the peak, the clip's last frame."""
    start, end = interval.start, interval.end
    last = max(start, end - 1.0 / max(fps, 1.0))
    peak = min(max(interval.peak_time, start), last)
    return {"start": start, "peak": peak, "end": last}


def grab_frames(video: Path, times: Iterable[float], width: int = THUMB_WIDTH) -> dict[float, Image.Image]:
    """The frame shown at each time (the nearest decoded), upright, ``width`` pixels wide.

    Times closer together than ``_DECODE_THROUGH`` seconds are served by one seek and
    one continuous decode: a seek lands on a keyframe, which on a recording can be
    seconds before the wanted frame, so decoding on is cheaper than seeking again.
    """
    wanted = sorted(set(times))
    found: dict[float, Image.Image] = {}
    if not wanted:
        return found
    with VideoSource(video) as source:
        reach = 1.5 / max(source.info.fps, 1.0)
        for group in _groups(wanted, _DECODE_THROUGH):
            found.update(_nearest_frames(source, group, reach, width))
        missing = [t for t in wanted if t not in found]  # past the last decodable frame
        if missing:
            last = list(source.window(max(0.0, missing[0] - 1.0), missing[-1] + reach))[-1:]
            for t in missing:
                if last:
                    found[t] = Image.fromarray(last[0].image(width=width))
    return found


_DECODE_THROUGH = 8.0  # seconds


def _groups(times: list[float], gap: float) -> list[list[float]]:
    groups: list[list[float]] = []
    for t in times:
        if groups and t - groups[-1][-1] < gap:
            groups[-1].append(t)
        else:
            groups.append([t])
    return groups


def _nearest_frames(source: VideoSource, times: list[float], reach: float, width: int) -> dict[float, Image.Image]:
    """One window decode; each time keeps the closest frame seen (converted small at once)."""
    best: dict[float, tuple[float, Image.Image]] = {}
    for frame in source.window(max(0.0, times[0] - reach), times[-1] + reach):
        lo, hi = bisect.bisect_left(times, frame.time - reach), bisect.bisect_right(times, frame.time + reach)
        image = None
        for t in times[lo:hi]:
            distance = abs(frame.time - t)
            if t not in best or distance < best[t][0]:
                image = image or Image.fromarray(frame.image(width=width))
                best[t] = (distance, image)
    return {t: image for t, (_, image) in best.items()}
