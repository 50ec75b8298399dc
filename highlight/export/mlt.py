"""Kdenlive and Shotcut projects: MLT XML, the format both editors save and ``melt`` renders.

Both are written from the same OpenTimelineIO timeline as the other formats (see
``highlight.export.timelines``): the highlights end to end, each an entry of the original
recording with its sound, at the recording's exact frame rate (the profile's
``frame_rate_num/den``: 30000/1001 for 29.97), a marker (Kdenlive guide, Shotcut marker)
at each peak. MLT counts a clip's ``in`` and ``out`` in frames from the file's first
frame, both inclusive, whatever its timecode, so the timeline's source times lose the
start timecode here.

Kdenlive (23.04 and later, document version 1.1) wants each track as a tractor of two
playlists, the audio of a clip on its own track, a sequence tractor with a uuid listed
in the ``main_bin`` playlist, and a last tractor that plays that sequence; Shotcut wants
one playlist per track and a tractor marked ``shotcut``. The last tractor is what melt
plays, so both render the highlights reel as the editor would.
"""

from __future__ import annotations

import json
import uuid
from fractions import Fraction
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse
from xml.sax.saxutils import escape, quoteattr

if TYPE_CHECKING:
    from highlight.export.timelines import SourceFacts


def _properties(values: dict[str, Any], indent: str = "  ") -> str:
    return "".join(f"\n{indent}<property name={quoteattr(k)}>{escape(str(v))}</property>" for k, v in values.items())


def _profile(facts: SourceFacts) -> str:
    rate = facts.rate
    aspect = Fraction(facts.width, facts.height) if facts.height else Fraction(16, 9)
    return (
        f'<profile description="{facts.width}x{facts.height} {float(rate):.2f} fps" width="{facts.width}" '
        f'height="{facts.height}" progressive="1" sample_aspect_num="1" sample_aspect_den="1" '
        f'display_aspect_num="{aspect.numerator}" display_aspect_den="{aspect.denominator}" '
        f'frame_rate_num="{rate.numerator}" frame_rate_den="{rate.denominator}" colorspace="709"/>'
    )


def _cuts(timeline, facts: SourceFacts) -> list[tuple[int, int, str, list[tuple[int, str]]]]:
    """(first source frame, last source frame inclusive, name, [(peak frame in the reel, marker name)]) per clip."""
    cuts, position = [], 0
    for clip in timeline.tracks[0]:
        first = int(clip.source_range.start_time.value) - facts.start_frame
        count = int(clip.source_range.duration.value)
        peaks = [
            (position + int(m.marked_range.start_time.value) - facts.start_frame - first, m.name) for m in clip.markers
        ]
        cuts.append((first, first + count - 1, clip.name, peaks))
        position += count
    return cuts


def _chain(ident: str, facts: SourceFacts, extra: dict[str, Any]) -> str:
    values = {
        "length": facts.total_frames,
        "eof": "pause",
        "resource": unquote(urlparse(facts.uri).path),
        "mlt_service": "avformat-novalidate",
        "seekable": 1,
        "video_index": 0,
        "audio_index": 1 if facts.audio_channels else -1,
        **extra,
    }
    return f'<chain id="{ident}" out="{facts.total_frames - 1}">{_properties(values, "  ")}\n </chain>'


def _entries(producer: str, cuts, extra: str = "") -> str:
    return "".join(f'\n  <entry producer="{producer}" in="{a}" out="{b}">{extra}</entry>' for a, b, _, _ in cuts)


