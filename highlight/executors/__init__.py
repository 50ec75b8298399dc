"""Where recordings are processed: one interface, backends apart (as PySceneDetect keeps its video backends).

``run_batch`` hands an ``Executor`` the recordings as ``VideoTask``s and collects one
``VideoResult`` per task, in the order they finish; it never knows whether they ran in
this process, in worker processes on this machine or on a Ray cluster. Every backend
runs the same ``runner.run_video``, so the outputs are the same whichever ran them.

The executors are declared once, in ``EXECUTORS``: ``--executor``'s choices and help,
and the README's list, are read from it. A backend's module is imported only when it is
chosen, so Ray is needed only for ``--executor ray``.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from highlight import HighlightError

if TYPE_CHECKING:  # the CLI reads EXECUTORS for its help: no decoder imports for that
    from highlight.runner import ProgressDisplay, VideoResult
    from highlight.settings import RunSettings

# A progress display per recording (the batch's per-video bar); backends that run the
# recordings elsewhere do not call it.
DisplayFor = Callable[[Path], "ProgressDisplay"]


@dataclass(frozen=True)
class VideoTask:
    """One recording to process: everything ``run_video`` needs, picklable for another process or machine."""

    video: Path
    out_dir: Path
    settings: RunSettings
    force: bool = False
    timelines: tuple[str, ...] = ()

    def run(self, progress: ProgressDisplay | None = None) -> VideoResult:
        """Process it here (skip it when already done); never raises for a bad file."""
        from highlight.runner import no_progress, run_video

        progress = progress or no_progress
        return run_video(self.video, self.out_dir, self.settings, self.force, self.timelines, progress=progress)

    def with_threads(self, threads: int) -> VideoTask:
        """The same task encoding with ``threads`` threads: parallel jobs share the cores instead of each taking all."""
        return replace(self, settings=replace(self.settings, clip=replace(self.settings.clip, threads=max(1, threads))))


def failed(task: VideoTask, error: str) -> VideoResult:
    """A file whose worker could not finish it (it died, its retries spent): the result, no temporaries left."""
    from highlight.atomic import remove_stale_temporaries
    from highlight.runner import VideoResult

    if task.out_dir is not None:
        remove_stale_temporaries(task.out_dir)
    return VideoResult(task.video, task.out_dir, "failed", error=error)


class Executor(ABC):
    """Runs tasks and yields their results as they finish; a context manager that frees its workers."""

    # Whether ``results`` drives the per-video display it is given. Backends that run
    # recordings in other processes do not: the batch prints a line per finished video.
    shows_video_progress = False

    @abstractmethod
    def results(self, tasks: Sequence[VideoTask], display_for: DisplayFor) -> Iterator[VideoResult]:
        """One result per task, in completion order; a task that cannot run is a ``failed`` result."""

    def close(self) -> None:  # noqa: B027 - a backend with nothing to free need not say so
        """Free the workers (processes, the connection to a cluster)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


@dataclass(frozen=True)
class ExecutorRequest:
    """What the command line asks of an executor."""

    jobs: int | None = None  # recordings at once on this machine; None: from cores and memory
    ray_address: str | None = None  # --ray-address: auto, ray://host:10001, or None for a local Ray


ONE_JOB = ExecutorRequest(jobs=1)  # the library's default: one recording after the other, in this process


@dataclass(frozen=True)
class ExecutorKind:
    name: str  # as given to --executor
    description: str  # the help and README line
    factory: str  # "module:function" building the Executor from (request, tasks)
    extra: str = ""  # the extra it needs (highlight.extras), checked before any work

    def make(self, request: ExecutorRequest, tasks: Sequence[VideoTask]) -> Executor:
        """The backend, imported only now (Ray only when asked for)."""
        module, function = self.factory.split(":")
        return getattr(importlib.import_module(module), function)(request, tasks)


EXECUTORS = {
    kind.name: kind
    for kind in [
        ExecutorKind(
            "local",
            "this machine (`run --jobs N`: N recordings at once in worker processes; `watch --workers N`)",
            "highlight.executors.local:make_local",
        ),
        ExecutorKind(
            "ray",
            "a Ray cluster (--ray-address): one task per recording, retried if its worker dies",
            "highlight.executors.ray_cluster:make_ray",
            extra="ray",
        ),
    ]
}


def make_executor(name: str, request: ExecutorRequest, tasks: Sequence[VideoTask]) -> Executor:
    """The executor called ``name``, or a one-line error listing the choices."""
    if name not in EXECUTORS:
        raise HighlightError(f"unknown executor {name!r}; choose from: {', '.join(EXECUTORS)}")
    return EXECUTORS[name].make(request, tasks)
