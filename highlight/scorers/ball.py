"""Ball flights: shot attempts found as ballistic paths, with no hoop and no options.

Used by the pipeline as a second pass where someone is in view for most of a recording
(a fixed camera over a court, where presence alone would return everything): each shot
attempt becomes one short highlight.

A shot is a ball in free flight: a small compact moving blob whose image path over about
half a second or more fits ``y = a t^2 + b t + c`` (x linear in t) with a downward
acceleration, rising well above where it started. What tells it from the rest:

* **small and compact**: blobs from a three-frame difference, round-ish and filled, far
  smaller than a person (a player walking through the frame is not a ball);
* **gravity**: every flight of one recording at one distance falls with the same
  acceleration in px/s^2; it is estimated from the recording's own flights (their median)
  and paths far from it are not flights (a hand, a limb, a swaying object);
* **one ball**: its blob size, like gravity, is about the same in every flight of the
  recording (the median, within a factor): a blob much bigger than the ball is not it;
* **height**: the path spans many ball sizes vertically, more than a dribble's bounce or a
  pass's flat line.

Nothing here is tuned to one court: sizes are in ball sizes and frame fractions, times in
seconds, gravity is measured per recording.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from highlight.intervals import Interval, merge_close, pad_and_clamp
from highlight.source import Frame, VideoInfo, VideoSource

FLIGHT_FPS = 15.0  # a ball crosses a court frame in ~1 s: 15 samples place a parabola well
FLIGHT_WIDTH = 640  # px; a ball stays a few pixels wide at this size on a 1080p court view
DIFF_LEVEL = 12  # grey levels a pixel must change in both neighbouring frames (above sensor noise)
MAX_BLOB_SHARE = 0.002  # of the frame: larger moving blobs are people or their limbs, not a ball
MIN_POINTS = 5  # samples on one path (a third of a second at FLIGHT_FPS) for a parabola to mean anything
MIN_STRETCH_POINTS = 7  # a flight inside a longer path (before a rim bounce): half a second of it
MIN_RISE_BALLS = 6.0  # vertical span in ball sizes: above a dribble (~4, hip to floor), below a shot's arc
GRAVITY_SPREAD = 2.5  # a flight's fitted acceleration lies within this factor of the recording's median
SIZE_SPREAD = 2.0  # one ball at one distance: its blob size lies within this factor of the median
SHOT_PAD_S = 0.5  # seconds around a flight's tracked path (see shot_clips)


@dataclass(frozen=True)
class Flight:
    """One tracked ballistic path: its time span, its highest point's time, size (px), fitted
    acceleration (px/s^2) and vertical span (px)."""

    start: float
    end: float
    apex: float
    size: float
    gravity: float
    rise: float


Detections = list[tuple[float, list[tuple[float, float, float]]]]  # per sample: (time, [(x, y, size)])


def small_moving_blobs(frames: Iterable[tuple[float, np.ndarray]]) -> Detections:
    """Compact blobs that moved both from the previous and to the next frame (a three-frame difference).

    The minimum of both differences keeps what is *here now* and not where it was: a fast
    ball is one blob, not a blob and its ghost. Elongated or hollow shapes are dropped.
    Frames are read as they come (three at a time): a long recording is never held in memory.
    """
    found: Detections = []
    window: list[tuple[float, np.ndarray]] = []
    for sample in frames:
        window = [*window[-2:], sample]
        if len(window) == 3:
            (_, before), (t, now), (_, after) = window
            found.append((t, _compact_blobs(cv2.min(cv2.absdiff(now, before), cv2.absdiff(now, after)))))
    return found


def _compact_blobs(moved: np.ndarray) -> list[tuple[float, float, float]]:
    mask = cv2.threshold(moved, DIFF_LEVEL, 255, cv2.THRESH_BINARY)[1]
    count, _, stats, centres = cv2.connectedComponentsWithStats(mask)
    blobs = []
    for i in range(1, count):
        _, _, w, h, area = stats[i]
        if area < 5 or area > MAX_BLOB_SHARE * mask.size:
            continue  # a speck of noise, or something far bigger than a ball (a person)
        if max(w, h) > 3.5 * min(w, h) or area < 0.35 * w * h:
            continue  # a line or a hollow outline (an arm, an edge), not a ball
        blobs.append((float(centres[i][0]), float(centres[i][1]), float(np.sqrt(area))))
    return blobs


def track_blobs(detections: Detections, width: int, misses: int = 2) -> list[np.ndarray]:
    """Paths through the detections, each an array of (t, x, y, size) rows.

    Each path predicts its next point from its last velocity and acceleration (a ball's
    path is smooth), takes the nearest blob within a few ball sizes of the prediction,
    and survives ``misses`` samples without one (the ball passes behind a player or a net).
    """
    reach = 0.1 * width
    active: list[dict] = []
    done: list[list[tuple]] = []
    for t, blobs in detections:
        used: set[int] = set()
        still = []
        for path in sorted(active, key=lambda p: -len(p["points"])):
            choice = _nearest(path, t, blobs, used, reach)
            if choice is not None:
                used.add(choice)
                path["points"].append((t, *blobs[choice]))
                path["missed"] = 0
                still.append(path)
            elif path["missed"] < misses and len(path["points"]) >= 3:
                path["missed"] += 1
                still.append(path)
            else:
                done.append(path["points"])
        still.extend({"points": [(t, *blob)], "missed": 0} for i, blob in enumerate(blobs) if i not in used)
        active = still
    done.extend(path["points"] for path in active)
    return [np.asarray(points) for points in done if len(points) >= MIN_POINTS]


def _nearest(path: dict, t: float, blobs, used: set[int], reach: float) -> int | None:
    points = path["points"]
    last = np.asarray(points[-1][1:3])
    size = points[-1][3]
    if len(points) >= 2:
        step = (points[-1][0] - points[-2][0]) or 1e-3
        velocity = (last - np.asarray(points[-2][1:3])) / step * (t - points[-1][0])
        predicted = last + velocity
        if len(points) >= 3:
            gap = path["missed"] + 1
            predicted = predicted + (last - 2 * np.asarray(points[-2][1:3]) + np.asarray(points[-3][1:3])) * gap * gap
        radius = max(3 * size, 0.3 * float(np.linalg.norm(velocity)) + 2 * size)
    else:
        predicted, radius = last, reach
    best, best_distance = None, radius
    for i, (x, y, _) in enumerate(blobs):
        if i in used:
            continue
        if len(points) == 1 and np.hypot(x - last[0], y - last[1]) < size:
            continue  # a path must move: a still blob is noise, not a ball
        distance = float(np.hypot(x - predicted[0], y - predicted[1]))
        if distance < best_distance:
            best, best_distance = i, distance
    return best


def ballistic(path: np.ndarray) -> Flight | None:
    """The path as a flight: all of it where it fits a parabola, else its longest stretch that does.

    The stretch matters for shots that hit the rim or the board: the tracker follows the
    ball on through the bounce, where the path stops being one parabola, and the free
    flight before it is the attempt. A stretch needs ``MIN_STRETCH_POINTS`` samples.
    """
    if _fits(path):
        return _flight(path)
    best: tuple[int, int] | None = None
    for first in range(len(path) - MIN_STRETCH_POINTS + 1):
        last = first + MIN_STRETCH_POINTS
        if not _fits(path[first:last]):
            continue
        while last < len(path) and _fits(path[first : last + 1]):
            last += 1
        if best is None or last - first > best[1] - best[0]:
            best = (first, last)
    return None if best is None else _flight(path[best[0] : best[1]])


def _parabola(path: np.ndarray) -> tuple[np.ndarray, float]:
    """The fitted y(t) (a parabola; x(t) is fitted as a line) and the worse RMS residual of the two, in px."""
    t = path[:, 0] - path[0, 0]
    x, y = path[:, 1], path[:, 2]
    fit_y, fit_x = np.polyfit(t, y, 2), np.polyfit(t, x, 1)
    residual = max(
        float(np.sqrt(np.mean((np.polyval(fit_y, t) - y) ** 2))),
        float(np.sqrt(np.mean((np.polyval(fit_x, t) - x) ** 2))),
    )
    return fit_y, residual


def _fits(path: np.ndarray) -> bool:
    """Within about a ball size (at least a few pixels: blob centres jitter) of a parabola."""
    return _parabola(path)[1] <= max(4.0, float(np.median(path[:, 3])))


def _flight(path: np.ndarray) -> Flight | None:
    fit_y, _ = _parabola(path)
    gravity = 2 * float(fit_y[0])  # image y grows downwards: a fall is positive
    if gravity <= 0:
        return None
    start, end = float(path[0, 0]), float(path[-1, 0])
    apex = float(np.clip(start - fit_y[1] / (2 * fit_y[0]), start, end))
    y = path[:, 2]
    return Flight(start, end, apex, float(np.median(path[:, 3])), gravity, float(y.max() - y.min()))


def shot_flights(flights: Iterable[Flight]) -> list[Flight]:
    """The flights that are shots: high (many ball sizes), of the recording's usual ball size, falling
    with the recording's own gravity (both medians over its high flights)."""
    high = [f for f in flights if f.rise >= MIN_RISE_BALLS * max(f.size, 3.0)]
    if not high:
        return []
    gravity = float(np.median([f.gravity for f in high]))
    size = float(np.median([f.size for f in high]))
    return [
        f
        for f in high
        if gravity / GRAVITY_SPREAD <= f.gravity <= gravity * GRAVITY_SPREAD
        and size / SIZE_SPREAD <= f.size <= size * SIZE_SPREAD
    ]


