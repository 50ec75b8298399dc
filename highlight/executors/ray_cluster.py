"""A Ray cluster: one Ray task per recording.

Each task declares what it uses (``CPUS_PER_TASK``; a GPU with ``--model`` where the
cluster has one), so Ray places as many recordings on a node as it has cores. A task
runs ``runner.run_video`` on the node Ray picks and writes the outputs where a local run
writes them: the paths are absolute, so on several machines the recordings and the
output folder must be on a filesystem every node mounts at the same path.

A worker that dies mid-file (killed, out of memory, a crashed decoder, a node lost) is
Ray's to retry (``max_retries``): outputs are renamed into place only when complete and
the manifest says ``complete`` only at the end, so the retry finds nothing that looks
finished, resumes from what was complete, and the batch counts the recording once.

``--ray-address``: ``auto`` (the cluster this machine belongs to, started with
``ray start``), ``ray://HOST:10001`` (Ray Client), or none: a Ray started for this
command on this machine, stopped at its end. A Ray already initialised in this
process (a notebook, the tests) is used as it is.

``highlight watch --executor ray`` submits each job as a Ray task too (``RayJob``); the
daemon keeps its SQLite record and supervises the task as it does a local child.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from highlight import HighlightError
from highlight.atomic import write_json
from highlight.executors import EXECUTORS, DisplayFor, Executor, ExecutorRequest, VideoTask, failed
from highlight.extras import install_line
from highlight.runner import VideoResult

log = logging.getLogger(__name__)

CPUS_PER_TASK = 1  # the frame loop is one core's work; the task's clip encoder gets as many threads
MAX_RETRIES = 3  # Ray's default for tasks, stated: a recording survives this many dead workers
TASK_NAME = "highlight_recording"  # the worker's process title while it runs one ("ray::highlight_recording")


def import_ray() -> Any:
    """Ray, or a one-line error saying how to install it."""
    try:
        import ray
    except ImportError:
        raise HighlightError(f"--executor ray needs Ray ({install_line(EXECUTORS['ray'].extra)})") from None
    return ray


def connect(address: str | None) -> bool:
    """Join the cluster at ``address`` (None: start one here); False when Ray was already initialised."""
    ray = import_ray()
    if ray.is_initialized():
        return False
    try:
        ray.init(
            address=None if address in (None, "", "none", "local") else address,
            logging_level=logging.WARNING,
            include_dashboard=False,
            configure_logging=True,
        )
    except Exception as error:  # noqa: BLE001 - Ray raises many kinds; the user needs one line
        where = address or "a local Ray"
        raise HighlightError(f"ray: cannot start or reach {where}: {str(error).splitlines()[0]}") from None
    return True


def task_options(settings_model: str | None) -> dict[str, Any]:
    """The resources one recording declares: CPUs, and a GPU for --model when the cluster has one."""
    ray = import_ray()
    gpus = 1 if settings_model and ray.cluster_resources().get("GPU", 0) >= 1 else 0
    return {"num_cpus": CPUS_PER_TASK, "num_gpus": gpus, "max_retries": MAX_RETRIES, "name": TASK_NAME}


def make_ray(request: ExecutorRequest, tasks: Sequence[VideoTask]) -> Executor:
    """The Ray executor, connected (``--jobs`` does not apply: the cluster's resources decide)."""
    return RayExecutor(request.ray_address)


class RayExecutor(Executor):
    """One Ray task per recording, results in the order the cluster finishes them."""

    def __init__(self, address: str | None):
        self.started_here = connect(address)

    def results(self, tasks: Sequence[VideoTask], display_for: DisplayFor) -> Iterator[VideoResult]:
        """Submit one task per recording; yield results as they finish."""
        ray = import_ray()
        remote = ray.remote(run_recording)
        pending: dict[Any, VideoTask] = {}
        for task in tasks:
            task = replace(task, video=task.video.absolute(), out_dir=task.out_dir.absolute())
            options = task_options(task.settings.model)
            pending[remote.options(**options).remote(task.with_threads(options["num_cpus"]))] = task
        try:
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                for ref in ready:
                    task = pending.pop(ref)
                    yield self._result(ref, task)
        except BaseException:
            for ref in pending:  # Ctrl-C: the cluster stops these files too
                ray.cancel(ref, force=True)
            raise

    @staticmethod
    def _result(ref: Any, task: VideoTask) -> VideoResult:
        """The task's result, or a failure naming the file when Ray gave up on it (retries spent)."""
        ray = import_ray()
        try:
            return ray.get(ref)
        except ray.exceptions.RayError as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            return failed(task, f"{task.video}: on the Ray cluster: {reason}")

    def close(self) -> None:
        """Stop the Ray this command started (a cluster it joined keeps running)."""
        if self.started_here:
            import_ray().shutdown()
            self.started_here = False


def run_recording(task: VideoTask) -> VideoResult:
    """The body of a Ray task: one recording, on whichever node Ray chose."""
    return task.run()


# -- the watch daemon's jobs ----------------------------------------------------------------


class RayJob:
    """A watch job running as a Ray task, supervised by the daemon like its local worker children.

    It answers the few calls the daemon makes of a ``subprocess.Popen`` (``pid``,
    ``returncode``, ``poll``, ``wait``, ``kill``), and, as a local worker does, leaves
    its result in ``result_file`` for the daemon to read; so the daemon's record, retries,
    timeouts and stop work the same for both.
    """

    pid = 0  # no local process: the task runs on whichever node Ray chose

    def __init__(self, ref: Any, result_file: Path):
        self.ref = ref
        self.result_file = result_file
        self.returncode: int | None = None

    def poll(self) -> int | None:
        """The exit status once the task is over (0: it wrote its result), else None; never blocks."""
        if self.returncode is None:
            ready, _ = import_ray().wait([self.ref], timeout=0)
            if ready:
                self._collect()
        return self.returncode

    def wait(self) -> int:
        """Block until the task is over (or cancelled)."""
        if self.returncode is None:
            self._collect()
        return self.returncode

    def kill(self) -> None:
        """Stop the task wherever it runs (a job timeout, the daemon stopping)."""
        if self.returncode is None:
            import_ray().cancel(self.ref, force=True)

    def _collect(self) -> None:
        ray = import_ray()
        try:
            write_json(self.result_file, ray.get(self.ref))
            self.returncode = 0
        except ray.exceptions.RayError as error:
            log.warning("ray task for %s: %s", self.result_file.name, str(error).strip().splitlines()[:1])
            self.returncode = 1


def submit_watch_job(job: dict[str, Any], result_file: Path) -> RayJob:
    """Run a watch daemon's job (``highlight.watch.worker.run_job``) as a Ray task."""
    options = task_options(job["settings"].get("model"))
    job = {**job, "clip_threads": options["num_cpus"]}
    return RayJob(import_ray().remote(run_watch_job).options(**options).remote(job), result_file)


def run_watch_job(job: dict[str, Any]) -> dict[str, Any]:
    """The body of a watch job's Ray task: what the local worker child would do, as a result dict."""
    from highlight.watch.worker import run_job

    return run_job(job).to_dict()
