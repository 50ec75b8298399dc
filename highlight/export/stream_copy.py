"""Clips by stream copy: the recording's own compressed packets, remuxed, never re-encoded.

Copying is as fast as reading the bytes (a minute of 1080p in well under a second)
and loses nothing, but a copied video can only start on a keyframe: the frames after
a keyframe are stored as differences from it. So a copied clip starts at the keyframe
at or before the asked-for start (it never starts late, nothing is cut short) and ends
at the first frame boundary at or after the asked-for end. ``ClipEdges`` says where it
really starts and ends, in seconds of the source, for the manifest.

The rules, for packets in decode order after a seek to the keyframe at or before the
start:

* video: from that keyframe; packets shown before it (the leading pictures of an
  open GOP, which refer to the GOP before) are dropped; every packet decoded before
  the end (``dts < end``) is kept, which includes the frames after the end that a
  kept B-frame refers to (they are decoded first, so their ``dts`` is smaller);
* audio: the packets that start in [real start, asked end), so the sound is exact to an
  audio frame (about 21 ms of AAC);
* timestamps are rebased so that the clip starts at 0; stream parameters (codec
  extradata, the display matrix that keeps phone videos upright, the time base) are
  copied from the source by ``add_stream_from_template``.

``copy_packets`` does the same for packets already at hand (the live mode's ring
buffer), and ``mux_packets`` is the muxing half on its own.
"""

from __future__ import annotations

import errno
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from highlight import HighlightError

# MP4 as phones, browsers and editors open it: the index at the front.
MP4_OPTIONS = {"movflags": "+faststart"}
# Sample entry tags of H.264 and HEVC that an MP4 may carry (kept as the source has them).
MP4_VIDEO_TAGS = ("avc1", "avc3", "hvc1", "hev1")


@dataclass(frozen=True)
class ClipEdges:
    """Where a written clip really starts and ends, in seconds of the source recording."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def seconds(ticks: int, time_base: Fraction) -> float:
    """Stream units to seconds."""
    return float(ticks * time_base)


def ticks(time: float, time_base: Fraction) -> int:
    """``time`` in the stream's units, rounded to the nearest tick."""
    return round(Fraction(time) / time_base)


def open_output(path: Path) -> av.container.OutputContainer:
    """An MP4 for writing, with the index up front (``+faststart``)."""
    return av.open(str(path), "w", format="mp4", options=dict(MP4_OPTIONS))


def copy_streams(output, templates: Sequence) -> list:
    """Output streams with the parameters of ``templates`` (input streams), in their order.

    The sample entry's tag is kept where the source has one MP4 allows: left to the
    muxer, HEVC becomes ``hev1``, which Apple's players refuse (they want ``hvc1``,
    what iPhones write).
    """
    streams = []
    for template in templates:
        stream = output.add_stream_from_template(template)
        if template.type == "video" and template.codec_context.codec_tag in MP4_VIDEO_TAGS:
            stream.codec_context.codec_tag = template.codec_context.codec_tag
        streams.append(stream)
    return streams


def mux_packets(path: Path, templates: Sequence, packets: Iterable) -> None:
    """Write ``packets`` (from the input streams ``templates``, in decode order, already rebased) to ``path``.

    Each packet goes to the output stream copied from its own input stream
    (``packet.stream``, told apart by identity: a live stream's templates are each the
    first stream of a container of their own, so their indices are all 0); nothing is
    decoded.
    """
    with open_output(path) as output:
        streams = {id(t): stream for t, stream in zip(templates, copy_streams(output, templates))}
        for packet in packets:
            packet.stream = streams[id(packet.stream)]
            output.mux(packet)


def rebase(packet, origin: float) -> None:
    """Shift ``packet`` (timed in its own stream's time base) so that ``origin`` seconds become 0."""
    shift = ticks(origin, packet.time_base)
    if packet.pts is not None:
        packet.pts -= shift
    if packet.dts is not None:
        packet.dts -= shift


def copy_clip(source: Path, start: float, end: float, path: Path | None) -> ClipEdges:
    """Copy [start, end) of ``source`` to ``path`` (an MP4), moved out to the enclosing keyframe.

    Returns the real edges; with ``path`` None, only works them out (reading packets,
    writing nothing: for a clip an earlier run wrote). HighlightError when the source
    cannot be read or the stretch holds no keyframe to start from.
    """
    try:
        with av.open(str(source)) as container:
            video = container.streams.video[0]
            audio = container.streams.audio[0] if container.streams.audio else None
            seek_to_keyframe(container, video, start)
            demuxed = container.demux(*[s for s in (video, audio) if s is not None])
            return copy_packets(demuxed, video, audio, start, end, path)
    except av.error.FFmpegError as error:
        if error.errno == errno.ENOSPC:
            raise  # the caller knows the folder and what it needs: it says so
        reason = error.strerror or type(error).__name__  # not str(error): it names the temporary file
        raise HighlightError(f"{source}: cannot copy {start:.2f}-{end:.2f} s ({reason})") from None


