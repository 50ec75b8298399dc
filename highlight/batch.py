"""Many recordings: where each one's outputs go, what to skip, progress, and the summary.

One bad file never stops a batch: it gets a one-line error naming the file and the
reason, the batch goes on, and the exit code says that something failed.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from highlight import HighlightError
from highlight.discover import file_identity, find_videos, printable
from highlight.executors import ONE_JOB, Executor, ExecutorRequest, VideoTask, make_executor
from highlight.export import manifest as manifests
from highlight.export.report import REPORT_FILE
from highlight.layers import SettingsLayers
from highlight.pipeline import Progress
from highlight.runner import ProgressDisplay, VideoResult, update_report
from highlight.settings import RunSettings
from highlight.source import VideoInfo
from highlight.table import format_table
from highlight.terminal import is_terminal
from highlight.units import counted, format_timestamp

# Set to "lines" by a program reading a run's stderr through a pipe: one progress line a second.
PROGRESS_ENV = "HIGHLIGHT_PROGRESS"

DEFAULT_OUT_NAME = "highlights"


@dataclass
class BatchReport:
    results: list[VideoResult] = field(default_factory=list)
    report_path: Path | None = None  # report.html, once written
    wall_seconds: float | None = None  # the batch's own time: less than the sum of its videos' with parallel jobs

    @property
    def failed(self) -> list[VideoResult]:
        """The videos whose outputs this run cannot vouch for: failed, and busy ones.

        A busy video (another highlight process holds its folder) counts, so the exit code
        is 1: when this command returns, that video's outputs may still be half-written,
        and a script running ``highlight run ... && upload`` must not go on as if they were
        there. Running the command again once the other process is done skips it as done.
        """
        return [r for r in self.results if not r.finished]


def default_out_dir(inputs: list[Path]) -> Path:
    """``highlights/`` beside the recordings: in the folder given, or the file's folder."""
    first = Path(inputs[0]).expanduser()
    return (first if first.is_dir() else first.parent) / DEFAULT_OUT_NAME


def plan_outputs(inputs: list[Path], out: Path) -> list[tuple[Path, Path]]:
    """(video, its output folder) pairs (see ``plan_batch``)."""
    return [(video, folder) for video, folder, _ in plan_batch(inputs, out)]


def plan_batch(inputs: list[Path], out: Path) -> list[tuple[Path, Path, Path]]:
    """(video, its output folder, the input folder it was found in) for every recording: one folder each, whatever the names.

    A video's folder mirrors its path below the input folder it was found in
    (``day1/IMG_0001``). Recordings can still share a name: files named one by one
    (``day1/IMG_0001.MOV day2/IMG_0001.MOV``, as phones name them again after a
    reset), or ``a.mp4`` beside ``a.mov``. The first gets the plain name, the others
    the next free one of ``output_folder_names``; a folder is taken when another video
    of this batch has it or its ``highlights.json`` names another recording, so a
    second run, in any order, finds each recording's folder again. A file reached
    twice (a link, a folder and a file in it) is planned once. The input folder (a
    file's own folder, for a file given itself) bounds the search for its camera file.
    """
    planned: list[tuple[Path, Path, Path]] = []
    taken: dict[Path, Path] = {}  # folder -> the video given it
    seen: set[object] = set()
    for item in inputs:
        item = Path(item).expanduser()
        root = item if item.is_dir() else item.parent
        for video in find_videos([item], exclude=[out]):
            identity = file_identity(video)
            if identity in seen:
                continue
            seen.add(identity)
            relative = video.relative_to(root) if video.is_relative_to(root) else Path(video.name)
            folder = next((f for f in output_folder_names(out, relative, video) if _free_for(f, video, taken)), None)
            if folder is None:
                raise HighlightError(
                    f"{printable(video)}: every output folder for it holds another recording's outputs"
                )
            taken[folder] = video
            planned.append((video, folder, root))
    return planned


def output_folder_names(out: Path, relative: Path, video: Path) -> list[Path]:
    """The folders a recording's outputs may go to, in order of preference: ``IMG_0001``,
    ``IMG_0001_MOV``, then ``IMG_0001_MOV-<8 hex digits of its absolute path>``, stable run after run."""
    flat = relative.with_name(relative.name.replace(".", "_"))
    digest = hashlib.sha1(os.fsencode(str(video.resolve()))).hexdigest()[:8]
    return [out / relative.with_suffix(""), out / flat, out / flat.with_name(f"{flat.name}-{digest}")]


