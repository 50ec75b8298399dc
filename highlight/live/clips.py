"""A clip made of buffered packets: stream copy where MP4 can hold the codec, encoded otherwise.

Stream copy (H.264 or HEVC, as cameras and phones send them in MPEG-TS or RTSP) costs
no decoding and no quality, so a clip is on disk a fraction of a second after its
last packet arrived. It starts at the keyframe at or before the highlight's start (a
copied stream can only start at one), so it may begin a little earlier than asked; the
copy is `run`'s (``export.stream_copy.copy_packets``), so both pick the same packets.
The stream's sound goes into copied clips as it came (the ring buffers it beside the
pictures) where MP4 can hold its codec (AAC, as phones and cameras send it, and a few
more); a camera's G.711 or PCM is left out rather than re-encoded. Other video codecs
(MJPEG from a webcam or an IP-camera app, raw video from v4l2) are decoded and encoded
to H.264, without sound. Either way the file is written to a temporary name, checked with
``verify_clip`` and only then renamed: a clip under its final name is complete.
"""

from __future__ import annotations

from pathlib import Path

import av

from highlight import HighlightError
from highlight.atomic import atomic_path
from highlight.export.clips import verify_clip
from highlight.export.stream_copy import ClipEdges, copy_packets, seconds
from highlight.live.ring import BufferedPacket

COPYABLE_CODECS = ("h264", "hevc")  # what MP4 takes as it comes from MPEG-TS / RTSP
COPYABLE_SOUND = ("aac", "mp3", "ac3", "eac3", "opus")  # sound MP4 takes as it comes


def write_packet_clip(packets: list[BufferedPacket], start: float, end: float, path: Path) -> ClipEdges:
    """Write [start, end) (session seconds) of ``packets`` (from a keyframe, one connection) as an MP4 at ``path``.

    Returns the clip's real edges in session seconds: a copy starts at the keyframe at
    or before ``start``; an encoded clip holds every frame of ``packets``.
    """
    video = [p for p in packets if p.video]
    if not video:
        raise HighlightError(f"{path.name}: no buffered video for this highlight")
    copied = video[0].template.codec_name in COPYABLE_CODECS
    # Sound is copied from the clip's first picture to its end: only sound there makes it a clip with sound.
    with_sound = copied and any(not p.video and video[0].time <= p.time < end for p in packets)
    with atomic_path(path) as tmp:
        try:
            if copied:
                edges = _copy(packets, start, end, tmp)
            else:
                _encode(video, tmp)
                edges = _buffered_edges(video)
        except av.error.FFmpegError as error:
            raise HighlightError(f"{path.name}: could not write the clip ({error})") from None
        verify_clip(tmp, edges.duration, final=path, with_audio=with_sound)  # plays to the end it should have
    return edges


def _copy(packets: list[BufferedPacket], start: float, end: float, path: Path) -> ClipEdges:
    """Stream copy by ``export.stream_copy``, the same selection as `run`'s copy, on fresh copies of the packets.

    The buffered packets stay as demuxed (the frame loop may still decode them), and
    their input stream may be gone with its connection: each copy is attached to the
    connection's template stream instead. stream_copy counts seconds from the stream's
    own zero; the ring counts session seconds: ``shift`` converts between the two.
    """
    first = packets[0]
    sound = next((p.template.stream for p in packets if not p.video), None)
    shift = first.time - seconds(first.packet.pts, first.packet.time_base)
    copies = [_detached_copy(item) for item in packets]
    edges = copy_packets(copies, first.template.stream, sound, start - shift, end - shift, path)
    return ClipEdges(edges.start + shift, edges.end + shift)


def _detached_copy(item: BufferedPacket) -> av.Packet:
    """A copy of a buffered packet, belonging to its stream's template (its connection's)."""
    source = item.packet
    stream = item.template.stream
    copy = av.Packet(bytes(source))
    copy.pts, copy.dts = source.pts, source.dts
    copy.time_base = source.time_base
    copy.duration = source.duration
    copy.is_keyframe = source.is_keyframe
    copy.stream = stream
    return copy


def _buffered_edges(packets: list[BufferedPacket]) -> ClipEdges:
    """From the first picture shown to the end of the last, session seconds."""
    ends = [p.time + seconds(p.packet.duration or 0, p.packet.time_base) for p in packets]
    return ClipEdges(min(p.time for p in packets), max(ends))


def _encode(packets: list[BufferedPacket], path: Path) -> None:
    origin = packets[0]
    decoder = origin.template.decoder()
    rate = origin.template.average_rate or 30
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as output:
        out_stream = output.add_stream("libx264", rate=rate)
        out_stream.pix_fmt = "yuv420p"
        out_stream.options = {"preset": "veryfast", "crf": "20"}
        out_stream.codec_context.time_base = origin.packet.time_base
        sized = False
        for item in packets:
            for frame in decoder.decode(item.packet):
                if not sized:
                    out_stream.width, out_stream.height = frame.width // 2 * 2, frame.height // 2 * 2
                    sized = True
                picture = frame.reformat(out_stream.width, out_stream.height, "yuv420p")
                picture.pts = None if frame.pts is None else frame.pts - origin.packet.pts
                picture.time_base = origin.packet.time_base
                output.mux(out_stream.encode(picture))
        output.mux(out_stream.encode(None))