def copy_packets(packets: Iterable, video, audio, start: float, end: float, path: Path | None) -> ClipEdges:
    """Copy [start, end) from ``packets`` (of the input streams ``video`` and ``audio``, in decode order) to ``path``.

    The same selection as ``copy_clip``, for packets already at hand (a ring buffer of
    a live stream): an in-memory sequence is first skipped to the last video keyframe
    at or before ``start``; an iterator must begin there. ``path`` None writes nothing.
    """
    if isinstance(packets, Sequence):
        packets = packets[_last_keyframe_at_or_before(packets, video, start) :]
    selection = CopySelection(video, audio, start, end)
    kept = selection.packets(packets)
    if path is None:
        for _ in kept:
            pass
    else:
        mux_packets(path, [s for s in (video, audio) if s is not None], kept)
    return selection.edges()


def _last_keyframe_at_or_before(packets: Sequence, video, time: float) -> int:
    """Index of the last video keyframe shown at or before ``time`` (the first keyframe where none is)."""
    limit = (video.start_time or 0) + ticks(time, video.time_base)
    keyframes = [k for k, p in enumerate(packets) if p.stream is video and p.is_keyframe and p.pts is not None]
    before = [k for k in keyframes if packets[k].pts <= limit]
    return before[-1] if before else (keyframes[0] if keyframes else 0)


def seek_to_keyframe(container, video, time: float) -> None:
    """Position the demuxer at the video keyframe at or before ``time`` (and other streams beside it)."""
    origin = video.start_time or 0
    container.seek(origin + max(0, ticks(time, video.time_base)), stream=video, backward=True, any_frame=False)


class CopySelection:
    """Picks the packets of a copied clip from the demuxed stream, rebasing them as they pass.

    Source times are relative to the video stream's start time, as everywhere in
    highlight (``VideoInfo`` and the manifest measure from the first frame).
    """

    def __init__(self, video, audio, start: float, end: float):
        self.video, self.audio = video, audio
        self.start, self.end = start, end
        self.video_zero = video.start_time or 0
        self.origin: int | None = None  # the first keyframe's pts (video ticks): the clip's 0
        self.last_shown = -math.inf  # pts of the latest kept video frame, video ticks
        self.last_end = -math.inf  # where the latest kept video frame ends, video ticks
        self.past_end = False  # a packet decoded after the end was seen: only B-frames filling gaps follow
        self.video_done = False
        self.audio_done = audio is None
        self.audio_after_end: list = []  # audio from the asked end on, kept until the video's real end is known

    def packets(self, demuxed: Iterable) -> Iterable:
        """The kept packets, rebased, in decode order; stops reading once both streams passed the end."""
        for packet in demuxed:
            if packet.stream is self.video:
                keep = self._keep_video(packet)
            else:
                keep = self._keep_audio(packet)
            if keep:
                yield packet
            if self.video_done and self.audio_done:
                break
        if self.origin is None:
            raise HighlightError(f"no keyframe at or before {self.start:.2f} s")
        yield from self._audio_to_the_real_end()

    def _keep_video(self, packet) -> bool:
        if packet.pts is None or packet.dts is None or self.video_done:
            return False
        if self.origin is None:
            if not packet.is_keyframe:
                return False  # a seek that landed mid-GOP (rare containers): wait for a keyframe
            self.origin = packet.pts
        if seconds(packet.dts - self.video_zero, self.video.time_base) >= self.end:
            self.past_end = True
        if self.past_end and (packet.is_keyframe or packet.pts > self.last_shown):
            # Decoded after the end and shown after every kept frame: not needed. Until
            # here, B-frames shown between kept frames fill what would be gaps.
            self.video_done = True
            return False
        if packet.pts < self.origin:
            return False  # a leading picture of an open GOP: it refers to the GOP before
        self.last_shown = max(self.last_shown, packet.pts)
        self.last_end = max(self.last_end, packet.pts + (packet.duration or 0))
        rebase(packet, seconds(self.origin, self.video.time_base))
        return True

    def _audio_time(self, packet) -> float:
        return seconds(packet.pts, self.audio.time_base) - seconds(self.video_zero, self.video.time_base)

    def _keep_audio(self, packet) -> bool:
        if packet.pts is None or self.origin is None or self.audio_done:
            return False
        time = self._audio_time(packet)
        if time < seconds(self.origin - self.video_zero, self.video.time_base) - 1e-6:
            return False
        if time >= self.end:
            self.audio_after_end.append(packet)
            self.audio_done = self.video_done and time >= self._real_end()
            return False
        rebase(packet, seconds(self.origin, self.video.time_base))
        return True

    def _audio_to_the_real_end(self) -> Iterable:
        """The audio packets after the asked end that start before the video's real end."""
        real_end = self._real_end()
        for packet in self.audio_after_end:
            if self._audio_time(packet) < real_end - 1e-6:
                rebase(packet, seconds(self.origin, self.video.time_base))
                yield packet

    def _real_end(self) -> float:
        return seconds(self.last_end - self.video_zero, self.video.time_base)

    def edges(self) -> ClipEdges:
        """The clip's real start and end, seconds from the source's first frame."""
        if self.origin is None:
            raise HighlightError(f"no keyframe at or before {self.start:.2f} s")
        tb = self.video.time_base
        return ClipEdges(seconds(self.origin - self.video_zero, tb), seconds(self.last_end - self.video_zero, tb))
