"""The watch loop: events and scans -> settle -> record -> workers.

One thread does all the bookkeeping (the watchdog observer only hands paths over
through a queue), so the store, the settle tracker and the running jobs need no locks:

    every tick:  new paths from watchdog  -> SettleTracker
                 periodic rescan          -> SettleTracker   (events can be missed)
                 files that have settled  -> Store.offer     (queued unless done in this state)
                 finished workers         -> Store.finish / Store.fail (retry with backoff)
                 free worker slots        -> start children  (only within --active-hours)

SIGINT and SIGTERM set a flag; the loop then stops the observer, abandons the file in
progress (its child's process group is killed, its row goes back to ``queued`` without
counting the attempt, and the temporary files it left are removed) and exits 0. What a
stopped or killed worker leaves behind never looks finished: every output is renamed
into place only when complete, and the manifest says ``complete`` only at the very end.

With ``--executor ray`` a job is a Ray task instead of a child (``RayJob`` in
``highlight.executors.ray_cluster``): it answers the same poll/wait/kill and leaves the
same result file, so the record, retries, timeouts and stop above are unchanged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from highlight import HighlightError
from highlight.atomic import write_json
from highlight.batch import plan_outputs
from highlight.discover import find_videos, is_inside, printable
from highlight.folder_lock import remove_temporaries_when_free
from highlight.layers import SettingsLayers
from highlight.runner import VideoResult
from highlight.settings import RunSettings
from highlight.stop_signals import stopped_by_signals
from highlight.table import format_table
from highlight.units import format_timestamp
from highlight.watch.stability import SettleTracker, is_candidate
from highlight.watch.store import STORE_FILE, Record, Store
from highlight.watch.worker import length_file_for, read_video_seconds

log = logging.getLogger("highlight.watch")

LOG_FILE = "watch.log"
LOCK_FILE = "watch.lock"
JOBS_DIR = ".watch-jobs"
STOP_GRACE_SECONDS = 5.0


# -- configuration --------------------------------------------------------------------


@dataclass(frozen=True)
class ActiveHours:
    """A daily window such as 22:00-07:00 (it may wrap past midnight)."""

    start: dt.time
    end: dt.time

    @classmethod
    def parse(cls, text: str) -> ActiveHours:
        try:
            start, end = (dt.time.fromisoformat(part.strip()) for part in text.split("-"))
        except ValueError:
            raise ValueError(f"not a time window: {text!r} (use HH:MM-HH:MM, e.g. 22:00-07:00)") from None
        return cls(start, end)

    def contains(self, moment: dt.time) -> bool:
        if self.start == self.end:
            return True
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


# Without --job-timeout a file is given up after JOB_TIMEOUT_PER_SECOND x its length,
# and never sooner than JOB_TIMEOUT_FLOOR. Measured (benchmarks/bench_faults.py, a 51 s
# recording with clips): a run takes 0.5-1.0 x the length on a 2-core machine loaded
# about ten times over by other work (0.60 default, 0.49 --full-scan, 0.99 with
# --slowmo 0.5 --reel), and 1/8 to 1/30 of it on an idle one (README, Performance).
# Ten times the length is ten times the slowest of those, under that load (--model and
# pose plugins, which add work per sampled frame, were not measured). So only a file
# that has stopped making progress (a decoder or encoder that hangs, a plugin stuck
# on a lock) reaches it. The floor covers what does not grow with the length: start-up,
# imports, loading a model, probing a file on a slow share, and the time before the
# worker has told the length (until then the floor alone applies).
JOB_TIMEOUT_PER_SECOND = 10.0
JOB_TIMEOUT_FLOOR = 600.0


def default_job_timeout(video_seconds: float | None, floor: float, per_second: float) -> float:
    """The time limit of a job without --job-timeout: ``per_second`` x the recording's length, at least ``floor``."""
    return max(floor, per_second * (video_seconds or 0.0))


