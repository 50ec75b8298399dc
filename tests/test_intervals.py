"""The interval stage, edge case by edge case (pure functions: no video needed)."""

from __future__ import annotations

import numpy as np
import pytest

from highlight.intervals import (
    Interval,
    IntervalSettings,
    drop_short,
    find_intervals,
    hysteresis,
    merge_close,
    pad_and_clamp,
    sample_spans,
    smooth_scores,
    temporal_iou,
)

NO_PAD = dict(pad_before=0.0, pad_after=0.0)


def timeline(spec: str, step: float = 0.5):
    """'..##..' -> times every ``step`` s, score 1 for '#', 0.4 for '+', 0 for '.'."""
    values = {".": 0.0, "+": 0.4, "#": 1.0}
    scores = np.array([values[c] for c in spec])
    return np.arange(len(spec)) * step, scores


def spans(intervals):
    return [(round(i.start, 3), round(i.end, 3)) for i in intervals]


def test_empty_timeline_gives_nothing():
    assert find_intervals([], [], IntervalSettings()) == []


def test_all_below_threshold_gives_nothing():
    t, s = timeline("..++..++..")
    assert find_intervals(t, s, IntervalSettings(smooth=0, **NO_PAD)) == []


def test_single_run_edges_are_midpoints_between_samples():
    t, s = timeline("....####....")
    got = find_intervals(t, s, IntervalSettings(smooth=0, min_duration=0, **NO_PAD), duration=6.0)
    assert spans(got) == [(1.75, 3.75)]


def test_run_at_start_and_end_is_clamped_to_video():
    t, s = timeline("###......###")
    got = find_intervals(t, s, IntervalSettings(smooth=0, min_duration=0, merge_gap=0, **NO_PAD), duration=6.0)
    assert spans(got) == [(0.0, 1.25), (4.25, 6.0)]


def test_everything_above_gives_whole_video():
    t, s = timeline("##########")
    got = find_intervals(t, s, IntervalSettings(smooth=0, **NO_PAD), duration=5.0)
    assert spans(got) == [(0.0, 5.0)]


def test_hysteresis_extends_run_through_weak_evidence():
    # '+' (0.4) is between exit (0.3) and enter (0.5): it keeps a highlight going
    # and places its edges, but cannot start one on its own.
    t, s = timeline("..++##++..++..")
    got = find_intervals(t, s, IntervalSettings(smooth=0, min_duration=0, merge_gap=0, **NO_PAD), duration=7.0)
    assert spans(got) == [(0.75, 3.75)]


def test_exit_threshold_equal_to_threshold_is_a_plain_threshold():
    t, s = timeline("..++##++..")
    settings = IntervalSettings(threshold=0.5, exit_threshold=0.5, smooth=0, min_duration=0, **NO_PAD)
    assert spans(find_intervals(t, s, settings, 5.0)) == [(1.75, 2.75)]


def test_gap_merging_joins_close_runs_only():
    t, s = timeline("##..##......##")  # gaps of 1.0 s and 3.0 s between edges
    settings = IntervalSettings(smooth=0, min_duration=0, merge_gap=1.5, **NO_PAD)
    assert spans(find_intervals(t, s, settings, 7.0)) == [(0.0, 2.75), (5.75, 7.0)]


def test_gap_merging_counts_the_gap_between_padded_clips():
    t, s = timeline("##......##")  # action gap 2.5 s: clips 0.5 s apart once padded by 1 s each
    settings = IntervalSettings(smooth=0, min_duration=0, merge_gap=1.0, pad_before=1.0, pad_after=1.0)
    assert spans(find_intervals(t, s, settings, 5.0)) == [(0.0, 5.0)]
    apart = IntervalSettings(smooth=0, min_duration=0, merge_gap=0.25, pad_before=1.0, pad_after=1.0)
    assert len(find_intervals(t, s, apart, 5.0)) == 2


def test_min_duration_applies_after_merging():
    # Two 0.5 s bursts 0.5 s apart merge into a 1.5 s highlight that survives min 1 s.
    t, s = timeline("...#.#......#...")
    settings = IntervalSettings(smooth=0, min_duration=1.0, merge_gap=1.0, **NO_PAD)
    assert spans(find_intervals(t, s, settings, 8.0)) == [(1.25, 2.75)]


def test_min_duration_boundary_is_inclusive():
    assert drop_short([Interval(0, 1.0), Interval(2, 2.999)], 1.0) == [Interval(0, 1.0)]


def test_padding_is_clamped_and_stops_halfway_to_the_neighbour():
    runs = [Interval(0.5, 1.0), Interval(2.5, 3.0), Interval(9.5, 9.8)]
    got = pad_and_clamp(runs, before=1.0, after=0.8, end_of_video=10.0)
    assert spans(got) == [(0.0, 1.75), (1.75, 3.8), (8.5, 10.0)]


def test_close_runs_are_one_highlight_before_padding_is_split():
    """Without ``separate`` the merge step joins runs whose padding would meet: no halfway cut shows."""
    t, s = timeline("..##....##..........", step=0.5)
    got = find_intervals(t, s, IntervalSettings(smooth=0, min_duration=0, merge_gap=0.5))
    assert spans(got) == [(0.0, 5.75)]


