"""One recording, the same way for ``highlight run`` (batch.py) and the watch daemon's worker.

The steps after deciding *which* file and *where* its outputs go: skip it when a
finished run with these settings is already there, else ``process_video``; editor
timelines; the notes a person should read (manifest errors, plugin failures and
summaries). Both callers get one ``VideoResult``; ``update_report`` rebuilds the
output folder's ``report.html`` from such results. Keeping this in one place is why a
file the daemon processes ends exactly as if ``highlight run`` had processed it.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from highlight import HighlightError
from highlight.discover import printable
from highlight.errors import error_line
from highlight.export import manifest as manifests
from highlight.folder_lock import FolderBusy, folder_lock
from highlight.pipeline import Progress, process_video
from highlight.settings import RunSettings
from highlight.source import VideoInfo, probe
from highlight.terminal import collected_warnings

log = logging.getLogger(__name__)

# "busy": another highlight process holds the video's output folder (folder_lock), so
# this one left the video alone. Not "finished": this process cannot vouch for outputs
# that another is still writing (see batch.BatchReport.failed for the exit code).
STATUSES = ("done", "skipped", "busy", "failed")

# Opened once a file is to be processed (not for a skipped one): yields the callback that
# hears the video time reached, and closes the display afterwards.
ProgressDisplay = Callable[[VideoInfo], AbstractContextManager[Progress | None]]


@dataclass
class VideoResult:
    """What happened to one recording: the run summary's row, report.html's entry, the daemon's log line."""

    path: Path
    out_dir: Path | None
    status: str  # one of STATUSES
    highlights: int = 0
    video_seconds: float = 0.0
    run_seconds: float = 0.0
    error: str = ""
    notes: list[str] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # logged while it ran: summarised after the table

    @property
    def finished(self) -> bool:
        """Its outputs are there: processed now or by an earlier run."""
        return self.status in ("done", "skipped")

    def report_entry(self) -> dict[str, Any]:
        """The form report.html's batch record keeps (failures have no manifest to read)."""
        return {
            "path": str(self.path.resolve()),
            "out_dir": str(self.out_dir.resolve()) if self.out_dir else None,  # the recording -> folder mapping
            "status": self.status,
            "highlights": self.highlights,
            "video_seconds": self.video_seconds,
            "run_seconds": round(self.run_seconds, 3),
            "error": self.error,
            "notes": self.notes,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON for the worker's result file."""
        return {**asdict(self), "path": str(self.path), "out_dir": str(self.out_dir) if self.out_dir else None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VideoResult:
        out_dir = data.get("out_dir")
        return cls(
            Path(data["path"]),
            Path(out_dir) if out_dir else None,
            str(data["status"]),
            int(data.get("highlights", 0)),
            float(data.get("video_seconds", 0.0)),
            float(data.get("run_seconds", 0.0)),
            str(data.get("error", "")),
            list(data.get("notes", [])),
            [(str(template), str(text)) for template, text in data.get("warnings", [])],
        )


@contextlib.contextmanager
def no_progress(info: VideoInfo):
    """No progress bar (the watch worker has nobody to show one to)."""
    yield None


def run_video(
    video: Path,
    out_dir: Path,
    settings: RunSettings,
    force: bool = False,
    timelines: Sequence[str] = (),
    inspect: Callable[[Path], VideoInfo] = probe,
    progress: ProgressDisplay = no_progress,
) -> VideoResult:
    """Process one recording, or skip it when its outputs are complete; never raises for a bad file.

    A skipped video's notes stay empty: they were shown when it was processed.

    ``inspect`` opens the file first (``probe``; the daemon also checks that it decodes);
    ``timelines`` are the editor formats to write for a finished video, skipped or not.
    A failure becomes a ``failed`` result whose one-line error names the file. The video's
    output folder is locked (``folder_lock``) from before its first read to after its
    last write; when another process holds it the result is ``busy`` and nothing in the
    folder is touched.
    """
    with collected_warnings() as warnings:
        result = _run_video(video, out_dir, settings, force, timelines, inspect, progress)
    result.warnings = warnings
    return result


def _run_video(
    video: Path,
    out_dir: Path,
    settings: RunSettings,
    force: bool,
    timelines: Sequence[str],
    inspect: Callable[[Path], VideoInfo],
    progress: ProgressDisplay,
) -> VideoResult:
    started = time.perf_counter()
    try:
        info = inspect(video)
        # The lock comes before anything reads or cleans the folder: process_video starts
        # by deleting stale temporaries, which beside a live process would be its files.
        out_dir.mkdir(parents=True, exist_ok=True)
        with folder_lock(out_dir):
            result = _skip_or_process(video, out_dir, settings, info, force, progress, started)
            if timelines:
                _add_timelines(result, timelines)
    except FolderBusy as busy:
        return VideoResult(
            video, out_dir, "busy", run_seconds=time.perf_counter() - started, error=f"{printable(video)}: {busy}"
        )
    except Exception as error:  # noqa: BLE001 - one bad file must not stop a batch or the daemon
        return VideoResult(
            video, out_dir, "failed", run_seconds=time.perf_counter() - started, error=one_line_error(video, error)
        )
    return result


def _skip_or_process(
    video: Path,
    out_dir: Path,
    settings: RunSettings,
    info: VideoInfo,
    force: bool,
    progress: ProgressDisplay,
    started: float,
) -> VideoResult:
    """Skip a finished run whose outputs all check out (``is_done`` probes each clip), else process."""
    previous = None if force else manifests.load_if_present(out_dir)
    if manifests.is_done(previous, info, settings.key, out_dir):
        return VideoResult(video, out_dir, "skipped", len(previous.intervals), info.duration)
    with progress(info) as heard:
        manifest = process_video(video, out_dir, settings, info, heard, force)
    return VideoResult(
        video,
        out_dir,
        "done",
        len(manifest.intervals),
        info.duration,
        time.perf_counter() - started,
        notes=manifest.notes(),
    )


def _add_timelines(result: VideoResult, formats: Sequence[str]) -> None:
    """Editor timelines from the finished manifest; a failure fails the video, its counts stay."""
    from highlight.export.timelines import write_timelines

    try:
        write_timelines(result.out_dir, formats)
    except Exception as error:  # noqa: BLE001 - an adapter's bug fails this video only
        result.status, result.error = "failed", one_line_error(result.path, error)


def one_line_error(video: Path, error: Exception) -> str:
    """A HighlightError already names the file and the reason; anything else (a bug, a library) is
    logged for --verbose and cut to one line that names the file.

    The file's name is shown escaped (``printable``): a newline in a name would otherwise
    split the line, and an ESC could drive the terminal.
    """
    if isinstance(error, HighlightError):
        text = str(error)
    else:
        log.debug("unexpected failure on %s", video, exc_info=error)
        text = f"{video}: {error_line(error)}"
    text = text.replace(str(video), printable(video))
    return printable(text.splitlines()[0] if text.strip() else text)


def update_report(out: Path, entries: list[dict[str, Any]]) -> str | None:
    """Rebuild OUT/report.html from the results so far; a failure is a note, the clips stand."""
    from highlight.export.report import build_report, save_batch

    try:
        save_batch(out, entries)
        build_report(out)
    except (HighlightError, OSError, ValueError) as error:
        return f"report: {error_line(error)}"
    return None
