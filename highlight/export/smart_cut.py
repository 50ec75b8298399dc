"""Frame-accurate clips at nearly the speed of a copy: whole GOPs copied, only the edges re-encoded.

A GOP (keyframe to keyframe) that lies wholly inside the clip is copied packet for
packet. The GOP holding the start, and the one holding the end, are decoded and only
their frames inside the clip re-encoded with libx264 (the same size, pixel format,
colour range, time base and H.264 profile as the source, no B-frames). At a 1 s GOP
that is at most two seconds of encoding per clip, however long the clip.

One decodable stream from two encoders: an H.264 slice names its picture parameter
set, which names its sequence parameter set, by number. The re-encoded edges use
numbers the source does not (x264's ``sps-id``), and the clip's ``avcC`` (the MP4's
codec header) lists both encoders' parameter sets, so a decoder finds the right ones
for every slice without any parameter set in the stream itself. This is what
``avc1`` files are allowed to do (ISO/IEC 14496-15 lets a sample entry carry up to 31
SPS and 255 PPS), and it needs no change to the copied packets.

Where that cannot work (a codec other than H.264, a 10-bit or 4:2:2 source, a source
whose codec header is not ``avcC``, open GOPs), ``SmartCutUnsupported`` says why and the caller
falls back to a full re-encode.

Audio is copied, not re-encoded: the packets that start inside the clip, so the sound
is exact to one AAC frame (about 21 ms) without a second lossy generation or an audio
encoder's cost.
"""

from __future__ import annotations

import errno
import itertools
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
from av.codec.context import Flags

from highlight import HighlightError
from highlight.export.clips import ClipSettings
from highlight.export.stream_copy import ClipEdges, copy_streams, open_output, rebase, seconds, seek_to_keyframe

# H.264 NAL unit types (ITU-T H.264 table 7-1).
NAL_SPS, NAL_PPS, NAL_AUD = 7, 8, 9
X264_PROFILES = {"Baseline": "baseline", "Constrained Baseline": "baseline", "Main": "main", "High": "high"}
EIGHT_BIT_420 = ("yuv420p", "yuvj420p")


class SmartCutUnsupported(HighlightError):
    """The source's stream cannot be joined with re-encoded edges; the clip must be re-encoded whole."""


# -- H.264 parameter sets ---------------------------------------------------------------


def annexb_nal_units(data: bytes) -> list[bytes]:
    """The NAL units of an Annex B byte stream (start codes 00 00 01 or 00 00 00 01)."""
    units, start = [], data.find(b"\x00\x00\x01")
    while start >= 0:
        following = data.find(b"\x00\x00\x01", start + 3)
        unit = data[start + 3 : following if following >= 0 else len(data)]
        units.append(unit.rstrip(b"\x00") if following >= 0 else unit)
        start = following
    return [u for u in units if u]


def length_prefixed(units: Iterable[bytes], length_size: int) -> bytes:
    """NAL units as MP4 stores them: each after its length, big-endian."""
    return b"".join(len(u).to_bytes(length_size, "big") + u for u in units)


