"""``report.html``: what a batch found, at a glance, opened straight from disk.

Built only from each video's ``highlights.json`` (and ``scores.csv`` for the plot), so
``highlight report OUT`` rebuilds it at any time. Per video: a score-over-time plot
(inline SVG: the thresholds, the chosen intervals shaded), a strip of stills per
highlight (first frame, peak, last frame), links to the clips, durations and the
plugins' results; at the top, the batch summary. No script library, no server, no
network: stills are JPEGs in ``report_files/`` beside the report, loaded lazily, so
a report with hundreds of highlights opens at once. Stills are extracted once and
reused by later rebuilds (their names carry the time they show); each video's
``contact_sheet.jpg`` is made from the same stills.
"""

from __future__ import annotations

import dataclasses
import html
import json
import logging
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import quote

import numpy as np
from PIL import Image

from highlight import HighlightError
from highlight.atomic import atomic_path, write_json, write_text
from highlight.export import manifest as manifests
from highlight.export.contact_sheet import CONTACT_SHEET_FILE, write_contact_sheet
from highlight.export.manifest import IntervalEntry, Manifest, spans_of
from highlight.export.region_overlay import RegionMarks, marks_from_manifest
from highlight.export.scores import read_scores
from highlight.export.thumbnails import MOMENTS, THUMB_WIDTH, grab_frames, moment_times
from highlight.export.timelines import FORMATS
from highlight.intervals import Interval
from highlight.review.applied import is_reviewed, review_file, review_of, reviewed_intervals
from highlight.review.marks import KEEP
from highlight.units import counted, format_timestamp

log = logging.getLogger(__name__)

REPORT_FILE = "report.html"
FILES_DIR = "report_files"
# ``highlight review``'s trained model and its re-cut of the recordings: another run's outputs, inside OUT,
# shown beside the reviewed highlights, not as recordings of their own.
REVIEW_MODEL_DIR = "review_model"
BATCH_FILE = "batch.json"  # in FILES_DIR: the last batch's statuses, for rebuilding the summary
_PLOT_W, _PLOT_H, _PLOT_PAD = 1000, 170, 30
_MAX_PLOT_POINTS = 1500


@dataclass
class _VideoSummary:
    name: str
    anchor: str
    status: str
    highlights: int = 0
    highlight_seconds: float = 0.0
    video_seconds: float = 0.0
    run_seconds: float | None = None
    notes: list[str] = field(default_factory=list)


def video_folders(out: Path) -> list[Path]:
    """Every output folder below ``out`` (or ``out`` itself) holding a highlights.json, but not the report's
    own files nor a review's re-cut (``REVIEW_MODEL_DIR``)."""
    out = Path(out)
    found = [
        p.parent
        for p in out.rglob(manifests.MANIFEST_FILE)
        if not {FILES_DIR, REVIEW_MODEL_DIR} & set(p.relative_to(out).parts)
    ]
    return sorted(found, key=lambda p: p.relative_to(out).as_posix())