def _clock(frame: int, facts: SourceFacts) -> str:
    """A frame's start as MLT's clock string, ``HH:MM:SS.mmm``."""
    millis = round(Fraction(frame) / facts.rate * 1000)
    seconds, millis = divmod(millis, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def shotcut(timeline, facts: SourceFacts) -> str:
    """A Shotcut project: one video track (V1) whose clips carry their sound, a marker at each peak."""
    cuts = _cuts(timeline, facts)
    total = sum(b - a + 1 for a, b, _, _ in cuts)
    markers = "".join(
        f'\n   <properties name="{k}">'
        + _properties(
            {"text": name, "start": _clock(frame, facts), "end": _clock(frame, facts), "color": "#0000ff"}, "    "
        )
        + "\n   </properties>"
        for k, (frame, name) in enumerate(peak for cut in cuts for peak in cut[3])
    )
    black = {"length": total, "eof": "pause", "resource": 0, "mlt_service": "color", "set.test_audio": 0}
    sound = {"shotcut:projectAudioChannels": min(max(facts.audio_channels, 1), 2)}
    return f"""<?xml version="1.0" encoding="utf-8"?>
<mlt LC_NUMERIC="C" version="7.0.0" title="{escape(timeline.name)}" producer="main_bin">
 {_profile(facts)}
 <playlist id="main_bin">{_properties({"xml_retain": 1})}
 </playlist>
 <producer id="black" in="0" out="{total - 1}">{_properties(black)}
 </producer>
 <playlist id="background">
  <entry producer="black" in="0" out="{total - 1}"/>
 </playlist>
 {_chain("chain0", facts, {"shotcut:caption": facts.stem})}
 <playlist id="playlist0">{_properties({"shotcut:video": 1, "shotcut:name": "V1"})}{_entries("chain0", cuts)}
 </playlist>
 <tractor id="tractor0" title="{escape(timeline.name)}" in="0" out="{total - 1}">{_properties({"shotcut": 1, **sound})}
  <properties name="shotcut:markers">{markers}
  </properties>
  <track producer="background"/>
  <track producer="playlist0"/>
  <transition id="transition0">{
        _properties({"a_track": 0, "b_track": 1, "mlt_service": "mix", "always_active": 1, "sum": 1}, "   ")
    }
  </transition>
 </tractor>
</mlt>
"""


def kdenlive(timeline, facts: SourceFacts) -> str:
    """A Kdenlive 23.04+ project: a video track V1 and, with sound, an audio track A1 with the same cuts; a guide at each peak."""

    cuts = _cuts(timeline, facts)
    total = sum(b - a + 1 for a, b, _, _ in cuts)
    sequence_uuid = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, facts.uri + timeline.name)) + "}"
    guides = json.dumps([{"comment": name, "pos": frame, "type": 2} for cut in cuts for frame, name in cut[3]])
    clip_id = {"kdenlive:id": 2, "kdenlive:clipname": facts.stem}
    black = {
        "length": total,
        "eof": "continue",
        "resource": "black",
        "aspect_ratio": 1,
        "mlt_service": "color",
        "kdenlive:playlistid": "black_track",
        "mlt_image_format": "rgba",
        "set.test_audio": 0,
    }
    tracks = [("video", "V1", _chain("chain_video", facts, {**clip_id, "set.test_audio": 1}), "chain_video")]
    if facts.audio_channels:
        tracks.insert(0, ("audio", "A1", _chain("chain_audio", facts, {**clip_id, "set.test_image": 1}), "chain_audio"))
    parts, track_refs, transitions = [], ['  <track producer="black_track"/>'], []
    for number, (kind, name, chain, producer) in enumerate(tracks, 1):
        hide = "video" if kind == "audio" else "audio"
        track_properties = {"kdenlive:track_name": name, **({"kdenlive:audio_track": 1} if kind == "audio" else {})}
        parts.append(
            f""" {chain}
 <playlist id="playlist_{name}_a">{_entries(producer, cuts, _properties({"kdenlive:id": 2}, "   ") + chr(10) + "  ")}
 </playlist>
 <playlist id="playlist_{name}_b"/>
 <tractor id="tractor_{name}" in="0" out="{total - 1}">{_properties(track_properties)}
  <track hide="{hide}" producer="playlist_{name}_a"/>
  <track hide="{hide}" producer="playlist_{name}_b"/>
 </tractor>"""
        )
        track_refs.append(f'  <track producer="tractor_{name}"/>')
        if kind == "audio":  # sound is mixed down onto the black track; the picture of the top track shows
            transition = {"a_track": 0, "b_track": number, "mlt_service": "mix", "sum": 1, "always_active": 1}
            transitions.append(f' <transition id="transition_{name}">{_properties(transition, "   ")}\n  </transition>')
    bin_properties = {
        "kdenlive:docproperties.version": "1.1",
        "kdenlive:docproperties.uuid": sequence_uuid,
        "kdenlive:docproperties.activetimeline": sequence_uuid,
        "kdenlive:docproperties.opensequences": sequence_uuid,
        "kdenlive:docproperties.profile": "",
        "xml_retain": 1,
    }
    sequence_properties = {
        "kdenlive:uuid": sequence_uuid,
        "kdenlive:clipname": timeline.name,
        "kdenlive:sequenceproperties.guides": guides,
        "kdenlive:producer_type": 17,
        "kdenlive:id": 3,
        "kdenlive:duration": _clock(total, facts),
    }
    newline = "\n"
    return f"""<?xml version="1.0" encoding="utf-8"?>
<mlt LC_NUMERIC="C" version="7.0.0" producer="main_bin" root="">
 {_profile(facts)}
 <producer id="black_track" in="0" out="{total - 1}">{_properties(black)}
 </producer>
{newline.join(parts)}
 <tractor id="sequence" in="0" out="{total - 1}">{_properties(sequence_properties)}
{newline.join(track_refs)}
{newline.join(transitions)}
 </tractor>
 {_chain("chain_bin", facts, clip_id)}
 <playlist id="main_bin">{_properties(bin_properties)}
  <entry producer="chain_bin" in="0" out="{facts.total_frames - 1}"/>
  <entry producer="sequence" in="0" out="{total - 1}"/>
 </playlist>
 <tractor id="project" in="0" out="{total - 1}">{_properties({"kdenlive:projectTractor": 1})}
  <track producer="sequence" in="0" out="{total - 1}"/>
 </tractor>
</mlt>
"""
