"""Editor timelines from ``highlights.json``: CMX 3600 EDL (and Resolve markers), FCPXML, FCP7 XML, ``.otio``,
Kdenlive and Shotcut.

One OpenTimelineIO timeline is built from the manifest (a video track and, where the
recording has sound, an audio track with the same cuts; one clip per highlight, in
order, each referencing the original recording; a marker at each peak, named by what
the plugins found there) and each format is written from it by one function in
``FORMATS``. OpenTimelineIO's adapters write EDL, FCP7 XML and ``.otio``; where an
adapter falls short its output is corrected rather than replaced:

* EDL: the writer leaves out the ``FCM:`` line, always writes 29.97 drop-frame, writes
  video events only and names the event's clip rather than the file Resolve links by;
  all four are corrected, and the peak's name in Resolve's marker form follows each event.
  Resolve imports markers from an EDL of their own (``markers``: one one-frame event per
  peak at its place on the highlights timeline, ``|C:ResolveColorBlue |M:name |D:1``).
* FCP7 XML: the writer puts clip markers at media time plus the start timecode;
  Premiere counts them from the media's first frame.

FCPXML is written here (the adapter fails on an audio track and has no 29.97), and the
MLT projects of Kdenlive and Shotcut in ``highlight.export.mlt``.

Frames, once for all formats (and the Blender add-on): ``timeline_rules.to_frame``, the
frame whose start is nearest, in exact fractions, so a time that was a frame's timestamp
(refined edges are) maps back to exactly that frame; the clip's source out point is
exclusive, as in every editor. Source times count from
the recording's start timecode (its ``tmcd`` track; 00:00:00:00 when it has none), so
an editor links a camera file whose timecode starts at 10:00:00:00 to the right frames.
"""

from __future__ import annotations

import html
import re
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from highlight import HighlightError
from highlight.atomic import write_text
from highlight.discover import printable
from highlight.export import manifest as manifests
from highlight.export import mlt
from highlight.export.manifest import IntervalEntry, Manifest
from highlight.export.timeline_rules import peak_name, to_frame
from highlight.review.applied import review_of, reviewed_intervals
from highlight.source import VideoInfo, read_start_timecode

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
class SourceFacts:
    """What every format needs beyond the timeline itself, derived once from the manifest."""

    rate: Fraction
    stem: str
    uri: str  # the recording, as a file:// URL
    width: int
    height: int
    total_frames: int
    start_frame: int  # the recording's start timecode, in frames (0 when it has none)
    drop_frame: bool  # timecodes written drop-frame: as the recording's, else at 29.97 and 59.94
    audio_channels: int  # 0: no sound

    @property
    def file_name(self) -> str:
        """The recording's file name, as editors show it and Resolve links an EDL's events by."""
        return Path(urllib.parse.unquote(urllib.parse.urlparse(self.uri).path)).name


@dataclass(frozen=True)
class TimelineFormat:
    name: str  # as given to --export / --format
    filename: str  # in the video's output folder
    description: str
    write: Callable[[Any, SourceFacts], str]  # (OpenTimelineIO timeline, facts) -> the file's text


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


def _drop_per_minute(rate: Fraction) -> int:
    """Frame numbers skipped each minute (but every tenth) in drop-frame timecode: 2 at 29.97, 4 at 59.94."""
    return round(rate) // 15


def is_drop_frame(timecode: str, rate: Fraction) -> bool:
    """Whether ``timecode`` counts drop-frame: a separator other than ``:`` before the frames (``;``,
    or ``.`` and ``,`` as FFmpeg also reads them), at a rate that has drop-frame timecode."""
    return rate in DROP_FRAME_RATES and bool(re.search(r"[;.,]\d+$", timecode))