def _free_for(folder: Path, video: Path, planned: dict[Path, Path]) -> bool:
    """No other recording of this batch has ``folder``, and its manifest (if any) names this recording."""
    if folder in planned:
        return file_identity(planned[folder]) == file_identity(video)
    manifest = manifests.load_if_present(folder)
    if manifest is None or not manifest.source.path:
        return True
    recorded = Path(manifest.source.path)
    return recorded == video.resolve() or file_identity(recorded) == file_identity(video)


def run_batch(
    inputs: Iterable[Path],
    settings: RunSettings | SettingsLayers,
    out: Path | None = None,
    force: bool = False,
    quiet: bool = False,
    exports: Sequence[str] = (),
    write_report: bool = True,
    executor: str = "local",
    request: ExecutorRequest = ONE_JOB,
) -> BatchReport:
    """Process every recording; then editor timelines (``exports``) per video and ``report.html``.

    ``settings`` are used as given, or with ``SettingsLayers`` resolved per recording
    (its folder's highlight.toml); a recording whose settings cannot be resolved fails
    with one line and the others go on.

    ``executor`` (a name in ``highlight.executors.EXECUTORS``) runs them; ``request``
    says how (``--jobs``, ``--ray-address``). The summary and the report list the
    recordings in the planned order, whatever order they finished in.
    """
    inputs = [Path(p) for p in inputs]
    out = (out or default_out_dir(inputs)).expanduser()
    planned = plan_batch(inputs, out)
    report = BatchReport()
    if not planned:
        raise HighlightError(
            f"no videos found in {', '.join(map(str, inputs))} "
            "(looked for .mp4 .mov .m4v .avi .mkv .webm, in sub-folders too)"
        )
    out.mkdir(parents=True, exist_ok=True)  # one error for an output folder that cannot be made, not one a video
    tasks: list[VideoTask] = []
    for video, folder, root in planned:
        try:
            resolved = settings.resolve(video, root) if isinstance(settings, SettingsLayers) else settings
        except HighlightError as error:
            tqdm.write(f"error: {error}", file=sys.stderr)
            report.results.append(VideoResult(video, folder, "failed", error=str(error)))
            continue
        tasks.append(VideoTask(video, folder, resolved, force, tuple(exports)))
    _check_models({task.settings.model for task in tasks if task.settings.model})
    started = time.perf_counter()
    if tasks:
        with make_executor(executor, request, tasks) as runner:
            report.results += _collect(runner, tasks, quiet)
    order = {video.absolute(): index for index, (video, _, _) in enumerate(planned)}  # a cluster reports absolute paths
    report.results.sort(key=lambda r: order.get(r.path.absolute(), len(order)))
    report.wall_seconds = time.perf_counter() - started
    if write_report:
        _write_report(out, report)
    return report


def _check_models(models: set[str]) -> None:
    """Each model's model.json, read once before any work: a broken one is one error about it, not one a video."""
    from highlight.scorers.classifier import read_model_json

    for model in sorted(models):
        read_model_json(Path(model))


def _collect(runner: Executor, tasks: list[VideoTask], quiet: bool) -> list[VideoResult]:
    """Results as they come, under the overall bar (``run_batch`` puts them in the planned order).

    One recording at a time shows its own bar below the overall one. Recordings running
    in parallel (worker processes, a cluster) show a line each as they finish instead:
    bars drawn by several processes into one terminal would overwrite each other, and a
    line per finished file reads the same whether the workers are here or on other machines.
    """
    lines = not quiet and not is_terminal() and os.environ.get(PROGRESS_ENV) == "lines"
    no_bars = quiet or not is_terminal()  # bars move the cursor: only on a terminal; a finished line is plain text
    overall = tqdm(total=len(tasks), desc="videos", unit="video", disable=no_bars, position=0, file=sys.stderr)
    results: list[VideoResult] = []
    display = _progress_lines if lines else functools.partial(_video_bar, hidden=no_bars)
    for result in runner.results(tasks, display):
        results.append(result)
        if not result.finished:
            tqdm.write(f"error: {result.error}", file=sys.stderr)
        elif not runner.shows_video_progress and not quiet:
            tqdm.write(_finished_line(result), file=sys.stderr)
        overall.update()
    overall.close()
    return results


def _finished_line(result: VideoResult) -> str:
    """One line per finished recording when they run in parallel."""
    if result.status == "skipped":
        return f"{printable(result.path.name)}: already done"
    return f"{printable(result.path.name)}: {counted(result.highlights, 'highlight')} in {result.run_seconds:.1f}s"


