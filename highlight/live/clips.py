"""A clip made of buffered packets: stream copy where MP4 can hold the codec, encoded otherwise.

Stream copy (H.264 or HEVC, as cameras and phones send them in MPEG-TS or RTSP) costs
no decoding and no quality, so a clip is on disk a fraction of a second after its
last packet arrived. It starts at the keyframe at or before the highlight's start (a
copied stream can only start at one), so it may begin a little earlier than asked.
Other codecs (MJPEG from a webcam or an IP-camera app, raw video from v4l2) are decoded
and encoded to H.264. Either way the file is written to a temporary name, checked with
``verify_clip`` and only then renamed: a clip under its final name is complete.
"""

from __future__ import annotations

from pathlib import Path

import av

from highlight import HighlightError
from highlight.atomic import atomic_path
from highlight.export.clips import verify_clip
from highlight.live.ring import BufferedPacket

COPYABLE_CODECS = ("h264", "hevc")  # what MP4 takes as it comes from MPEG-TS / RTSP


def write_packet_clip(packets: list[BufferedPacket], path: Path) -> float:
    """Write ``packets`` (from a keyframe, one connection) as an MP4 at ``path``; returns its start time."""
    if not packets:
        raise HighlightError(f"{path.name}: no buffered video for this highlight")
    expected = packets[-1].decode_time - packets[0].decode_time
    with atomic_path(path) as tmp:
        try:
            if packets[0].template.codec_name in COPYABLE_CODECS:
                _copy(packets, tmp)
            else:
                _encode(packets, tmp)
        except av.error.FFmpegError as error:
            raise HighlightError(f"{path.name}: could not write the clip ({error})") from None
        verify_clip(tmp, expected, final=path)
    return packets[0].time


def _copy(packets: list[BufferedPacket], path: Path) -> None:
    origin = packets[0].packet.dts if packets[0].packet.dts is not None else packets[0].packet.pts
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as output:
        out_stream = output.add_stream_from_template(packets[0].template.stream)
        for item in packets:
            source = item.packet
            copy = av.Packet(bytes(source))
            copy.pts = None if source.pts is None else source.pts - origin
            copy.dts = None if source.dts is None else source.dts - origin
            copy.time_base = source.time_base
            copy.is_keyframe = source.is_keyframe
            copy.stream = out_stream
            output.mux(copy)


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