def shot_clips(flights: Sequence[Flight], duration: float) -> list[Interval]:
    """One tight highlight per attempt: the flight padded by ``SHOT_PAD_S`` on each side.

    Tight because on a practice court attempts follow each other every few seconds: the
    usual second of padding would join them into most of the recording again. Half a
    second covers the release just before the ball first shows as a separate blob and
    its arrival at the rim after the last tracked point. Pieces of one flight (a path
    broken behind a player) closer than the padding are one attempt. Each clip's peak is
    its flight's highest point.
    """
    ordered = sorted(flights, key=lambda f: f.start)
    spans = merge_close([Interval(f.start, f.end, 1.0, f.apex) for f in ordered], SHOT_PAD_S)
    return pad_and_clamp(spans, SHOT_PAD_S, SHOT_PAD_S, duration)


def find_ball_flights(path: Path, info: VideoInfo) -> list[Flight]:
    """Decode ``path`` at ``FLIGHT_FPS``, small and grey, and return its shot flights."""
    with VideoSource(path, info) as source:
        detections = small_moving_blobs(_small_grey(frame) for frame, _ in source.sample([FLIGHT_FPS]))
    upright_width = info.height if info.rotation in (90, 270) else info.width
    paths = track_blobs(detections, min(FLIGHT_WIDTH, upright_width or FLIGHT_WIDTH))
    return shot_flights(f for f in map(ballistic, paths) if f is not None)


def _small_grey(frame: Frame) -> tuple[float, np.ndarray]:
    width, height = frame.size
    scale = min(1.0, FLIGHT_WIDTH / max(width, 1))
    small = frame.image(max(1, round(width * scale)), max(1, round(height * scale)), fmt="gray")
    return frame.time, cv2.GaussianBlur(small, (3, 3), 0)
