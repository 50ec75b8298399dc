"""Score timeline -> highlight intervals. Pure functions, no I/O.

The timeline may be irregular: coarse samples at the analysis rate plus every frame
near a transition (the source decodes those when a score crosses the exit threshold).
Everything here therefore works in seconds, never in sample counts.

Steps, in order (``find_intervals``):
1. ``smooth_scores``: a running median over ``smooth`` seconds. A median, because it
   removes one-sample spikes (compression flicker) without moving the edges of a step.
   It is weighted by the time each sample stands for, so that the dense frames decoded
   around an edge do not outvote the regular samples beside them.
2. ``hysteresis``: a run of samples at or above ``exit_threshold`` that contains at
   least one sample at or above ``threshold`` (Canny's double threshold). Entering
   needs strong evidence; staying needs only weak evidence, so a player who pauses
   mid-drill does not split the clip, and the edges sit where the action really
   starts and ends rather than where it first became strong.
3. ``merge_close``: runs whose clips would be less than ``merge_gap`` apart once padded
   become one (the gap a viewer sees is between clips, padding included).
4. ``drop_short``: runs shorter than ``min_duration`` are dropped (after merging,
   so that a long action with a short dip is kept).
5. Each highlight's ``peak`` is the highest raw score of its run, before padding: the
   moment of the event itself, never a neighbour's seen through the padding.
6. ``pad_and_clamp``: ``pad_before``/``pad_after`` seconds are added, clamped to the
   video, and never past halfway to the neighbouring run: no two highlights share a
   second of video, so clips can be shared one by one and a reel of them never shows
   a moment twice. Without ``separate`` this never bites (runs whose padding would
   meet were merged in step 3).

With ``separate`` (``--preset shots``), each event is its own highlight: runs are
merged only when less than ``merge_gap`` apart before padding (events that touch are
one), and the padding of two events close together yields halfway, so each clip keeps
its own event and as much of its lead-in and tail as the neighbour leaves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class IntervalSettings:
    threshold: float = 0.5
    exit_threshold: float = 0.3
    smooth: float = 1.5
    min_duration: float = 1.0
    merge_gap: float = 2.0
    pad_before: float = 1.0
    pad_after: float = 1.0
    separate: bool = False  # one highlight per event: padding neither merges nor joins clips

    def __post_init__(self) -> None:
        if not 0.0 <= self.exit_threshold <= self.threshold <= 1.0:
            raise ValueError(f"need 0 <= exit threshold ({self.exit_threshold}) <= threshold ({self.threshold}) <= 1")
        for name in ("smooth", "min_duration", "merge_gap", "pad_before", "pad_after"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name.replace('_', '-')} must not be negative")

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class Interval:
    """A highlight in seconds of the source; ``peak`` is the highest raw score inside it."""

    start: float
    end: float
    peak: float = 0.0
    peak_time: float = 0.0

    @property
    def duration(self) -> float:
        return self.end - self.start


def find_intervals(
    times: Sequence[float],
    scores: Sequence[float],
    settings: IntervalSettings,
    duration: float | None = None,
) -> list[Interval]:
    """Run the whole interval stage; ``duration`` clamps the result to the video."""
    t, raw = _as_timeline(times, scores)
    if t.size == 0:
        return []
    end_of_video = float(duration) if duration is not None else float(t[-1])
    smoothed = smooth_scores(t, raw, settings.smooth, end_of_video)
    runs = hysteresis(t, smoothed, settings.threshold, settings.exit_threshold, end_of_video)
    padding = 0.0 if settings.separate else settings.pad_before + settings.pad_after
    runs = merge_close(runs, settings.merge_gap + padding)
    runs = drop_short(runs, settings.min_duration)
    runs = [_with_peak(run, t, raw) for run in runs]
    return pad_and_clamp(runs, settings.pad_before, settings.pad_after, end_of_video)


def _as_timeline(times: Sequence[float], scores: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(times, dtype=float)
    s = np.nan_to_num(np.asarray(scores, dtype=float), nan=0.0)
    if t.shape != s.shape:
        raise ValueError(f"{t.size} times but {s.size} scores")
    order = np.argsort(t, kind="stable")
    return t[order], np.clip(s[order], 0.0, 1.0)


def smooth_scores(
    times: np.ndarray, scores: np.ndarray, window: float, end_of_video: float | None = None
) -> np.ndarray:
    """Running median over ``window`` seconds centred on each sample, taken over time.

    Each sample stands for the stretch halfway to its neighbours, and counts by how
    much of that stretch lies inside the window: a quiet keyframe standing for half a
    second outweighs a dense refined frame, but only inside the window. The last one
    stands for the rest of the video (``end_of_video``), as ``hysteresis`` takes it:
    nothing later was seen. Without that, someone who leaves a second before the end,
    seen leaving in a few dense frames after seconds of samples in view, would be in
    view to the end of the video.
    """
    if window <= 0 or scores.size < 3:
        return scores.copy()
    cell_lo, cell_hi = sample_cells(times)
    if end_of_video is not None:
        cell_hi[-1] = max(cell_hi[-1], end_of_video)
    first = np.searchsorted(cell_hi, times - window / 2, side="right")
    last = np.searchsorted(cell_lo, times + window / 2, side="left")
    smoothed = np.empty_like(scores)
    for k, (t, a, b) in enumerate(zip(times, first, last)):
        overlap = np.minimum(cell_hi[a:b], t + window / 2) - np.maximum(cell_lo[a:b], t - window / 2)
        smoothed[k] = _weighted_median(scores[a:b], np.maximum(overlap, 1e-12))
    return smoothed


def sample_cells(times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) of the stretch each sample stands for: halfway to each neighbour."""
    if times.size < 2:
        return times - 0.5, times + 0.5
    mids = (times[1:] + times[:-1]) / 2
    lo = np.concatenate([[times[0] - (mids[0] - times[0])], mids])
    hi = np.concatenate([mids, [times[-1] + (times[-1] - mids[-1])]])
    return lo, hi


