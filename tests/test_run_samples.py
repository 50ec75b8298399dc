"""`highlight run` and `highlight cut` end to end on the generated samples."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import av
import pytest

from highlight.export import manifest as manifests
from highlight.intervals import temporal_iou
from highlight.source import probe

CLI = [sys.executable, "-m", "highlight"]


def run_cli(*args, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def decoded_duration(path: Path) -> tuple[float, int, int, bool]:
    """(duration to the last frame's end, width, height as shown (upright), has audio), decoding every frame.

    Shown size: a re-encoded clip stores the picture upright, a copied one keeps the
    phone's display rotation.
    """
    upright = probe(path)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [f.time for f in container.decode(stream)]
        rate = float(stream.average_rate)
        return (frames[-1] + 1 / rate, upright.width, upright.height, bool(container.streams.audio))


@pytest.fixture(scope="module")
def first_run(samples, tmp_path_factory):
    folder, truth = samples
    before = {p.name: digest(p) for p in folder.glob("*.mp4")}
    out = tmp_path_factory.mktemp("out")
    result = run_cli("run", folder, "--out", out, "--margin", "0", "--slowmo", "0.5", "--reel", "--quiet")
    return folder, truth, out, before, result


def manifest(out: Path, stem: str) -> manifests.Manifest:
    return manifests.load(out / stem)


def test_every_action_found_and_nothing_else(first_run):
    _, truth, out, _, result = first_run
    assert "3 processed" in result.stdout
    for name, expected in truth.items():
        found = [(i.start, i.end) for i in manifest(out, Path(name).stem).intervals]
        assert len(found) == len(expected), (name, found, expected)
        for (start, end), (true_start, true_end) in zip(found, expected):
            assert temporal_iou((start, end), (true_start, true_end)) >= 0.9
            assert abs(start - true_start) <= 0.2 and abs(end - true_end) <= 0.2, (name, found, expected)


def test_clips_match_intervals_and_play_to_the_end(first_run):
    _, _, out, _, _ = first_run
    for stem, has_audio, size in [
        ("court", True, (640, 360)),
        ("pal_25fps", False, (720, 576)),
        ("phone_portrait", False, (360, 640)),
    ]:
        m = manifest(out, stem)
        assert m.complete and m.source.has_audio == has_audio
        for interval in m.intervals:
            duration, width, height, audio = decoded_duration(out / stem / interval.clip)
            assert duration == pytest.approx(interval.end - interval.start, abs=0.1)
            assert (width, height) == size  # portrait recordings come out upright
            assert audio == has_audio
            slow, *_ = decoded_duration(out / stem / interval.slowmo_clip)
            assert slow == pytest.approx(2 * (interval.end - interval.start), abs=0.15)
        reel, *_ = decoded_duration(out / stem / m.reel)
        assert reel == pytest.approx(sum(i.duration for i in m.intervals), abs=0.15)


def test_quiet_stretches_cost_a_keyframe_a_second_and_full_scan_does_not_skip(samples, tmp_path):
    folder, truth = samples
    quick = run_cli(
        "run", folder / "court.mp4", "--out", tmp_path / "a", "--no-clips", "--no-report", "--margin", "0", "--quiet"
    )
    full = run_cli(
        "run",
        folder / "court.mp4",
        "--out",
        tmp_path / "b",
        "--no-clips",
        "--no-report",
        "--margin",
        "0",
        "--full-scan",
        "--quiet",
    )
    assert quick.returncode == full.returncode == 0
    fast, slow = manifest(tmp_path / "a", "court"), manifest(tmp_path / "b", "court")
    assert fast.decode["frames_decoded"] < 0.6 * slow.decode["frames_decoded"]
    for a, b in zip(fast.intervals, slow.intervals):  # the same highlights either way
        assert a.start == pytest.approx(b.start, abs=0.2) and a.end == pytest.approx(b.end, abs=0.2)
    assert len(fast.intervals) == len(slow.intervals) == len(truth["court.mp4"])


def test_manifest_and_scores_describe_the_run(first_run):
    folder, _, out, _, _ = first_run
    m = manifest(out, "court")
    assert m.source.path == str((folder / "court.mp4").resolve())
    assert m.settings["slowmo"] == 0.5 and m.detector_name == "motion"
    assert {"decode_s", "score_s", "write_s"} <= set(m.timing)
    # The file itself, as other tools read it: the field names of format 1, now format 2.
    raw = json.loads((out / "court" / "highlights.json").read_text())
    assert list(raw) == [
        "format",
        "tool",
        "created",
        "complete",
        "source",
        "settings",
        "settings_key",
        "applied_intervals",
        "detector",
        "scores",
        "intervals",
        "reel",
        "plugins",
        "errors",
        "timing",
        "decode",
        "plugin_intervals",
        "settings_from",
    ]
    assert raw["format"] == 2 and {"size_bytes", "mtime", "fps", "duration"} <= set(raw["source"])
    assert set(raw["intervals"][0]) == {
        *("index", "start", "end", "duration", "peak", "peak_time", "clip", "slowmo_clip"),
        *("clip_start", "clip_end"),  # where the clip really starts and ends
    }
    lines = (out / "court" / "scores.csv").read_text().splitlines()
    assert lines[0] == "time_s,score,refined"
    assert len(lines) - 1 >= 48  # every regular sample, plus refined frames at the edges
    assert any(line.endswith(",1") for line in lines[1:])


def test_sources_untouched_and_no_temporaries_left(first_run):
    folder, _, out, before, _ = first_run
    assert {p.name: digest(p) for p in folder.glob("*.mp4")} == before
    assert not list(out.rglob(".*tmp*"))


def test_rerun_skips_done_videos_and_force_redoes(first_run):
    folder, _, out, _, _ = first_run
    args = ("run", folder, "--out", out, "--margin", "0", "--slowmo", "0.5", "--reel", "--quiet")
    assert "3 already done" in run_cli(*args).stdout
    changed = run_cli("run", folder / "pal_25fps.mp4", "--out", out, "--margin", "0", "--no-clips", "--quiet")
    assert "1 processed" in changed.stdout  # other settings: processed again
    assert manifest(out, "pal_25fps").settings["clips"] is False


def test_resume_after_crash_reuses_analysis_and_finished_clips(samples, tmp_path):
    folder, _ = samples
    video = tmp_path / "in" / "court.mp4"
    video.parent.mkdir()
    shutil.copy2(folder / "court.mp4", video)
    out = tmp_path / "out"
    run_cli("run", video, "--out", out, "--quiet")
    m = manifest(out, "court")
    first, second = (out / "court" / i.clip for i in m.intervals)
    # Simulate a kill after the first clip: manifest not complete, second clip never renamed.
    m.complete = False
    m.intervals = m.intervals[:1]
    m.save(out / "court")
    second.unlink()
    (out / "court" / ".clip_002.tmp-abc.mp4").write_bytes(b"half a clip")
    stamps = {p: p.stat().st_mtime_ns for p in (first, out / "court" / "scores.csv")}
    result = run_cli("run", video, "--out", out, "--quiet")
    assert "1 processed" in result.stdout
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps  # no re-analysis, first clip kept
    assert second.is_file() and manifest(out, "court").complete
    assert not list((out / "court").glob(".*tmp*"))


def test_cut_rebuilds_clips_from_scores(samples, tmp_path):
    folder, _ = samples
    out = tmp_path / "out"
    run_cli("run", folder / "pal_25fps.mp4", "--out", out, "--margin", "0", "--quiet")
    old = manifest(out, "pal_25fps")
    old_clip = out / "pal_25fps" / old.intervals[0].clip
    run_cli("cut", out / "pal_25fps", "--pad-before", "1s", "--pad-after", "500ms", "--quiet")
    new = manifest(out, "pal_25fps")
    (a, b), (c, d) = (old.intervals[0].start, old.intervals[0].end), (new.intervals[0].start, new.intervals[0].end)
    assert c == pytest.approx(a - 1.0, abs=1e-3) and d == pytest.approx(b + 0.5, abs=1e-3)
    assert new.interval_settings["pad_before"] == 1.0
    assert not old_clip.exists()  # stale clip removed
    duration, *_ = decoded_duration(out / "pal_25fps" / new.intervals[0].clip)
    assert duration == pytest.approx(d - c, abs=0.1)


def test_bad_files_get_one_line_errors_and_the_batch_goes_on(samples, tmp_path):
    folder, _ = samples
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "empty.mp4").touch()
    (inbox / "notes.MOV").write_text("not a video")
    (inbox / "truncated.mp4").write_bytes((folder / "court.mp4").read_bytes()[:200_000])
    (inbox / "gone.mp4").symlink_to(tmp_path / "nowhere.mp4")
    shutil.copy2(folder / "pal_25fps.mp4", inbox / "good.mp4")
    result = run_cli("run", inbox, "--no-clips", "--quiet", check=False)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 4
    for name, reason in [
        ("empty.mp4", "empty file"),
        ("notes.MOV", "not a video"),
        ("truncated.mp4", "truncated"),
        ("gone.mp4", "cannot read"),
    ]:
        assert any(name in e and reason in e for e in errors), (name, errors)
    assert "1 processed" in result.stdout and "4 failed" in result.stdout
    assert (inbox / "highlights" / "good" / "highlights.json").is_file()


def test_folder_without_videos_says_so(tmp_path):
    (tmp_path / "readme.txt").write_text("no videos here")
    result = run_cli("run", tmp_path, check=False)
    assert result.returncode == 2
    assert "no videos found" in result.stderr


def test_bad_option_values_are_explained(samples):
    folder, _ = samples
    result = run_cli("run", folder, "--margin", "abc", check=False)
    assert result.returncode == 2 and "not a duration" in result.stderr
    result = run_cli("run", folder, "--threshold", "0.2", "--exit-threshold", "0.4", check=False)
    assert result.returncode == 2 and "exit threshold" in result.stderr
