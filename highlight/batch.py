"""Many recordings: where each one's outputs go, what to skip, progress, and the summary.

One bad file never stops a batch: it gets a one-line error naming the file and the
reason, the batch goes on, and the exit code says that something failed.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from tqdm import tqdm

from highlight import HighlightError
from highlight.discover import find_videos
from highlight.export import manifest as manifests
from highlight.pipeline import process_video
from highlight.settings import RunSettings
from highlight.source import probe
from highlight.units import format_timestamp

log = logging.getLogger(__name__)

DEFAULT_OUT_NAME = "highlights"


@dataclass
class VideoResult:
    path: Path
    out_dir: Path | None
    status: str  # done | skipped | failed
    highlights: int = 0
    video_seconds: float = 0.0
    run_seconds: float = 0.0
    error: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class BatchReport:
    results: list[VideoResult] = field(default_factory=list)
    report_path: Path | None = None  # report.html, once written

    @property
    def failed(self) -> list[VideoResult]:
        return [r for r in self.results if r.status == "failed"]


def default_out_dir(inputs: list[Path]) -> Path:
    """``highlights/`` beside the recordings: in the folder given, or the file's folder."""
    first = Path(inputs[0]).expanduser()
    return (first if first.is_dir() else first.parent) / DEFAULT_OUT_NAME


def plan_outputs(inputs: list[Path], out: Path) -> list[tuple[Path, Path]]:
    """(video, its output folder) pairs.

    A video's folder mirrors its path below the input folder it was found in
    (``day1/IMG_0001``), so recordings with the same name in different folders, as
    phones make them, do not overwrite each other.
    """
    pairs: list[tuple[Path, Path]] = []
    used: set[Path] = set()
    for item in inputs:
        item = Path(item).expanduser()
        root = item if item.is_dir() else item.parent
        for video in find_videos([item], exclude=[out]):
            relative = video.relative_to(root) if video.is_relative_to(root) else Path(video.name)
            folder = out / relative.with_suffix("")
            if folder in used:
                folder = out / relative.with_name(relative.name.replace(".", "_"))
            used.add(folder)
            pairs.append((video, folder))
    return pairs


def run_batch(
    inputs: Iterable[Path],
    settings: RunSettings,
    out: Path | None = None,
    force: bool = False,
    quiet: bool = False,
    exports: Sequence[str] = (),
    write_report: bool = True,
) -> BatchReport:
    """Process every recording; then editor timelines (``exports``) per video and ``report.html``."""
    inputs = [Path(p) for p in inputs]
    out = (out or default_out_dir(inputs)).expanduser()
    pairs = plan_outputs(inputs, out)
    report = BatchReport()
    if not pairs:
        raise HighlightError(
            f"no videos found in {', '.join(map(str, inputs))} "
            "(looked for .mp4 .mov .m4v .avi .mkv .webm, in sub-folders too)"
        )
    overall = tqdm(pairs, desc="videos", unit="video", disable=quiet, position=0, file=sys.stderr)
    for video, folder in overall:
        result = _run_one(video, folder, settings, force, quiet)
        if exports and result.status != "failed":
            _export_timelines(result, exports)
        report.results.append(result)
        if result.status == "failed":
            tqdm.write(f"error: {result.error}", file=sys.stderr)
    overall.close()
    if write_report:
        _write_report(out, report)
    return report


def _export_timelines(result: VideoResult, formats: Sequence[str]) -> None:
    from highlight.export.timelines import write_timelines

    try:
        write_timelines(result.out_dir, formats)
    except HighlightError as error:
        result.status, result.error = "failed", str(error)


def _write_report(out: Path, batch: BatchReport) -> None:
    """report.html for the whole output folder; a failure here is reported, the clips stand."""
    from highlight.export.report import build_report, save_batch

    try:
        save_batch(out, [{"path": str(r.path.resolve()), "status": r.status, "highlights": r.highlights,
                          "video_seconds": r.video_seconds, "run_seconds": round(r.run_seconds, 3),
                          "error": r.error, "notes": r.notes} for r in batch.results])
        batch.report_path = build_report(out)
    except (HighlightError, OSError, ValueError) as error:
        tqdm.write(f"error: report: {error}", file=sys.stderr)


def _run_one(video: Path, folder: Path, settings: RunSettings, force: bool, quiet: bool) -> VideoResult:
    started = time.perf_counter()
    try:
        info = probe(video)
        if not force and manifests.is_done(manifests.load_if_present(folder), info, settings.key, folder):
            previous = manifests.load(folder)
            return VideoResult(video, folder, "skipped", len(previous["intervals"]), info.duration)
        bar = tqdm(total=round(info.duration, 1), desc=video.name[:30], unit="s", leave=False,
                   disable=quiet, position=1, file=sys.stderr, bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} s [{elapsed}<{remaining}]")

        def progress(t: float) -> None:
            bar.update(max(0.0, min(t, bar.total) - bar.n))

        try:
            manifest = process_video(video, folder, settings, info, progress, force)
        finally:
            bar.close()
        notes = list(manifest.get("errors", []))
        notes += [f"plugin {name}: {r['error']}" for name, r in manifest.get("plugins", {}).items()
                  if isinstance(r, dict) and "error" in r]
        notes += [f"{name}: {r['summary']}" for name, r in manifest.get("plugins", {}).items()
                  if isinstance(r, dict) and r.get("summary")]
        return VideoResult(video, folder, "done", len(manifest["intervals"]), info.duration,
                           time.perf_counter() - started, notes=notes)
    except HighlightError as error:
        return VideoResult(video, folder, "failed", run_seconds=time.perf_counter() - started, error=str(error))
    except Exception as error:  # keep the batch going; the message still names the file
        log.debug("unexpected failure on %s", video, exc_info=True)
        reason = f"{type(error).__name__}: {error}".splitlines()[0]
        return VideoResult(video, folder, "failed", run_seconds=time.perf_counter() - started,
                           error=f"{video}: {reason}")


def format_summary(report: BatchReport) -> str:
    """The table printed at the end of a run."""
    rows = [("video", "status", "highlights", "length", "took", "notes")]
    for r in report.results:
        note = r.error.replace(f"{r.path}: ", "") if r.error else "; ".join(r.notes)
        rows.append((
            str(r.path.name),
            r.status,
            str(r.highlights) if r.status != "failed" else "-",
            format_timestamp(r.video_seconds, 0) if r.video_seconds else "-",
            f"{r.run_seconds:.1f}s" if r.status != "skipped" else "-",
            note,
        ))
    widths = [max(len(row[k]) for row in rows) for k in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:5], widths)) + ("  " + row[5] if row[5] else "")
             for row in rows]
    done = sum(r.status == "done" for r in report.results)
    skipped = sum(r.status == "skipped" for r in report.results)
    total_highlights = sum(r.highlights for r in report.results)
    video_time = sum(r.video_seconds for r in report.results if r.status == "done")
    run_time = sum(r.run_seconds for r in report.results)
    speed = f", {video_time / run_time:.1f}x real time" if run_time > 0 and video_time else ""
    lines.append(
        f"{len(report.results)} videos: {done} processed, {skipped} already done, {len(report.failed)} failed; "
        f"{total_highlights} highlights; {run_time:.1f}s{speed}"
    )
    return "\n".join(lines)
