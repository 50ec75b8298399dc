"""Faults from issue 13, each reproduced: a corrupt stretch, a full disk, a last frame that lasts
hours, an odd frame size, a symlink loop, two processes on one output (run, watch, cut), control
characters in names, outputs readable by others (umask, not 0600), a damaged clip of a finished
run, and a watch job that hangs. The generated corpus, kills and full disks: test_fault_suite.py."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import av
import pytest

from highlight import HighlightError
from highlight.export.clips import verify_clip
from highlight.folder_lock import LOCK_FILE, folder_lock
from highlight.source import probe
from tests.conftest import load_sample_maker

HIGHLIGHT = [sys.executable, "-m", "highlight"]
moving_square = load_sample_maker().moving_square


def _run(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([*HIGHLIGHT, *args], capture_output=True, text=True, timeout=timeout)


def test_a_corrupt_stretch_mid_file_does_not_hang_the_run(shared, tmp_path):
    """1 MB of zeros in the middle made ffmpeg fill moviepy's unread error pipe: a hang at 0 % CPU."""
    folder = tmp_path / "in"
    folder.mkdir()
    video = folder / "pedestrians.mp4"
    shutil.copyfile(shared / "data" / "videos" / "pedestrians_cdnet.mp4", video)
    with open(video, "r+b") as handle:
        handle.seek(video.stat().st_size // 2 - 500_000)
        handle.write(b"\0" * 1_000_000)
    done = _run("run", str(folder), "--out", str(tmp_path / "out"), "-q", "--no-report", timeout=300)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    manifest = json.loads((tmp_path / "out" / "pedestrians" / "highlights.json").read_text())
    if manifest["complete"]:
        for interval in manifest["intervals"]:
            verify_clip(tmp_path / "out" / "pedestrians" / interval["clip"], interval["end"] - interval["start"])


def test_a_truncated_clip_is_refused(samples, tmp_path):
    folder, _ = samples
    source = sorted(folder.glob("*.mp4"))[0]
    whole = probe(source).duration
    verify_clip(source, whole)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(source.read_bytes()[: source.stat().st_size // 3])
    with pytest.raises(HighlightError):
        verify_clip(cut, whole)
    with pytest.raises(HighlightError, match="stopped early"):
        verify_clip(source, whole + 5.0)


def test_a_full_disk_never_leaves_a_broken_clip_marked_done(samples, small_disk):
    folder, _ = samples
    video = sorted(folder.glob("*.mp4"))[0]
    done = _run("run", str(video), "--out", str(small_disk), "-q", "--no-report")
    assert done.returncode == 1 and "no space left on" in done.stdout + done.stderr, done.stdout + done.stderr
    manifest = json.loads((small_disk / video.stem / "highlights.json").read_text())
    assert manifest["complete"] is False
    for interval in manifest["intervals"]:
        verify_clip(small_disk / video.stem / interval["clip"], interval["end"] - interval["start"])
    assert not [p for p in (small_disk / video.stem).glob(".*.tmp-*")]


def test_a_last_frame_that_lasts_hours_keeps_the_nominal_rate(tmp_path):
    video = moving_square(tmp_path / "stopped_badly.mp4", (320, 240), 100, codec="mpeg4", last_frame_at=3 * 3600.0)
    info = probe(video)
    assert info.duration > 3 * 3600 - 1
    assert info.fps == pytest.approx(25.0)


def test_an_odd_frame_size_is_padded_for_the_encoder(tmp_path):
    video = moving_square(tmp_path / "odd.mp4", (333, 187), 150, codec="mpeg4")
    done = _run("run", str(video), "--out", str(tmp_path / "out"), "-q", "--no-report", "--margin", "0.5s")
    assert done.returncode == 0, done.stdout + done.stderr
    manifest = json.loads((tmp_path / "out" / "odd" / "highlights.json").read_text())
    assert manifest["complete"] and manifest["intervals"]
    assert (manifest["source"]["width"], manifest["source"]["height"]) == (333, 187)
    with av.open(str(tmp_path / "out" / "odd" / manifest["intervals"][0]["clip"])) as clip:
        assert (clip.streams.video[0].width, clip.streams.video[0].height) == (334, 188)


def test_a_symlink_loop_is_a_warning_and_the_batch_goes_on(samples, tmp_path):
    folder, _ = samples
    videos = tmp_path / "in"
    videos.mkdir()
    (videos / "a.mp4").symlink_to(videos / "b.mp4")
    (videos / "b.mp4").symlink_to(videos / "a.mp4")
    shutil.copyfile(sorted(folder.glob("*.mp4"))[0], videos / "real.mp4")
    done = _run("run", str(videos), "--out", str(tmp_path / "out"), "-q", "--no-report", "--no-clips")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "a symlink loop" in done.stderr
    assert (tmp_path / "out" / "real" / "highlights.json").is_file()


def test_outputs_get_the_users_umask_not_0600(samples, tmp_path):
    folder, _ = samples
    video = sorted(folder.glob("*.mp4"))[0]
    done = subprocess.run(
        [
            "sh",
            "-c",
            'umask 022 && exec "$@"',
            "sh",
            *HIGHLIGHT,
            "run",
            str(video),
            "--out",
            str(tmp_path / "out"),
            "-q",
            "--no-clips",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    for path in [tmp_path / "out" / "report.html", *(tmp_path / "out" / video.stem).iterdir()]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def _summary_rows(stdout: str) -> dict[str, str]:
    """video name -> status, from the run summary table."""
    rows = {}
    for line in stdout.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 2 and parts[1] in ("done", "skipped", "busy", "failed"):
            rows[parts[0]] = parts[1]
    return rows


@pytest.fixture(scope="module")
def short_clips(tmp_path_factory) -> Path:
    """Five 3 s recordings with motion: enough for two runs to meet on the same video."""
    folder = tmp_path_factory.mktemp("short_clips")
    for k in range(5):
        moving_square(folder / f"clip{k}.mp4", (320, 240), 75 + 5 * k)
    return folder


def test_two_runs_on_one_output_never_delete_each_others_files(short_clips, tmp_path):
    """Each run deleted the other's temporaries when it started a video (FileNotFoundError), and both did
    all the work: now the second finds the folder locked, says it is busy and goes on."""
    for trial in range(2):
        out = tmp_path / f"out{trial}"
        command = [*HIGHLIGHT, "run", str(short_clips), "--out", str(out), "-q", "--no-report", "--margin", "0.3s"]
        runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in "ab"]
        outputs = [run.communicate(timeout=240) for run in runs]
        done_by = {name: 0 for name in (p.name for p in short_clips.glob("*.mp4"))}
        for run, (stdout, stderr) in zip(runs, outputs):
            assert "Traceback" not in stderr and "FileNotFoundError" not in stdout + stderr, stdout + stderr
            rows = _summary_rows(stdout)
            assert set(rows) == set(done_by), stdout
            assert "failed" not in rows.values(), stdout + stderr
            assert run.returncode == (1 if "busy" in rows.values() else 0), stdout + stderr
            for name, status in rows.items():
                done_by[name] += status == "done"
                if status == "busy":
                    assert "busy: another highlight process (pid" in stderr
        assert set(done_by.values()) == {1}, f"trial {trial}: times each video was processed: {done_by}"
        for name in done_by:
            folder = out / Path(name).stem
            manifest = json.loads((folder / "highlights.json").read_text())
            assert manifest["complete"] and manifest["intervals"], name
            for interval in manifest["intervals"]:
                verify_clip(folder / interval["clip"], interval["end"] - interval["start"])
            assert not list(folder.glob(".*.tmp-*"))


def test_a_name_with_control_characters_is_shown_escaped(short_clips, tmp_path):
    """A newline in a file name split its summary row (and its error line) in two."""
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copyfile(short_clips / "clip0.mp4", folder / "two\nlines\tand\x1bescape.mp4")
    (folder / "bro\nken.mp4").write_bytes(os.urandom(50_000))
    done = _run("run", str(folder), "--out", str(tmp_path / "out"), "-q", "--no-report", "--no-clips")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "\x1b" not in done.stdout + done.stderr
    rows = _summary_rows(done.stdout)
    assert rows == {"bro\\nken.mp4": "failed", "two\\nlines\\tand\\x1bescape.mp4": "done"}, done.stdout
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    assert "bro\\nken.mp4" in errors[0] and "Traceback" not in done.stderr


def test_a_damaged_clip_of_a_finished_run_is_written_again(short_clips, tmp_path):
    """A clip listed in a complete manifest was trusted by its name: a truncated one left the video "already done"."""
    video = short_clips / "clip1.mp4"
    out = tmp_path / "out"
    first = _run("run", str(video), "--out", str(out), "-q", "--no-report", "--margin", "0.3s")
    assert first.returncode == 0, first.stdout + first.stderr
    manifest = json.loads((out / "clip1" / "highlights.json").read_text())
    interval = manifest["intervals"][0]
    clip = out / "clip1" / interval["clip"]
    clip.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    scores_before = (out / "clip1" / "scores.csv").stat().st_mtime_ns
    again = _run("run", str(video), "--out", str(out), "-q", "--no-report", "--margin", "0.3s")
    assert again.returncode == 0, again.stdout + again.stderr
    assert _summary_rows(again.stdout) == {"clip1.mp4": "done"}, again.stdout
    verify_clip(clip, interval["end"] - interval["start"])
    assert (out / "clip1" / "scores.csv").stat().st_mtime_ns == scores_before, "resumed from scores.csv, not redone"
    third = _run("run", str(video), "--out", str(out), "-q", "--no-report", "--margin", "0.3s")
    assert _summary_rows(third.stdout) == {"clip1.mp4": "skipped"}, third.stdout


STUCK_PLUGIN = '''
import threading

from highlight.plugin_api import Plugin


class Stuck(Plugin):
    """Blocks for ever in start_video on a recording whose name says so: a hook stuck on a lock that
    nobody releases, the way a hung decoder, encoder or network read leaves a worker."""

    name = "stuck"

    def start_video(self, context):
        if "hangs" in str(context.info.path):
            threading.Event().wait()
'''


@pytest.fixture
def stuck_plugin(tmp_path, monkeypatch) -> None:
    """The plugin installed as pip would (a dist-info with its entry point), for this process and its children."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "stuck_plugin.py").write_text(STUCK_PLUGIN)
    info = site / "stuck_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: stuck-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[highlight.plugins]\nstuck = stuck_plugin:Stuck\n")
    repo = Path(__file__).resolve().parents[1]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(site), str(repo), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.syspath_prepend(str(site))


def test_watch_gives_up_a_hanging_file_after_a_timeout_from_its_length_and_goes_on(tmp_path, stuck_plugin):
    """Without --job-timeout a hanging file kept the daemon's worker busy for ever, and the others stayed queued."""
    from highlight.settings import RunSettings
    from highlight.watch.daemon import WatchConfig, Watcher, default_job_timeout
    from highlight.watch.store import Store

    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    moving_square(folder / "a_hangs.mp4", (160, 120), 10)  # 0.4 s: its limit is the floor
    for name in ("b.mp4", "c.mp4"):
        moving_square(folder / name, (160, 120), 75)  # 3 s: 30 s allowed, far more than needed
    config = WatchConfig(
        folders=[folder],
        out=out,
        settings=RunSettings(plugins=("stuck",), clips=False),
        report=False,
        settle=0.2,
        max_attempts=1,
        exit_when_idle=True,
        job_timeout_floor=15.0,  # above a worker's start-up on a busy machine
        job_timeout_per_second=10.0,
    )
    assert default_job_timeout(0.4, 15.0, 10.0) == 15.0 and default_job_timeout(3.0, 15.0, 10.0) == 30.0
    started = time.monotonic()
    Watcher(config).run()
    assert time.monotonic() - started < 120
    with Store(out / "watch.sqlite3") as store:
        outcome = {Path(r.path).name: (r.status, r.last_error or "") for r in store.records()}
    assert outcome["b.mp4"][0] == outcome["c.mp4"][0] == "done", outcome
    status, error = outcome["a_hangs.mp4"]
    assert status == "failed" and "took longer than the default job timeout 15" in error, error
    assert "10 x its length 0.4" in error, error
    assert not list((out / "a_hangs").glob(".*.tmp-*"))


def test_watch_leaves_a_folder_that_another_process_holds_alone(tmp_path):
    """The daemon's worker goes through run_video, and the daemon cleans temporaries after a failed
    attempt: beside a `run` holding the folder, neither may delete that run's half-written files.
    The held file is not at fault: it waits, without spending an attempt, and is done once free."""
    from highlight.settings import RunSettings
    from highlight.watch.daemon import WatchConfig, Watcher
    from highlight.watch.store import Store

    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    for name in ("held.mp4", "free.mp4"):
        moving_square(folder / name, (160, 120), 50)
    (out / "held").mkdir(parents=True)
    theirs = out / "held" / ".clip_001.tmp-theirs.mp4"
    theirs.write_bytes(b"another process is writing this clip")
    config = WatchConfig(
        folders=[folder],
        out=out,
        settings=RunSettings(clips=False),
        report=False,
        settle=0.2,
        max_attempts=1,
        retry_delay=0.5,
        exit_when_idle=True,
    )
    while_held: list[tuple] = []  # when the daemon had met the folder busy: the file's record, theirs still there?

    def hold_until_met_busy() -> None:
        """As a `highlight run` in another process holds the folder, until the daemon has put the file back."""
        with folder_lock(out / "held"):
            deadline = time.monotonic() + 120
            while not while_held and time.monotonic() < deadline:
                time.sleep(0.1)
                if (out / "watch.sqlite3").exists():
                    with Store(out / "watch.sqlite3") as store:
                        held = [r for r in store.records() if Path(r.path).name == "held.mp4"]
                    if held and held[0].status == "queued" and held[0].next_attempt > 0:
                        while_held.append((held[0].attempts, held[0].last_error, theirs.exists()))

    holder = threading.Thread(target=hold_until_met_busy)
    holder.start()
    Watcher(config).run()
    holder.join(timeout=10)
    assert len(while_held) == 1, "the daemon never met the folder busy"
    attempts, why, still_there = while_held[0]
    assert still_there, "the daemon deleted another process's temporary file"
    assert attempts == 0 and f"busy: another highlight process (pid {os.getpid()}) is working on" in why
    with Store(out / "watch.sqlite3") as store:
        outcome = {Path(r.path).name: (r.status, r.attempts) for r in store.records()}
    assert outcome == {"free.mp4": ("done", 1), "held.mp4": ("done", 1)}, outcome


def test_a_finished_output_on_a_read_only_disk_is_still_already_done(short_clips, small_disk):
    """The lock file cannot be created there; nothing can be written there either, so no lock is needed."""
    video = short_clips / "clip2.mp4"
    first = _run("run", str(video), "--out", str(small_disk), "-q", "--no-report", "--no-clips")
    assert first.returncode == 0, first.stdout + first.stderr
    assert not (small_disk / "clip2" / LOCK_FILE).exists()  # the run took its lock file away
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    again = _run("run", str(video), "--out", str(small_disk), "-q", "--no-report", "--no-clips")
    assert again.returncode == 0 and _summary_rows(again.stdout) == {"clip2.mp4": "skipped"}, (
        again.stdout + again.stderr
    )


def test_cut_leaves_a_folder_that_another_process_holds_alone(short_clips, tmp_path):
    video = short_clips / "clip3.mp4"
    out = tmp_path / "out"
    assert _run("run", str(video), "--out", str(out), "-q", "--no-report", "--no-clips").returncode == 0
    with folder_lock(out / "clip3"):
        held = _run("cut", str(out / "clip3"), "--threshold", "0.4")
    assert held.returncode == 1 and "busy: another highlight process (pid" in held.stderr, held.stderr
    assert "Traceback" not in held.stderr
    assert _run("cut", str(out / "clip3"), "--threshold", "0.4", "-q").returncode == 0