def timecode_frames(timecode: str, rate: Fraction) -> int:
    """``"10:00:00:00"`` -> frames since 00:00:00:00 (``"10:00:00;00"``: drop-frame, at 29.97 1078920)."""
    hours, minutes, seconds, frames = (int(part) for part in re.split(r"[:;.,]", timecode))
    nominal = round(rate)
    count = ((hours * 60 + minutes) * 60 + seconds) * nominal + frames
    if is_drop_frame(timecode, rate):
        total_minutes = hours * 60 + minutes
        count -= _drop_per_minute(rate) * (total_minutes - total_minutes // 10)
    return count


def format_timecode(frame: int, rate: Fraction, drop_frame: bool) -> str:
    """Frames since 00:00:00:00 -> ``HH:MM:SS:FF`` (``HH:MM:SS;FF`` drop-frame); the inverse of ``timecode_frames``."""
    nominal = round(rate)
    if drop_frame:
        drop = _drop_per_minute(rate)
        per_ten, per_minute = nominal * 600 - 9 * drop, nominal * 60 - drop
        tens, rest = divmod(frame, per_ten)
        frame += 9 * drop * tens + (drop * ((rest - drop) // per_minute) if rest > drop else 0)
    seconds, frames = divmod(frame, nominal)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{';' if drop_frame else ':'}{frames:02d}"


def source_facts(manifest: Manifest, path: Path) -> SourceFacts:
    """The recording at ``path`` as the timelines need it (exact rate, start timecode, sound)."""
    source = manifest.source
    rate = exact_frame_rate(source)
    # A manifest from before probe recorded the start timecode: read it from the recording.
    timecode = source.start_timecode or (read_start_timecode(path) if path.is_file() else "")
    return SourceFacts(
        rate=rate,
        stem=printable(path.stem),  # a name that is not UTF-8 shown escaped; the URI keeps its bytes
        uri=path.as_uri(),
        width=source.width,
        height=source.height,
        total_frames=source.frame_count or to_frame(source.duration, rate),
        start_frame=timecode_frames(timecode, rate) if timecode else 0,
        drop_frame=is_drop_frame(timecode, rate) if timecode else rate in DROP_FRAME_RATES,
        audio_channels=source.audio_channels or (2 if source.has_audio else 0),
    )


def clip_label(stem: str, interval: IntervalEntry) -> str:
    """The clip's name in an editor's bin: the recording, its number and how strong it was."""
    return f"{stem} #{interval.index:02d} peak {interval.peak:.2f}"


def build_timeline(manifest: Manifest, facts: SourceFacts):
    """The highlights of one video as an OpenTimelineIO timeline: a video track and, where the
    recording has sound, an audio track with the same cuts; source times count from the recording's
    start timecode (exact rate); a marker named by ``peak_name`` at each peak, on the video clip."""
    import opentimelineio as otio

    fps = float(facts.rate)
    rt = otio.opentime.RationalTime
    span = otio.opentime.TimeRange
    timeline = otio.schema.Timeline(name=f"{facts.stem} highlights")
    timeline.global_start_time = rt(0, fps)
    kinds = [otio.schema.TrackKind.Video] + [otio.schema.TrackKind.Audio] * bool(facts.audio_channels)
    for kind in kinds:
        track = otio.schema.Track(name="V1" if kind == otio.schema.TrackKind.Video else "A1", kind=kind)
        timeline.tracks.append(track)
        for interval in manifest.intervals:
            first, end = to_frame(interval.start, facts.rate), to_frame(interval.end, facts.rate)
            if end <= first:
                continue
            reference = otio.schema.ExternalReference(
                target_url=facts.uri, available_range=span(rt(facts.start_frame, fps), rt(facts.total_frames, fps))
            )
            clip = otio.schema.Clip(
                name=clip_label(facts.stem, interval),
                media_reference=reference,
                source_range=span(rt(facts.start_frame + first, fps), rt(end - first, fps)),
            )
            clip.metadata["highlight"] = {
                k: getattr(interval, k) for k in ("index", "start", "end", "peak", "peak_time", "clip")
            }
            if kind == otio.schema.TrackKind.Video:
                peak = min(max(to_frame(interval.peak_time, facts.rate), first), end - 1)
                name = peak_name(
                    manifest.plugins, interval.start, interval.end, interval.peak_time, interval.index, interval.peak
                )
                clip.markers.append(
                    otio.schema.Marker(
                        name=name,
                        marked_range=span(rt(facts.start_frame + peak, fps), rt(0, fps)),
                        color=otio.schema.MarkerColor.BLUE,
                    )
                )
            track.append(clip)
    return timeline


def _adapter(adapter: str, fix: Callable[[str, Any, SourceFacts], str] = lambda text, timeline, facts: text):
    """A writer through OpenTimelineIO's ``adapter``, its output corrected by ``fix``."""

    def write(timeline, facts: SourceFacts) -> str:
        import opentimelineio as otio

        options = {"rate": float(facts.rate)} if adapter == "cmx_3600" else {}
        return fix(otio.adapters.write_to_string(timeline, adapter, **options), timeline, facts)

    return write


_EDL_TIMECODE = re.compile(r"\b\d{2}:\d{2}:\d{2}[:;]\d{2}\b")


def _fix_edl(text: str, timeline, facts: SourceFacts) -> str:
    """The FCM line; timecodes drop-frame only where the recording's are; the sound channels on each
    event; the recording's file name as the clip name (Resolve links media by it); under each event,
    after its ``LOC`` at the peak, the peak's name in Resolve's marker form (``|C: |M: |D:``); the
    markers Resolve imports onto a timeline are ``highlights_markers.edl``, one event per peak."""
    writer_drops = facts.rate in DROP_FRAME_RATES
    if facts.drop_frame != writer_drops:
        text = _EDL_TIMECODE.sub(
            lambda m: format_timecode(timecode_frames(m.group(0), facts.rate), facts.rate, facts.drop_frame), text
        )
    channels = {0: "V   ", 1: "B   "}.get(facts.audio_channels, "AA/V")
    text = re.sub(r"^(\d{3}\s+\S+\s+)V   ( +C\s)", lambda m: m.group(1) + channels + m.group(2), text, flags=re.M)
    text = re.sub(r"^\* FROM CLIP NAME:.*$", f"* FROM CLIP NAME: {facts.file_name}", text, flags=re.M)
    markers = iter([clip.markers[0] for clip in timeline.tracks[0]])

    def resolve_marker(match: re.Match) -> str:
        return f"{match.group(0)}\n{_resolve_marker_comment(next(markers).name)}"

    text = re.sub(r"^\* LOC: .*$", resolve_marker, text, flags=re.M)
    fcm = "FCM: DROP FRAME" if facts.drop_frame else "FCM: NON-DROP FRAME"
    if text.startswith("TITLE:"):
        title, _, rest = text.partition("\n")
        return f"{title}\n{fcm}\n{rest}"
    return f"{fcm}\n\n{text}"


def _resolve_marker_comment(name: str) -> str:
    """Resolve's marker line under an EDL event: blue, the name (no ``|`` or line break in it), one frame."""
    return " |C:ResolveColorBlue |M:" + re.sub(r"[|\r\n]", " ", name) + " |D:1"


def _resolve_markers(timeline, facts: SourceFacts) -> str:
    """Resolve's timeline markers as an EDL (Timeline > Import > Timeline Markers from EDL): one
    one-frame event per peak whose record time is the peak's place on the highlights timeline,
    the ``|C: |M: |D:`` line giving its colour, name and length, as Resolve itself exports them."""
    peaks, position = [], 0
    for clip in timeline.tracks[0]:
        start = int(clip.source_range.start_time.value)
        peaks += [(position + int(m.marked_range.start_time.value) - start, m.name) for m in clip.markers]
        position += int(clip.source_range.duration.value)
    lines = [f"TITLE: {timeline.name} markers", "FCM: DROP FRAME" if facts.drop_frame else "FCM: NON-DROP FRAME", ""]
    for number, (at, name) in enumerate(peaks, 1):
        first, after = (format_timecode(f, facts.rate, facts.drop_frame) for f in (at, at + 1))
        lines.append(f"{number:03d}  001      V     C        {first} {after} {first} {after}")
        lines.append(_resolve_marker_comment(name))
    return "\n".join(lines) + "\n"


def _fix_fcp7(text: str, timeline, facts: SourceFacts) -> str:
    """Clip markers in frames of the media, as Premiere reads them (the writer leaves the start timecode
    in); each sound clip says which of the file's sound tracks it plays (``sourcetrack``), and the
    file how many channels it has, which the writer leaves out."""

    def shift(match: re.Match) -> str:
        first, last = (int(v) - facts.start_frame for v in match.group(2, 4))
        return f"{match.group(1)}{first}{match.group(3)}{last}{match.group(5)}"

    text = re.sub(r"(<marker>\s*<name>[^<]*</name>\s*<in>)(-?\d+)(</in>\s*<out>)(-?\d+)(</out>)", shift, text)
    head, found, sound = text.rpartition("<audio>\n")
    if found and facts.audio_channels:
        source_track = "<sourcetrack><mediatype>audio</mediatype><trackindex>1</trackindex></sourcetrack>"
        sound = re.sub(r"(\s*)</clipitem>", lambda m: f"{m.group(1)}    {source_track}{m.group(0)}", sound)
        text = head + found + sound
        channels = f"<audio><channelcount>{facts.audio_channels}</channelcount></audio>"
        text = re.sub(r"(<media>\s*<video\s*/>\s*)<audio\s*/>", lambda m: m.group(1) + channels, text, count=1)
    return text


def _fcpxml(timeline, facts: SourceFacts) -> str:
    """FCPXML 1.8 (Final Cut Pro, Resolve), written here: OpenTimelineIO's writer knows no 29.97 and no
    audio. One asset (the recording, its start timecode, its sound), one ``asset-clip`` per highlight
    end to end on the spine (an asset-clip brings the asset's sound with it), a marker at each peak.
    Every time is a whole number of frames as an exact fraction of seconds, as Final Cut requires."""
    frame = 1 / facts.rate

    def seconds(frames: int) -> str:
        value = frames * frame
        return f"{value.numerator}s" if value.denominator == 1 else f"{value.numerator}/{value.denominator}s"

    def attr(value: str) -> str:
        return html.escape(value, quote=True)

    tc_format = "DF" if facts.drop_frame else "NDF"
    sound = f' hasAudio="1" audioSources="1" audioChannels="{facts.audio_channels}"' if facts.audio_channels else ""
    clips, offset = [], 0
    for clip in timeline.tracks[0]:
        start, count = int(clip.source_range.start_time.value), int(clip.source_range.duration.value)
        markers = "".join(
            f'\n          <marker start="{seconds(int(m.marked_range.start_time.value))}" duration="{seconds(1)}"'
            f' value="{attr(m.name)}"/>'
            for m in clip.markers
        )
        clips.append(
            f'        <asset-clip ref="r2" name="{attr(clip.name)}" offset="{seconds(offset)}" start="{seconds(start)}"'
            f' duration="{seconds(count)}" format="r1" tcFormat="{tc_format}">{markers}\n        </asset-clip>'
        )
        offset += count
    layout = {1: "mono", 2: "stereo"}.get(facts.audio_channels, "surround")
    name = attr(timeline.name)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE fcpxml>
<fcpxml version="1.8">
  <resources>
    <format id="r1" frameDuration="{seconds(1)}" width="{facts.width}" height="{facts.height}"/>
    <asset id="r2" name="{attr(facts.stem)}" src="{attr(facts.uri)}" start="{seconds(facts.start_frame)}" \
duration="{seconds(facts.total_frames)}" hasVideo="1" format="r1"{sound}/>
  </resources>
  <library>
    <event name="{name}">
      <project name="{name}">
        <sequence format="r1" duration="{seconds(offset)}" tcStart="0s" tcFormat="{tc_format}" \
audioLayout="{layout}" audioRate="48k">
          <spine>
{chr(10).join(clips)}
          </spine>
        </sequence>
      </project>
    </event>
  </library>
</fcpxml>
"""


FORMATS: dict[str, TimelineFormat] = {
    f.name: f
    for f in [
        TimelineFormat(
            "edl", "highlights.edl", "CMX 3600 EDL (any editor; Resolve markers)", _adapter("cmx_3600", _fix_edl)
        ),
        TimelineFormat("fcpxml", "highlights.fcpxml", "FCPXML (Final Cut Pro, DaVinci Resolve)", _fcpxml),
        TimelineFormat(
            "fcp7", "highlights_fcp7.xml", "FCP7 XML (Premiere Pro, Resolve)", _adapter("fcp_xml", _fix_fcp7)
        ),
        TimelineFormat("markers", "highlights_markers.edl", "Resolve timeline markers (EDL)", _resolve_markers),
        TimelineFormat("otio", "highlights.otio", "OpenTimelineIO", _adapter("otio_json")),
        TimelineFormat("kdenlive", "highlights.kdenlive", "Kdenlive project (MLT)", mlt.kdenlive),
        TimelineFormat("shotcut", "highlights.mlt", "Shotcut project (MLT)", mlt.shotcut),
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

    A recording reviewed in ``highlight review`` gets only its kept and added highlights.
    A video without highlights gets none (and loses any from an earlier run).
    """
    folder = Path(folder)
    manifest = manifests.load(folder)
    # Once reviewed: only what the user kept.
    manifest.intervals = reviewed_intervals(folder, manifest, review_of(folder, manifest))
    facts = source_facts(manifest, manifest.recording(folder))
    timeline = build_timeline(manifest, facts)
    written = []
    for name in formats:
        spec = FORMATS[name]
        if not len(timeline.tracks[0]):  # no highlights: no timeline (editors reject empty ones)
            (folder / spec.filename).unlink(missing_ok=True)
            continue
        try:
            text = spec.write(timeline.deepcopy(), facts)
        except Exception as error:  # a writer's failure names the format, the batch goes on
            raise HighlightError(
                f"{folder}: cannot write {spec.description} ({type(error).__name__}: {error})"
            ) from None
        path = folder / spec.filename
        write_text(path, text)
        written.append(path)
    return written
