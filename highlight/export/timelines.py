"""Editor timelines from ``highlights.json``: CMX 3600 EDL, FCPXML, FCP7 XML and ``.otio``.

One OpenTimelineIO timeline is built from the manifest (one video track, one clip per
highlight, in order, each referencing the original recording) and handed to
OpenTimelineIO's adapters, which write the formats editors read. Where an adapter
falls short, its output is corrected rather than replaced:

* EDL: the writer leaves out the ``FCM:`` line that tells an editor whether the
  timecode is drop-frame; it is added (drop-frame at 29.97 and 59.94, as the writer's
  ``;`` timecodes already are).
* FCPXML: the writer knows only a fixed table of rates, keyed by float, so 29.97 (30000/1001)
  gets an empty ``frameDuration``; the format element is rewritten with the exact
  frame duration and the frame size, and the whole-recording browser clips it adds,
  named after single highlights, are dropped.

Frames, once for all formats: a time in seconds maps to the frame whose start is
nearest, ``floor(seconds * rate + 1/2)``, computed with exact fractions of the
manifest's decimal seconds and the exact rate. The manifest keeps milliseconds, so a
time that was a frame's timestamp (refined edges are) maps back to exactly that frame;
the clip's source out point is exclusive, as in every editor. Source timecode is
taken to start at 00:00:00:00 (the recording's first frame).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from highlight import HighlightError
from highlight.atomic import write_text
from highlight.export import manifest as manifests
from highlight.export.manifest import IntervalEntry, Manifest
from highlight.source import VideoInfo

# Rates editors know; a measured average within 1% of one of them is taken to be it.
STANDARD_RATES = [
    Fraction(24000, 1001),
    Fraction(24),
    Fraction(25),
    Fraction(30000, 1001),
    Fraction(30),
    Fraction(48),
    Fraction(50),
    Fraction(60000, 1001),
    Fraction(60),
    Fraction(100),
    Fraction(120000, 1001),
    Fraction(120),
    Fraction(240),
]
DROP_FRAME_RATES = {Fraction(30000, 1001), Fraction(60000, 1001)}


@dataclass(frozen=True)
class TimelineFormat:
    name: str  # as given to --export / --format
    adapter: str  # OpenTimelineIO adapter
    filename: str  # in the video's output folder
    description: str
    fix: Callable[[str, SourceFacts], str] = lambda text, facts: text


@dataclass(frozen=True)
class SourceFacts:
    rate: Fraction
    stem: str
    width: int
    height: int


def exact_frame_rate(source: VideoInfo) -> Fraction:
    """The source's rate as an exact fraction: 29.97 is 30000/1001, not 2997/100.

    Uses ``fps_rational`` (recorded by ``probe``) when it is a whole or NTSC rate;
    otherwise snaps to the nearest standard rate within 1%, as editors do with phone
    recordings; otherwise the float, as a fraction with denominator up to 1001.
    """
    text = source.fps_rational or ""
    if text:
        rate = Fraction(text)
        if rate.denominator in (1, 1001):
            return rate
    else:
        rate = Fraction(source.fps or 30.0)
    if rate <= 0:
        raise HighlightError(f"{source.path}: no usable frame rate in the manifest")
    nearest = min(STANDARD_RATES, key=lambda r: abs(r - rate) / r)
    if abs(nearest - rate) / nearest < Fraction(1, 100):
        return nearest
    return rate.limit_denominator(1001)


def to_frame(seconds: float, rate: Fraction) -> int:
    """The frame nearest to ``seconds`` (the one rounding rule every format shares)."""
    return math.floor(Fraction(str(seconds)) * rate + Fraction(1, 2))


def clip_label(stem: str, interval: IntervalEntry) -> str:
    """The clip's name in an editor's bin: the recording, its number and how strong it was."""
    return f"{stem} #{interval.index:02d} peak {interval.peak:.2f}"


def build_timeline(manifest: Manifest, path: Path):
    """The highlights of one video (the recording at ``path``) as an OpenTimelineIO timeline (source frames, exact rate)."""
    import opentimelineio as otio

    source = manifest.source
    rate = exact_frame_rate(source)
    fps = float(rate)
    rt = otio.opentime.RationalTime
    span = otio.opentime.TimeRange
    total = source.frame_count or to_frame(source.duration, rate)
    timeline = otio.schema.Timeline(name=f"{path.stem} highlights")
    timeline.global_start_time = rt(0, fps)
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    for interval in manifest.intervals:
        first, end = to_frame(interval.start, rate), to_frame(interval.end, rate)
        if end <= first:
            continue
        reference = otio.schema.ExternalReference(
            target_url=path.as_uri(), available_range=span(rt(0, fps), rt(total, fps))
        )
        clip = otio.schema.Clip(
            name=clip_label(path.stem, interval),
            media_reference=reference,
            source_range=span(rt(first, fps), rt(end - first, fps)),
        )
        clip.metadata["highlight"] = {
            k: getattr(interval, k) for k in ("index", "start", "end", "peak", "peak_time", "clip")
        }
        peak = min(max(to_frame(interval.peak_time, rate), first), end - 1)
        clip.markers.append(
            otio.schema.Marker(
                name=f"peak {interval.peak:.2f}",
                marked_range=span(rt(peak, fps), rt(0, fps)),
                color=otio.schema.MarkerColor.RED,
            )
        )
        track.append(clip)
    return timeline


def _fix_edl(text: str, facts: SourceFacts) -> str:
    fcm = "FCM: DROP FRAME" if facts.rate in DROP_FRAME_RATES else "FCM: NON-DROP FRAME"
    if text.startswith("TITLE:"):
        title, _, rest = text.partition("\n")
        return f"{title}\n{fcm}\n{rest}"
    return f"{fcm}\n\n{text}"


def _fix_fcpxml(text: str, facts: SourceFacts) -> str:
    duration = Fraction(1) / facts.rate
    fixed = (
        f'<format id="\\1" frameDuration="{duration.numerator}/{duration.denominator}s" '
        f'width="{facts.width}" height="{facts.height}"/>'
    )
    text = re.sub(r'<format id="([^"]+)"[^>]*/>', fixed, text)
    # The writer also lists each highlight as a browser clip of the WHOLE recording,
    # named after one highlight, beside the project: misleading, and not needed.
    text = re.sub(r"\n\s*<asset-clip [^>]*/>", "", text)
    return re.sub(r'(<asset name=")[^"]*', lambda m: m.group(1) + html.escape(facts.stem, quote=True), text)


FORMATS: dict[str, TimelineFormat] = {
    f.name: f
    for f in [
        TimelineFormat("edl", "cmx_3600", "highlights.edl", "CMX 3600 EDL (any editor)", _fix_edl),
        TimelineFormat(
            "fcpxml", "fcpx_xml", "highlights.fcpxml", "FCPXML (Final Cut Pro, DaVinci Resolve)", _fix_fcpxml
        ),
        TimelineFormat("fcp7", "fcp_xml", "highlights_fcp7.xml", "FCP7 XML (Premiere Pro, Resolve)"),
        TimelineFormat("otio", "otio_json", "highlights.otio", "OpenTimelineIO"),
    ]
}


def parse_formats(text: str | Iterable[str]) -> list[str]:
    """``"edl,fcpxml"`` (or ``all``) -> validated format names; ValueError names the unknown one."""
    items = text.split(",") if isinstance(text, str) else [p for t in text for p in t.split(",")]
    names: list[str] = []
    for item in (i.strip().lower() for i in items):
        if not item:
            continue
        if item == "all":
            names.extend(FORMATS)
        elif item in FORMATS:
            names.append(item)
        else:
            raise ValueError(f"unknown timeline format {item!r} (choose from {', '.join(FORMATS)}, all)")
    return list(dict.fromkeys(names))


def write_timelines(folder: Path, formats: Iterable[str]) -> list[Path]:
    """Write the chosen timelines of one video's output folder from its highlights.json.

    A video without highlights gets none (and loses any from an earlier run).
    """
    import opentimelineio as otio

    folder = Path(folder)
    manifest = manifests.load(folder)
    source = manifest.source
    recording = manifest.recording(folder)
    facts = SourceFacts(exact_frame_rate(source), recording.stem, source.width, source.height)
    timeline = build_timeline(manifest, recording)
    written = []
    for name in formats:
        spec = FORMATS[name]
        if not len(timeline.tracks[0]):  # no highlights: no timeline (editors reject empty ones)
            (folder / spec.filename).unlink(missing_ok=True)
            continue
        options = {"rate": float(facts.rate)} if spec.adapter == "cmx_3600" else {}
        try:
            text = otio.adapters.write_to_string(timeline.deepcopy(), spec.adapter, **options)
        except Exception as error:  # an adapter's failure names the format, the batch goes on
            raise HighlightError(
                f"{folder}: cannot write {spec.description} ({type(error).__name__}: {error})"
            ) from None
        path = folder / spec.filename
        write_text(path, spec.fix(text, facts))
        written.append(path)
    return written
