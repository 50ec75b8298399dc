"""``highlights.json``: the single record of what a run found and wrote for one video.

Everything after analysis (re-cutting, editor timelines, reports, the watch daemon's
bookkeeping) reads this file rather than re-deriving anything, through the typed
``Manifest`` here: a field name lives in one place, not in string keys across modules.

Schema versions (the ``format`` field):

* 1: written before the typed ``Manifest``, as a plain dict;
* 2: written through ``Manifest``. The JSON field names and values are those of
  version 1; the number says that the file came from the typed writer. Version-1 files
  are read unchanged, a missing field taking its default, so old output folders can
  still be re-cut, reported on and exported. Each interval may also say where its clip
  really starts and ends (``clip_start``, ``clip_end``: a stream-copied clip starts on a
  keyframe, before the highlight); a reader that does not know these keys ignores them,
  so they came without a new version number.

A key this version does not know is kept in ``extra`` and written back as it was, so a
re-cut by an older highlight does not drop what a newer one recorded.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from highlight import HighlightError, __version__
from highlight.atomic import write_json
from highlight.export.scores import SCORES_FILE
from highlight.intervals import Interval, union
from highlight.source import VideoInfo

MANIFEST_FILE = "highlights.json"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
# the detector's description's keys holding one line each on what it did about the recording
DETECTOR_NOTES = ("camera", "picture", "exposure", "recheck")
LIVE_EXTRA = "live"  # the key of ``extra`` a live session's part keeps its own facts under


@dataclass
class IntervalEntry:
    """One highlight as the manifest lists it: where it is, how strong, which files show it."""

    index: int
    start: float
    end: float
    duration: float
    peak: float
    peak_time: float
    clip: str | None = None
    slowmo_clip: str | None = None
    # Where ``clip`` really starts and ends, in seconds of the source (None: no clip, or
    # written before they were recorded, when they were ``start`` and ``end``).
    clip_start: float | None = None
    clip_end: float | None = None

    @classmethod
    def from_interval(cls, index: int, interval: Interval) -> IntervalEntry:
        """Rounded as stored: milliseconds for times, four decimals for scores."""
        return cls(
            index,
            round(interval.start, 3),
            round(interval.end, 3),
            round(interval.duration, 3),
            round(interval.peak, 4),
            round(interval.peak_time, 3),
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IntervalEntry:
        """Only ``start`` and ``end`` are required: a hand-written list (a labels draft) reads too."""
        start, end = float(data["start"]), float(data["end"])
        return cls(
            int(data.get("index", 0)),
            start,
            end,
            float(data.get("duration", round(end - start, 3))),
            float(data.get("peak", 0.0)),
            float(data.get("peak_time", start)),
            file_in_folder(data.get("clip"), "clip"),
            file_in_folder(data.get("slowmo_clip"), "slowmo_clip"),
            _float_or_none(data.get("clip_start")),
            _float_or_none(data.get("clip_end")),
        )

    def to_dict(self) -> dict[str, Any]:
        """Every field; the clip's edges only where recorded (a manifest without clips stays as it was)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("clip_start", "clip_end"):
            if data[name] is None:
                del data[name]
        return data

    def files(self) -> list[str]:
        return [name for name in (self.clip, self.slowmo_clip) if name]


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


class OutsideFolder(ValueError):
    """A file a manifest names that is not a plain file of the manifest's own folder."""


def file_in_folder(name: Any, field_name: str) -> str | None:
    """``name`` if it is a plain file name in the manifest's folder (or None); else ``OutsideFolder``.

    Every file a manifest lists is read, overwritten or deleted by ``cut``, ``report``,
    ``export`` and a resumed run. The manifest is a file people edit by hand: a name
    with a folder part (``../../notes.txt``, ``/home/me/x``) would make those commands
    touch files outside the output folder, so only names the writer could have made pass.
    """
    if name is None:
        return None
    text = name if isinstance(name, str) else None
    if not text or Path(text).name != text or text in (".", "..") or "\\" in text or "\0" in text:
        raise OutsideFolder(f"{field_name} {name!r} is not a file name in the manifest's folder")
    return text


def source_from_dict(data: dict[str, Any]) -> VideoInfo:
    """The recording as a manifest describes it; a field an old or hand-made file lacks is empty.

    ``mtime`` defaults to -1, so a manifest that does not record it never matches a file.
    """
    defaults: dict[str, Any] = {
        "path": "",
        "size_bytes": 0,
        "mtime": -1.0,
        "width": 0,
        "height": 0,
        "rotation": 0,
        "fps": 0.0,
        "duration": 0.0,
        "frame_count": 0,
        "has_audio": False,
        "codec": "",
        "fps_rational": "",
        "start_timecode": "",
        "audio_channels": 0,
    }
    if not isinstance(data, dict):
        raise TypeError(f"source {data!r}: expected an object")
    return VideoInfo(
        **{name: _as_type_of(default, data.get(name, default), name) for name, default in defaults.items()}
    )


