"""The rep counter on synthetic joint-angle signals, and the phase-label sequence matcher."""

from __future__ import annotations

import numpy as np
import pytest
from highlight_plugins.reps.counter import (
    CounterSettings,
    Rep,
    choose_signal,
    count_by_vote,
    count_reps,
    group_sets,
    periodicity,
    summarise,
)
from highlight_plugins.reps.phases import count_phase_cycles

FPS = 10.0


def squat_knee(reps: int, period: float = 2.0, lead: float = 1.0, tail: float = 1.0, depth: float = 1.0):
    """A knee angle: 170 degrees standing, down to 170 - 90*depth at the bottom of each rep."""
    t = np.arange(0, lead + reps * period + tail, 1 / FPS)
    phase = np.clip((t - lead) / period, 0, reps)
    angle = 170 - 45 * depth * (1 - np.cos(2 * np.pi * phase))
    return t, angle


def test_clean_reps_are_counted_with_bottoms_in_place():
    t, angle = squat_knee(5, period=2.0)
    reps = count_reps(t, angle, period_s=2.0)
    assert len(reps) == 5
    assert [r.bottom for r in reps] == pytest.approx([2.0, 4.0, 6.0, 8.0, 10.0], abs=0.15)
    assert all(r.start < r.bottom < r.end for r in reps)


def test_noise_does_not_add_reps():
    rng = np.random.default_rng(0)
    t, angle = squat_knee(8, period=1.5)
    noisy = angle + rng.normal(0, 8, t.size)  # 8 degrees of landmark jitter
    strength, period = periodicity(noisy - noisy.mean(), FPS)
    assert period == pytest.approx(1.5, abs=0.15)
    assert len(count_reps(t, noisy, period_s=period)) == 8


def test_dropped_frames_are_bridged():
    t, angle = squat_knee(6, period=2.0)
    angle = angle.copy()
    angle[::4] = np.nan  # the pose lost every fourth frame
    assert len(count_reps(t, angle, period_s=2.0)) == 6


def test_pause_splits_sets_and_is_not_a_rep():
    t1, a1 = squat_knee(5, period=2.0, tail=0.0)
    t2, a2 = squat_knee(3, period=2.0, lead=20.0)  # 20 s standing still, then 3 more
    t = np.concatenate([t1, t1[-1] + 0.1 + t2])
    angle = np.concatenate([a1, a2])
    reps = count_reps(t, angle, period_s=2.0)
    assert len(reps) == 8
    sets = group_sets(reps, CounterSettings().rest_s)
    assert [s.reps for s in sets] == [5, 3]
    assert sets[0].seconds_per_rep == pytest.approx(2.0, abs=0.2)
    summary = summarise(reps, sets)
    assert summary["count"] == 8 and summary["seconds_per_rep"] == pytest.approx(2.0, abs=0.2)


def test_partial_reps_do_not_count():
    """Full reps interleaved with shallow ones (a quarter of the depth): only the full ones count."""
    parts_t, parts_a, offset = [], [], 0.0
    for depth in (1, 0.25, 1, 0.25, 0.25, 1):
        t, a = squat_knee(1, period=2.0, lead=0.2, tail=0.2, depth=depth)
        parts_t.append(t + offset)
        parts_a.append(a)
        offset += t[-1] + 1 / FPS
    reps = count_reps(np.concatenate(parts_t), np.concatenate(parts_a), period_s=2.0)
    assert len(reps) == 3


def test_bounce_at_the_bottom_is_one_rep():
    t, angle = squat_knee(4, period=3.0)
    bounce = 25 * np.exp(-(((t - 1.0) % 3.0 - 1.5) ** 2) / 0.01)  # a quick 25-degree bounce at each bottom
    reps = count_reps(t, angle + bounce, period_s=3.0)
    assert len(reps) == 4


def test_starting_at_the_bottom_does_not_count_half_a_rep():
    t, angle = squat_knee(4, period=2.0, lead=0.0)
    start_low = t >= 1.0  # cut the recording at the first bottom
    assert len(count_reps(t[start_low], angle[start_low], period_s=2.0)) == 3


def test_auto_picks_the_periodic_joint_not_the_still_or_noisy_one():
    rng = np.random.default_rng(1)
    t, knee = squat_knee(6, period=1.8)
    signals = {
        "left_knee_angle": knee,
        "left_elbow_angle": 120 + rng.normal(0, 10, t.size),  # noise with a big swing
        "left_hip_angle": 160 + 3 * np.sin(t * 2 * np.pi / 0.9),  # rhythmic but still (< 12 degrees)
    }
    choice = choose_signal(t, signals)
    assert choice.signal == "left_knee_angle"
    assert choice.period_s == pytest.approx(1.8, abs=0.15)
    assert choose_signal(t, signals, allowed=("elbow_angle",)).signal == "left_elbow_angle"


