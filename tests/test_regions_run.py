"""Regions and presets in a run: settings, the command line, a distraction excluded, one clip per shot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from highlight.intervals import IntervalSettings, find_intervals, temporal_iou
from highlight.pipeline import analyse, make_scorer
from highlight.presets import PRESETS, with_preset
from highlight.settings import RunSettings, settings_from_dict
from highlight.source import VideoSource, probe
from tests.footage import write_video

REPO = Path(__file__).resolve().parents[1]
NO_PADDING = {"pad_before": 0.0, "pad_after": 0.0}


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "highlight", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )


def highlights(path: Path, settings: RunSettings) -> list[tuple[float, float]]:
    info = probe(path)
    with VideoSource(path, info) as source:
        analysis = analyse(source, make_scorer(settings), settings)
    return [
        (i.start, i.end) for i in find_intervals(analysis.times, analysis.scores, settings.intervals, info.duration)
    ]


def render_distraction(path: Path, seconds: float = 16.0, visit: tuple[float, float] = (5.0, 10.0)) -> None:
    """A fixed camera: cars pass on a road in the top right all the time; a person is in the lower left for ``visit``."""
    width, height, fps = 320, 180, 25
    rng = np.random.default_rng(7)
    scene = np.kron(rng.integers(60, 160, (10, 17, 3)), np.ones((20, 20, 1)))[:height, :width].astype(np.uint8)
    cars = [np.kron(rng.integers(0, 255, (3, 6, 3)), np.ones((5, 5, 1))).astype(np.uint8) for _ in range(40)]

    def frames():
        for i in range(int(seconds * fps)):
            t = i / fps
            frame = scene.copy()
            for lane, speed in ((25, 60), (50, 45)):  # the road: a car in each lane, each car unlike the last
                passed, along = divmod(t * speed, 90)
                x = 200 + int(along)
                frame[lane : lane + 15, x : x + 30] = cars[(int(passed) * 7 + lane) % len(cars)]
            if visit[0] <= t < visit[1]:
                x = 40 + int(20 * np.sin(t * 3))
                frame[90:170, x : x + 30] = (200, 40, 40)
            yield frame

    write_video(path, frames(), fps, {"crf": "23", "g": str(fps)})


def test_settings_key_unchanged_without_regions_and_canonical_with():
    plain = RunSettings()
    assert "regions" not in plain.to_dict() and "separate" not in plain.to_dict()["intervals"]
    a = RunSettings(regions=("0.58,0.10,0.22,0.35",))
    b = RunSettings(regions=(" .58, .1, .22, .350",))
    assert a.key == b.key != plain.key
    assert a.to_dict()["regions"] == ["0.58,0.1,0.22,0.35"] or a.to_dict()["regions"] == ("0.58,0.1,0.22,0.35",)
    assert settings_from_dict(json.loads(json.dumps(a.to_dict()))).key == a.key
    with pytest.raises(ValueError, match="expected"):
        RunSettings(excludes=("1,2,3",))


def test_preset_fills_in_what_the_user_did_not_give():
    changes = with_preset("shots", {"pad_after": 3.0, "threshold": None})
    assert changes["pad_after"] == 3.0 and changes["pad_before"] == PRESETS["shots"].changes["pad_before"]
    assert RunSettings().with_changes(changes).intervals.separate
    # its detector option (a body walking past is not a shot) fills in too, under the options given
    assert dict(RunSettings().with_changes(changes).detector_options) == {"ball_only": True}
    given = RunSettings(detector_options=(("ball_only", False), ("width", 200))).with_changes(changes)
    assert dict(given.detector_options) == {"ball_only": False, "width": 200}
    with pytest.raises(ValueError, match="unknown preset"):
        with_preset("dunks", {})


def test_separate_events_are_not_merged_by_their_padding():
    times = np.arange(0, 10, 0.1)
    scores = ((times > 2) & (times < 2.6)) | ((times > 3.5) & (times < 4.1))
    joined = find_intervals(times, scores.astype(float), IntervalSettings(smooth=0.2, min_duration=0.2))
    apart = find_intervals(
        times,
        scores.astype(float),
        IntervalSettings(smooth=0.2, min_duration=0.2, merge_gap=0, separate=True, pad_before=2, pad_after=2),
    )
    assert len(joined) == 1 and len(apart) == 2
    assert apart[0].end == apart[1].start == pytest.approx((2.6 + 3.5) / 2, abs=0.06)  # padding stops halfway


def test_excluding_a_moving_distraction_finds_only_the_visit(tmp_path):
    path = tmp_path / "tv.mp4"
    render_distraction(path)
    base = RunSettings(clips=False).with_changes(NO_PADDING)
    everything = highlights(path, base)
    # cars passing all the time are clutter (issue 23): even without --exclude they make no highlight of their own
    assert everything and all(temporal_iou(f, (5.0, 10.0)) >= 0.5 for f in everything), everything
    found = highlights(path, RunSettings(clips=False, excludes=("0.6,0,0.4,0.45",)).with_changes(NO_PADDING))
    assert len(found) == 1 and temporal_iou(found[0], (5.0, 10.0)) >= 0.9, found
    looking = highlights(path, RunSettings(clips=False, regions=("0,0.4,0.5,0.6",)).with_changes(NO_PADDING))
    assert len(looking) == 1 and temporal_iou(looking[0], (5.0, 10.0)) >= 0.9, looking


def test_bad_region_is_a_one_line_error_naming_the_option(tmp_path):
    result = run_cli("run", tmp_path, "--region", "0.5,0.5")
    assert result.returncode == 2 and "--region" in result.stderr and "Traceback" not in result.stderr
    result = run_cli("run", tmp_path, "--exclude", "0.1,0.1;0.2,0.2")
    assert result.returncode == 2 and "--exclude" in result.stderr and "Traceback" not in result.stderr
    result = run_cli("run", tmp_path, "--preset", "dunks")
    assert result.returncode == 2 and "--preset" in result.stderr


@pytest.mark.slow
def test_five_shots_one_clip_each_and_cut_refuses_other_regions(shared, dev_labels, tmp_path):
    video = shared / "data" / "videos" / "court_five_shots.mp4"
    result = run_cli(
        "run",
        video,
        "-o",
        tmp_path,
        "--region",
        "0.58,0.10,0.22,0.35",
        "--preset",
        "shots",
        "--no-clips",
        "--no-report",
        "-q",
    )
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "court_five_shots" / "highlights.json").read_text())
    assert manifest["settings"]["regions"] == ["0.58,0.1,0.22,0.35"]
    assert manifest["settings"]["detector_options"] == {"ball_only": True}  # the preset's, through the layers
    clips = [(i["start"], i["end"]) for i in manifest["intervals"]]
    shots = dev_labels["shots"]["court_five_shots.mp4"]["ball_in_air_approx_s"]
    assert len(clips) == len(shots) == 5, clips
    for (start, end), shot in zip(clips, shots):  # in order: clip k holds shot k
        assert start <= shot <= end, (clips, shots)
    refused = run_cli("cut", tmp_path / "court_five_shots", "--region", "0.5,0.1,0.3,0.35")
    assert refused.returncode == 1 and "highlight run --force" in refused.stderr
    same = run_cli("cut", tmp_path / "court_five_shots", "--region", "0.58,0.1,0.22,0.35", "--pad-after", "2.5")
    assert same.returncode == 0, same.stderr


@pytest.mark.slow
def test_two_shots_two_clips(shared, dev_labels):
    settings = RunSettings(clips=False, regions=("0.58,0.10,0.22,0.35",)).with_changes(with_preset("shots", {}))
    found = highlights(shared / "data" / "videos" / "court_two_shots.mp4", settings)
    assert len(found) == dev_labels["shots"]["court_two_shots.mp4"]["count"], found
