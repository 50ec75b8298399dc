"""When a highlight of a growing score series can be written, and when it can no longer change.

There is no second interval algorithm here: every decision runs ``find_intervals`` (the
one `highlight run` uses) on the scores so far. What this adds is *when* its answer
about a stretch of the past is safe to act on:

* **ready** (write the clip): the interval's padded end lies in the past by what
  smoothing still needs (a centred median of ``smooth`` seconds changes a sample's
  value until the samples ``smooth / 2`` after it are in; ``pad_after`` usually covers
  that). The clip is then on disk about ``pad_after`` after the action ended.
* **final** (never touched again): a new run could still merge with it until
  ``merge_gap`` (+ padding, as ``find_intervals`` merges) after its end. If one does,
  the merged interval is written again over the same clip, so the files always match
  what `highlight run` would find, while each clip still appears quickly.

Each connection of a stream is a separate timeline (its end is "the end of the video"
for the intervals in it), so a highlight never spans a gap where the stream dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from highlight.intervals import Interval, IntervalSettings, find_intervals

EPSILON = 1e-3


@dataclass(frozen=True)
class ClipDecision:
    """Write (or write again, longer) highlight number ``index``; ``final``: it will not change."""

    index: int
    interval: Interval
    final: bool


class LiveIntervals:
    """The score series of the current connection and the highlights decided from it."""

    def __init__(self, settings: IntervalSettings):
        self.settings = settings
        self.times: list[float] = []
        self.scores: list[float] = []
        self.segment_start = 0.0  # session time where the current connection's samples begin
        self.final_until = -np.inf  # highlights ending at or before this are done
        self.open: dict[int, Interval] = {}  # written, may still grow (index -> interval)
        self.next_index = 1

    @property
    def settle_s(self) -> float:
        """How long after an interval's padded end its end can still move (smoothing)."""
        return max(0.0, self.settings.smooth / 2 - self.settings.pad_after)

    @property
    def merge_reach_s(self) -> float:
        """How long after an interval's padded end a new run can still start and merge into it or shorten it.

        A run starting less than ``pad_after`` after the padded end takes half the
        seconds between the two (padding stops halfway to the neighbour): until then the
        end may still move back.
        """
        padding = 0.0 if self.settings.separate else self.settings.pad_before + self.settings.pad_after
        return max(0.0, self.settings.merge_gap + padding - self.settings.pad_after, self.settings.pad_after)

    def add(self, times: list[float], scores: list[float]) -> None:
        self.times.extend(times)
        self.scores.extend(scores)

    def new_segment(self, start: float) -> list[ClipDecision]:
        """The stream reconnected at ``start``: close every highlight before it, start a new timeline."""
        decisions = self.decide(self.latest_before(start), over=True)
        kept = [(t, s) for t, s in zip(self.times, self.scores) if t >= start]
        self.times, self.scores = [t for t, _ in kept], [s for _, s in kept]
        self.segment_start = start
        return decisions

    def latest_before(self, t: float) -> float:
        earlier = [x for x in self.times if x < t]
        return max(earlier) if earlier else t

    def decide(self, now: float, over: bool = False) -> list[ClipDecision]:
        """What to write now that the scores reach ``now``; ``over``: the timeline ends at ``now``."""
        segment = [(t, s) for t, s in zip(self.times, self.scores) if self.segment_start <= t <= now]
        if not segment:
            return []
        # In the connection's own time, so that it is a video of its own: a highlight
        # already going when it starts begins at its start, and padding stops there.
        origin = self.segment_start
        times, scores = zip(*segment)
        relative = find_intervals(np.asarray(times) - origin, scores, self.settings, duration=now - origin)
        found = [Interval(i.start + origin, i.end + origin, i.peak, i.peak_time + origin) for i in relative]
        decisions = []
        for interval in found:
            if interval.end <= self.final_until + EPSILON:
                continue  # decided for good already
            if not over and not self._ready(interval, now):
                break  # still going, or its end may still move: later
            final = over or now - interval.end >= self.merge_reach_s + self.settle_s
            decision = self._record(interval, final)
            if decision is not None:
                decisions.append(decision)
        self._trim(now)
        return decisions

    def _ready(self, interval: Interval, now: float) -> bool:
        """Its tail is in (an interval still going is clamped to ``now``) and smoothing has settled its end."""
        return interval.end < now - EPSILON and interval.end <= now - self.settle_s

    def _record(self, interval: Interval, final: bool) -> ClipDecision | None:
        """Name the interval: the open highlight it overlaps (it grew) or a new one."""
        index = next((k for k, known in self.open.items() if _overlap(known, interval)), None)
        changed = index is None or _moved(self.open[index], interval)
        if index is None:
            index, self.next_index = self.next_index, self.next_index + 1
        if final:
            self.open.pop(index, None)
            self.final_until = max(self.final_until, interval.end)
        else:
            self.open[index] = interval
        return ClipDecision(index, interval, final) if changed else None

    def _trim(self, now: float) -> None:
        """Forget samples no undecided highlight can need (keeps each decision cheap in a long session).

        Only while everything since the last final highlight is quiet: then the samples
        left are all below the exit threshold, and so is any median of them, so cutting
        the series changes no answer ``find_intervals`` gives.
        """
        if self.open or self.earliest_needed() is not None:
            return
        keep = self.settings.smooth + self.merge_reach_s + self.settings.pad_before + self.settings.pad_after + 2.0
        cut = max(self.final_until + self.settings.smooth, now - keep)
        if self.times and self.times[0] < cut - 1.0:
            kept = [(t, s) for t, s in zip(self.times, self.scores) if t >= cut]
            self.times, self.scores = [t for t, _ in kept], [s for _, s in kept]
            self.segment_start = max(self.segment_start, cut)

    def earliest_needed(self) -> float | None:
        """Session time from which packets must be kept: the start of any highlight not yet final."""
        starts = [interval.start for interval in self.open.values()]
        if self.times:
            above = [
                t for t, s in zip(self.times, self.scores) if t > self.final_until and s >= self.settings.exit_threshold
            ]
            if above:
                starts.append(above[0] - self.settings.pad_before - self.settings.smooth)
        return min(starts) if starts else None


def _overlap(a: Interval, b: Interval) -> bool:
    return a.start < b.end + EPSILON and b.start < a.end + EPSILON


def _moved(a: Interval, b: Interval) -> bool:
    return abs(a.start - b.start) > EPSILON or abs(a.end - b.end) > EPSILON