def test_empty_and_flat_signals():
    assert count_reps(np.array([]), np.array([])) == []
    t = np.arange(0, 5, 0.1)
    assert count_reps(t, np.full(t.size, 150.0)) == []
    assert group_sets([], 5.0) == []
    assert summarise([], [])["count"] == 0


# ---------------------------------------------------------------- phase labels


def labels(text: str) -> list[str]:
    names = {"u": "up", "m": "mid", "d": "down", "?": None}
    return [names[c] for c in text]


@pytest.mark.parametrize(
    "sequence, expected",
    [
        ("uuummmdddmmmuuu", 1),  # one clean rep
        ("uuummmdddmmmuuummmdddmmmuuu", 2),
        ("uuudddmmmuuudddmuuu", 2),  # mid skipped on the way down / up
        ("uuudduddduuumdmuu", 1),  # jitter: a single-frame up at the bottom, a single-frame down after the rep
        ("uuummmuuummmuuu", 0),  # half reps (never reaches down)
        ("uuummmdddmmm", 0),  # the last rep never came back up
        ("dddmmmuuu", 1),  # starts at the bottom: a completed down -> up cycle
        ("uu??dd??uu", 1),  # unknown frames are ignored
        ("uudmduu", 1),  # a bottom seen as d-m-d at a low frame rate is one bottom
        ("uuudmmmuuu", 0),  # a single-frame down with nothing to confirm it is jitter
    ],
)
def test_phase_matcher(sequence, expected):
    assert len(count_phase_cycles(labels(sequence))) == expected


def test_phase_matcher_times_and_min_run():
    seq = labels("uuudddmmuuudmuu")
    times = [0.5 * k for k in range(len(seq))]
    cycles = count_phase_cycles(seq, times)
    assert [(c.bottom, c.end) for c in cycles] == [(1.5, 4.0)]
    assert len(count_phase_cycles(seq, times, min_run=1)) == 2
    with pytest.raises(ValueError):
        count_phase_cycles(seq, times[:-1])


def test_phase_matcher_with_other_label_names():
    seq = ["top", "top", "bottom", "bottom", "top", "top"]
    assert len(count_phase_cycles(seq, down="bottom", up="top")) == 1
    assert Rep(0.0, 1.0, 2.0).end == 2.0


@pytest.mark.parametrize("lead,tail", [(1.0, 1.0), (0.0, 0.0), (0.3, 0.0)])
def test_a_signal_resting_at_its_low_end_counts_every_rep(lead, tail):
    """A crunch's wrist height rests low and rises each rep: counted only as 'down and up'
    from the top, the first rise was not a rep and the last never came back (one short)."""
    t, angle = squat_knee(5, period=2.0, lead=lead, tail=tail)
    rises = 340 - angle  # the same movement, resting at the low end
    assert len(count_reps(t, rises, period_s=2.0)) == 5
    assert len(count_reps(t, angle, period_s=2.0)) == 5


def test_a_half_rep_at_either_end_is_still_not_counted_from_either_side():
    t, angle = squat_knee(4, period=2.0, lead=0.0)
    middle = (t >= 1.0) & (t <= 7.0)  # starts and ends at a bottom: three whole reps in between
    assert len(count_reps(t[middle], angle[middle], period_s=2.0)) == 3
    assert len(count_reps(t[middle], 340 - angle[middle], period_s=2.0)) == 3


def test_the_count_is_what_most_rhythmic_signals_agree_on():
    """As in walking lunges: the most periodic signal (an arm) barely moves in the first
    rep and counts one short; three nearly as periodic ones, timed a little unevenly as
    real joints are, see all five. Five it is, with the rep times of one that saw them."""
    t, knee = squat_knee(5, period=2.0)
    late_arm = np.where(t < 3.0, 170 - 0.15 * (170 - knee), knee)

    def uneven(shift: float, period: float) -> np.ndarray:
        return np.interp(t + shift * np.sin(2 * np.pi * t / period), t, knee)

    signals = {
        "left_elbow_angle": late_arm,
        "left_knee_angle": uneven(0.14, 3.1),
        "right_knee_angle": uneven(0.14, 2.7),
        "left_hip_angle": uneven(0.14, 3.5),
    }
    best = choose_signal(t, signals)
    assert best.signal == "left_elbow_angle" and len(count_reps(t, late_arm, period_s=best.period_s)) == 4
    choice, reps = count_by_vote(t, signals)
    assert len(reps) == 5 and choice.signal != "left_elbow_angle"
    alone = count_by_vote(t, signals, settings=CounterSettings(vote_fraction=1.0))  # only the best votes
    assert alone[0].signal == "left_elbow_angle" and len(alone[1]) == 4
    assert count_by_vote(t, {"left_knee_angle": np.full(t.size, 170.0)}) == (None, [])