def save_batch(out: Path, results: Iterable[dict[str, Any]]) -> None:
    """Keep a batch's per-video statuses (failures have no manifest) for later rebuilds."""
    write_json(
        Path(out) / FILES_DIR / BATCH_FILE, {"created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "results": list(results)}
    )


def build_report(out: Path) -> Path:
    """Write ``OUT/report.html`` (+ stills in ``OUT/report_files/``, contact sheets); return its path."""
    out = Path(out)
    if not out.is_dir():
        raise HighlightError(f"{out}: not a folder (give the output folder of `highlight run`)")
    batch = _load_batch(out)
    folders = video_folders(out)
    if not folders and not batch:
        raise HighlightError(f"{out}: no highlights.json found (run `highlight run` first)")
    sections, summaries = [], []
    seen: set[str] = set()
    for folder in folders:
        try:
            manifest = manifests.load(folder)
        except HighlightError as error:
            summaries.append(_VideoSummary(folder.name, "", "unreadable", notes=[str(error)]))
            continue
        status_entry = batch.get(str(Path(manifest.source.path).resolve()), {})
        seen.add(str(Path(manifest.source.path).resolve()))
        section, summary = _video_section(out, folder, as_reviewed(folder, manifest), status_entry)
        sections.append(section)
        summaries.append(summary)
    for path, entry in batch.items():
        if path not in seen and entry.get("status") == "failed":
            summaries.append(_VideoSummary(Path(path).name, "", "failed", notes=[entry.get("error", "")]))
    title = f"Highlights: {out.resolve().name}"
    subtitle = f"{html.escape(str(out.resolve()))} &middot; report made {time.strftime('%Y-%m-%d %H:%M')}"
    page = _template().substitute(
        title=html.escape(title), subtitle=subtitle, summary=_summary_html(summaries), videos="\n".join(sections)
    )
    path = out / REPORT_FILE
    write_text(path, page)
    return path


def as_reviewed(folder: Path, manifest: Manifest) -> Manifest:
    """The manifest as the report shows it: once reviewed, the kept and added highlights; the reel only if it plays them.

    A reel made before the latest review (``highlight export`` makes it again) is not
    linked as if it were the reviewed one; a note says so instead.
    """
    marks = review_of(folder, manifest)
    intervals = reviewed_intervals(folder, manifest, marks)
    shown = dataclasses.replace(manifest, intervals=intervals, hints=list(manifest.hints))
    if is_reviewed(manifest, marks):
        kept = sum(marks.highlights[i.index].status == KEEP for i in manifest.intervals)
        shown.hints.append(
            f"reviewed in `highlight review`: {kept} of {counted(len(manifest.intervals), 'highlight')} kept, "
            f"{len(marks.added)} added"
        )
    if manifest.reel and manifest.reel_spans() != spans_of(Interval(i.start, i.end) for i in intervals):
        shown.reel = None
        shown.hints.append(
            f"the reel was made before the latest review and is not linked: `highlight export {folder}` makes it again"
        )
    return shown


def _template() -> Template:
    return Template(resources.files("highlight.export").joinpath("report_template.html").read_text(encoding="utf-8"))


def _load_batch(out: Path) -> dict[str, dict[str, Any]]:
    path = out / FILES_DIR / BATCH_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(Path(r["path"]).resolve()): r for r in data.get("results", [])}
    except (ValueError, KeyError, TypeError):
        return {}


def _url(out: Path, path: Path) -> str:
    """A link relative to the report; from the name's bytes, so a name that is not UTF-8 still links to its file."""
    return quote(os.fsencode(path.relative_to(out).as_posix()))