@dataclass
class WatchConfig:
    folders: list[Path]
    out: Path
    settings: RunSettings | SettingsLayers = field(default_factory=RunSettings)  # layers: per recording
    exports: list[str] = field(default_factory=list)  # editor timelines per video, as `run --export`
    report: bool = True  # rebuild OUT/report.html after each file, as `run` does after a batch
    settle: float = 10.0
    workers: int = 1
    max_attempts: int = 3
    retry_delay: float = 60.0
    active_hours: ActiveHours | None = None
    rescan: float = 600.0
    job_timeout: float | None = None  # None: default_job_timeout, from the recording's length
    job_timeout_floor: float = JOB_TIMEOUT_FLOOR
    job_timeout_per_second: float = JOB_TIMEOUT_PER_SECOND
    poll: bool = False
    retry_failed: bool = False
    exit_when_idle: bool = False  # for tests and one-shot use: stop once nothing is left to do
    verbose: bool = False
    executor: str = "local"  # "ray": jobs run as tasks on a Ray cluster instead of local children
    ray_address: str | None = None

    @property
    def store_path(self) -> Path:
        return self.out / STORE_FILE


def model_identity(settings: RunSettings) -> str:
    """What the model folder holds (names, sizes, mtimes): a model retrained in place counts as new."""
    if not settings.model:
        return ""
    folder = Path(settings.model)
    files = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else [folder]
    digest = hashlib.sha256()
    for path in files:
        stat = path.stat()
        digest.update(
            f"{path.relative_to(folder) if folder.is_dir() else path.name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode()
        )
    return digest.hexdigest()[:16]


def job_key(settings: RunSettings) -> str:
    """The settings key plus the model's identity: what decides whether a file is done."""
    return hashlib.sha256(f"{settings.key}|{model_identity(settings)}".encode()).hexdigest()[:16]


# -- the daemon -----------------------------------------------------------------------


@dataclass
class _Job:
    record: Record
    process: subprocess.Popen
    started: float  # time.monotonic()
    job_file: Path
    result_file: Path
    video_seconds: float | None = None  # the recording's length, once the worker has told it


