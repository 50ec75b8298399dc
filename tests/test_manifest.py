"""The typed manifest (``highlights.json``) and the one per-video runner shared by `run` and `watch`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from highlight import HighlightError
from highlight.export import manifest as manifests
from highlight.export.manifest import FORMAT_VERSION, IntervalEntry, Manifest
from highlight.intervals import Interval
from highlight.runner import VideoResult, run_video
from highlight.settings import RunSettings
from highlight.source import probe

# A manifest exactly as highlight wrote it before the typed Manifest (format 1): the dict
# that ``new_manifest`` built, filled in by ``process_video`` and ``write_outputs``.
VERSION_1 = {
    "format": 1,
    "tool": "highlight 0.1.0",
    "created": "2026-11-20T10:00:00+0000",
    "complete": True,
    "source": {
        "path": "/videos/court.mp4",
        "size_bytes": 123456,
        "mtime": 1763632800.25,
        "width": 640,
        "height": 360,
        "rotation": 0,
        "fps": 29.97002997002997,
        "duration": 12.012,
        "frame_count": 360,
        "has_audio": True,
        "codec": "h264",
        "fps_rational": "30000/1001",
    },
    "settings": {"detector": "motion", "intervals": {"threshold": 0.5, "exit_threshold": 0.3}, "clips": True},
    "settings_key": "abc123",
    "applied_intervals": {"threshold": 0.5, "exit_threshold": 0.3},
    "detector": {"name": "motion", "history": 500},
    "scores": "scores.csv",
    "intervals": [
        {
            "index": 1,
            "start": 1.5,
            "end": 4.25,
            "duration": 2.75,
            "peak": 0.8123,
            "peak_time": 3.0,
            "clip": "clip_001_1.50-4.25.mp4",
            "slowmo_clip": "clip_001_1.50-4.25_slowmo.mp4",
        },
        {
            "index": 2,
            "start": 7.0,
            "end": 9.5,
            "duration": 2.5,
            "peak": 0.61,
            "peak_time": 8.2,
            "clip": "clip_002_7.00-9.50.mp4",
            "slowmo_clip": None,
        },
    ],
    "reel": "reel.mp4",
    "plugins": {"reps": {"summary": "12 reps"}, "pose": {"error": "on_frame: RuntimeError: boom"}},
    "errors": ["3 corrupt packets skipped"],
    "timing": {"decode_s": 1.2, "write_s": 3.4},
    "decode": {"frames_decoded": 360, "last_frame_s": 11.979},
    "plugin_intervals": [[2.0, 3.5]],
}


def write_version_1(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / manifests.MANIFEST_FILE).write_text(json.dumps(VERSION_1, indent=2))
    return folder


def test_version_1_manifest_reads_as_typed_fields(tmp_path):
    manifest = manifests.load(write_version_1(tmp_path / "court"))
    assert manifest.format == 1 and manifest.complete is True
    assert manifest.source.path == "/videos/court.mp4" and manifest.source.fps_rational == "30000/1001"
    assert manifest.intervals[0] == IntervalEntry(
        1, 1.5, 4.25, 2.75, 0.8123, 3.0, "clip_001_1.50-4.25.mp4", "clip_001_1.50-4.25_slowmo.mp4"
    )
    assert manifest.intervals[1].slowmo_clip is None
    assert manifest.plugin_intervals == [Interval(2.0, 3.5)]
    assert manifest.output_files() == [
        "scores.csv",
        "clip_001_1.50-4.25.mp4",
        "clip_001_1.50-4.25_slowmo.mp4",
        "clip_002_7.00-9.50.mp4",
        "reel.mp4",
    ]
    assert manifest.notes() == [
        "3 corrupt packets skipped",
        "plugin pose: on_frame: RuntimeError: boom",
        "reps: 12 reps",
    ]
    assert manifest.detector_name == "motion" and manifest.interval_settings["threshold"] == 0.5


def test_what_was_done_about_a_moving_or_shaking_camera_is_a_note_beside_the_counts(tmp_path):
    manifest = manifests.load(write_version_1(tmp_path / "court"))
    manifest.detector["camera"] = "the camera shook in place (by up to 0.6% of the width): each sample was lined up"
    assert manifest.notes()[:2] == ["3 corrupt packets skipped", manifest.detector["camera"]]


def test_saving_keeps_every_field_name_value_and_order_and_bumps_the_version(tmp_path):
    folder = write_version_1(tmp_path / "court")
    manifests.load(folder).save(folder)
    written = json.loads((folder / manifests.MANIFEST_FILE).read_text())
    assert list(written) == list(VERSION_1)
    assert written == {**VERSION_1, "format": FORMAT_VERSION} and FORMAT_VERSION == 2


def test_a_manifest_from_before_decode_and_plugin_intervals_has_neither(tmp_path):
    old = {k: v for k, v in VERSION_1.items() if k not in ("decode", "plugin_intervals")}
    manifest = Manifest.from_dict(old)
    assert manifest.decode is None and manifest.plugin_intervals is None
    assert manifest.to_dict() == old  # read as version 1, nothing added


def test_unknown_fields_are_kept_when_saved_again(tmp_path):
    folder = tmp_path / "court"
    folder.mkdir()
    (folder / manifests.MANIFEST_FILE).write_text(json.dumps({**VERSION_1, "format": 2, "from_the_future": [1]}))
    manifest = manifests.load(folder)
    manifest.complete = False
    manifest.save(folder)
    assert json.loads((folder / manifests.MANIFEST_FILE).read_text())["from_the_future"] == [1]


def test_new_manifest_says_incomplete_and_the_current_version():
    info = manifests.source_from_dict(VERSION_1["source"])
    manifest = Manifest.new(info, VERSION_1["settings"], "abc123", {"name": "motion"})
    data = manifest.to_dict()
    assert data["format"] == FORMAT_VERSION == 2 and data["complete"] is False and data["intervals"] == []
    assert data["applied_intervals"] == VERSION_1["settings"]["intervals"] and "decode" not in data


def test_interval_entry_rounds_as_stored():
    entry = IntervalEntry.from_interval(3, Interval(1.23456, 2.34567, peak=0.123456, peak_time=1.55555))
    assert entry.to_dict() == {
        "index": 3,
        "start": 1.235,
        "end": 2.346,
        "duration": 1.111,
        "peak": 0.1235,
        "peak_time": 1.556,
        "clip": None,
        "slowmo_clip": None,
    }


@pytest.mark.parametrize(
    "text, reason",
    [
        ("[1, 2]", "a JSON object was expected"),
        ('{"format": 99}', "manifest format 99 is not one this highlight reads"),
        ('{"intervals": [{"start": "soon"}]}', "not a highlights manifest"),
        ("{", "not valid JSON"),
    ],
)
def test_a_bad_manifest_is_one_line_naming_the_file(tmp_path, text, reason):
    (tmp_path / manifests.MANIFEST_FILE).write_text(text)
    with pytest.raises(HighlightError) as caught:
        manifests.load(tmp_path)
    message = str(caught.value)
    assert message.startswith(str(tmp_path / manifests.MANIFEST_FILE)) and reason in message
    assert "\n" not in message
    assert manifests.load_if_present(tmp_path) is None


# --- the per-video runner -------------------------------------------------------------------------


def test_runner_processes_then_skips_and_names_a_bad_file(samples, tmp_path):
    folder, _ = samples
    video = tmp_path / "in" / "pal_25fps.mp4"
    video.parent.mkdir()
    shutil.copy2(folder / "pal_25fps.mp4", video)
    settings = RunSettings(clips=False)
    out = tmp_path / "out" / "pal_25fps"
    first = run_video(video, out, settings, timelines=["edl"])
    assert first.status == "done" and first.highlights == len(manifests.load(out).intervals) > 0
    assert first.video_seconds == pytest.approx(probe(video).duration) and first.run_seconds > 0
    assert (out / "highlights.edl").is_file()
    again = run_video(video, out, settings)
    assert (again.status, again.highlights, again.notes) == ("skipped", first.highlights, [])
    assert run_video(video, out, settings, force=True).status == "done"

    broken = tmp_path / "in" / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    failed = run_video(broken, tmp_path / "out" / "broken", settings)
    assert failed.status == "failed" and failed.error.startswith(str(broken)) and "\n" not in failed.error
    assert not failed.finished


def test_a_timeline_failure_fails_the_video_but_keeps_its_counts(samples, tmp_path):
    folder, _ = samples
    out = tmp_path / "pal"
    result = run_video(folder / "pal_25fps.mp4", out, RunSettings(clips=False), timelines=["no-such-format"])
    assert result.status == "failed" and result.highlights > 0
    assert result.error.startswith(str(folder / "pal_25fps.mp4")) and "KeyError" in result.error


def test_video_result_travels_through_the_worker_result_file():
    result = VideoResult(Path("/v/a.mp4"), Path("/o/a"), "done", 2, 12.5, 3.25, "", ["reps: 12 reps"])
    assert VideoResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result
    assert result.report_entry() == {
        "path": "/v/a.mp4",
        "out_dir": "/o/a",
        "status": "done",
        "highlights": 2,
        "video_seconds": 12.5,
        "run_seconds": 3.25,
        "error": "",
        "notes": ["reps: 12 reps"],
    }