def test_padding_never_exceeds_video_and_drops_empty():
    assert pad_and_clamp([Interval(10.0, 10.0)], 0.0, 0.0, 10.0) == []


def test_merge_touching_with_zero_gap():
    assert merge_close([Interval(0, 1), Interval(1, 2), Interval(2.01, 3)], 0.0) == [Interval(0, 2), Interval(2.01, 3)]


def test_median_smoothing_removes_single_sample_spikes_and_dips():
    t, s = timeline("....#....####.####....")
    smoothed = smooth_scores(t, s, window=1.5)
    assert smoothed[4] == 0.0  # lone spike gone
    assert smoothed[13] == 1.0  # lone dip filled
    assert smoothed[9] == 1.0 and smoothed[8] == 0.0  # step edge not moved


def test_smoothing_window_of_two_samples_splits_a_lone_spike_evenly():
    t, s = timeline("..#..")
    assert smooth_scores(t, s, window=1.0)[2] == 0.5


def test_smoothing_is_time_weighted_on_irregular_timelines():
    # A coarse sample below, then dense refined frames that rise: the dense frames
    # must not outvote the coarse sample that stands for five times as long.
    t = np.array([0.0, 0.5, 0.54, 0.58, 0.62, 0.66, 1.0, 1.5])
    s = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    smoothed = smooth_scores(t, s, window=0.3)
    assert smoothed[1] == 0.0
    assert smoothed[5] == 1.0


def test_the_last_sample_stands_for_the_rest_of_the_video():
    """Someone seen leaving in a few dense frames a second before the end: their run ends there, not at the end.

    The dense frames after the leaving are 0.12 s of zeros against 0.6 s of ones inside the window; standing only
    for themselves they were outvoted and the run reached the end of the video, a second after the last sample."""
    t = np.concatenate([np.arange(30.0, 32.0, 0.5), np.arange(32.0, 33.01, 0.04)])
    s = np.where(t < 32.87, 1.0, 0.0)
    (run,) = find_intervals(t, s, IntervalSettings(pad_before=0.0, pad_after=0.0, min_duration=0.0), duration=34.0)
    assert run.end == pytest.approx(32.88, abs=0.03)


def test_sample_spans_reach_halfway_to_each_neighbour():
    t = np.array([0.0, 1.0, 1.5, 4.0])
    # inner samples: halfway to each side; end samples: their inner half, mirrored
    assert sample_spans(t) == pytest.approx([1.0, 0.75, 1.5, 2.5])


def test_unsorted_input_and_nan_are_handled():
    t = np.array([2.0, 0.0, 1.0, 3.0, 0.5, 1.5, 2.5])
    s = np.array([1.0, 0.0, 1.0, 0.0, np.nan, 1.0, 0.0])
    got = find_intervals(t, s, IntervalSettings(smooth=0, min_duration=0, **NO_PAD), duration=3.0)
    assert spans(got) == [(0.75, 2.25)]


def test_peak_is_highest_raw_score_inside():
    t = np.arange(10) * 1.0
    s = np.array([0, 0, 0.6, 0.9, 0.7, 0, 0, 0, 0, 0])
    (got,) = find_intervals(t, s, IntervalSettings(smooth=0, min_duration=0, **NO_PAD), 10.0)
    assert got.peak == pytest.approx(0.9) and got.peak_time == 3.0


def test_mismatched_lengths_raise():
    with pytest.raises(ValueError):
        find_intervals([0, 1], [0.5], IntervalSettings())


@pytest.mark.parametrize(
    "kwargs",
    [dict(threshold=0.3, exit_threshold=0.5), dict(threshold=1.5), dict(exit_threshold=-0.1), dict(pad_before=-1)],
)
def test_invalid_settings_are_rejected(kwargs):
    with pytest.raises(ValueError):
        IntervalSettings(**kwargs)


def test_hysteresis_single_sample():
    assert hysteresis(np.array([0.0]), np.array([1.0]), 0.5, 0.3, 2.0) == [Interval(0.0, 2.0)]


def test_temporal_iou():
    assert temporal_iou((0, 10), (0, 10)) == 1.0
    assert temporal_iou((0, 10), (5, 15)) == pytest.approx(5 / 15)
    assert temporal_iou((0, 1), (2, 3)) == 0.0
    assert temporal_iou((1, 1), (1, 1)) == 0.0


def test_random_timelines_keep_invariants():
    rng = np.random.default_rng(7)
    for _ in range(200):
        n = int(rng.integers(1, 60))
        t = np.sort(rng.uniform(0, 30, n))
        s = rng.uniform(0, 1, n)
        settings = IntervalSettings(
            threshold=0.6,
            exit_threshold=0.4,
            smooth=float(rng.uniform(0, 2)),
            min_duration=float(rng.uniform(0, 2)),
            merge_gap=float(rng.uniform(0, 3)),
            pad_before=float(rng.uniform(0, 2)),
            pad_after=float(rng.uniform(0, 2)),
        )
        got = find_intervals(t, s, settings, duration=30.0)
        for a, b in zip(got, got[1:]):
            assert a.end < b.start  # sorted, disjoint (overlaps after padding are merged)
        for i in got:
            assert 0.0 <= i.start < i.end <= 30.0
            assert 0.0 <= i.peak <= 1.0