def _unsigned_golomb(data: bytes, bit: int) -> tuple[int, int]:
    """ue(v) read at ``bit`` of ``data``: (value, next bit). Emulation prevention does not occur this early."""
    zeros = 0
    while not data[(bit + zeros) // 8] >> (7 - (bit + zeros) % 8) & 1:
        zeros += 1
    bit += zeros + 1
    value = 0
    for _ in range(zeros):
        value = value << 1 | (data[bit // 8] >> (7 - bit % 8) & 1)
        bit += 1
    return (1 << zeros) - 1 + value, bit


def parameter_set_id(unit: bytes) -> int:
    """The id an SPS (after 3 bytes of profile and level) or a PPS (first field) declares."""
    kind = unit[0] & 0x1F
    return _unsigned_golomb(unit, 8 + (24 if kind == NAL_SPS else 0))[0]


@dataclass
class AvcConfig:
    """An ``avcC`` record (ISO/IEC 14496-15 5.3.3.1): the parameter sets an MP4 H.264 track declares."""

    header: bytes  # version, profile, compatibility, level
    length_size: int  # bytes before each NAL unit in the samples
    sps: list[bytes]
    pps: list[bytes]
    tail: bytes  # the High-profile extension (chroma format, bit depths...), kept as it was

    @classmethod
    def parse(cls, data: bytes) -> AvcConfig:
        if len(data) < 7 or data[0] != 1:
            raise SmartCutUnsupported("the H.264 codec header is not avcC (not an MP4/MOV track)")
        length_size = (data[4] & 3) + 1
        position, sets = 5, []
        for mask in (0x1F, 0xFF):
            count = data[position] & mask
            position += 1
            units = []
            for _ in range(count):
                size = int.from_bytes(data[position : position + 2], "big")
                units.append(data[position + 2 : position + 2 + size])
                position += 2 + size
            sets.append(units)
        return cls(data[:4], length_size, sets[0], sets[1], data[position:])

    def to_bytes(self) -> bytes:
        out = bytearray(self.header)
        out.append(0xFC | (self.length_size - 1))
        out.append(0xE0 | len(self.sps))
        out += b"".join(len(u).to_bytes(2, "big") + u for u in self.sps)
        out.append(len(self.pps))
        out += b"".join(len(u).to_bytes(2, "big") + u for u in self.pps)
        return bytes(out + self.tail)

    def free_id(self) -> int:
        """A parameter set id (0-31) that neither the SPS nor the PPS of this record use."""
        used = {parameter_set_id(u) for u in self.sps + self.pps}
        return next(i for i in range(1, 32) if i not in used)


# -- the edges' encoder -----------------------------------------------------------------


def x264_profile_matching(video) -> str:
    """The x264 profile whose output can join ``video``'s packets; SmartCutUnsupported where none can."""
    context = video.codec_context
    if context.name != "h264":
        raise SmartCutUnsupported(f"{context.name} video (the edges are re-encoded as H.264)")
    if context.pix_fmt not in EIGHT_BIT_420:
        raise SmartCutUnsupported(f"{context.pix_fmt} video (x264 here writes 8-bit 4:2:0)")
    profile = X264_PROFILES.get(context.profile or "")
    if profile is None:
        raise SmartCutUnsupported(f"H.264 {context.profile} profile")
    AvcConfig.parse(bytes(context.extradata or b""))
    return profile


class EdgeEncoder:
    """Encodes frames of the source as packets that the source's copied packets can follow.

    A fresh libx264 encoder per edge, so each edge starts with an IDR picture; its
    parameter sets use ``parameter_set_id``, and are added to the clip's ``avcC``.
    """

    def __init__(self, video, settings: ClipSettings):
        self.video, self.settings, self.profile = video, settings, x264_profile_matching(video)
        self.config = AvcConfig.parse(bytes(video.codec_context.extradata or b""))
        self.sps_id = self.config.free_id()
        self.units = annexb_nal_units(self._open().extradata)

    def _open(self):
        source = self.video.codec_context
        encoder = av.CodecContext.create("libx264", "w")
        encoder.width, encoder.height, encoder.pix_fmt = source.width, source.height, source.pix_fmt
        encoder.time_base = self.video.time_base
        encoder.framerate = self.video.average_rate or Fraction(30)
        for name in ("color_range", "colorspace", "color_primaries", "color_trc"):
            setattr(encoder, name, getattr(source, name))
        encoder.flags |= Flags.global_header  # the parameter sets as extradata, not in the stream
        encoder.thread_count = self.settings.threads
        encoder.options = {
            "preset": self.settings.preset,
            "crf": str(self.settings.crf),
            "profile": self.profile,
            "x264-params": f"sps-id={self.sps_id}:bframes=0:scenecut=0:keyint=infinite",
        }
        encoder.open()
        return encoder

    def merged_config(self) -> bytes:
        """The clip's avcC: the source's parameter sets, then the edges'."""
        config = self.config
        sps = config.sps + [u for u in self.units if u[0] & 0x1F == NAL_SPS]
        pps = config.pps + [u for u in self.units if u[0] & 0x1F == NAL_PPS]
        return AvcConfig(config.header, config.length_size, sps, pps, config.tail).to_bytes()

    def encode(self, frames: Iterable) -> Iterator[av.Packet]:
        """Packets (timed in the source's time base, length-prefixed NAL units) for ``frames``."""
        encoder = self._open()
        for frame in itertools.chain(frames, [None]):
            if frame is not None:
                frame.pict_type = av.video.frame.PictureType.NONE  # the encoder decides: only the first is an IDR
            for packet in encoder.encode(frame):
                units = [u for u in annexb_nal_units(bytes(packet)) if u[0] & 0x1F not in (NAL_SPS, NAL_PPS, NAL_AUD)]
                converted = av.Packet(length_prefixed(units, self.config.length_size))
                converted.pts, converted.dts = packet.pts, packet.pts
                converted.time_base = self.video.time_base
                converted.is_keyframe = packet.is_keyframe
                converted.duration = packet.duration
                yield converted


# -- the cut ----------------------------------------------------------------------------


def smart_clip(source: Path, start: float, end: float, path: Path, settings: ClipSettings) -> ClipEdges:
    """[start, end) of ``source`` as ``path``: whole GOPs copied, partial GOPs at the edges re-encoded.

    The clip holds every frame shown during [start, end) (see ``FrameWindow``), so
    each edge is less than a frame out. SmartCutUnsupported where the stream cannot be
    joined (the caller re-encodes the clip whole).
    """
    try:
        with av.open(str(source)) as container:
            video = container.streams.video[0]
            audio = container.streams.audio[:1]
            encoder = EdgeEncoder(video, settings)
            cut = SmartCut(video, audio[0] if audio else None, start, end, encoder)
            seek_to_keyframe(container, video, start)
            with open_output(path) as output:
                inputs = [video, *audio]
                streams = {s.index: copied for s, copied in zip(inputs, copy_streams(output, inputs))}
                streams[video.index].codec_context.extradata = encoder.merged_config()
                for index, packet in cut.packets(container.demux(video, *audio)):
                    packet.stream = streams[index]
                    output.mux(packet)
            return cut.edges()
    except av.error.FFmpegError as error:
        if error.errno == errno.ENOSPC:
            raise  # the caller knows the folder and what it needs: it says so
        reason = error.strerror or type(error).__name__  # not str(error): it names the temporary file
        raise HighlightError(f"{source}: cannot cut {start:.2f}-{end:.2f} s ({reason})") from None


@dataclass(frozen=True)
class FrameWindow:
    """Which frames a frame-accurate clip of [start, end) holds, in the stream's ticks.

    A frame at pts p is in when ``first_in <= p < first_out``: every frame shown during
    [start, end), so nothing is cut short and each edge is less than a frame out, as
    moviepy's re-encode cuts. Times within a millisecond of a frame's start count as
    that frame's (the manifest keeps milliseconds).
    """

    zero: int  # the stream's first timestamp: times in seconds count from it
    first_in: int
    first_out: int
    frame_ticks: int  # one frame at the nominal rate, for packets that do not say how long they show

    @classmethod
    def of(cls, video, start: float, end: float) -> FrameWindow:
        tb, zero = video.time_base, video.start_time or 0
        frame = 1 / Fraction(video.average_rate or 30)
        slack = Fraction(1, 1000)
        return cls(
            zero,
            zero + math.floor((Fraction(start) + slack - frame) / tb) + 1,  # shown until after the start
            zero + math.ceil((Fraction(end) - slack) / tb),  # starts before the end
            max(1, round(frame / tb)),
        )


def smart_edges(source: Path, start: float, end: float) -> ClipEdges:
    """Where ``smart_clip`` starts and ends the clip of [start, end), from packet timestamps (nothing decoded)."""
    with av.open(str(source)) as container:
        video = container.streams.video[0]
        x264_profile_matching(video)  # where smart_clip cannot cut, the clip is re-encoded: the asked edges
        window = FrameWindow.of(video, start, end)
        seek_to_keyframe(container, video, start)
        first, last_end, keyframe = None, None, -math.inf
        for packet in container.demux(video):
            if packet.pts is None or packet.dts is None:
                continue
            keyframe = packet.pts if packet.is_keyframe else keyframe
            if packet.pts < keyframe:
                raise SmartCutUnsupported("open GOPs")  # smart_clip refuses them too
            if packet.dts >= window.first_out:
                break  # shown no earlier than decoded: every later frame is after the end
            if window.first_in <= packet.pts < window.first_out:
                first = packet.pts if first is None else min(first, packet.pts)
                shown_until = packet.pts + (packet.duration or window.frame_ticks)
                last_end = shown_until if last_end is None else max(last_end, shown_until)
    if first is None:
        raise HighlightError(f"{source}: no frame between {start:.2f} and {end:.2f} s")
    tb = video.time_base
    return ClipEdges(seconds(first - window.zero, tb), seconds(last_end - window.zero, tb))


class SmartCut:
    """Sorts the demuxed packets GOP by GOP into copied and re-encoded, and times them from the clip's start."""

    def __init__(self, video, audio, start: float, end: float, encoder: EdgeEncoder):
        self.video, self.audio, self.encoder = video, audio, encoder
        window = FrameWindow.of(video, start, end)
        self.zero, self.first_in, self.first_out = window.zero, window.first_in, window.first_out
        self.frame_ticks = window.frame_ticks
        self.origin: int | None = None  # pts of the clip's first frame
        self.last_end: int | None = None  # where its last frame ends
        self.pending_audio: list = []
        self.done = False

    # packets in, packets out

    def packets(self, demuxed: Iterable) -> Iterator[tuple[int, av.Packet]]:
        gop: list = []
        for packet in demuxed:
            if packet.stream is not self.video:
                yield from self._audio(packet)
                if self.done and seconds(packet.pts or 0, packet.time_base) >= self._end_seconds():
                    break  # the audio has passed the video's end too
            elif packet.pts is not None and packet.dts is not None and not self.done:
                if packet.is_keyframe and gop:
                    yield from self._gop(gop, packet.pts)
                    gop = []
                    if self.done and self.audio is None:
                        break
                gop.append(packet)
        if gop and not self.done:  # the recording's last GOP
            yield from self._gop(gop, math.inf)
        if self.origin is None:
            raise HighlightError("no frame in the asked-for stretch")
        yield from self._flush_audio()

    def _gop(self, gop: list, next_keyframe: float) -> Iterator[tuple[int, av.Packet]]:
        keyframe = gop[0].pts
        if any(packet.pts < keyframe for packet in gop[1:]):
            # An open GOP: pictures shown before its keyframe refer to the GOP before, so
            # neither a re-encoded edge nor a copied GOP can stand next to the other.
            raise SmartCutUnsupported("open GOPs (pictures before a keyframe refer to the GOP before it)")
        if keyframe >= self.first_out:
            self.done = True
            return
        if next_keyframe <= self.first_in:
            return  # wholly before the clip
        if keyframe >= self.first_in and next_keyframe <= self.first_out:
            yield from self._copy(gop)
        else:
            yield from self._re_encode(gop, delay=max(0, gop[0].pts - gop[0].dts))
        if next_keyframe >= self.first_out:
            self.done = True

    def _copy(self, gop: list) -> Iterator[tuple[int, av.Packet]]:
        self._started(gop[0].pts)
        for packet in gop:
            self.last_end = max(self.last_end or 0, packet.pts + (packet.duration or self.frame_ticks))
            yield self._video_out(packet, packet.pts - self.origin, packet.dts - self.origin)

    def _re_encode(self, gop: list, delay: int) -> Iterator[tuple[int, av.Packet]]:
        # Streamed from the decoder to the encoder: a GOP of decoded pictures (10 s of 4K
        # on some cameras) is never held at once, also with several clips written at once.
        frames = (f for f in self._decode(gop) if self.first_in <= f.pts < self.first_out)
        first = next(frames, None)
        if first is None:
            return
        self._started(first.pts)
        shown_for = {p.pts: p.duration for p in gop}  # the source's durations: the edges a copy would have
        for packet in self.encoder.encode(itertools.chain([first], frames)):
            packet.duration = shown_for.get(packet.pts) or self.frame_ticks
            self.last_end = max(self.last_end or 0, packet.pts + packet.duration)
            pts = packet.pts - self.origin
            yield self._video_out(packet, pts, pts - delay)

    def _decode(self, gop: list) -> Iterator[av.VideoFrame]:
        """The GOP's frames, up to the clip's end.

        A packet decoded at or after the end is shown no earlier (pts >= dts) and no
        frame decoded before it refers to it, so the end's GOP is decoded only as far
        as the clip goes: half of it, on average.
        """
        decoder = av.CodecContext.create(self.video.codec_context.name, "r")
        decoder.extradata = self.video.codec_context.extradata
        decoder.thread_type = "AUTO"
        for packet in [*(p for p in gop if p.dts < self.first_out), None]:
            for frame in decoder.decode(packet):
                if frame.pts is not None:
                    yield frame

    def _video_out(self, packet, pts: int, dts: int) -> tuple[int, av.Packet]:
        packet.pts, packet.dts = pts, dts
        return self.video.index, packet

    def _started(self, pts: int) -> None:
        if self.origin is None:
            self.origin = pts

    # audio: copied, from the clip's first frame to its last

    def _audio(self, packet) -> Iterator[tuple[int, av.Packet]]:
        if packet.pts is None or not packet.size:
            return
        self.pending_audio.append(packet)
        if self.origin is not None:
            yield from self._flush_audio(final=False)

    def _flush_audio(self, final: bool = True) -> Iterator[tuple[int, av.Packet]]:
        """Audio that starts between the clip's first frame and (once known) its end, rebased."""
        start = seconds(self.origin, self.video.time_base)
        end = self._end_seconds() if final else seconds(self.first_out, self.video.time_base)
        kept = []
        for packet in self.pending_audio:
            time = seconds(packet.pts, self.audio.time_base)
            if time < start - 1e-6:
                continue
            if time >= end - 1e-6:
                if not final:
                    kept.append(packet)  # maybe after the end: decided when the end is known
                continue
            rebase(packet, start)
            yield self.audio.index, packet
        self.pending_audio = kept

    def _end_seconds(self) -> float:
        """Where the clip's last frame ends (once the video is done), in seconds of the stream's clock."""
        return seconds(self.last_end or self.first_out, self.video.time_base)

    def edges(self) -> ClipEdges:
        tb = self.video.time_base
        return ClipEdges(seconds(self.origin - self.zero, tb), seconds(self.last_end - self.zero, tb))
