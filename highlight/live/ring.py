"""The last seconds of compressed packets, so a clip can start before the moment it was decided.

A highlight is only known once its score has risen, but its clip starts ``pad_before``
seconds earlier, at a keyframe: the ring keeps every packet since the oldest keyframe
anyone may still need. Compressed packets are small (a 5 Mbit/s stream is 0.6 MB a
second), so holding a whole highlight in memory is cheap, and a clip is then a stream
copy of packets already here, written a moment after the highlight ends.
"""

from __future__ import annotations

import io
import threading
from collections import deque
from dataclasses import dataclass

import av

MB = 1024 * 1024


class StreamTemplate:
    """A connection's codec parameters, kept after its container is closed.

    A clip's output stream is made from the input stream it copies, but an input
    stream dies with its container (using it afterwards crashes FFmpeg), and a stream
    reconnects. A stream copied into an output container that is never written holds
    the same parameters for as long as this object lives.
    """

    def __init__(self, stream):
        self.codec_name: str = stream.codec_context.name  # the decoder's name ("h264"), not an encoder's
        self.extradata: bytes | None = stream.codec_context.extradata
        self.average_rate = getattr(stream, "average_rate", None) or getattr(stream, "guessed_rate", None)
        self._holder = av.open(io.BytesIO(), "w", format="mp4")
        self.stream = self._holder.add_stream_from_template(stream)

    def decoder(self):
        """A fresh decoder for this connection's packets."""
        codec = av.CodecContext.create(self.codec_name, "r")
        if self.extradata:
            codec.extradata = self.extradata
        return codec


@dataclass(frozen=True)
class BufferedPacket:
    """One packet with the session times of its presentation and decoding."""

    packet: object  # av.Packet, as demuxed (never changed: clips copy what they mux)
    time: float  # presentation time, session seconds
    decode_time: float  # decoding time, session seconds (packets arrive in this order)
    keyframe: bool
    connection: int  # packets of different connections never share a clip or a decoder
    template: StreamTemplate  # the connection's codec parameters for this packet's stream
    video: bool = True  # else the connection's sound, kept for the clips' audio

    @property
    def size(self) -> int:
        return self.packet.size


class PacketRing:
    """Packets in arrival order, trimmed from the front at keyframes; safe to share between threads.

    Sound packets sit among the video packets as they arrived; only video packets
    decide where a clip can start (every sound packet counts as a keyframe to FFmpeg).
    """

    def __init__(self, max_bytes: int = 512 * MB):
        self.max_bytes = max_bytes
        self._packets: deque[BufferedPacket] = deque()
        self._bytes = 0
        self._lock = threading.Lock()
        self.overflowed = 0  # packets dropped because the cap was reached (clips then start later)

    def add(self, item: BufferedPacket) -> None:
        with self._lock:
            self._packets.append(item)
            self._bytes += item.size
            while self._bytes > self.max_bytes and len(self._packets) > 1:
                self._bytes -= self._packets.popleft().size
                self.overflowed += 1

    def keep_from(self, t: float) -> None:
        """Forget packets that no clip starting at ``t`` or later needs: keep the keyframe at or before ``t``."""
        with self._lock:
            keep = self._start_index(t)
            for _ in range(keep):
                self._bytes -= self._packets.popleft().size

    def between(self, start: float, end: float) -> list[BufferedPacket]:
        """The packets that decode every frame from ``start`` to ``end``: from the keyframe at or before ``start``.

        Only packets of the connection ``end`` lies in: a clip never spans a reconnection.
        """
        with self._lock:
            packets = list(self._packets)
        inside = [p for p in packets if p.video and p.time <= end]
        connection = inside[-1].connection if inside else None
        video = [p for p in packets if p.video and p.connection == connection]
        first = 0
        for k, item in enumerate(video):
            if item.keyframe and item.time <= start + 1e-6:
                first = k
        chosen = video[first:]
        while chosen and not chosen[0].keyframe:
            chosen.pop(0)
        chosen = [p for p in chosen if p.decode_time <= end + 1e-6]
        if not chosen:
            return []
        # The sound of the same stretch, wherever it arrived among the pictures (its
        # end is decided by the copy, from the last picture's); the first keyframe first.
        sound = [p for p in packets if not p.video and p.connection == connection and p.time >= chosen[0].time]
        return chosen[:1] + sorted(chosen[1:] + sound, key=lambda p: p.decode_time)

    def _start_index(self, t: float) -> int:
        start = 0
        for k, item in enumerate(self._packets):
            if item.video and item.time > t:
                break
            if item.video and item.keyframe:
                start = k
        return start

    @property
    def seconds(self) -> float:
        with self._lock:
            return self._packets[-1].time - self._packets[0].time if len(self._packets) > 1 else 0.0