def _as_type_of(default: Any, value: Any, name: str) -> Any:
    """``value`` as the type of ``default`` (a whole float for an int field is fine); TypeError naming the field."""
    kind = type(default)
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if kind is int and isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
        return int(value)
    if isinstance(value, kind):
        return value
    raise TypeError(f"source.{name} {value!r}: expected a {kind.__name__}")


@dataclass(frozen=True)
class ReelReview:
    """Which review of the recording the reel was made from, and the spans it plays (seconds)."""

    revision: int
    spans: tuple[tuple[float, float], ...]

    def to_dict(self) -> dict[str, Any]:
        return {"revision": self.revision, "spans": [list(span) for span in self.spans]}

    @classmethod
    def from_dict(cls, data: Any) -> ReelReview:
        if not isinstance(data, dict):
            raise TypeError(f"reel_review {data!r}: expected an object")
        return cls(int(data["revision"]), tuple((float(a), float(b)) for a, b in data.get("spans") or []))


def spans_of(intervals: Iterable[Interval]) -> list[tuple[float, float]]:
    """What a reel of ``intervals`` plays: their union, to the millisecond, as (start, end) pairs."""
    return [(round(span.start, 3), round(span.end, 3)) for span in union(list(intervals))]


@dataclass
class Manifest:
    """What one run found and wrote, field for field as ``highlights.json`` stores it.

    ``complete`` turns true only when every output listed is written; ``applied_intervals``
    is the interval settings that made ``intervals`` (``highlight cut`` changes them
    without a new analysis); ``decode`` and ``plugin_intervals`` come from the frame
    loop and are absent (None) in a manifest written before they existed.
    """

    source: VideoInfo
    settings: dict[str, Any] = field(default_factory=dict)
    settings_key: str = ""
    applied_intervals: dict[str, Any] = field(default_factory=dict)
    detector: dict[str, Any] = field(default_factory=dict)
    format: int = FORMAT_VERSION
    tool: str = f"highlight {__version__}"
    created: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    complete: bool = False
    scores: str = SCORES_FILE
    intervals: list[IntervalEntry] = field(default_factory=list)
    reel: str | None = None
    # The review the reel follows (``highlight review``, then ``highlight export``): the
    # recording's review revision and the spans the reel plays. None: the detected highlights.
    reel_review: ReelReview | None = None
    plugins: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)  # how the highlights were chosen, or what to try
    timing: dict[str, float] = field(default_factory=dict)
    decode: dict[str, Any] | None = None
    plugin_intervals: list[Interval] | None = None
    # The highlight.toml that applied, and where each setting that differs from the default
    # came from (a file, a preset, the command line): see highlight.layers. Absent when empty.
    camera_file: str | None = None
    settings_from: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def new(
        cls, info: VideoInfo, settings: dict[str, Any], settings_key: str, detector: dict[str, Any], **provenance: Any
    ) -> Manifest:
        """A run's manifest before anything is written: not complete, no intervals.

        ``provenance``: ``camera_file`` and ``settings_from``, as ``RunSettings.provenance`` gives them.
        """
        return cls(info, settings, settings_key, dict(settings.get("intervals", {})), detector, **provenance)

    # -- reading what a run left ------------------------------------------------------

    def recording(self, folder: Path) -> Path:
        """The recording these outputs were cut from, for cutting again or an editor's timeline.

        A part of a ``highlight live`` session has none: its source was a stream (or a
        camera) and only the clips were kept, so it says that in one line rather than
        failing on a stream address as if it were a file.
        """
        if LIVE_EXTRA in self.extra:
            raise HighlightError(
                f"{folder}: a part of a live session from {self.source.path}; no recording was kept to cut "
                "from again, its clips are the footage"
            )
        return Path(self.source.path)

    def same_source(self, info: VideoInfo) -> bool:
        """Same file content as far as size and modification time tell (a re-export changes both)."""
        return self.source.size_bytes == info.size_bytes and abs(self.source.mtime - info.mtime) < 1e-3

    def output_files(self) -> list[str]:
        """Every file the manifest lists, relative to its folder."""
        names = [self.scores or SCORES_FILE]
        for interval in self.intervals:
            names += interval.files()
        if self.reel:
            names.append(self.reel)
        return names

    def playing_seconds(self) -> dict[str, float]:
        """How long each listed video file plays, as the writer cut it (slow motion lasts 1/speed longer)."""
        slowmo = self.settings.get("slowmo")
        seconds: dict[str, float] = {}
        for entry in self.intervals:
            if entry.clip:
                seconds[entry.clip] = entry.end - entry.start
            if entry.slowmo_clip and slowmo:
                seconds[entry.slowmo_clip] = (entry.end - entry.start) / float(slowmo)
        if self.reel:
            seconds[self.reel] = sum(end - start for start, end in self.reel_spans())
        return seconds

    def reel_spans(self) -> list[tuple[float, float]]:
        """The stretches of the recording the reel plays: a review's, else the detected highlights' union."""
        if self.reel_review is not None:
            return list(self.reel_review.spans)
        return spans_of(Interval(entry.start, entry.end) for entry in self.intervals)

    def intact_files(self, folder: Path) -> set[str]:
        """The listed files that are there and whole; each clip is probed, not trusted.

        A clip can be damaged after it was verified and listed: a disk that filled up
        under a copy, a sync tool, a hand edit. Resuming or skipping on the strength of
        the list alone would report such a video done for good; a probe (header, last
        second decoded, duration) costs milliseconds per clip.
        """
        from highlight.export.clips import is_intact  # clips imports moviepy's world; only when asked

        seconds = self.playing_seconds()
        intact = set()
        for name in self.output_files():
            path = folder / name
            if is_intact(path, seconds[name]) if name in seconds else _non_empty(path):
                intact.add(name)
        return intact

    def notes(self) -> list[str]:
        """What a person should read beside the counts: errors, hints, what the detector did about the recording
        (a camera that moved or shook, a dark picture), plugin failures, then plugin summaries."""
        results = {name: r for name, r in self.plugins.items() if isinstance(r, dict)}
        return (
            [*self.errors, *self.hints, *self.detector_notes()]
            + [f"plugin {name}: {r['error']}" for name, r in results.items() if "error" in r]
            + [f"{name}: {r['summary']}" for name, r in results.items() if r.get("summary")]
        )

    def detector_notes(self) -> list[str]:
        """The detector's lines on what it did about the recording (``DETECTOR_NOTES``), where it said any."""
        return [str(self.detector[key]) for key in DETECTOR_NOTES if self.detector.get(key)]

    @property
    def detector_name(self) -> str:
        return str(self.detector.get("name", self.settings.get("detector", "?")))

    @property
    def interval_settings(self) -> dict[str, Any]:
        """The interval settings of the run (threshold, exit_threshold, ...), as stored."""
        return dict(self.settings.get("intervals", {}))

    # -- the file ---------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The JSON object, keys in the order version 1 wrote them."""
        data: dict[str, Any] = {
            "format": self.format,
            "tool": self.tool,
            "created": self.created,
            "complete": self.complete,
            "source": self.source.to_dict(),
            "settings": self.settings,
            "settings_key": self.settings_key,
            "applied_intervals": self.applied_intervals,
            "detector": self.detector,
            "scores": self.scores,
            "intervals": [i.to_dict() for i in self.intervals],
            "reel": self.reel,
            "plugins": self.plugins,
            "errors": self.errors,
            "timing": self.timing,
        }
        if self.hints:
            data["hints"] = self.hints
        if self.decode is not None:
            data["decode"] = self.decode
        if self.plugin_intervals is not None:
            data["plugin_intervals"] = [[i.start, i.end] for i in self.plugin_intervals]
        if self.reel_review is not None:
            data["reel_review"] = self.reel_review.to_dict()
        if self.camera_file:
            data["camera_file"] = self.camera_file
        if self.settings_from:
            data["settings_from"] = self.settings_from
        return {**data, **{k: v for k, v in self.extra.items() if k not in data}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        """Version 1 or 2; KeyError, TypeError or ValueError where a field has the wrong shape."""
        known = {f.name for f in fields(cls)} - {"extra"}
        plugin_intervals = data.get("plugin_intervals")
        _check_objects(data)
        return cls(
            source=source_from_dict(data.get("source") or {}),
            settings=dict(data.get("settings") or {}),
            settings_key=str(data.get("settings_key", "")),
            applied_intervals=dict(data.get("applied_intervals") or {}),
            detector=dict(data.get("detector") or {}),
            format=int(data.get("format", 1)),
            tool=str(data.get("tool", "")),
            created=str(data.get("created", "")),
            complete=bool(data.get("complete", False)),
            scores=file_in_folder(str(data.get("scores") or SCORES_FILE), "scores"),
            intervals=[_interval_entry(k, i) for k, i in enumerate(data.get("intervals") or [])],
            reel=file_in_folder(data.get("reel"), "reel"),
            reel_review=ReelReview.from_dict(data["reel_review"]) if data.get("reel_review") else None,
            plugins=dict(data.get("plugins") or {}),
            errors=[str(e) for e in data.get("errors") or []],
            hints=[str(h) for h in data.get("hints") or []],
            timing=dict(data.get("timing") or {}),
            decode=data.get("decode"),
            plugin_intervals=None if plugin_intervals is None else [Interval(a, b) for a, b in plugin_intervals],
            camera_file=data.get("camera_file"),
            settings_from={str(k): str(v) for k, v in (data.get("settings_from") or {}).items()},
            extra={k: v for k, v in data.items() if k not in known},
        )

    def save(self, folder: Path) -> None:
        """Atomically: a reader never sees half a manifest. A version-1 manifest saved again
        (``highlight cut``) is written by this writer, so it says the current version."""
        self.format = FORMAT_VERSION
        write_json(Path(folder) / MANIFEST_FILE, self.to_dict())


def _check_objects(data: dict[str, Any]) -> None:
    """TypeError naming the field where a hand edit left a value where an object (or a text) belongs.

    Checked when the file is read, so that ``cut``, ``export`` and ``report`` blame the
    manifest in one line instead of failing later on whatever touches the field first.
    """
    settings = data.get("settings") or {}
    objects = {
        "settings": settings,
        "settings.intervals": settings.get("intervals", {}) if isinstance(settings, dict) else {},
        "settings.clip": settings.get("clip", {}) if isinstance(settings, dict) else {},
        "applied_intervals": data.get("applied_intervals") or {},
        "detector": data.get("detector") or {},
        "plugins": data.get("plugins") or {},
        "timing": data.get("timing") or {},
        "decode": data.get("decode") or {},
        "settings_from": data.get("settings_from") or {},
    }
    for name, value in objects.items():
        if not isinstance(value, dict):
            raise TypeError(f"{name} {value!r}: expected an object")
    for name in ("camera_file",):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise TypeError(f"{name} {data[name]!r}: expected a text")


def _interval_entry(position: int, data: Any) -> IntervalEntry:
    """An interval of the list; an error says which one (``intervals[2].clip ...``)."""
    if not isinstance(data, dict):
        raise TypeError(f"intervals[{position}] is not an object")
    try:
        return IntervalEntry.from_dict(data)
    except OutsideFolder as error:
        raise OutsideFolder(f"intervals[{position}].{error}") from None


def manifest_path(folder: Path) -> Path:
    """``folder/highlights.json``, or the path itself where a manifest file was named."""
    folder = Path(folder)
    return folder / MANIFEST_FILE if folder.is_dir() or not folder.suffix else folder


def load(folder: Path) -> Manifest:
    """The manifest of an output folder (or a manifest file); HighlightError names the file and why."""
    path = manifest_path(folder)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HighlightError(f"{path}: not found (run `highlight run` on the recording first)") from None
    except json.JSONDecodeError as error:
        raise HighlightError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise HighlightError(f"{path}: not a highlights manifest (a JSON object was expected)")
    if data.get("format", 1) not in READABLE_VERSIONS:
        raise HighlightError(
            f"{path}: manifest format {data.get('format')!r} is not one this highlight reads "
            f"({', '.join(map(str, READABLE_VERSIONS))}); a newer highlight wrote it"
        )
    try:
        return Manifest.from_dict(data)
    except OutsideFolder as error:
        raise HighlightError(f"{path}: {error}; nothing was read, written or deleted for it") from None
    except (KeyError, TypeError, ValueError) as error:
        raise HighlightError(f"{path}: not a highlights manifest ({type(error).__name__}: {error})") from None


def load_if_present(folder: Path) -> Manifest | None:
    """The manifest, or None where there is none or it is unreadable (a run then starts afresh)."""
    try:
        return load(folder)
    except HighlightError:
        return None


def is_done(manifest: Manifest | None, info: VideoInfo, settings_key: str, folder: Path) -> bool:
    """A finished run of this source with these settings whose every output is still there and whole."""
    if manifest is None or not manifest.complete or manifest.settings_key != settings_key:
        return False
    if not manifest.same_source(info):
        return False
    return set(manifest.output_files()) <= manifest.intact_files(folder)


def _non_empty(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except OSError:
        return False