class Watcher:
    def __init__(self, config: WatchConfig):
        self.config = config
        self.out = config.out.expanduser().resolve()
        self.roots = [p.expanduser().resolve() for p in config.folders]
        self.tracker = SettleTracker(config.settle)
        self.events: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()
        self.running: dict[str, _Job] = {}
        self.stopping = threading.Event()
        self._plans: dict[Path, dict[Path, Path]] = {}
        self._paused_logged = False
        self.reporter: subprocess.Popen | None = None  # a report-only child, after a final failure
        self._report_wanted = False
        self.store: Store | None = None

    # -- lifecycle ------------------------------------------------------------------

    def run(self) -> int:
        self.out.mkdir(parents=True, exist_ok=True)
        lock = _acquire_lock(self.out / LOCK_FILE)
        self.store = Store(self.config.store_path)
        observer, ray_started_here = None, False
        signals = contextlib.ExitStack()
        try:
            # Ray first: it may set signal handlers of its own, and ours must win.
            ray_started_here = self.config.executor == "ray" and _connect_ray(self.config.ray_address)
            signals.enter_context(stopped_by_signals(self.stopping, "stopping"))
            self._recover()
            observer = self._start_observer()
            self._scan("start-up scan")
            log.info(
                "watching %s -> %s (settle %s, %d worker%s%s)",
                ", ".join(map(str, self.roots)),
                self.out,
                _seconds(self.config.settle),
                self.config.workers,
                "" if self.config.workers == 1 else "s",
                f", active {self.config.active_hours}" if self.config.active_hours else "",
            )
            self._loop()
        finally:
            if observer is not None:
                observer.stop()
                observer.join(timeout=5)
            self._abandon_all()
            self.store.close()
            signals.close()
            if ray_started_here:
                _disconnect_ray()
            lock.close()
        log.info("stopped")
        return 0

    def _recover(self) -> None:
        """Re-queue what a killed daemon left running; clear its job files and temporaries."""
        jobs = self.out / JOBS_DIR
        if jobs.is_dir():
            for leftover in jobs.iterdir():
                leftover.unlink(missing_ok=True)
        for record in self.store.requeue_interrupted():
            remove_temporaries_when_free(Path(record.out_dir))
            if record.attempts >= self.config.max_attempts:
                reason = f"{record.path}: interrupted mid-file {record.attempts} times"
                self.store.fail(record.path, reason, self.config.max_attempts, self.config.retry_delay)
                log.error("failed %s: %s", self._name(record.path), reason)
            else:
                log.info("re-queued %s (interrupted last time)", self._name(record.path))
        if self.config.retry_failed:
            count = self.store.retry_failed()
            if count:
                log.info("re-queued %d failed file%s (--retry-failed)", count, "" if count == 1 else "s")

    def _start_observer(self):
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        handler = _EventHandler(self.events)
        for kind in [PollingObserver] if self.config.poll else [Observer, PollingObserver]:
            observer = kind()
            try:
                for root in self.roots:
                    if not root.is_dir():
                        raise HighlightError(f"{root}: not a folder (watch takes folders)")
                    observer.schedule(handler, str(root), recursive=True)
                observer.start()
                return observer
            except OSError as error:  # e.g. the inotify watch limit: polling still works
                log.warning("file events unavailable (%s); polling the folder instead", error)
        raise HighlightError("cannot watch the folder")

    # -- the loop ---------------------------------------------------------------------

    def _loop(self) -> None:
        tick = max(0.05, min(0.25, self.config.settle / 4))
        next_rescan = time.monotonic() + self.config.rescan
        while not self.stopping.is_set():
            self._drain_events()
            if time.monotonic() >= next_rescan:
                self._scan("rescan")
                next_rescan = time.monotonic() + self.config.rescan
            for path in self.tracker.settled(time.monotonic()):
                self._offer(path)
            self._reap()
            self._start_ready()
            if self.config.exit_when_idle and self._idle():
                log.info("nothing left to do (--exit-when-idle)")
                break
            self.stopping.wait(tick)

    def _idle(self) -> bool:
        return (
            not len(self.tracker)
            and not self.running
            and self.events.empty()
            and self.store.pending() == 0
            and self.reporter is None
            and not self._report_wanted
        )

    def _drain_events(self) -> None:
        while True:
            try:
                kind, path = self.events.get_nowait()
            except queue.Empty:
                return
            if kind == "folder":
                self._scan_folder(Path(path))
            else:
                self._observe(Path(path))

    def _observe(self, path: Path) -> None:
        if is_inside(path, self.out) or not is_candidate(path) or not self._root_of(path):
            return
        self.tracker.observe(path)

    def _scan(self, why: str) -> None:
        for root in self.roots:
            self._scan_folder(root)
        log.debug("%s: %d file%s settling", why, len(self.tracker), "" if len(self.tracker) == 1 else "s")

    def _scan_folder(self, folder: Path) -> None:
        """Track every video below ``folder`` that is not already recorded in its current state."""
        try:
            videos = find_videos([folder], exclude=[self.out])
        except FileNotFoundError:
            return
        for video in videos:  # absolute already (the roots are); symlinks stay as named
            record = self.store.get(video)
            if record and _same_file(record, video) and record.job_key == self._job_key_for(video):
                continue
            self._observe(video)

    def _offer(self, path: Path) -> None:
        if str(path) in self.running:  # changed while being processed: look again when that is over
            self.tracker.observe(path)
            return
        try:
            stat = path.stat()
        except OSError:
            return
        try:
            settings = self._settings_for(path)
        except HighlightError as error:
            log.error("not queued: %s", error)
            return
        out_dir = self._out_dir_for(path)
        outcome = self.store.offer(path, stat.st_size, stat.st_mtime, settings.key, job_key(settings), out_dir)
        if outcome == "new":
            log.info("queued %s", self._name(path))
        elif outcome == "changed":
            log.info("queued %s again: the file or the settings changed since it was processed", self._name(path))
        else:
            log.debug("%s: %s already", self._name(path), outcome)

    def _start_ready(self) -> None:
        free = self.config.workers - len(self.running)
        if free <= 0 or self.stopping.is_set():
            return
        hours = self.config.active_hours
        if hours and not hours.contains(dt.datetime.now().time()):
            if not self._paused_logged and self.store.pending():
                log.info("outside active hours %s: waiting", hours)
                self._paused_logged = True
            return
        self._paused_logged = False
        for record in self.store.ready(time.time(), free + len(self.running) + len(self.tracker)):
            if free <= 0:
                break
            if record.path in self.running or Path(record.path) in self.tracker:
                continue
            if not _same_file(record, Path(record.path)):
                if Path(record.path).exists():
                    self.tracker.observe(Path(record.path))  # changed while queued: settle again
                else:
                    log.info("%s: gone before it was processed", self._name(record.path))
                    self.store.forget(record.path)
                continue
            self._start(record)
            free -= 1

    def _start(self, record: Record) -> None:
        try:
            settings = self._settings_for(Path(record.path))
        except HighlightError as error:  # its highlight.toml changed since it was queued
            self.store.fail(record.path, str(error), self.config.max_attempts, self.config.retry_delay)
            log.error("failed %s: %s", self._name(record.path), error)
            return
        jobs = self.out / JOBS_DIR
        jobs.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="job-", suffix=".json", dir=jobs)
        os.close(fd)
        job_file = Path(name)
        result_file = job_file.with_name(job_file.stem + "-result.json")
        write_json(
            job_file,
            {
                "path": record.path,
                "out_dir": record.out_dir,
                "settings": settings.to_dict(),
                "provenance": settings.provenance(),
                "clip_threads": max(1, settings.clip.threads // self.config.workers),
                "force": bool(record.force),
                "exports": list(self.config.exports),
                "report_out": str(self.out) if self.config.report else None,
                "batch": self._batch_entries(exclude=record.path),
                "parent_pid": os.getpid(),
                "verbose": self.config.verbose,
            },
        )
        process = self._launch(job_file, result_file)
        self.store.start(record.path, process.pid)
        self.running[record.path] = _Job(self.store.get(record.path), process, time.monotonic(), job_file, result_file)
        log.debug("started %s (pid %d, attempt %d)", self._name(record.path), process.pid, record.attempts + 1)

    def _launch(self, job_file: Path, result_file: Path):
        """A local worker child, or with --executor ray a Ray task the daemon supervises the same way."""
        if self.config.executor == "ray":
            from highlight.executors.ray_cluster import submit_watch_job

            job = json.loads(job_file.read_text(encoding="utf-8"))
            return submit_watch_job(job, result_file)
        return _spawn_worker(job_file, result_file)

    def _batch_entries(self, exclude: str = "") -> list[dict]:
        """The record's finished files, in the form report.html lists a batch."""
        return [
            {
                "path": r.path,
                "status": r.status,
                "highlights": r.highlights or 0,
                "run_seconds": round(r.run_seconds or 0.0, 3),
                "error": r.last_error or "",
            }
            for r in self.store.records()
            if r.path != exclude and r.status in ("done", "failed")
        ]

    def _refresh_report(self) -> None:
        """Rebuild report.html in a child (it reads every manifest and may extract stills)."""
        if not self.config.report:
            return
        if self.reporter is not None and self.reporter.poll() is None:
            self._report_wanted = True  # one rebuild at a time; another follows this one
            return
        self._report_wanted = False
        jobs = self.out / JOBS_DIR
        jobs.mkdir(parents=True, exist_ok=True)
        job_file = jobs / "report.json"
        write_json(
            job_file,
            {
                "report_only": True,
                "report_out": str(self.out),
                "batch": self._batch_entries(),
                "parent_pid": os.getpid(),
                "path": "report",
            },
        )
        self.reporter = _spawn_worker(job_file, jobs / "report-result.json")

    def _reap(self) -> None:
        if self.reporter is not None and _has_exited(self.reporter):
            _stop_group(self.reporter)
            self.reporter = None
            if self._report_wanted:
                self._refresh_report()
        for path, job in list(self.running.items()):
            if not _has_exited(job.process):
                limit, why = self._time_limit(job)
                if time.monotonic() - job.started > limit:
                    _stop_group(job.process)
                    self._finish(path, job, None, f"{path}: took longer than {why}; given up")
                continue
            code = _stop_group(job.process)  # and any encoder it left behind
            result = _read_result(job.result_file)
            if result is None and self.stopping.is_set():
                continue  # killed by the same stop (e.g. systemd signalling every process): abandoned, not failed
            self._finish(path, job, result, f"{path}: worker exited with code {code}")

    def _time_limit(self, job: _Job) -> tuple[float, str]:
        """How long ``job`` may run, and the words for the log when it runs longer."""
        if self.config.job_timeout:
            return self.config.job_timeout, f"--job-timeout {_seconds(self.config.job_timeout)}"
        if job.video_seconds is None:
            job.video_seconds = read_video_seconds(length_file_for(job.result_file))
        floor, per_second = self.config.job_timeout_floor, self.config.job_timeout_per_second
        limit = default_job_timeout(job.video_seconds, floor, per_second)
        length = f"{per_second:g} x its length {_seconds(job.video_seconds)}, " if job.video_seconds else ""
        return (
            limit,
            f"the default job timeout {_seconds(limit)} ({length}at least {_seconds(floor)}; see --job-timeout)",
        )

    def _finish(self, path: str, job: _Job, result: VideoResult | None, crash: str) -> None:
        del self.running[path]
        job.job_file.unlink(missing_ok=True)
        job.result_file.unlink(missing_ok=True)
        length_file_for(job.result_file).unlink(missing_ok=True)
        took = time.monotonic() - job.started
        name = self._name(path)
        if result and result.finished:
            self.store.finish(path, result.highlights, took)
            count = result.highlights
            how = "already done by an earlier run" if result.status == "skipped" else f"in {took:.1f}s"
            notes = f" ({'; '.join(result.notes)})" if result.notes else ""
            log.info(
                "done %s: %d highlight%s %s -> %s%s",
                name,
                count,
                "" if count == 1 else "s",
                how,
                job.record.out_dir,
                notes,
            )
            return
        if result and result.status == "busy":
            # Another highlight process (a manual run) is working on this video: not a
            # fault of the file, so no attempt is spent; it is looked at again later.
            self.store.abandon(path, retry_at=time.time() + self.config.retry_delay, why=result.error)
            log.info("%s (no attempt counted); trying again in %s", result.error, _seconds(self.config.retry_delay))
            return
        error = (result.error if result else "") or crash
        remove_temporaries_when_free(Path(job.record.out_dir))
        attempts = self.store.get(path).attempts if self.store.get(path) else job.record.attempts
        retry_at = self.store.fail(path, error, self.config.max_attempts, self.config.retry_delay)
        if retry_at:
            log.warning(
                "failed %s (attempt %d of %d, retry in %s): %s",
                name,
                attempts,
                self.config.max_attempts,
                _seconds(retry_at - time.time()),
                error,
            )
        else:
            log.error("failed %s after %d attempt%s: %s", name, attempts, "" if attempts == 1 else "s", error)
            self._refresh_report()

    def _abandon_all(self) -> None:
        """Stop the files in progress; they are processed again (resumed) on the next start."""
        if self.reporter is not None:
            _stop_group(self.reporter)
        for path, job in list(self.running.items()):
            _kill_group(job.process, signal.SIGTERM)
            deadline = time.monotonic() + STOP_GRACE_SECONDS
            while not _has_exited(job.process) and time.monotonic() < deadline:
                time.sleep(0.05)
            _stop_group(job.process)
            remove_temporaries_when_free(Path(job.record.out_dir))
            self.store.abandon(path)
            job.job_file.unlink(missing_ok=True)
            job.result_file.unlink(missing_ok=True)
            length_file_for(job.result_file).unlink(missing_ok=True)
            del self.running[path]
            log.info("abandoned %s: it will be processed again on the next start", self._name(path))

    # -- paths ------------------------------------------------------------------------

    def _root_of(self, path: Path) -> Path | None:
        return next((root for root in self.roots if is_inside(path, root)), None)

    def _settings_for(self, path: Path) -> RunSettings:
        """The recording's settings: with layers, resolved with its folder's highlight.toml (HighlightError if wrong)."""
        settings = self.config.settings
        return settings.resolve(path, self._root_of(path)) if isinstance(settings, SettingsLayers) else settings

    def _job_key_for(self, path: Path) -> str | None:
        """What decides whether the recording is done (None while its settings cannot be resolved)."""
        try:
            return job_key(self._settings_for(path))
        except HighlightError:
            return None

    def _out_dir_for(self, path: Path) -> Path:
        """The folder `highlight run ROOT --out OUT` would use, kept once recorded."""
        record = self.store.get(path)
        if record:
            return Path(record.out_dir)
        root = self._root_of(path) or path.parent
        if path not in self._plans.get(root, {}):
            self._plans[root] = dict(plan_outputs([root], self.out))
        relative = path.relative_to(root)
        folder = self._plans[root].get(path, self.out / relative.with_suffix(""))
        owner = self.store.folder_owner(folder)
        if owner and owner != str(path):  # a same-named recording (IMG_0001.mov beside .mp4) came first
            folder = self.out / relative.with_name(relative.name.replace(".", "_"))
        return folder

    def _name(self, path: str | Path) -> str:
        path = Path(path)
        root = self._root_of(path)
        return str(path.relative_to(root)) if root else str(path)


class _EventHandler:
    """Hands watchdog's events to the main loop; does nothing else on the observer thread."""

    def __init__(self, events: queue.SimpleQueue):
        self.events = events

    def dispatch(self, event) -> None:
        if event.event_type not in ("created", "modified", "moved", "closed"):
            return
        path = getattr(event, "dest_path", "") or event.src_path
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if event.is_directory:
            if event.event_type in ("created", "moved"):  # a folder of recordings moved in at once
                self.events.put(("folder", path))
        else:
            self.events.put(("file", path))


# -- helpers ----------------------------------------------------------------------------


def _acquire_lock(path: Path):
    """One daemon per output folder: two would process the same files into the same folders."""
    handle = open(path, "a+")
    try:
        import fcntl

        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except ImportError:  # not POSIX: no lock, documented
        return handle
    except OSError:
        handle.seek(0)
        owner = handle.read().strip()
        handle.close()
        raise HighlightError(
            f"{path.parent}: another `highlight watch` is already using this output folder"
            + (f" (pid {owner})" if owner else "")
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def _spawn_worker(job_file: Path, result_file: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "highlight.watch.worker", str(job_file), str(result_file)],
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: stopped as one, deaf to the terminal's Ctrl-C
    )


def _connect_ray(address: str | None) -> bool:
    from highlight.executors.ray_cluster import connect

    return connect(address)


def _disconnect_ray() -> None:
    from highlight.executors.ray_cluster import import_ray

    import_ray().shutdown()


def _has_exited(process: subprocess.Popen) -> bool:
    """Whether the child has exited, without reaping it: while it is a zombie its process
    group id cannot be reused, so killing that group cannot hit an unrelated process."""
    if not isinstance(process, subprocess.Popen):  # a Ray task (RayJob): no process group here
        return process.poll() is not None
    if process.returncode is not None:
        return True
    try:
        return os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except (AttributeError, ChildProcessError):  # no waitid on this platform
        return process.poll() is not None


def _stop_group(process: subprocess.Popen) -> int:
    """Kill the child's whole process group (encoders it started included), then reap it."""
    if process.returncode is None:
        _kill_group(process)
    return process.wait()


def _kill_group(process: subprocess.Popen, signum: int = signal.SIGKILL) -> None:
    if not isinstance(process, subprocess.Popen):  # a Ray task: cancelled on its node
        process.kill()
        return
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _read_result(path: Path) -> VideoResult | None:
    """The worker's result; None where it died before writing one (or wrote something else)."""
    try:
        return VideoResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _same_file(record: Record, path: Path) -> bool:
    try:
        stat = path.stat()
    except OSError:
        return False
    return stat.st_size == record.size and abs(stat.st_mtime - record.mtime) < 1e-3


def _seconds(value: float) -> str:
    return f"{value:.3g}s" if value < 60 else format_timestamp(value, 0)


# -- `highlight watch --status` ------------------------------------------------------------


def format_status(records: list[Record], roots: list[Path] = ()) -> str:
    """The record as a table, newest activity last."""
    if not records:
        return "no files recorded yet"
    rows = [("status", "tries", "highlights", "took", "updated", "file", "last error")]
    for r in records:
        path = Path(r.path)
        root = next((Path(x).resolve() for x in roots if is_inside(path, Path(x))), None)
        rows.append(
            (
                r.status,
                str(r.attempts),
                str(r.highlights) if r.highlights is not None else "-",
                f"{r.run_seconds:.1f}s" if r.run_seconds is not None else "-",
                time.strftime("%Y-%m-%d %H:%M", time.localtime(r.updated)),
                printable(path.relative_to(root) if root else path),
                (r.last_error or "").replace(f"{r.path}: ", "") if r.status != "done" else "",
            )
        )
    lines = format_table(rows)
    counts = {s: sum(r.status == s for r in records) for s in ("done", "queued", "running", "failed")}
    lines.append(", ".join(f"{n} {s}" for s, n in counts.items()))
    return "\n".join(lines)
