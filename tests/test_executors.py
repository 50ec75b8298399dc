"""Executors: `--jobs 2` and a Ray cluster give the outputs one recording at a time gives.

Real short clips from ../shared, linked (never copied) into a temporary folder. One
in-process run (`--jobs 1`) is the reference; one local Ray cluster serves the module.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from highlight.batch import run_batch
from highlight.executors import EXECUTORS
from highlight.executors.local import WorkerPool
from highlight.export import manifest as manifests
from highlight.extras import install_line
from highlight.runner import VideoResult
from highlight.settings import RunSettings
from highlight.watch.daemon import WatchConfig, Watcher
from highlight.watch.store import STORE_FILE, Store

REPO = Path(__file__).resolve().parents[1]
SHORT_CLIPS = ["quva_020_fitness", "quva_022_fitness", "quva_023_fitness", "court_two_shots"]
LONG_CLIP = "court_practice_51s"  # long enough to be killed mid-file
SETTINGS = RunSettings(clips=False)  # intervals are what the executors must agree on; clips follow from them


def linked_folder(shared: Path, folder: Path, names: list[str]) -> Path:
    folder.mkdir(parents=True)
    for name in names:
        (folder / f"{name}.mp4").symlink_to(shared / "data" / "videos" / f"{name}.mp4")
    return folder


def intervals(out: Path) -> dict[str, list[tuple[float, float]]]:
    """Every video's intervals, by its output folder's name; only complete manifests count."""
    found = {}
    for path in sorted(out.glob(f"*/{manifests.MANIFEST_FILE}")):
        manifest = manifests.load(path.parent)
        assert manifest.complete, path
        found[path.parent.name] = [(i.start, i.end) for i in manifest.intervals]
    return found


@pytest.fixture(scope="module")
def clips(shared, tmp_path_factory) -> Path:
    return linked_folder(shared, tmp_path_factory.mktemp("executors") / "in", SHORT_CLIPS)


@pytest.fixture(scope="module")
def one_at_a_time(clips) -> dict:
    """The reference: the short clips processed one after the other, in this process."""
    out = clips.parent / "jobs1"
    report = run_batch([clips], SETTINGS, out, quiet=True)
    assert [r.status for r in report.results] == ["done"] * len(SHORT_CLIPS)
    found = intervals(out)
    assert len(found) == len(SHORT_CLIPS) and any(found.values())
    return found


@pytest.fixture(scope="module")
def ray_cluster():
    """One local Ray cluster (2 CPUs) for the module; its workers import this checkout."""
    import ray

    ray.init(
        num_cpus=2,
        include_dashboard=False,
        logging_level="warning",
        runtime_env={
            "env_vars": {"PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        },
    )
    yield ray
    ray.shutdown()


def test_jobs_2_writes_what_jobs_1_writes(clips, one_at_a_time):
    out = clips.parent / "jobs2"
    done = subprocess.run(
        [sys.executable, "-m", "highlight", "run", str(clips), "--out", str(out), "--jobs", "2", "--no-clips"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 0, done.stderr
    assert intervals(out) == one_at_a_time
    rows = [line.split()[0] for line in done.stdout.splitlines() if line.split()[0].endswith(".mp4")]
    assert rows == sorted(f"{name}.mp4" for name in SHORT_CLIPS)  # the summary in the planned order
    finished_lines = [line for line in done.stderr.splitlines() if "highlight" in line and " in " in line]
    assert len(finished_lines) == len(SHORT_CLIPS)  # one line per finished video, no per-video bars
    again = subprocess.run(
        [sys.executable, "-m", "highlight", "run", str(clips), "--out", str(out), "--jobs", "2", "--no-clips", "-q"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert f"0 processed, {len(SHORT_CLIPS)} already done" in again.stdout  # skip-if-done as with one job


def test_ray_cluster_writes_what_a_local_run_writes(ray_cluster, clips, one_at_a_time):
    import highlight

    where = ray_cluster.get(ray_cluster.remote(lambda: __import__("highlight").__file__).remote())
    assert Path(where) == Path(highlight.__file__)  # the workers run this checkout
    out = clips.parent / "ray"
    report = run_batch([clips], SETTINGS, out, quiet=True, executor="ray")
    assert [r.status for r in report.results] == ["done"] * len(SHORT_CLIPS)
    assert [r.path.name for r in report.results] == sorted(f"{name}.mp4" for name in SHORT_CLIPS)
    assert intervals(out) == one_at_a_time
    assert report.report_path and report.report_path.is_file()


def test_on_ray_each_recording_gets_its_own_cameras_settings(ray_cluster, tmp_path):
    from highlight.layers import CAMERA_FILE, SettingsLayers
    from tests.test_camera_file import (
        BL_REGION,
        BOTTOM_LEFT,
        TOP_RIGHT,
        TR_REGION,
        assert_only,
        camera_file,
        found,
        render_two_corners,
    )

    root = tmp_path / "in"
    camera_file(root / "cam_a", TR_REGION)
    camera_file(root / "cam_b", BL_REGION)
    render_two_corners(root / "cam_a" / "a.mp4")
    shutil.copy(root / "cam_a" / "a.mp4", root / "cam_b" / "b.mp4")  # a link to it would be the same file, run once
    out = tmp_path / "out"
    report = run_batch([root], SettingsLayers(base=SETTINGS), out, quiet=True, executor="ray")
    assert [r.status for r in report.results] == ["done", "done"]
    assert_only(found(out / "cam_a" / "a"), TOP_RIGHT)
    assert_only(found(out / "cam_b" / "b"), BOTTOM_LEFT)
    assert manifests.load(out / "cam_b" / "b").settings_from["regions"] == str(root / "cam_b" / CAMERA_FILE)


@dataclass(frozen=True)
class DyingTask:
    """A task whose worker process dies (as in a decoder crash) the first ``deaths`` times it runs."""

    video: Path
    deaths: int
    out_dir: Path | None = None

    def with_threads(self, threads: int) -> DyingTask:
        return self

    def run(self, progress=None) -> VideoResult:
        tries = self.video.with_suffix(".tries")
        count = int(tries.read_text()) if tries.exists() else 0
        # Counted by rename: when one worker dies the pool kills the other, maybe mid-write,
        # and a half-written count would fail the next try with a ValueError, not a death.
        tries.with_suffix(".next").write_text(str(count + 1))
        os.replace(tries.with_suffix(".next"), tries)
        if count < self.deaths:
            os._exit(1)
        return VideoResult(self.video, None, "done")


def test_a_dead_pool_worker_costs_its_files_one_retry_then_a_one_line_failure(tmp_path):
    tasks = [DyingTask(tmp_path / "dies_once.mp4", 1), DyingTask(tmp_path / "dies_always.mp4", 99)]
    with WorkerPool(2) as pool:
        results = {r.path.name: r for r in pool.results(tasks, lambda video: None)}
    assert results["dies_once.mp4"].status == "done"
    assert results["dies_always.mp4"].status == "failed"
    assert results["dies_always.mp4"].error == f"{tmp_path / 'dies_always.mp4'}: its worker process died"


def ray_task_pids(title: str) -> list[int]:
    """Processes whose title says they run ``title`` (Ray names a busy worker ``ray::TASK``)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if command.startswith(f"ray::{title}"):
                pids.append(int(entry.name))
    return pids


