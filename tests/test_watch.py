"""`highlight watch`: real folders, real daemon processes, real signals.

The daemon runs as `python -m highlight watch ...` in its own session; every test
bounds its waits and the `daemon` fixture kills whatever is still running at the end.
`--exit-when-idle` is a hidden, test/one-shot option: exit once nothing is settling,
queued or running.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from highlight import HighlightError
from highlight.batch import plan_outputs
from highlight.export import manifest as manifests
from highlight.folder_lock import LOCK_FILE
from highlight.settings import RunSettings
from highlight.source import probe
from highlight.watch.daemon import ActiveHours, job_key
from highlight.watch.stability import SettleTracker, is_candidate, is_temporary_name
from highlight.watch.store import STORE_FILE, Store

REPO = Path(__file__).resolve().parents[1]
FAST = ["--settle", "0.5s"]  # and --no-report unless a test asks for the report


# -- helpers ---------------------------------------------------------------------------


@pytest.fixture
def daemon(tmp_path):
    """start(folder, out, *options) -> Popen of a watch daemon; all are killed at teardown."""
    started: list[subprocess.Popen] = []

    def start(folder: Path, out: Path, *options: str, env: dict | None = None) -> subprocess.Popen:
        log = open(tmp_path / f"daemon-{len(started)}.stderr", "w")
        environment = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "highlight",
                "watch",
                str(folder),
                "--out",
                str(out),
                *FAST,
                *([] if "--report" in options else ["--no-report"]),
                *options,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=environment,
        )
        log.close()
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def finish(process: subprocess.Popen, timeout: float = 90) -> int:
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        pytest.fail(f"watch daemon did not finish within {timeout}s")


def records(out: Path) -> dict[str, object]:
    if not (out / STORE_FILE).exists():
        return {}
    with Store(out / STORE_FILE) as store:
        return {Path(r.path).name: r for r in store.records()}


def wait_for(condition, timeout: float, what: str, process: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if process is not None and process.poll() is not None:
            pytest.fail(f"daemon exited (code {process.returncode}) while waiting for {what}")
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def log_lines(out: Path, prefix: str) -> list[str]:
    text = (out / "watch.log").read_text() if (out / "watch.log").exists() else ""
    return [line for line in text.splitlines() if f" {prefix}" in line]


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purposes
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return True


def assert_finished_outputs(folder: Path) -> manifests.Manifest:
    """A complete manifest, every listed output present and decodable, nothing else."""
    manifest = manifests.load(folder)
    assert manifest.complete is True
    listed = set(manifest.output_files()) | {manifests.MANIFEST_FILE}
    present = {p.name for p in folder.iterdir() if p.name != LOCK_FILE}  # the lock file stays, empty of meaning
    assert present == listed, f"unexpected files in {folder}: {present ^ listed}"
    for name in listed:
        if name.endswith(".mp4"):
            assert probe(folder / name).duration > 0
    return manifest


# -- small parts ---------------------------------------------------------------------------


def test_temporary_and_partial_names_are_not_candidates():
    for name in [
        "IMG_1.mp4.part",
        "IMG_1.mp4.crdownload",
        "IMG_1.tmp",
        ".IMG_1.mp4",
        "~IMG_1.mp4",
        ".clip.tmp-ab12.mp4",
    ]:
        assert is_temporary_name(Path(name)) and not is_candidate(Path(name)), name
    for name in ["IMG_1.mp4", "game 2.MOV", "a.b.mkv"]:
        assert is_candidate(Path(name)), name
    assert not is_candidate(Path("notes.txt"))


def test_active_hours_wrap_past_midnight():
    night = ActiveHours.parse("22:00-07:00")
    assert night.contains(dt.time(23, 30)) and night.contains(dt.time(6, 59))
    assert not night.contains(dt.time(7, 0)) and not night.contains(dt.time(12, 0))
    day = ActiveHours.parse("09:00-17:30")
    assert day.contains(dt.time(9, 0)) and not day.contains(dt.time(17, 30))
    with pytest.raises(ValueError, match="HH:MM-HH:MM"):
        ActiveHours.parse("10pm")


def test_settle_tracker_waits_until_size_and_mtime_stop_changing(tmp_path):
    video = tmp_path / "a.mp4"
    video.write_bytes(b"x" * 100)
    tracker = SettleTracker(settle=0.3)
    tracker.observe(video)
    assert tracker.settled(0.0) == []
    with open(video, "ab") as handle:
        handle.write(b"y" * 100)
    assert tracker.settled(0.2) == []  # grew: the clock restarts at 0.2
    assert tracker.settled(0.45) == []
    assert tracker.settled(0.55) == [video]
    assert video not in tracker


def test_store_backoff_restart_and_changes(tmp_path):
    db = tmp_path / STORE_FILE
    with Store(db) as store:
        assert store.offer(Path("/v/a.mp4"), 10, 1.0, "s1", "j1", Path("/o/a"), now=0) == "new"
        store.start("/v/a.mp4", pid=123, now=1)
    with Store(db) as store:  # a daemon killed mid-file: the row comes back as queued
        [interrupted] = store.requeue_interrupted(now=2)
        assert interrupted.status == "running"
        assert store.get("/v/a.mp4").status == "queued"
        store.start("/v/a.mp4", pid=124, now=3)
        assert store.fail("/v/a.mp4", "boom", max_attempts=3, retry_delay=10, now=4) == 4 + 20  # 2nd attempt: 2x
        store.start("/v/a.mp4", pid=125, now=30)
        assert store.fail("/v/a.mp4", "boom again", max_attempts=3, retry_delay=10, now=31) is None
        record = store.get("/v/a.mp4")
        assert (record.status, record.attempts, record.last_error) == ("failed", 3, "boom again")
        assert store.offer(Path("/v/a.mp4"), 10, 1.0, "s1", "j1", Path("/o/a")) == "failed"
        assert store.offer(Path("/v/a.mp4"), 11, 1.0, "s1", "j1", Path("/o/a")) == "changed"
        assert (store.get("/v/a.mp4").attempts, store.get("/v/a.mp4").force) == (0, 0)
        store.start("/v/a.mp4", pid=126)
        store.finish("/v/a.mp4", highlights=2, run_seconds=1.0)
        assert store.offer(Path("/v/a.mp4"), 11, 1.0, "s1", "j1", Path("/o/a")) == "done"
        # Same settings, different model content: processed again, and the analysis is redone.
        assert store.offer(Path("/v/a.mp4"), 11, 1.0, "s1", "j2", Path("/o/a")) == "changed"
        assert store.get("/v/a.mp4").force == 1


def test_job_key_follows_settings_and_the_model_files(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.json").write_text("{}")
    settings = RunSettings(model=str(model))
    first = job_key(settings)
    assert job_key(settings) == first
    assert job_key(settings.with_intervals(threshold=0.7)) != first
    (model / "model.json").write_text('{"retrained": true}')  # same folder, new content
    assert job_key(settings) != first and RunSettings(model=str(model)).key == settings.key


def test_install_service_writes_a_user_unit(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    result = subprocess.run(
        [sys.executable, "-m", "highlight", "watch", "in", "--out", "out", "--workers", "2", "--install-service"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    unit = (tmp_path / "config" / "systemd" / "user" / "highlight-watch.service").read_text()
    assert "Type=simple" in unit and "Restart=on-failure" in unit
    assert f"WorkingDirectory={tmp_path.resolve()}" in unit
    assert f"ExecStart={sys.executable} -m highlight watch in --out out --workers 2\n" in unit
    assert "systemctl --user enable --now highlight-watch" in result.stdout
    assert not (tmp_path / "out").exists()  # installing does not start watching


# -- the daemon, end to end -------------------------------------------------------------------


def test_file_written_slowly_is_processed_once_after_it_stops_growing(tmp_path, samples, daemon):
    source = (samples[0] / "pal_25fps.mp4").read_bytes()
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    target = folder / "slow.mp4"
    chunks = [source[k : k + len(source) // 12 + 1] for k in range(0, len(source), len(source) // 12 + 1)]
    with open(target, "wb") as handle:
        handle.write(chunks[0])

    def write_rest() -> None:
        with open(target, "ab") as handle:
            for chunk in chunks[1:]:
                time.sleep(0.25)
                handle.write(chunk)
                handle.flush()

    writer = threading.Thread(target=write_rest)
    writer.start()
    process = daemon(folder, out, "--settle", "1s", "--no-clips", "--exit-when-idle")
    writer.join()
    assert finish(process) == 0
    record = records(out)["slow.mp4"]
    assert (record.status, record.attempts) == ("done", 1)
    assert record.started >= target.stat().st_mtime + 0.9, "taken before the file had settled"
    manifest = assert_finished_outputs(out / "slow")
    assert manifest.source.size_bytes == len(source)
    assert len(log_lines(out, "done slow.mp4")) == 1


def test_ten_files_dropped_at_once_are_each_processed_exactly_once(tmp_path, samples, daemon):
    folder, out = tmp_path / "in", tmp_path / "out"
    (folder / "day1").mkdir(parents=True)
    process = daemon(folder, out, "--no-clips", "--workers", "2")
    wait_for(lambda: log_lines(out, "watching"), 30, "the daemon to start", process)
    for k in range(10):
        shutil.copy(samples[0] / "pal_25fps.mp4", folder / "day1" / f"rally_{k:02d}.mp4")
    wait_for(lambda: sum(r.status == "done" for r in records(out).values()) == 10, 90, "ten files done", process)
    process.send_signal(signal.SIGTERM)
    assert finish(process, 30) == 0
    rows = records(out)
    assert sorted(rows) == [f"rally_{k:02d}.mp4" for k in range(10)]
    assert all(r.attempts == 1 for r in rows.values())
    # The same folder layout as `highlight run in --out out`.
    expected = {video.resolve(): folder_ for video, folder_ in plan_outputs([folder], out)}
    for name, record in rows.items():
        assert Path(record.out_dir) == expected[Path(record.path)] == out / "day1" / Path(name).stem
        assert assert_finished_outputs(Path(record.out_dir)).intervals
        assert len(log_lines(out, f"done day1/{name}:")) == 1


def _start_on_court(tmp_path, samples, daemon):
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    shutil.copy(samples[0] / "court.mp4", folder / "court.mp4")
    process = daemon(folder, out, "--exit-when-idle")
    # Analysis done (scores.csv and the unfinished manifest written, the manifest just after
    # the scores), clips being encoded: the middle of the file.
    wait_for(lambda: (out / "court" / manifests.MANIFEST_FILE).exists(), 60, "the analysis of court.mp4", process)
    record = records(out)["court.mp4"]
    assert record.status == "running"
    return folder, out, process, record.pid


def test_sigkill_mid_file_then_restart_completes_it_once(tmp_path, samples, daemon):
    folder, out, process, worker = _start_on_court(tmp_path, samples, daemon)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    wait_for(lambda: not process_alive(worker), 10, "the worker to die with the daemon")
    partial = manifests.load_if_present(out / "court")
    assert partial is None or partial.complete is False, "a killed run must not look finished"
    assert records(out)["court.mp4"].status == "running"  # as the killed daemon left it

    assert finish(daemon(folder, out, "--exit-when-idle")) == 0
    record = records(out)["court.mp4"]
    assert (record.status, record.attempts) == ("done", 2)
    manifest = assert_finished_outputs(out / "court")
    assert len(manifest.intervals) == 2
    assert [p.name for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")] == ["court"]
    assert len(log_lines(out, "done court.mp4")) == 1
    assert log_lines(out, "re-queued court.mp4")


def test_sigterm_abandons_the_file_in_progress_cleanly(tmp_path, samples, daemon):
    folder, out, process, worker = _start_on_court(tmp_path, samples, daemon)
    process.send_signal(signal.SIGTERM)
    assert finish(process, 20) == 0
    assert not process_alive(worker)
    record = records(out)["court.mp4"]
    assert (record.status, record.attempts) == ("queued", 0)  # will be processed again; not a failure
    assert manifests.load(out / "court").complete is False
    left = [p.name for p in (out / "court").glob(".*") if p.name != LOCK_FILE]  # a killed worker leaves its lock
    assert left == [], "temporary files left behind"
    assert log_lines(out, "abandoned court.mp4")


def test_corrupt_file_fails_with_reason_others_succeed_and_done_is_skipped_after_restart(tmp_path, samples, daemon):
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    good = samples[0] / "pal_25fps.mp4"
    shutil.copy(good, folder / "good.mp4")
    (folder / "bad.mp4").write_bytes(os.urandom(40_000))
    for name in [".hidden.mp4", "copying.mp4.part", "download.mp4.crdownload", "x.tmp", "~lock.mp4"]:
        shutil.copy(good, folder / name)  # decodable, so only the name keeps them out
    options = ["--no-clips", "--max-attempts", "2", "--retry-delay", "0.2s", "--exit-when-idle", "--report"]

    assert finish(daemon(folder, out, *options)) == 0
    rows = records(out)
    assert sorted(rows) == ["bad.mp4", "good.mp4"]
    assert (rows["good.mp4"].status, rows["good.mp4"].attempts) == ("done", 1)
    bad = rows["bad.mp4"]
    assert (bad.status, bad.attempts) == ("failed", 2)
    with pytest.raises(HighlightError) as reason:
        probe(folder / "bad.mp4")
    assert bad.last_error == str(reason.value) and "bad.mp4" in bad.last_error
    report = (out / "report.html").read_text()
    assert "good.mp4" in report and "bad.mp4" in report
    assert not (out / "bad" / manifests.MANIFEST_FILE).exists()
    status = subprocess.run(
        [sys.executable, "-m", "highlight", "watch", "--status", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert status.returncode == 0
    [bad_line] = [line for line in status.stdout.splitlines() if "bad.mp4" in line]
    assert bad_line.startswith("failed") and str(reason.value).replace(f"{folder / 'bad.mp4'}: ", "") in bad_line

    written = (out / "good" / manifests.MANIFEST_FILE).stat().st_mtime_ns
    assert finish(daemon(folder, out, *options)) == 0  # restart: nothing to do
    rows = records(out)
    assert (rows["good.mp4"].status, rows["good.mp4"].attempts) == ("done", 1)
    assert (rows["bad.mp4"].status, rows["bad.mp4"].attempts) == ("failed", 2)
    assert (out / "good" / manifests.MANIFEST_FILE).stat().st_mtime_ns == written
    assert len(log_lines(out, "done good.mp4")) == 1

    new_settings = [*options, "--threshold", "0.6", "--max-attempts", "1"]
    assert finish(daemon(folder, out, *new_settings)) == 0  # new settings: processed again
    assert records(out)["good.mp4"].status == "done"
    assert len(log_lines(out, "done good.mp4")) == 2
    assert manifests.load(out / "good").interval_settings["threshold"] == 0.6
