"""Counting repetitions in a joint-angle signal: pure functions, no video, no MediaPipe.

A rep is one full cycle of a joint signal: down (below the lower threshold) and back
up (above the upper one). Thresholds are fractions of the signal's own range, so one
setting serves a push-up's elbow (90-170 degrees) and a crunch's hip (a 20 degree
swing) alike. Hysteresis (two thresholds) ignores jitter near either one; a minimum
cycle time ignores a bounce at the bottom. When the exercise is not given, the most
periodic signal wins: the highest autocorrelation peak over plausible rep lengths.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

import numpy as np
from highlight_plugins.reps.body import JOINTS, SIDES, body_scale, joint_points, mean_of_sides

# joint name -> (end, vertex, end): the angle at the vertex, in degrees.
JOINT_ANGLES = {
    "elbow": ("shoulder", "elbow", "wrist"),
    "shoulder": ("hip", "shoulder", "elbow"),
    "hip": ("shoulder", "hip", "knee"),
    "knee": ("hip", "knee", "ankle"),
}

# Heights (minus the image y of a body point, in torso lengths): a jump or a lunge moves the
# hips up and down more clearly than it bends any one joint.
HEIGHTS = ("hip", "wrist", "shoulder")


@dataclass(frozen=True)
class CounterSettings:
    """One setting for every exercise: thresholds are relative, times are in seconds."""

    min_cycle_s: float = 0.4  # faster than this is a bounce, not a rep
    max_cycle_s: float = 8.0  # slower than this is not a rhythm autocorrelation can see
    smooth_fraction: float = 0.2  # smoothing window as a fraction of the rep period
    low: float = 0.35  # "down" below this fraction of the signal's range...
    high: float = 0.65  # ...and "up" again above this one
    min_amplitude_deg: float = 12.0  # an angle swinging less than this is not exercising
    min_amplitude_height: float = 0.12  # nor a height moving less than this many torso lengths
    rest_s: float = 5.0  # a pause longer than this (beyond a rep's own length) starts a new set
    resample_fps: float = 20.0  # signals are put on a regular grid before analysis
    vote_fraction: float = 0.8  # signals at least this periodic, relative to the best, vote on the count


@dataclass(frozen=True)
class Rep:
    start: float  # leaves the top
    bottom: float  # deepest point
    end: float  # back at the top: the rep is complete


@dataclass(frozen=True)
class RepSet:
    start: float
    end: float
    reps: int
    seconds_per_rep: float


# ---------------------------------------------------------------- signals from landmarks


def pose_signals(landmarks: np.ndarray, min_visibility: float = 0.3) -> dict[str, np.ndarray]:
    """Joint angles (degrees) and heights (torso lengths) per frame: per side, and ``both_``
    sides averaged (a view change hides one arm behind the body, the other still moves).

    ``landmarks`` is (frames, 33, 4): normalised x, y, z, visibility, NaN where no person
    was found. Points the model is unsure of (visibility below ``min_visibility``) are
    NaN, and so is every signal they take part in. Heights are in torso lengths
    (``body.body_scale``, the same in any view), each step in the body's size at that
    moment (``climbed``); counting takes out what drifts slower than a rep (a camera
    panning or zooming, a person walking closer).
    """
    points = joint_points(landmarks, min_visibility)
    sizes = body_scale(points)
    signals: dict[str, np.ndarray] = {}
    for side in SIDES:
        point = {name: points[f"{side}_{name}"] for name in JOINTS}
        for joint, (a, vertex, b) in JOINT_ANGLES.items():
            signals[f"{side}_{joint}_angle"] = joint_angle(point[a], point[vertex], point[b])
        for name in HEIGHTS:
            signals[f"{side}_{name}_height"] = climbed(point[name][:, 1], sizes)
    for kind in [f"{joint}_angle" for joint in JOINT_ANGLES] + [f"{name}_height" for name in HEIGHTS]:
        signals[f"both_{kind}"] = mean_of_sides(signals[f"left_{kind}"], signals[f"right_{kind}"])
    return signals


def climbed(image_y: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """A point's height in torso lengths: where it was first seen, then each step up or
    down measured in the body's size at that moment (NaN where the point is unknown).

    Someone doing walking lunges toward the camera doubles in size in the picture: in
    pixels, or in the body's size over the whole recording, their last lunge dips twice
    as deep as their first, and the thresholds, set by the deepest, pass over the first.
    Measured step by step in the size the body has when it takes the step, every lunge
    dips alike. For a person who stays where they are it is the plain height.
    """
    height = np.full(image_y.shape, np.nan)
    known = np.flatnonzero(np.isfinite(image_y) & np.isfinite(sizes))
    if known.size == 0:
        return height
    step_size = (sizes[known][1:] + sizes[known][:-1]) / 2.0
    rises = -np.diff(image_y[known]) / step_size
    first = -image_y[known[0]] / sizes[known[0]]
    height[known] = first + np.concatenate([[0.0], np.cumsum(rises)])
    return height


def joint_angle(a: np.ndarray, vertex: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The angle a-vertex-b in degrees (180 = straight), for arrays of 2-D points."""
    u, v = a - vertex, b - vertex
    cos = (u * v).sum(axis=1) / (np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1) + 1e-12)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


