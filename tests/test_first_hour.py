"""A new user's first runs: quiet output, errors before any work, and outputs that read right."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from highlight.export.contact_sheet import render
from highlight.folder_lock import LOCK_FILE
from highlight.terminal import collected_warnings, log_to_terminal, summarise_warnings
from highlight.units import counted

# What MediaPipe, LiteRT, TensorFlow and glog print from C++ (``W0000 00:00:...``, ``INFO: [x.cc:36]``).
NATIVE_LOG = re.compile(r"^(INFO|WARNING|ERROR): |^[IWE]\d{4} |\.cc:\d+\]", re.MULTILINE)
CURSOR_CODES = "\x1b["


def highlight(*args: object, env: dict | None = None) -> subprocess.CompletedProcess:
    """The command with its output redirected (not a terminal), as in a script or a log."""
    return subprocess.run(
        [sys.executable, "-m", "highlight", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="module")
def pose_env(shared) -> dict:
    return {"HIGHLIGHT_POSE_MODEL": str(shared / "models" / "pose_landmarker_lite.task")}


def test_a_quiet_reps_run_prints_only_the_summary(shared, pose_env, tmp_path):
    video = shared / "data" / "videos" / "squat_side.mp4"
    done = highlight("run", video, "--plugin", "reps", "--out", tmp_path, "--no-clips", "-q", env=pose_env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["video", "status", "highlights", "length", "took", "notes"]
    assert lines[1].startswith("squat_side.mp4  done") and "reps: squat: 3 reps" in lines[1]  # 3 squats filmed
    assert lines[2].startswith("1 video: 1 processed") and lines[3] == f"report: {tmp_path / 'report.html'}"
    assert len(lines) == 4


def test_without_quiet_no_native_log_and_no_cursor_codes(shared, pose_env, tmp_path):
    video = shared / "data" / "videos" / "squat_side.mp4"
    done = highlight("run", video, "--plugin", "pose", "--pose-fps", "2", "--out", tmp_path, "--no-clips", env=pose_env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not NATIVE_LOG.search(done.stderr), done.stderr[:2000]
    assert CURSOR_CODES not in done.stderr + done.stdout
    assert not list(tmp_path.rglob(LOCK_FILE)), "lock files left in the outputs"


SILENCE_PROBE = """
import os, sys
from highlight.terminal import native_logs_silenced
with native_logs_silenced(sys.argv[1] == "on"):
    os.write(2, b"native: from C++\\n")
    print("ours: still shown", file=sys.stderr)
os.write(2, b"native: after the block\\n")
print("environment after:", os.environ.get("TF_CPP_MIN_LOG_LEVEL"), file=sys.stderr)
"""


@pytest.mark.parametrize("silenced", [True, False])
def test_native_logs_are_silenced_at_the_descriptor_and_restored(silenced):
    """Descriptor 2 goes to /dev/null inside the block (not with --verbose); Python's stderr still shows;
    the quieting variables it set are gone after it (a program embedding us keeps its environment)."""
    environment = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run(
        [sys.executable, "-c", SILENCE_PROBE, "on" if silenced else "off"],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
    )
    expected = ["ours: still shown", "native: after the block", "environment after: None"]
    assert done.stderr.splitlines() == (expected if silenced else ["native: from C++", *expected])


@pytest.fixture
def folder(tmp_path) -> Path:
    """A folder with a recording that is never opened: these errors come before any work."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.mp4").write_bytes(b"\0" * 1024)
    return tmp_path / "in"


def test_out_naming_a_file_is_one_line_before_any_work(tmp_path, folder):
    target = tmp_path / "results.txt"
    target.write_text("mine")
    done = highlight("run", folder, "--out", target)
    assert done.returncode == 2 and done.stderr.splitlines() == [
        f"error: {target}: --out is a file; give a folder (it is made if missing)"
    ]
    assert target.read_text() == "mine" and sorted(p.name for p in tmp_path.iterdir()) == ["in", "results.txt"]


def test_a_threshold_out_of_range_names_only_the_threshold(tmp_path, folder):
    done = highlight("run", folder, "--threshold", "2", "--out", tmp_path / "out")
    assert done.returncode == 2 and "--threshold" in done.stderr and "exit" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_warning_per_file_is_kept_for_one_summary_line(capsys):
    log_to_terminal(verbose=False)
    logger = logging.getLogger("highlight.export.clip_methods")
    kept = []
    for name in ("a.mp4", "b.mp4", "c.mp4"):
        with collected_warnings() as warnings:
            logger.warning("%s: --clips smart cannot join %s", name, "mpeg4")
        kept.extend(warnings)
    with collected_warnings() as warnings:
        logger.warning("%s: another kind", "d.mp4")
    kept.extend(warnings)
    assert "cannot join" not in capsys.readouterr().err  # not printed among the progress bars
    assert summarise_warnings(kept) == [
        "warning: a.mp4: --clips smart cannot join mpeg4 (and 2 more like it)",
        "warning: d.mp4: another kind",
    ]


def test_counts_read_right():
    assert [counted(n, "highlight") for n in (0, 1, 2)] == ["0 highlights", "1 highlight", "2 highlights"]


def test_a_contact_sheet_title_is_never_cut_off():
    title = "a_rather_long_recording_name_from_a_phone.mp4: 1 highlight, 00:00:12 recording"
    sheet = render(title, [(Image.new("RGB", (320, 180), (200, 200, 200)), "#01")])
    band = sheet.crop((0, 0, sheet.width, 30)).convert("L")
    inked = [x for x in range(band.width) if any(band.getpixel((x, y)) > 128 for y in range(band.height))]
    assert inked and inked[-1] < sheet.width - 8, "the title runs into the right edge"


def test_a_note_several_recordings_share_is_said_once_under_the_table():
    from highlight.batch import BatchReport, format_summary
    from highlight.runner import VideoResult

    hint = "the highlights are 100% of the recording: mark the hoop"
    results = [
        VideoResult(Path(f"{name}.mp4"), None, "done", highlights=1, notes=notes)
        for name, notes in (("a", [hint, "pose: 3 reps"]), ("b", [hint]), ("c", ["pose: 5 reps"]))
    ]
    lines = format_summary(BatchReport(results)).splitlines()
    assert lines[1].endswith("note 1; pose: 3 reps") and lines[2].endswith("note 1") and lines[3].endswith("5 reps")
    assert lines[-1] == f"note 1 (2 recordings): {hint}" and sum(hint in line for line in lines) == 1


def test_the_live_status_line_writes_where_stderr_is_when_it_starts(monkeypatch):
    """A quiet command points sys.stderr at the terminal's own descriptor: the status line must follow it."""
    import io

    from highlight.live.status import StatusLine

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    status = StatusLine()
    status.show("live 00:00:01.00  quiet")
    status.end()
    assert "live 00:00:01.00  quiet" in screen.getvalue()


def test_warnings_come_back_from_worker_processes_and_cluster_tasks():
    """Their results travel as JSON (watch's workers, Ray tasks): the warnings must survive it."""
    import json

    from highlight.runner import VideoResult

    result = VideoResult(Path("a.mp4"), None, "done", warnings=[("%s: cannot join %s", "a.mp4: cannot join mpeg4")])
    again = VideoResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again.warnings == result.warnings