def _video_section(out: Path, folder: Path, manifest: Manifest, status: dict[str, Any]) -> tuple[str, _VideoSummary]:
    source = manifest.source
    name = Path(source.path or folder.name).name
    key = folder.relative_to(out).as_posix().replace("/", "__") if folder != out else folder.name
    anchor = "v-" + "".join(c if c.isalnum() else "-" for c in key)
    intervals = manifest.intervals
    notes = [*manifest.errors, *manifest.hints]
    stills, still_note = _stills(out, folder, key, manifest)
    if still_note:
        notes.append(still_note)
    run_seconds = status.get("run_seconds")
    if run_seconds is None:
        timing = manifest.timing
        run_seconds = (timing.get("analysis_s") or 0) + (timing.get("write_s") or 0) or None
    summary = _VideoSummary(
        name,
        anchor,
        status.get("status") or ("done" if manifest.complete else "incomplete"),
        len(intervals),
        sum(i.duration for i in intervals),
        source.duration,
        run_seconds,
        notes,
    )
    settings = manifest.interval_settings
    meta = [
        format_timestamp(summary.video_seconds, 0),
        f"{source.width}x{source.height}",
        f"{source.fps:.3f}".rstrip("0").rstrip(".") + " fps",
        f"{counted(len(intervals), 'highlight')} ({summary.highlight_seconds:.1f} s)",
        f"detector {manifest.detector_name}",
    ]
    if run_seconds:
        meta.append(f"took {run_seconds:.1f} s")
    parts = [
        f'<section class="video" id="{anchor}">',
        f"<h2>{html.escape(name)}</h2>",
        f'<div class="meta">{html.escape(" · ".join(meta))}<br>{html.escape(source.path)}{_camera_line(manifest)}</div>',
    ]
    if notes:
        parts.append('<ul class="errors">' + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>")
    parts.append(_plot_section(folder, manifest, anchor, settings))
    parts.append(_plugins_html(manifest.plugins))
    parts.append(_highlights_table(out, folder, intervals, stills, anchor))
    parts.append(_files_line(out, folder, manifest))
    parts.append("</section>")
    return "\n".join(p for p in parts if p), summary


def _camera_line(manifest: Manifest) -> str:
    """Which highlight.toml set this recording's camera set-up, when one did."""
    if not manifest.camera_file:
        return ""
    return f'<br>camera set-up: <code class="camera-file">{html.escape(manifest.camera_file)}</code>'


def _stills(out: Path, folder: Path, key: str, manifest: Manifest) -> tuple[dict[tuple[int, str], Path], str]:
    """Each highlight's three stills, extracting only those not kept from an earlier build."""
    fps = manifest.source.fps or 30.0
    target = out / FILES_DIR / key
    marks, note = _region_marks(manifest)
    wanted: dict[tuple[int, str], tuple[float, Path]] = {}
    for interval in manifest.intervals:
        for moment, t in moment_times(interval, fps).items():
            name = f"{interval.index:03d}_{moment}_{round(t * 1000)}{marks.tag}.jpg"
            wanted[(interval.index, moment)] = (t, target / name)
    missing = {t for t, path in wanted.values() if not path.is_file()}
    if missing:
        try:
            frames = grab_frames(Path(manifest.source.path), missing, THUMB_WIDTH)
        except HighlightError as error:
            frames, note = {}, f"stills not available: {error}"
        target.mkdir(parents=True, exist_ok=True)
        for t, path in wanted.values():
            if t in frames and not path.is_file():
                with atomic_path(path) as tmp:
                    marks.draw(frames[t]).save(tmp, "JPEG", quality=80)
    stills = {k: path for k, (_, path) in wanted.items() if path.is_file()}
    _remove_stale(target, set(stills.values()))
    sheet = folder / CONTACT_SHEET_FILE
    review = review_file(folder)  # a highlight rejected since the sheet was made must leave it
    newest = max(path.stat().st_mtime for path in (folder / manifests.MANIFEST_FILE, review) if path is not None)
    if missing or not sheet.is_file() or sheet.stat().st_mtime < newest:
        peaks = {index: Image.open(path) for (index, moment), path in stills.items() if moment == "peak"}
        write_contact_sheet(folder, manifest, peaks)
    return stills, note


def _region_marks(manifest: Manifest) -> tuple[RegionMarks, str]:
    """The run's regions to draw on its stills, or none and a note when one is unreadable."""
    try:
        return marks_from_manifest(manifest), ""
    except ValueError as error:
        return RegionMarks((), (), (1, 1)), f"regions not drawn: {error}"


def _remove_stale(target: Path, keep: set[Path]) -> None:
    if target.is_dir():
        for path in target.glob("*.jpg"):
            if path not in keep:
                path.unlink(missing_ok=True)


def _plot_section(folder: Path, manifest: Manifest, anchor: str, settings: dict[str, Any]) -> str:
    try:
        times, scores, _ = read_scores(folder / manifest.scores)
    except HighlightError as error:
        return f'<p class="errors">no score plot: {html.escape(str(error))}</p>'
    duration = float(manifest.source.duration or (times[-1] if times.size else 0)) or 1.0
    return plot_svg(
        times,
        scores,
        manifest.intervals,
        settings.get("threshold"),
        settings.get("exit_threshold"),
        duration,
        anchor,
        plugin_marks(manifest.plugins),
    )


def plugin_marks(plugins: dict[str, Any]) -> list[tuple[float, str]]:
    """Moments the plugins ask to point out on the plot (``"marks": [{"time", "label"}]`` in
    their result, e.g. the reps that broke a form rule), as (time, "plugin: label")."""
    return [
        (float(mark["time"]), f"{name}: {mark['label']}")
        for name, result in plugins.items()
        if isinstance(result, dict)
        for mark in result.get("marks") or ()
        if isinstance(mark, dict) and "time" in mark
    ]


def plot_svg(
    times: np.ndarray,
    scores: np.ndarray,
    intervals: list[IntervalEntry],
    threshold: float | None,
    exit_threshold: float | None,
    duration: float,
    anchor: str = "h",
    marks: Sequence[tuple[float, str]] = (),
) -> str:
    """The score over time as inline SVG: thresholds as lines, intervals shaded and numbered,
    plugins' marks as ticks at the top (their label on hover)."""
    width, height, pad = _PLOT_W, _PLOT_H, _PLOT_PAD
    inner_w, inner_h = width - 2 * pad, height - 2 * pad + 10

    def x(t: float) -> float:
        return pad + inner_w * min(max(t / duration, 0.0), 1.0)

    def y(s: float) -> float:
        return pad - 10 + inner_h * (1.0 - min(max(s, 0.0), 1.0))

    times, scores = _decimate(np.asarray(times, float), np.asarray(scores, float), _MAX_PLOT_POINTS)
    parts = [f'<svg class="plot" viewBox="0 0 {width} {height}" role="img" aria-label="score over time">']
    parts.append(f'<line class="axis" x1="{pad}" y1="{y(0):.1f}" x2="{width - pad}" y2="{y(0):.1f}"/>')
    for interval in intervals:
        x0, x1 = x(interval.start), x(interval.end)
        parts.append(
            f'<rect class="interval" x="{x0:.1f}" y="{y(1):.1f}" width="{max(x1 - x0, 1):.1f}" '
            f'height="{y(0) - y(1):.1f}"><title>#{interval.index} {interval.start:.2f}-'
            f"{interval.end:.2f} s</title></rect>"
        )
        parts.append(
            f'<a href="#{anchor}-{interval.index}"><text x="{x0 + 2:.1f}" y="{y(1) + 11:.1f}">'
            f"{interval.index}</text></a>"
        )
    for value, css in ((threshold, "threshold"), (exit_threshold, "exit")):
        if value is not None:
            parts.append(
                f'<line class="{css}" x1="{pad}" y1="{y(value):.1f}" x2="{width - pad}" y2="{y(value):.1f}">'
                f"<title>{css} {value:.2f}</title></line>"
            )
    if times.size:
        points = " ".join(f"{x(t):.1f},{y(s):.1f}" for t, s in zip(times, scores))
        parts.append(f'<polyline class="score" points="{points}"/>')
    for moment, label in marks:
        parts.append(
            f'<path class="mark" d="M{x(moment) - 4:.1f},{y(1) - 8:.1f} h8 l-4,7 z">'
            f"<title>{html.escape(label)} ({moment:.2f} s)</title></path>"
        )
    for tick in _ticks(duration):
        parts.append(
            f'<text x="{x(tick):.1f}" y="{height - 4}" text-anchor="middle">{format_timestamp(tick, 0)[3:] if duration < 3600 else format_timestamp(tick, 0)}</text>'
        )
    parts.append(f'<text x="2" y="{y(1) + 4:.1f}">1</text><text x="2" y="{y(0) + 4:.1f}">0</text>')
    parts.append("</svg>")
    return "".join(parts)


def _decimate(times: np.ndarray, scores: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ~``limit`` points, keeping each bucket's minimum and maximum (peaks stay visible)."""
    if times.size <= limit:
        return times, scores
    buckets = np.array_split(np.arange(times.size), limit // 2)
    keep = sorted(
        {int(b[np.argmin(scores[b])]) for b in buckets if b.size}
        | {int(b[np.argmax(scores[b])]) for b in buckets if b.size}
    )
    return times[keep], scores[keep]


def _ticks(duration: float) -> list[float]:
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if duration / step <= 10:
            return [k * step for k in range(int(duration // step) + 1)]
    return [0.0, duration]


def _plugins_html(plugins: dict[str, Any]) -> str:
    """Each plugin's result, whatever its shape: scalars as rows, lists of records as a table."""
    if not plugins:
        return ""
    parts = ['<div class="plugins">']
    for name, result in plugins.items():
        parts.append(f"<h3>{html.escape(name)}</h3>")
        parts.append(_value_html(result))
    parts.append("</div>")
    return "".join(parts)


def _value_html(value: Any, depth: int = 0) -> str:
    if isinstance(value, dict):
        if not value:
            return '<span class="muted">(nothing)</span>'
        rows = "".join(
            f"<tr><th>{html.escape(str(k))}</th><td>{_value_html(v, depth + 1)}</td></tr>" for k, v in value.items()
        )
        return f"<table>{rows}</table>"
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value) and depth < 3:
        columns = list(dict.fromkeys(k for v in value for k in v))
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
        body = "".join("<tr>" + "".join(f"<td>{_scalar(v.get(c))}</td>" for c in columns) + "</tr>" for v in value)
        return f"<table><tr>{head}</tr>{body}</table>"
    return _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    if isinstance(value, (list, dict)):
        text = json.dumps(value)
        return html.escape(text if len(text) < 300 else text[:297] + "...")
    return html.escape("" if value is None else str(value))


def _highlights_table(out: Path, folder: Path, intervals: list[IntervalEntry], stills: dict, anchor: str) -> str:
    if not intervals:
        return '<p class="muted">no highlights</p>'
    rows = [
        '<table class="highlights"><tr><th>#</th><th>from – to</th><th class="num">length</th>'
        '<th class="num">peak</th><th>start · peak · end</th><th>clips</th></tr>'
    ]
    for interval in intervals:
        index = interval.index
        clip = folder / interval.clip if interval.clip else None
        figures = []
        for moment in MOMENTS:
            path = stills.get((index, moment))
            if path is None:
                continue
            image = (
                f'<img class="thumb" src="{_url(out, path)}" loading="lazy" decoding="async" alt="#{index} {moment}">'
            )
            if clip is not None and moment == "peak":
                image = f'<a href="{_url(out, clip)}">{image}</a>'
            figures.append(f"<figure>{image}<figcaption>{moment}</figcaption></figure>")
        links = [
            f'<a href="{_url(out, folder / name)}">{label}</a>'
            for name, label in ((interval.clip, "clip"), (interval.slowmo_clip, "slow motion"))
            if name
        ]
        rows.append(
            f'<tr id="{anchor}-{index}"><td>{index}</td>'
            f"<td>{format_timestamp(interval.start)}<br>{format_timestamp(interval.end)}</td>"
            f'<td class="num">{interval.duration:.1f} s</td>'
            f'<td class="num">{interval.peak:.2f}<br><span class="muted">at {format_timestamp(interval.peak_time)}</span></td>'
            f'<td><div class="strip">{"".join(figures)}</div></td><td>{"<br>".join(links) or "-"}</td></tr>'
        )
    rows.append("</table>")
    return "".join(rows)


def _files_line(out: Path, folder: Path, manifest: Manifest) -> str:
    files = [
        (CONTACT_SHEET_FILE, "contact sheet"),
        (manifests.MANIFEST_FILE, "highlights.json"),
        (manifest.scores, "scores.csv"),
    ]
    if manifest.reel:
        files.insert(0, (manifest.reel, "reel"))
    files += [(f.filename, f.description) for f in FORMATS.values()]
    links = [
        f'<a href="{_url(out, folder / name)}">{html.escape(label)}</a>'
        for name, label in files
        if (folder / name).is_file()
    ]
    return f'<div class="files">{" · ".join(links)}</div>'


def _summary_html(rows: list[_VideoSummary]) -> str:
    lines = [
        '<table class="summary"><tr><th>video</th><th>status</th><th class="num">highlights</th>'
        '<th class="num">highlight time</th><th class="num">length</th><th class="num">took</th><th>notes</th></tr>'
    ]
    for r in rows:
        name = f'<a href="#{r.anchor}">{html.escape(r.name)}</a>' if r.anchor else html.escape(r.name)
        lines.append(
            f'<tr><td>{name}</td><td>{html.escape(r.status)}</td><td class="num">{r.highlights}</td>'
            f'<td class="num">{r.highlight_seconds:.1f} s</td><td class="num">{format_timestamp(r.video_seconds, 0)}</td>'
            f'<td class="num">{f"{r.run_seconds:.1f} s" if r.run_seconds else "-"}</td>'
            f"<td>{html.escape('; '.join(n for n in r.notes if n))}</td></tr>"
        )
    lines.append("</table>")
    total_video = sum(r.video_seconds for r in rows)
    total_highlights = sum(r.highlights for r in rows)
    failed = sum(r.status in ("failed", "unreadable") for r in rows)
    share = (
        f" ({100 * sum(r.highlight_seconds for r in rows) / total_video:.0f}% of the footage)" if total_video else ""
    )
    lines.append(
        f'<div class="totals">{counted(len(rows), "video")}, {failed} failed; {counted(total_highlights, "highlight")}, '
        f"{sum(r.highlight_seconds for r in rows):.1f} s{share}; {format_timestamp(total_video, 0)} of recordings</div>"
    )
    return "\n".join(lines)
