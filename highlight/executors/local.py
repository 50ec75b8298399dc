"""This machine: one recording at a time in this process, or ``--jobs N`` in worker processes.

Why worker processes and not threads: decoding, scoring and the frame loop hold the GIL
for much of their time, so threads would not use a second core. The workers are
*spawned* (a fresh interpreter, no forked copy of the parent's threads and locks) and
kept for the whole batch, so their imports are paid once per worker, not per file.
Each worker ends with the command (``die_with_parent``), ignores the terminal's Ctrl-C
(the command decides what it means), and a worker that dies mid-file (a crash in a
decoder) costs that file one retry in a fresh pool, then a one-line failure.

The default number of jobs (``default_jobs``): one per core, no more than the free
memory allows (``MEMORY_PER_JOB``, twice that with ``--model``) and no more than there
are recordings. The clip encoder's threads are shared out between the jobs, so a
single recording still gets every core, and N recordings do not each start N threads.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from highlight.executors import DisplayFor, Executor, ExecutorRequest, VideoTask, failed
from highlight.runner import VideoResult, one_line_error
from highlight.terminal import log_to_terminal

# bench_run.py measures about 250 MB at the peak of a 1080p analysis; the clip encoder
# (an ffmpeg child) and plugins (MediaPipe) come on top: 1 GiB a job leaves that room.
MEMORY_PER_JOB = 2**30
ATTEMPTS_AFTER_A_CRASH = 2  # a file whose worker dies alone gets one more try (a decoder crash may be chance)


def usable_cores() -> int:
    """The cores this process may run on (a container's or taskset's limit, not the machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def available_memory() -> float | None:
    """Bytes of memory free for new processes, where the system says (Linux); None elsewhere."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def default_jobs(tasks: Sequence[VideoTask]) -> int:
    """Recordings at once when --jobs is not given: cores, bounded by free memory and the number of recordings."""
    per_job = MEMORY_PER_JOB * (2 if any(t.settings.model for t in tasks) else 1)
    memory = available_memory()
    by_memory = int(memory // per_job) if memory is not None else usable_cores()
    return max(1, min(usable_cores(), by_memory, len(tasks)))


def make_local(request: ExecutorRequest, tasks: Sequence[VideoTask]) -> Executor:
    """In this process for one job, else a pool of worker processes."""
    jobs = request.jobs or default_jobs(tasks)
    return InProcess() if jobs <= 1 else WorkerPool(jobs)


class InProcess(Executor):
    """Today's behaviour: one recording after the other, with its own progress bar."""

    shows_video_progress = True

    def results(self, tasks: Sequence[VideoTask], display_for: DisplayFor) -> Iterator[VideoResult]:
        """Each task in turn, here."""
        for task in tasks:
            yield task.run(progress=display_for(task.video))


class WorkerPool(Executor):
    """``jobs`` spawned worker processes, each running whole recordings."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self.pool: ProcessPoolExecutor | None = None

    def results(self, tasks: Sequence[VideoTask], display_for: DisplayFor) -> Iterator[VideoResult]:
        """Yield results as workers finish them, with no more tasks in flight than workers.

        A worker that dies takes its whole pool down, and the pool does not say whose
        task killed it: every task in flight fails alike. So the tasks in flight when a
        pool broke are run again one at a time, and only a task that kills a pool it has
        to itself is charged for it (one more try, then a one-line failure). Keeping no
        more in flight than workers keeps the files not yet started out of it.
        """
        threads = max(1, usable_cores() // self.jobs)
        waiting = deque(range(len(tasks)))  # not started yet
        suspects: deque[int] = deque()  # in flight when a pool broke: run again alone
        crashes = dict.fromkeys(range(len(tasks)), 0)
        running: dict[Future, tuple[int, bool]] = {}  # future -> (task, ran alone)
        broken = False
        try:
            while waiting or suspects or running:
                if broken and not running:
                    self.close()
                    broken = False
                if not broken:
                    self._fill(running, suspects or waiting, 1 if suspects else self.jobs, tasks, threads)
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    index, alone = running.pop(future)
                    task = tasks[index]
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        broken = True
                        if alone:  # it killed a pool it had to itself
                            crashes[index] += 1
                        if crashes[index] < ATTEMPTS_AFTER_A_CRASH:
                            suspects.append(index)
                            continue
                        result = failed(task, f"{task.video}: its worker process died")
                    except Exception as error:  # noqa: BLE001 - e.g. a result that cannot come back: this file only
                        result = failed(task, one_line_error(task.video, error))
                    yield result
        except BaseException:
            self.stop()  # Ctrl-C: do not wait for the files in flight
            raise

    def _fill(self, running: dict, source: deque, limit: int, tasks: Sequence[VideoTask], threads: int) -> None:
        """Start tasks from ``source`` until ``limit`` are in flight (a fresh pool if there is none)."""
        if self.pool is None:
            self.pool = ProcessPoolExecutor(
                self.jobs,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=prepare_worker,
                initargs=(os.getpid(), logging.getLogger().level),
            )
        while source and len(running) < limit:
            index = source.popleft()
            running[self.pool.submit(run_task, tasks[index].with_threads(threads))] = (index, limit == 1)

    def stop(self) -> None:
        """Kill the workers now (their files are resumed by the next run)."""
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            for child in multiprocessing.active_children():
                child.kill()
            self.pool = None

    def close(self) -> None:
        """Let the workers exit."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def prepare_worker(parent_pid: int, log_level: int) -> None:
    """In each worker: end with the command, leave Ctrl-C to it, log as it does."""
    from highlight.watch.worker import die_with_parent

    die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    log_to_terminal(verbose=log_level <= logging.DEBUG)


def run_task(task: VideoTask) -> VideoResult:
    """One recording in a worker (a module-level function: the pool pickles it by name)."""
    return task.run()