def _write_report(out: Path, batch: BatchReport) -> None:
    """report.html for the whole output folder; a failure here is reported, the clips stand."""
    note = update_report(out, [r.report_entry() for r in batch.results])
    if note:
        tqdm.write(f"error: {note}", file=sys.stderr)
    else:
        batch.report_path = out / REPORT_FILE


def _progress_lines(video: Path) -> ProgressDisplay:
    """``progress: NAME T/TOTAL s`` on stderr for each second of the recording analysed.

    For a program that follows a run through a pipe, where no bars are drawn: the Blender
    add-on sets ``HIGHLIGHT_PROGRESS=lines`` and shows these as its progress bar.
    """

    @contextlib.contextmanager
    def display(info: VideoInfo) -> Iterator[Progress]:
        said = -1

        def update(seconds: float) -> None:
            nonlocal said
            second = int(min(seconds, info.duration))
            if second > said:
                said = second
                print(f"progress: {printable(video.name)} {second}/{info.duration:.0f} s", file=sys.stderr, flush=True)

        yield update

    return display


def _video_bar(video: Path, hidden: bool) -> ProgressDisplay:
    """A progress bar per video, below the overall one, in seconds of the recording; ``hidden`` where the
    overall bar is (quiet, or not a terminal): the caller decided once."""

    @contextlib.contextmanager
    def display(info: VideoInfo) -> Iterator[Progress]:
        bar = tqdm(
            total=round(info.duration, 1),
            desc=printable(video.name)[:30],
            unit="s",
            leave=False,
            disable=hidden,
            position=1,
            file=sys.stderr,
            bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} s [{elapsed}<{remaining}]",
        )
        try:
            yield lambda t: bar.update(max(0.0, min(t, bar.total) - bar.n))
        finally:
            bar.close()

    return display


def _reason_only(error: str, video: Path) -> str:
    """An error line without the leading name of its video (the row already shows it), however the path was written."""
    for form in (video, video.absolute(), video.resolve()):
        prefix = f"{printable(form)}: "
        if error.startswith(prefix):
            return error[len(prefix) :]
    return error


def format_summary(report: BatchReport) -> str:
    """The table printed at the end of a run; names shown escaped, so that a newline in one cannot split its row."""
    rows = [("video", "status", "highlights", "length", "took", "notes")]
    shared = _shared_notes(report.results)
    for r in report.results:
        note = _reason_only(r.error, r.path) if r.error else "; ".join(shared.get(n, n) for n in r.notes)
        rows.append(
            (
                printable(r.path.name),
                r.status,
                str(r.highlights) if r.finished else "-",
                format_timestamp(r.video_seconds, 0) if r.video_seconds else "-",
                f"{r.run_seconds:.1f}s" if r.status != "skipped" else "-",
                note,
            )
        )
    lines = format_table(rows)
    done = sum(r.status == "done" for r in report.results)
    skipped = sum(r.status == "skipped" for r in report.results)
    busy = sum(r.status == "busy" for r in report.results)
    total_highlights = sum(r.highlights for r in report.results)
    video_time = sum(r.video_seconds for r in report.results if r.status == "done")
    run_time = report.wall_seconds if report.wall_seconds is not None else sum(r.run_seconds for r in report.results)
    speed = f", {video_time / run_time:.1f}x real time" if run_time > 0 and video_time else ""
    lines.append(
        f"{counted(len(report.results), 'video')}: {done} processed, {skipped} already done, "
        + (f"{busy} busy, " if busy else "")
        + f"{len(report.failed) - busy} failed; "
        f"{counted(total_highlights, 'highlight')}; {run_time:.1f}s{speed}"
    )
    for note, label in shared.items():
        times = sum(note in r.notes for r in report.results)
        lines.append(f"{label} ({counted(times, 'recording')}): {note}")
    return "\n".join(lines)


def _shared_notes(results: list[VideoResult]) -> dict[str, str]:
    """Notes that several recordings have, each with the short label ('note 1') their rows show instead.

    A hint such as "the highlights are 100% of the recording ..." would otherwise fill
    every row of a folder of such recordings; it is said once, under the table.
    """
    seen: dict[str, int] = {}
    for result in results:
        for note in dict.fromkeys(result.notes):
            seen[note] = seen.get(note, 0) + 1
    repeated = [note for note, times in seen.items() if times > 1]
    return {note: f"note {number}" for number, note in enumerate(repeated, 1)}
