"""Where the sets are: the stretches in which one cycle repeats, in one posture.

A rep is a cycle: a period after it began, the body is back in the posture it began
in. Getting down to the floor before push-ups, getting up after them, or dropping from a
squat into a push-up position move the joints as much as a rep does, but end lying
where they began standing (or the other way round); so a "rep" whose torso, one period
on, is more than ``POSTURE_CHANGE_DEG`` from where it was (both from its start, and back
from its end: the last rep before getting up closes the second way) is not one, and it
splits the reps around it into different sets, as does a rest
(``CounterSettings.rest_s``) or a change of posture from one rep to the next (a switch
of exercise). A whole period, not the rep's own start and end: those are where the
counted signal crosses its thresholds, and in a back extension or a burpee the torso
is then at different points of its own swing.

A set's stretch is then widened to every frame around it in the same posture, but at
most halfway to the next set (a rest standing between two sets of squats is the squats'
own posture), and counted again there, on the signal most periodic over that stretch
alone: the signal that first found the reps was the most periodic over the whole
recording, which a walk in or a getting down may have won for it (hip height), while
within a push-up set the elbows or shoulders repeat best. What the stretch holds more
than a rest beyond the reps counted there is searched again, with the time before,
between and after the sets (another exercise done in the same posture).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from highlight_plugins.reps.body import rolling_median
from highlight_plugins.reps.counter import MIN_TYPICAL, Choice, CounterSettings, Rep, count_by_vote

FIND_DEPTH = 3  # the time outside the sets found is searched again, this many times over
MIN_SET_REPS = 3  # fewer cycles in a row are not told apart from moving about
POSTURE_CHANGE_DEG = 30.0  # a cycle ends within this of the torso angle it began at
POSTURE_BAND_DEG = 25.0  # a set's stretch runs while the torso stays within this of the set's own range
POSTURE_SMOOTH_FRAMES = 5  # the torso angle is read through a median over this many frames (half a second)
POSTURE_AROUND_S = 0.25  # the posture at a moment: the median within this many seconds of it
SLOWER = 2.0  # a first rep taking this many times as long as the set's typical one is getting into position
AWAY_S = 1.0  # out of the picture for longer than a cut's dissolve: the set has stopped


@dataclass(frozen=True)
class FoundSet:
    """A set: the signal counted, its reps, the stretch it was counted in, and whether the first search found it."""

    choice: Choice | None
    reps: list[Rep]
    start: float
    end: float
    first: bool


def find_sets(
    times: np.ndarray,
    signals: Mapping[str, np.ndarray],
    tilt: np.ndarray,
    settings: CounterSettings,
    depth: int = FIND_DEPTH,
) -> list[FoundSet]:
    """Every set in the recording, in time order (see the module doc).

    The most periodic joints find the sets of one exercise; another exercise moves other
    joints and may be too weak a rhythm over the whole recording to win, so the time
    before, between and after the sets found is searched again on its own, ``depth``
    times over. ``tilt`` is the torso's angle from vertical per frame (``body.torso_tilt``).
    """
    if times.size < 8 or depth == 0:
        return []
    tilt = rolling_median(tilt, POSTURE_SMOOTH_FRAMES)
    choice, reps = count_by_vote(times, signals, None, settings)
    found = []
    runs = runs_of_cycles(times, tilt, reps, choice.period_s if choice else 0.0, settings.rest_s)
    runs = [run for run in runs if len(run) >= MIN_SET_REPS]
    # A stretch is widened at most halfway to the next run, never into it: standing between
    # two sets of squats is the squats' posture, and each would be counted over both (twice).
    halfway = [(before[-1].end + after[0].start) / 2.0 for before, after in zip(runs, runs[1:])]
    for k, run in enumerate(runs):
        start, end = posture_stretch(times, tilt, run, settings.rest_s)
        start = max(start, halfway[k - 1]) if k else start
        end = min(end, halfway[k]) if k < len(halfway) else end
        inside = (times >= start) & (times <= end)
        choice, again = count_by_vote(times[inside], within(signals, inside), None, settings)
        if choice is None:
            continue
        cycles = [rep for rep in again if is_cycle(times, tilt, rep, choice.period_s)]
        for part in apart_at_rests(cycles, choice.period_s, settings.rest_s):
            part = in_tempo(part)
            if len(part) >= MIN_SET_REPS:
                # what lies more than a rest beyond its reps is searched again (jacks before a
                # rest standing, then squats: one posture, another exercise)
                lo, hi = max(start, part[0].start - settings.rest_s), min(end, part[-1].end + settings.rest_s)
                found.append(FoundSet(choice, part, lo, hi, depth == FIND_DEPTH))
    edges = [times[0] - 1.0] + [t for entry in found for t in (entry.start, entry.end)] + [times[-1] + 1.0]
    for before, after in zip(edges[::2], edges[1::2]):
        if found and after - before > settings.rest_s:  # a gap a set could fit in, away from the sets found
            inside = (times > before) & (times < after)
            found += find_sets(times[inside], within(signals, inside), tilt[inside], settings, depth - 1)
    return sorted(found, key=lambda entry: entry.start)


def apart_at_rests(reps: list[Rep], period_s: float, rest_s: float) -> list[list[Rep]]:
    """The reps split where one holds a rest: a "rep" longer than ``rest_s`` beyond the period.

    Jumps begin and end standing, between a jump's crouch and its flight: the counted
    height then leaves its top at the last landing of a set and comes back at the next
    set's first flight, one cycle across the rest. It is no rep, and the sets are two.
    """
    parts: list[list[Rep]] = [[]]
    for rep in reps:
        if rep.end - rep.start > period_s + rest_s:
            parts.append([])
        else:
            parts[-1].append(rep)
    return [part for part in parts if part]


def in_sight(times: np.ndarray, seen: np.ndarray) -> list[slice]:
    """A person's track cut where they were out of the picture for longer than ``AWAY_S``.

    Someone who steps out of view between sets (a drink, a rest out of shot) and comes
    back is one person (``pose.tracking.joined_in_turn``), but no set goes on while they
    are gone: each piece is searched for sets on its own, as the recording of that piece
    alone would be. A cut's dissolve hides them for less: a set goes on across it. The
    pieces meet halfway through each time away and together cover the whole track: a
    track without such a time is one piece, all of it. ``seen``: per frame, whether the
    person was seen.
    """
    frames = np.flatnonzero(seen)
    cuts = [
        int((before + after + 1) // 2)
        for before, after in zip(frames[:-1], frames[1:])
        if times[after] - times[before] > AWAY_S
    ]
    bounds = [0, *cuts, len(times)]
    return [slice(start, end) for start, end in zip(bounds[:-1], bounds[1:])]


def in_tempo(reps: list[Rep]) -> list[Rep]:
    """The set's reps without a first one that takes more than ``SLOWER`` times as long as the typical one.

    A set keeps a rhythm, and getting into position (down onto the floor, then pushing up
    into a plank) is one slow cycle that may end in the set's posture, and whether it
    swings outside the reps' band (``counter.in_rhythm``) depends on which frames were
    analysed. Typical is the median of the next ``MIN_TYPICAL`` reps. Only the first: the
    last rep of a hard set may grind slowly, and getting up after it ends standing.
    """
    if len(reps) <= MIN_TYPICAL:
        return reps
    typical = float(np.median([rep.end - rep.start for rep in reps[1 : 1 + MIN_TYPICAL]]))
    return reps[1:] if reps[0].end - reps[0].start > SLOWER * typical else reps


def posture_at(times: np.ndarray, tilt: np.ndarray, moment: float) -> float:
    """The torso's angle around ``moment`` (NaN when the person is not seen then)."""
    near = (np.abs(times - moment) <= POSTURE_AROUND_S) & np.isfinite(tilt)
    return float(np.median(tilt[near])) if near.any() else np.nan


