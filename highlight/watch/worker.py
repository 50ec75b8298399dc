"""One recording, processed in a child process of the watch daemon.

    python -m highlight.watch.worker JOB.json RESULT.json

(A job with ``report_only`` just rebuilds ``OUT/report.html``, after a file has failed
for good, so that the report lists it.)

Why a child process per file rather than a thread or a long-lived pool:

* isolation: a recording that crashes or hangs the decoder (a segfault in FFmpeg, a
  runaway allocation) kills only its child; the daemon records the attempt as failed
  and goes on with the next file. A pool would be left broken by such a crash.
* a clean stop: the daemon can abandon the file in progress at once by killing the
  child's process group (the child and the ffmpeg encoders moviepy starts). Outputs are
  written atomically and the manifest says ``complete`` only at the end, so what is left
  never looks finished, and the next attempt resumes from ``scores.csv``.
* memory: TensorFlow and decoders do not always give memory back; a fresh process per
  file keeps a daemon that runs for weeks at a steady size.

The cost is the start-up of Python and the imports (about a second, several with
``--model``), small next to the minutes a recording takes. The child dies with the
daemon (``PR_SET_PDEATHSIG`` on Linux, a parent check elsewhere), so a SIGKILLed
daemon never leaves a worker writing into a folder that its successor also writes.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from highlight.atomic import write_json
from highlight.runner import VideoResult, run_video, update_report
from highlight.source import VideoInfo


def length_file_for(result_file: Path) -> Path:
    """Where the worker tells the daemon the recording's length, as soon as it knows it (for the default job timeout)."""
    return result_file.with_name(result_file.stem + "-length.json")


def read_video_seconds(length_file: Path) -> float | None:
    """The length the worker told; None until it has (or if it could not)."""
    try:
        return float(json.loads(length_file.read_text(encoding="utf-8"))["video_seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _telling_length(inspect: Callable[[Path], VideoInfo], length_file: Path | None) -> Callable[[Path], VideoInfo]:
    """``inspect``, and then the length written to ``length_file``: the daemon derives the time limit from it."""

    def inspect_and_tell(path: Path) -> VideoInfo:
        info = inspect(path)
        if length_file is not None:
            write_json(length_file, {"video_seconds": info.duration})
        return info

    return inspect_and_tell


def run_job(job: dict[str, Any], length_file: Path | None = None) -> VideoResult:
    """One video of ``highlight run``, with the daemon's settings: ``run_video`` does the steps.

    Skip it if its outputs are already complete for these settings, else
    ``process_video``; editor timelines (``--export``); then the output folder's
    ``report.html``, listing this file beside the record's others.
    """
    from highlight.settings import settings_from_dict
    from highlight.watch.stability import decodable

    path, out_dir = Path(job["path"]), Path(job["out_dir"])
    settings = settings_from_dict(job["settings"]).with_provenance(job.get("provenance") or {})
    settings = replace(settings, clip=replace(settings.clip, threads=job.get("clip_threads", settings.clip.threads)))
    result = run_video(
        path,
        out_dir,
        settings,
        force=bool(job.get("force")),
        timelines=job.get("exports") or (),
        inspect=_telling_length(decodable, length_file),
    )
    if job.get("report_out") and result.finished:
        note = update_report(Path(job["report_out"]), [*job.get("batch", []), result.report_entry()])
        if note:
            result.notes.append(note)
    return result


def die_with_parent(parent_pid: int) -> None:
    """Make sure this process ends when the daemon that started it does."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            PR_SET_PDEATHSIG = 1
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:  # the daemon died before prctl took effect
        os._exit(1)

    def watch_parent() -> None:  # for platforms without PDEATHSIG (and belt and braces)
        while True:
            time.sleep(1.0)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch_parent, daemon=True).start()


def main(argv: list[str]) -> int:
    """Run one job file and write its result file; the daemon reads only the result."""
    job_file, result_file = Path(argv[0]), Path(argv[1])
    job = json.loads(job_file.read_text(encoding="utf-8"))
    die_with_parent(job["parent_pid"])
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the daemon decides what Ctrl-C means
    logging.basicConfig(
        level=logging.DEBUG if job.get("verbose") else logging.WARNING,
        format=f"%(levelname)s worker {Path(job['path']).name}: %(message)s",
    )
    if job.get("report_only"):  # after a file failed for good: the report lists it
        note = update_report(Path(job["report_out"]), job.get("batch", []))
        result = {"status": "done" if note is None else "failed", "error": note or ""}
    else:
        result = run_job(job, length_file_for(result_file)).to_dict()
    write_json(result_file, result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