# ---------------------------------------------------------------- periodicity


def resample(times: np.ndarray, values: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """The signal on a regular grid, gaps (NaN) bridged linearly; empty if too little is known."""
    times, values = np.asarray(times, float), np.asarray(values, float)
    known = np.isfinite(values)
    if known.sum() < 3:
        return np.empty(0), np.empty(0)
    grid = np.arange(times[known][0], times[known][-1] + 1e-9, 1.0 / fps)
    return grid, np.interp(grid, times[known], values[known])


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Moving average with edges padded by reflection (no shrinking, no phase shift)."""
    if window <= 1 or len(values) < 3:
        return values
    window = min(window, len(values) - (1 - len(values) % 2))
    pad = window // 2
    padded = np.pad(values, pad, mode="reflect")
    return np.convolve(padded, np.ones(window) / window, mode="valid")[: len(values)]


def periodicity(values: np.ndarray, fps: float, settings: CounterSettings = CounterSettings()) -> tuple[float, float]:
    """(strength, period in seconds) of the strongest rhythm in a regularly sampled signal.

    Strength is the autocorrelation at its highest local peak between the minimum and
    maximum cycle lengths (1: a perfect repetition, 0: none). A peak must be a real local
    maximum: the slow decay right after lag zero is not a rhythm.
    """
    x = np.asarray(values, float) - np.mean(values)
    n = len(x)
    if n < 4 or not np.any(x):
        return 0.0, 0.0
    spectrum = np.fft.rfft(x, 2 * n)
    acf = np.fft.irfft(spectrum * np.conj(spectrum))[:n]
    acf = acf / acf[0]  # biased on purpose: a rhythm seen twice beats one seen once
    lo = max(1, int(settings.min_cycle_s * fps))
    hi = min(int(settings.max_cycle_s * fps), n // 2)
    best_strength, best_lag = 0.0, 0
    for lag in range(max(lo, 1), hi):
        if acf[lag] > acf[lag - 1] and acf[lag] >= acf[lag + 1] and acf[lag] > best_strength:
            best_strength, best_lag = float(acf[lag]), lag
    if best_lag == 0:
        return 0.0, 0.0
    return min(best_strength, 1.0), best_lag / fps


def amplitude(values: np.ndarray) -> float:
    """The swing of a signal: 5th to 95th percentile (ignores a few wild frames)."""
    finite = values[np.isfinite(values)]
    return float(np.percentile(finite, 95) - np.percentile(finite, 5)) if finite.size else 0.0


@dataclass(frozen=True)
class Choice:
    signal: str
    strength: float
    period_s: float


def choose_signal(
    times: np.ndarray,
    signals: Mapping[str, np.ndarray],
    allowed: Iterable[str] | None = None,
    settings: CounterSettings = CounterSettings(),
) -> Choice | None:
    """The most periodic signal among ``allowed`` kinds (e.g. ``knee_angle``: either knee).

    Signals that barely move (below the minimum amplitude) are left out: a still joint's
    jitter can look rhythmic.
    """
    choices = rhythmic_signals(times, signals, allowed, settings)
    return choices[0] if choices else None


def rhythmic_signals(
    times: np.ndarray,
    signals: Mapping[str, np.ndarray],
    allowed: Iterable[str] | None = None,
    settings: CounterSettings = CounterSettings(),
) -> list[Choice]:
    """Every signal among ``allowed`` that moves enough and has a rhythm, most periodic first."""
    kinds = tuple(allowed) if allowed else None
    found = []
    for name, values in signals.items():
        if kinds and not any(name.endswith(kind) for kind in kinds):
            continue
        _, regular = resample(times, values, settings.resample_fps)
        if regular.size < 8 or amplitude(regular) < _min_amplitude(name, settings):
            continue
        strength, period = periodicity(smooth(regular, 3), settings.resample_fps, settings)
        if period:
            found.append(Choice(name, strength, period))
    return sorted(found, key=lambda choice: -choice.strength)


def count_by_vote(
    times: np.ndarray,
    signals: Mapping[str, np.ndarray],
    allowed: Iterable[str] | None = None,
    settings: CounterSettings = CounterSettings(),
) -> tuple[Choice | None, list[Rep]]:
    """The count most rhythmic signals agree on, and the reps of the best signal giving it.

    The single most periodic signal is not always the one that shows every rep: in
    walking lunges the elbow swings most regularly, but only from the second rep on,
    so it counted one short while both hips and shoulders saw all five. Every signal
    nearly as periodic as the best (``vote_fraction``) counts; the median count wins
    (the lower one on a tie: a rep too few is the safer error than one invented), and
    the rep times come from the most periodic signal that gives that count.
    """
    choices = rhythmic_signals(times, signals, allowed, settings)
    if not choices:
        return None, []
    voters = [c for c in choices if c.strength >= settings.vote_fraction * choices[0].strength]
    counted = [(choice, count_reps(times, signals[choice.signal], settings, choice.period_s)) for choice in voters]
    counts = sorted(len(reps) for _, reps in counted)
    agreed = counts[(len(counts) - 1) // 2]
    return next((choice, reps) for choice, reps in counted if len(reps) == agreed)


def _min_amplitude(name: str, settings: CounterSettings) -> float:
    return settings.min_amplitude_height if name.endswith("_height") else settings.min_amplitude_deg


# ---------------------------------------------------------------- counting


def count_reps(
    times: np.ndarray,
    values: np.ndarray,
    settings: CounterSettings = CounterSettings(),
    period_s: float | None = None,
) -> list[Rep]:
    """Complete down-and-up cycles, with hysteresis and a minimum cycle time.

    "Down" is the low end of the signal (a bent joint, a lowered body). The signal is
    smoothed over a fraction of the rep period (when known), and scaled to its own
    range, robustly (5th-95th percentile). A cycle shorter than ``min_cycle_s`` (or
    half the known period) is merged into the next one rather than counted.
    """
    grid, regular = resample(times, values, settings.resample_fps)
    if regular.size < 3:
        return []
    window = int(round((period_s or 1.0) * settings.smooth_fraction * settings.resample_fps)) | 1
    level = smooth(regular, window)
    if period_s:  # a drift slower than one rep (walking closer, a sagging camera) is not a rep
        level = level - smooth(regular, int(round(period_s * settings.resample_fps)) | 1)
    lo, hi = np.percentile(level, 5), np.percentile(level, 95)
    if hi - lo <= 1e-9:
        return []
    level = (level - lo) / (hi - lo)
    min_cycle = max(settings.min_cycle_s, 0.5 * period_s if period_s else 0.0)
    falling_first = _count_cycles(grid, level, settings, min_cycle)
    rising_first = _count_cycles(grid, 1.0 - level, settings, min_cycle)
    reps = rising_first if len(rising_first) > len(falling_first) else falling_first
    return in_rhythm(grid, smooth(regular, window), reps, settings.rest_s)


def in_rhythm(grid: np.ndarray, values: np.ndarray, reps: list[Rep], rest_s: float) -> list[Rep]:
    """The reps without the first and last ones of a run that swing outside the run's own band.

    Getting down to the floor before push-ups, or up after them, makes one cycle of the
    counted signal, but starting (or ending) far from where the reps go: standing hips
    are a torso length above a push-up's, a push-up moves them a third of that. So at
    either end of a run of reps (a set), a rep whose highest or lowest value lies more
    than ``OUTSIDE_SWINGS`` typical swings from the typical rep's is no rep of that set, and is
    dropped, as long as three reps are left to say what typical is. Typical is that of the
    next ``MIN_TYPICAL`` reps in: a slow drift (a person walking closer) moves them all alike.
    """
    runs: list[list[Rep]] = []
    for rep in reps:
        if runs and rep.start - runs[-1][-1].end <= rest_s:
            runs[-1].append(rep)
        else:
            runs.append([rep])
    kept = []
    for run in runs:
        bands = [_band(grid, values, rep) for rep in run]
        while len(run) > MIN_TYPICAL and _outside(bands[0], bands[1 : 1 + MIN_TYPICAL]):
            run, bands = run[1:], bands[1:]
        while len(run) > MIN_TYPICAL and _outside(bands[-1], bands[-1 - MIN_TYPICAL : -1]):
            run, bands = run[:-1], bands[:-1]
        kept += run
    return kept


MIN_TYPICAL = 3  # reps needed to say what a typical one of a set is
# A first or last rep reaching further than this many typical swings past the typical reps
# is no rep of the set: getting down from standing to a push-up moves the hips two to
# three push-ups' swings; a first walking lunge from standing tall, half of one more.
OUTSIDE_SWINGS = 1.5


def _outside(band: tuple[float, float], typical_bands: list[tuple[float, float]]) -> bool:
    """Whether a rep's (lowest, highest) lies more than the typical swing from the typical reps'."""
    low, high = np.median(typical_bands, axis=0)
    swing = high - low
    return not (abs(band[0] - low) <= OUTSIDE_SWINGS * swing and abs(band[1] - high) <= OUTSIDE_SWINGS * swing)


def _band(grid: np.ndarray, values: np.ndarray, rep: Rep) -> tuple[float, float]:
    inside = (grid >= rep.start) & (grid <= rep.end)
    if not inside.any():
        return (np.nan, np.nan)
    return float(values[inside].min()), float(values[inside].max())


def _count_cycles(grid: np.ndarray, level: np.ndarray, settings: CounterSettings, min_cycle: float) -> list[Rep]:
    """Cycles that leave the top of ``level`` (0-1), go below ``low`` and come back above ``high``.

    Which end of a signal is the rest between reps depends on the exercise and the
    camera: a squat's knee angle rests high, a crunch's wrist height rests low. Counted
    from the wrong end, the first rise (from the rest at the start) is not a rep and the
    last one never comes back: one rep short. ``count_reps`` therefore counts both ways
    and keeps the larger count; a clip starting or ending mid-rep gives the same count
    both ways, so the larger one adds no half rep.
    """
    reps: list[Rep] = []
    # A recording that starts at the bottom does not count its first rise: half a rep is not one.
    state = "up" if level[0] >= settings.low else "unknown"
    left_top = grid[0]
    bottom_index = 0
    last_end = -np.inf
    for k, value in enumerate(level):
        if state == "up" and value < settings.low:
            state, bottom_index = "down", k
        elif state == "down":
            if value < level[bottom_index]:
                bottom_index = k
            if value > settings.high:
                if grid[k] - last_end >= min_cycle or not reps:
                    reps.append(
                        Rep(round(float(left_top), 3), round(float(grid[bottom_index]), 3), round(float(grid[k]), 3))
                    )
                    last_end = grid[k]
                state = "up"
        elif state == "unknown" and value > settings.high:
            state = "up"
        if state == "up" and value >= settings.high:
            left_top = grid[k]
    return reps


def group_sets(reps: list[Rep], rest_s: float) -> list[RepSet]:
    """Runs of reps separated by rests: a gap longer than ``rest_s`` plus the typical rep."""
    if not reps:
        return []
    typical = float(np.median([r.end - r.start for r in reps]))
    runs: list[list[Rep]] = [[reps[0]]]
    for previous, rep in zip(reps, reps[1:]):
        if rep.start - previous.end > rest_s or rep.end - previous.end > rest_s + typical:
            runs.append([rep])
        else:
            runs[-1].append(rep)
    return [RepSet(run[0].start, run[-1].end, len(run), round(_seconds_per_rep(run), 2)) for run in runs]


def _seconds_per_rep(run: list[Rep]) -> float:
    if len(run) == 1:
        return run[0].end - run[0].start
    return (run[-1].end - run[0].end) / (len(run) - 1) if len(run) > 1 else 0.0


def summarise(reps: list[Rep], sets: list[RepSet]) -> dict:
    """The JSON result: totals in the units people use (reps per set, seconds per rep)."""
    tempo = [s.seconds_per_rep for s in sets for _ in range(s.reps)]
    return {
        "count": len(reps),
        "seconds_per_rep": round(float(np.mean(tempo)), 2) if tempo else None,
        "reps": [asdict(r) for r in reps],
        "sets": [asdict(s) for s in sets],
    }