def test_a_worker_killed_mid_file_is_retried_and_the_recording_completed_once(ray_cluster, shared, tmp_path):
    from highlight.executors.ray_cluster import TASK_NAME

    folder = linked_folder(shared, tmp_path / "in", [LONG_CLIP])
    reference = run_batch([folder], SETTINGS, tmp_path / "local", quiet=True)
    assert reference.results[0].status == "done"
    out, outcome = tmp_path / "ray", {}
    batch = threading.Thread(
        target=lambda: outcome.update(report=run_batch([folder], SETTINGS, out, quiet=True, executor="ray"))
    )
    batch.start()
    deadline, victim = time.monotonic() + 120, None
    while victim is None and time.monotonic() < deadline and batch.is_alive():
        pids = ray_task_pids(TASK_NAME)
        if pids and (out / LONG_CLIP).is_dir():  # the worker has started writing this recording
            victim = pids[0]
        time.sleep(0.02)
    assert victim, "no Ray worker was seen running the recording"
    os.kill(victim, signal.SIGKILL)
    left = manifests.load_if_present(out / LONG_CLIP)
    assert left is None or not left.complete  # killed mid-file: nothing looks finished
    batch.join(timeout=300)
    assert not batch.is_alive()
    results = outcome["report"].results
    assert [(r.path.name, r.status) for r in results] == [(f"{LONG_CLIP}.mp4", "done")]  # once, completed
    assert intervals(out) == intervals(tmp_path / "local")
    assert not list((out / LONG_CLIP).glob(".*tmp*"))


def test_without_ray_executor_ray_says_how_to_install_it(tmp_path, clips):
    blocked = (
        "import sys; sys.modules['ray'] = None; sys.argv = ['highlight', *sys.argv[1:]]; "
        "from highlight.cli import main; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", blocked, "run", str(clips), "--out", str(tmp_path), "--executor", "ray", "-q"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: --executor ray needs ray, which is not installed: {install_line(EXECUTORS['ray'].extra)}"
    ]


def test_watch_on_ray_processes_each_file_exactly_once(ray_cluster, clips, one_at_a_time, tmp_path):
    out = tmp_path / "watch-out"
    config = WatchConfig(
        folders=[clips],
        out=out,
        settings=SETTINGS,
        settle=0.2,
        workers=2,
        exit_when_idle=True,
        executor="ray",
    )
    for _ in range(2):  # the second start finds everything done: nothing runs again
        assert Watcher(replace(config)).run() == 0
        with Store(out / STORE_FILE) as store:
            records = store.records()
        assert sorted((Path(r.path).name, r.status, r.attempts) for r in records) == [
            (f"{name}.mp4", "done", 1) for name in sorted(SHORT_CLIPS)
        ]
    assert intervals(out) == one_at_a_time