def is_cycle(times: np.ndarray, tilt: np.ndarray, rep: Rep, period_s: float) -> bool:
    """Whether the body is back in the posture of ``rep``'s start a period later, or was in that
    of its end a period earlier (unknown posture: given the benefit of the doubt)."""
    onward = abs(posture_at(times, tilt, rep.start + period_s) - posture_at(times, tilt, rep.start))
    back = abs(posture_at(times, tilt, rep.end) - posture_at(times, tilt, rep.end - period_s))
    return not (onward > POSTURE_CHANGE_DEG and back > POSTURE_CHANGE_DEG)


def runs_of_cycles(
    times: np.ndarray, tilt: np.ndarray, reps: list[Rep], period_s: float, rest_s: float
) -> list[list[Rep]]:
    """Consecutive cycles in one posture: a rest, a change of posture between reps, or a
    movement that is no cycle (getting down or up) ends a run."""
    runs: list[list[Rep]] = []
    previous: Rep | None = None
    for rep in reps:
        if not is_cycle(times, tilt, rep, period_s):
            previous = None
            continue
        if previous is None or not _same_run(times, tilt, previous, rep, rest_s):
            runs.append([])
        runs[-1].append(rep)
        previous = rep
    return runs


def _same_run(times: np.ndarray, tilt: np.ndarray, previous: Rep, rep: Rep, rest_s: float) -> bool:
    if rep.start - previous.end > rest_s:
        return False
    change = abs(posture_at(times, tilt, rep.bottom) - posture_at(times, tilt, previous.bottom))
    return not change > POSTURE_CHANGE_DEG


def posture_stretch(times: np.ndarray, tilt: np.ndarray, run: list[Rep], rest_s: float) -> tuple[float, float]:
    """The run's time span, widened over the frames around it whose torso angle stays within
    ``POSTURE_BAND_DEG`` of the run's own range (unseen frames pass, but not for longer than ``rest_s``)."""
    span = (times >= run[0].start) & (times <= run[-1].end)
    known = tilt[span][np.isfinite(tilt[span])]
    first, last = int(np.argmax(span)), int(len(span) - 1 - np.argmax(span[::-1]))
    if not known.size:
        return float(times[first]), float(times[last])
    low, high = np.percentile(known, 5) - POSTURE_BAND_DEG, np.percentile(known, 95) + POSTURE_BAND_DEG
    fits = ~(tilt < low) & ~(tilt > high)  # NaN (unseen) fits
    unseen_since = None
    while first > 0 and fits[first - 1]:
        unseen_since = (
            None if np.isfinite(tilt[first - 1]) else (times[first - 1] if unseen_since is None else unseen_since)
        )
        if unseen_since is not None and times[first - 1] < unseen_since - rest_s:
            break
        first -= 1
    unseen_since = None
    while last + 1 < len(times) and fits[last + 1]:
        unseen_since = (
            None if np.isfinite(tilt[last + 1]) else (times[last + 1] if unseen_since is None else unseen_since)
        )
        if unseen_since is not None and times[last + 1] > unseen_since + rest_s:
            break
        last += 1
    return float(times[first]), float(times[last])


def within(signals: Mapping[str, np.ndarray], inside: np.ndarray | slice) -> dict[str, np.ndarray]:
    """Each signal at the frames ``inside`` (a mask or a slice) only."""
    return {name: values[inside] for name, values in signals.items()}
