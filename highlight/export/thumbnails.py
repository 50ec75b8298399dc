"""Still frames of each highlight (its first frame, its peak and its last frame) for people to look at.

Frames are found with ``VideoSource.window`` (a seek and a short decode per moment),
in time order, so a video with hundreds of highlights costs a few seconds; the report
keeps the JPEGs and does not extract them again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from PIL import Image

from highlight.source import VideoSource

THUMB_WIDTH = 320
MOMENTS = ("start", "peak", "end")


def moment_times(interval: dict[str, Any], fps: float) -> dict[str, float]:
    """When each still is taken: the clip's first frame, the peak, the clip's last frame."""
    start, end = float(interval["start"]), float(interval["end"])
    last = max(start, end - 1.0 / max(fps, 1.0))
    peak = min(max(float(interval.get("peak_time", start)), start), last)
    return {"start": start, "peak": peak, "end": last}


def grab_frames(video: Path, times: Iterable[float], width: int = THUMB_WIDTH) -> dict[float, Image.Image]:
    """The frame shown at each time, upright, ``width`` pixels wide (the nearest frame decoded)."""
    wanted = sorted(set(times))
    found: dict[float, Image.Image] = {}
    if not wanted:
        return found
    with VideoSource(video) as source:
        reach = 1.5 / max(source.info.fps, 1.0)
        for t in wanted:
            frames = list(source.window(max(0.0, t - reach), t + reach))
            if not frames:  # past the last decodable frame: take the last one there is
                frames = list(source.window(max(0.0, t - 1.0), t + reach))[-1:]
            if frames:
                nearest = min(frames, key=lambda f: abs(f.time - t))
                found[t] = Image.fromarray(nearest.image(width=width))
    return found