def sample_spans(times: np.ndarray) -> np.ndarray:
    """How long a stretch each sample stands for."""
    lo, hi = sample_cells(times)
    return np.maximum(hi - lo, 1e-9)


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """The value at half the total weight; on an exact tie, the mean of the middle pair."""
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    half = cumulative[-1] / 2
    k = int(np.searchsorted(cumulative, half))
    if k + 1 < len(order) and abs(cumulative[k] - half) <= 1e-9 * cumulative[-1]:
        return float((values[order][k] + values[order][k + 1]) / 2)
    return float(values[order][k])


def hysteresis(
    times: np.ndarray, scores: np.ndarray, enter: float, leave: float, end_of_video: float
) -> list[Interval]:
    """Runs at or above ``leave`` that reach ``enter``.

    An edge lies halfway between the last sample on one side and the first on the
    other: the best estimate when only the two samples are known, and within half a
    frame where the timeline has every frame.
    """
    above = scores >= leave
    runs: list[Interval] = []
    n = scores.size
    i = 0
    while i < n:
        if not above[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and above[j + 1]:
            j += 1
        if scores[i : j + 1].max() >= enter:
            start = 0.0 if i == 0 else (times[i - 1] + times[i]) / 2
            end = end_of_video if j == n - 1 else (times[j] + times[j + 1]) / 2
            runs.append(Interval(float(start), float(max(end, start))))
        i = j + 1
    return runs


def merge_close(runs: list[Interval], gap: float) -> list[Interval]:
    """Join runs whose gap is shorter than ``gap`` seconds (``gap`` 0 joins only touching runs).

    A joined run keeps the higher of the two peaks.
    """
    merged: list[Interval] = []
    for run in runs:
        if merged and run.start - merged[-1].end <= gap:
            last = merged[-1]
            top = run if run.peak > last.peak else last
            merged[-1] = Interval(last.start, max(last.end, run.end), top.peak, top.peak_time)
        else:
            merged.append(run)
    return merged


def drop_short(runs: list[Interval], min_duration: float) -> list[Interval]:
    """Runs too short to be a highlight (a flicker that survived smoothing) go."""
    return [run for run in runs if run.duration >= min_duration]


def pad_and_clamp(runs: list[Interval], before: float, after: float, end_of_video: float) -> list[Interval]:
    """Padded runs within the video, each stopping halfway to its neighbour; empty ones dropped.

    Halfway, because either side's padding is as much the other's: the seconds between
    two events are split evenly, and each clip still holds all of its own event.
    Runs that overlap or touch already (given unmerged) are merged first.
    """
    runs = merge_close(sorted(runs, key=lambda run: run.start), 0.0)
    padded = []
    for k, run in enumerate(runs):
        earliest = (runs[k - 1].end + run.start) / 2 if k else 0.0
        latest = (run.end + runs[k + 1].start) / 2 if k + 1 < len(runs) else end_of_video
        start = max(run.start - before, earliest, 0.0)
        end = min(run.end + after, latest, end_of_video)
        padded.append(Interval(start, end, run.peak, run.peak_time))
    return [run for run in padded if run.end > run.start]


def union(intervals: Sequence[Interval]) -> list[Interval]:
    """The stretches of video the intervals cover, each second once (what a reel of them plays)."""
    return merge_close(sorted(intervals, key=lambda i: i.start), 0.0)


def _with_peak(run: Interval, times: np.ndarray, scores: np.ndarray) -> Interval:
    inside = (times >= run.start) & (times <= run.end)
    if not inside.any():
        return run
    k = int(np.argmax(np.where(inside, scores, -1.0)))
    return Interval(run.start, run.end, float(scores[k]), float(times[k]))


def temporal_iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Intersection over union of two time ranges (used by tests, eval and benchmarks)."""
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


# Someone in view for this share of a recording is not a moment in it: it is the recording.
# Past it, the highlights are the action inside the presence where a plugin says where
# that is (a workout's sets), and the run says how to find it where nothing does.
MOST_OF_THE_RECORDING = 0.8


# Someone seen again within this was around in between: a player far across a court is a few
# pixels wide to the presence pass, seen while running and lost while setting up each shot
# (shots in a practice come seconds apart). Visits to a door or a room are minutes apart.
STILL_AROUND_S = 10.0


def covered_share(intervals: Sequence[Interval], duration: float) -> float:
    """The share of the recording the intervals cover (each second once)."""
    if duration <= 0:
        return 0.0
    return min(1.0, sum(span.duration for span in union(intervals)) / duration)


def around_share(presence: Sequence[Interval], duration: float) -> float:
    """The share of the recording someone is around: in view, or seen again within ``STILL_AROUND_S``."""
    return covered_share(merge_close(sorted(presence, key=lambda span: span.start), STILL_AROUND_S), duration)


def action_inside_presence(
    presence: Sequence[Interval],
    action: Sequence[tuple[float, float]],
    settings: IntervalSettings,
    duration: float,
    timeline: tuple[Sequence[float], Sequence[float]] = ((), ()),
) -> list[Interval] | None:
    """The action spans as highlights, padded like any, where someone is around for most of the recording.

    None where presence is a moment of the recording (it is the highlight), or where no
    action inside it is known: the presence stands, and the run says how to find more.
    Each span is its own highlight, as with ``separate``: two sets are two clips however
    short the rest between them, and their padding stops halfway into it. Each one's
    peak is the highest score of ``timeline`` (times, scores) inside it.
    """
    if around_share(presence, duration) < MOST_OF_THE_RECORDING or not action:
        return None
    t, raw = _as_timeline(*timeline)
    runs = [_with_peak(run, t, raw) for run in _action_runs(action, duration)]
    return pad_and_clamp(runs, settings.pad_before, settings.pad_after, duration)


def holding_the_action(
    presence: Sequence[Interval],
    action: Sequence[tuple[float, float]],
    settings: IntervalSettings,
    duration: float,
    timeline: tuple[Sequence[float], Sequence[float]] = ((), ()),
) -> list[Interval] | None:
    """The highlights grown to hold every action span whole; None where they all do already.

    The plugins can see someone work out where the detector saw nobody move (someone
    working out on one spot, learned as part of the scene): a set the user asked the
    reps plugin for is action whether or not it moved the picture enough. A span that
    no highlight holds is padded like any and joins the highlights it overlaps; on its
    own it is a highlight of its own. Each keeps the highest peak of ``timeline`` in it.
    """
    runs = _action_runs(action, duration)
    unheld = [run for run in runs if not any(h.start <= run.start and run.end <= h.end for h in presence)]
    if not unheld:
        return None
    t, raw = _as_timeline(*timeline)
    padded = [
        _with_peak(
            Interval(max(0.0, run.start - settings.pad_before), min(duration, run.end + settings.pad_after)), t, raw
        )
        for run in unheld
    ]
    return merge_close(sorted([*presence, *padded], key=lambda interval: interval.start), 0.0)


def _action_runs(action: Sequence[tuple[float, float]], duration: float) -> list[Interval]:
    """The action spans (start, end) inside the recording, in order, overlapping ones joined."""
    runs = [Interval(max(0.0, start), min(duration, end)) for start, end in sorted(action) if end > start]
    return merge_close(runs, 0.0)
