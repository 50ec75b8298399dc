"""A camera or network stream as a source for the one frame loop (``pipeline.analyse``).

``LiveSource`` keeps the contract ``analyse`` has with a file's ``VideoSource``: ``info``,
``stats``, ``sample(rates)``, ``pause``, ``window`` and ``frame_near``. Behind it:

* A reader thread demuxes packets as they arrive. Every packet goes into the
  ``PacketRing`` (clips are stream copies from it), the sound's too where MP4 can
  hold it; video packets are decoded there as well, and the frames some consumer
  wants go to the frame loop through a short queue.
* Bounded latency: when the frame loop falls more than ``QUEUED_SECONDS`` behind, the
  oldest queued frame is dropped, never the stream delayed; the drops are counted and
  reported. A bound in seconds, not frames: a hiccup of a second on a busy machine (a
  clip being written, another program) is caught up afterwards, where six queued frames
  dropped a second and a half of a squat set at 5 poses a second, and with it a rep.
* Keyframe economy: when every consumer has paused until the next keyframe (the
  highlight scorer does while the scene is quiet), the reader stops decoding until
  the next keyframe, as the file source skips the rest of a GOP.
* Stays up: a stream that stops (read timeout, error, end) is opened again with
  exponential backoff. Times are session seconds: each connection's first packet is
  placed at the wall-clock time since the session started, so times never go back
  and a gap in the stream is a gap in the timeline.

A file given with ``realtime`` is paced at its own frame rate (packets are released
when their time comes), which makes any recording behave like a camera for trying
things out. Without it a file is read as fast as the frame loop takes frames, none dropped,
one at a time: a pause takes effect at the frame the loop paused at, as in a file's run,
and the same file gives the same highlights every time.
"""

from __future__ import annotations

import errno
import logging
import math
import queue
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import av

from highlight import HighlightError
from highlight.live.clips import COPYABLE_SOUND
from highlight.live.ring import BufferedPacket, PacketRing, StreamTemplate
from highlight.source import MAX_PLAUSIBLE_FPS, MIN_PLAUSIBLE_FPS, DecodeStats, Frame, Schedule, VideoInfo

log = logging.getLogger("highlight.live")

NETWORK_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "udp://", "rtp://", "srt://", "tcp://", "http://", "https://")
QUEUED_SECONDS = 3.0  # of the stream between the reader and the frame loop: the latency bound
QUEUED_FRAMES = 32  # at most, however many frames a second are wanted (memory: a decoded 1080p frame is 3 MB)
LONGEST_QUIET_GOP_S = 2.0  # as VideoSource.pause: skipping to a keyframe further away leaves the scorer blind


@dataclass(frozen=True)
class Reconnect:
    """Backoff between attempts to open the stream again: first, doubled each time, capped."""

    first_s: float = 0.5
    longest_s: float = 8.0
    open_timeout_s: float = 10.0  # opening and probing a stream, at most
    read_timeout_s: float = 2.0  # a stream silent this long has dropped (also how long a stop can wait)


@dataclass
class LiveStats:
    """What the live reader adds to the decoding statistics: for the status line and the manifest."""

    dropped: int = 0  # frames a consumer wanted that were dropped because the frame loop was behind
    reconnects: int = 0
    connections: int = 0
    connection_starts: list[float] = field(default_factory=list)  # session time of each connection's start


def kept_sound(container):
    """The sound stream the clips keep: the first that MP4 can hold as it comes; None if there is none."""
    return next((a for a in container.streams.audio if a.codec_context.name in COPYABLE_SOUND), None)


def is_camera(spec: str) -> bool:
    """A camera index (``0``) or a video device (``/dev/video0``), rather than a stream or a file."""
    return spec.isdigit() or spec.startswith("/dev/video")


def open_container(spec: str, reconnect: Reconnect):
    """The stream, camera or file ``spec`` opened with PyAV; HighlightError with FFmpeg's reason."""
    # Not "fflags nobuffer": it discards the packets read while probing (the first second).
    options = {"analyzeduration": "1000000", "probesize": "1000000"}
    fmt = None
    if is_camera(spec):
        device = f"/dev/video{spec}" if spec.isdigit() else spec
        if sys.platform == "darwin":
            fmt, device = "avfoundation", spec if spec.isdigit() else "0"
        elif sys.platform.startswith("win"):
            fmt, device = "dshow", f"video={spec}"
        else:
            fmt = "v4l2"
        spec = device
    elif spec.startswith(("rtsp://", "rtsps://")):
        options["rtsp_transport"] = "tcp"  # no lost packets, no smeared keyframes
    elif spec.startswith("udp://"):
        options["overrun_nonfatal"] = "1"  # a full receive buffer loses packets, not the stream
        # Opening gives up after this much silence, but not while packets come: a sender
        # that starts just before a fixed open timeout would have its first second cut.
        options["timeout"] = str(int(reconnect.read_timeout_s * 1e6))
    try:
        return av.open(spec, format=fmt, options=options, timeout=(reconnect.open_timeout_s, reconnect.read_timeout_s))
    except (av.error.FFmpegError, OSError) as error:
        raise HighlightError(f"{spec}: cannot open ({_reason(error, reconnect.read_timeout_s)})") from None


def _reason(error: Exception, timeout_s: float) -> str:
    """FFmpeg's reason in words; its timeout reads "Immediate exit requested", which says nothing."""
    if isinstance(error, av.error.ExitError) or getattr(error, "errno", None) == errno.EIO:
        return f"nothing received for {timeout_s:g} s"
    return getattr(error, "strerror", None) or str(error)


def _stream_fps(stream) -> float:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and MIN_PLAUSIBLE_FPS <= float(rate) <= MAX_PLAUSIBLE_FPS:
            return float(rate)
    return 30.0


class SessionClock:
    """Session seconds: the first connection's stream time, then the wall clock across reconnections.

    The first connection starts at 0 and keeps its own timestamps' spacing, so a recording
    streamed live has the times it has as a file. A later connection starts at the wall-clock
    time since the first began, and never before the last time seen.
    """

    def __init__(self) -> None:
        self.started: float | None = None  # monotonic time of the first connection's first packet
        self.last_time = 0.0
        self.frame_seconds = 1.0 / 30

    def place_connection(self) -> float:
        now = time.monotonic()
        if self.started is None:
            self.started = now
            return 0.0
        return max(now - self.started, self.last_time + self.frame_seconds)


class _Connection:
    """One opened container: maps its timestamps to session time."""

    def __init__(self, container, number: int, clock: SessionClock, realtime: bool):
        self.container = container
        self.stream = container.streams.video[0]
        self.stream.thread_type = "SLICE"
        self.number = number
        self.time_base: Fraction = self.stream.time_base
        self.clock = clock
        self.origin_pts: int | None = None
        self.offset = 0.0
        self.realtime = realtime
        self.wall_origin = 0.0
        self.template = StreamTemplate(self.stream)
        self.sound = kept_sound(container)
        self.sound_template = StreamTemplate(self.sound) if self.sound is not None else None

    def streams(self) -> list:
        """What to demux: the pictures, and the sound the clips keep."""
        return [self.stream] + ([self.sound] if self.sound is not None else [])

    def session_time(self, pts: int) -> float:
        if self.origin_pts is None:
            self.origin_pts = pts
            self.offset = self.clock.place_connection()
            self.wall_origin = time.monotonic()
        return self.offset + float((pts - self.origin_pts) * self.time_base)

    def sound_time(self, packet) -> float | None:
        """A sound packet's session time, on the pictures' clock (None before the first keyframe placed it).

        Sender and demuxer put both streams on one clock (MPEG-TS's 90 kHz, RTSP's
        RTCP), so a sound packet is where its seconds are against the first picture's.
        """
        if self.origin_pts is None or packet.pts is None:
            return None
        return self.offset + float(packet.pts * packet.time_base) - float(self.origin_pts * self.time_base)

    def pace(self, t: float, stop: threading.Event) -> None:
        """A realtime file: wait until the packet's time comes."""
        if self.realtime:
            delay = self.wall_origin + (t - self.offset) - time.monotonic()
            if delay > 0:
                stop.wait(delay)


class LiveSource:
    """A live stream with the interface ``pipeline.analyse`` expects of a source."""

    def __init__(
        self,
        spec: str,
        stop: threading.Event,
        realtime: bool = False,
        reconnect: Reconnect | None = None,
        ring: PacketRing | None = None,
    ):
        self.spec = spec
        self.path = spec  # what analyse names in its errors
        self.stop = stop
        self.is_file = not is_camera(spec) and not spec.startswith(NETWORK_SCHEMES)
        self.realtime = realtime
        self.drops_when_behind = not self.is_file or realtime
        self.reconnect = reconnect or Reconnect()
        self.ring = ring or PacketRing()
        self.stats = DecodeStats()
        self.live = LiveStats()
        self.clock = SessionClock()
        self.latest_frame: Frame | None = None  # for --preview
        self.ended = threading.Event()  # the reader is done: no more frames will come
        self._frames = FrameQueue(QUEUED_SECONDS, QUEUED_FRAMES)
        # a file read as fast as the frame loop takes frames (not ``drops_when_behind``) goes one frame at a
        # time: the loop's pause (a quiet scene) takes effect at the frame it saw, as in a file's run
        self._handled = threading.Semaphore(0)  # released by the frame loop each time it is done with a frame
        self._schedules: list[Schedule] = []
        self._gop_seconds = math.inf
        self._skipping = False  # every consumer paused: not decoding until the next keyframe
        self._loop_started = threading.Event()  # the frame loop asked for frames (sample)
        self._reader: threading.Thread | None = None
        self._pending_container = self._first_connection()
        stream = self._pending_container.streams.video[0]
        self.info = VideoInfo(
            path=spec,
            size_bytes=0,
            mtime=time.time(),
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            rotation=0,
            fps=_stream_fps(stream),
            duration=0.0,  # unknown: nothing may look ahead (the motion scorer builds no plate)
            frame_count=0,
            has_audio=kept_sound(self._pending_container) is not None,
            codec=stream.codec_context.name,
            fps_rational=str(Fraction(stream.average_rate)) if stream.average_rate else "",
        )
        self.clock.frame_seconds = 1.0 / self.info.fps
        # Reading starts now, not when the frame loop starts: loading a pose model takes
        # seconds, and a UDP stream not read meanwhile overflows the socket's buffer.
        self._reader = threading.Thread(target=self._read, name="highlight-live-reader", daemon=True)
        self._reader.start()

    # -- connecting ---------------------------------------------------------------------

    def _first_connection(self):
        """Open the stream before the frame loop starts: its size and rate are needed to set up."""
        container = self._open_with_backoff()
        if container is None:
            raise HighlightError(f"{self.spec}: stopped before the stream could be opened")
        return container

    def _open_with_backoff(self):
        """The stream opened again; None once stopped.

        An attempt that waited for data in vain (a sender that is silent) is tried again
        at once: a UDP port left unbound between attempts would lose the first packets,
        and the keyframe, of a sender that comes back. An attempt that failed quickly
        (refused, not found) waits, twice as long each time.
        """
        delay, warned = self.reconnect.first_s, False
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                container = open_container(self.spec, self.reconnect)
                if not container.streams.video:
                    container.close()
                    raise HighlightError(f"{self.spec}: no video stream")
                return container
            except HighlightError as error:
                if self.is_file:
                    raise
                waited = time.monotonic() - started >= self.reconnect.read_timeout_s - 0.1
                (log.debug if warned else log.warning)("%s; trying again", error)
                warned = True
                if not waited:
                    self.stop.wait(delay)
                    delay = min(delay * 2, self.reconnect.longest_s)
        return None

    # -- the reader thread --------------------------------------------------------------

    def _read(self) -> None:
        try:
            if not self.drops_when_behind:
                self._loop_started.wait()  # a file read at full speed: nothing to lose by waiting
            container = self._pending_container
            while container is not None and not self.stop.is_set():
                self.live.connections += 1
                connection = _Connection(container, self.live.connections, self.clock, self.realtime)
                reason = self._read_connection(connection)
                container.close()
                if self.stop.is_set() or self.is_file:
                    break
                log.warning("%s: stream dropped (%s); reconnecting", self.spec, reason)
                container = self._open_with_backoff()
                if container is not None:
                    self.live.reconnects += 1
                    log.info("%s: reconnected", self.spec)
        except Exception as error:  # the reader must never die silently: the frame loop would wait for ever
            log.error("%s: reader stopped: %s: %s", self.spec, type(error).__name__, error)
        finally:
            self.ended.set()

    def _read_connection(self, connection: _Connection) -> str:
        """Demux, buffer and decode until the stream ends or drops; returns why it stopped."""
        codec = connection.stream.codec_context
        needs_keyframe, last_keyframe = True, None  # the first keyframe places the connection in time
        decoding = False  # the decoder starts at a keyframe once the frame loop wants frames
        backlog: list = []  # packets that came while the frame loop was setting up
        try:
            for packet in connection.container.demux(*connection.streams()):
                if self.stop.is_set():
                    return "stopped"
                if packet.size == 0 or (packet.pts is None and packet.dts is None):
                    continue
                if packet.stream is not connection.stream:
                    self._keep_sound(packet, connection)
                    continue
                if needs_keyframe and not packet.is_keyframe:
                    continue  # nothing before the first keyframe can be decoded or copied
                needs_keyframe = False
                t = connection.session_time(packet.pts if packet.pts is not None else packet.dts)
                if t < self.stats.last_time - 1.0:
                    # A sender restarted within the read timeout (UDP keeps the socket): a
                    # new connection, so that times go on and no clip mixes the two.
                    return "timestamps went back"
                if connection.number > len(self.live.connection_starts):
                    self.live.connection_starts.append(round(t, 3))
                decode_t = connection.session_time(packet.dts) if packet.dts is not None else t
                connection.pace(t, self.stop)
                self.stats.last_time = self.clock.last_time = max(self.stats.last_time, t)
                self.ring.add(
                    BufferedPacket(packet, t, decode_t, packet.is_keyframe, connection.number, connection.template)
                )
                if packet.is_keyframe:
                    if last_keyframe is not None:
                        self._gop_seconds = t - last_keyframe
                    last_keyframe = t
                if not self._schedules:
                    # The frame loop is still setting up (loading a model): keep the packets,
                    # and analyse them, late, once it is ready rather than never.
                    backlog.append(packet)
                    continue
                decoding = self._catch_up(codec, backlog, connection, decoding)
                decoding = self._feed(codec, packet, connection, decoding)
            reason = "end of stream"
        except av.error.FFmpegError as error:
            reason = _reason(error, self.reconnect.read_timeout_s)
        if backlog and self._loop_started.wait() and not self.stop.is_set():
            decoding = self._catch_up(codec, backlog, connection, decoding)  # a stream shorter than the set-up
        if decoding:
            self._decode(codec, None, connection)  # the frames the decoder still holds
        return reason

    def _keep_sound(self, packet, connection: _Connection) -> None:
        """A sound packet into the ring beside the pictures, for the clips (never decoded)."""
        t = connection.sound_time(packet)
        if t is not None:
            item = BufferedPacket(packet, t, t, True, connection.number, connection.sound_template, video=False)
            self.ring.add(item)

    def _catch_up(self, codec, backlog: list, connection: _Connection, decoding: bool) -> bool:
        for waiting in backlog:
            decoding = self._feed(codec, waiting, connection, decoding, catching_up=True)
        backlog.clear()
        return decoding

    def _feed(self, codec, packet, connection: _Connection, decoding: bool, catching_up: bool = False) -> bool:
        """Decode a packet unless every consumer waits for the next keyframe; returns whether the decoder runs."""
        if packet.is_keyframe:
            for schedule in self._schedules:
                schedule.paused = False
            if self._skipping:
                codec.flush_buffers()
            decoding, self._skipping = True, False
        if not decoding or self._skipping:
            return decoding
        self._decode(codec, packet, connection, catching_up)
        if all(s.paused for s in self._schedules):
            self._skipping = True  # every consumer waits for the next keyframe
            self.stats.skipped_gops += 1
        return decoding

    def _decode(self, codec, packet, connection: _Connection, catching_up: bool = False) -> None:
        try:
            frames = codec.decode(packet)
        except av.error.EOFError:
            return
        except av.error.InvalidDataError:
            self.stats.corrupt_packets += 1
            return
        for frame in frames:
            self.stats.decoded += 1
            if frame.pts is None:
                continue
            t = connection.session_time(frame.pts)
            wanted = tuple(s.wants(t) for s in self._schedules)
            if any(wanted):
                self._deliver(Frame(frame, t, round(t * self.info.fps), 0), wanted, catching_up)

    def _deliver(self, frame: Frame, wanted: tuple[bool, ...], catching_up: bool = False) -> None:
        """Queue a frame; when the frame loop is behind, drop the oldest rather than fall behind the stream.

        A file read as fast as possible (no ``realtime``) waits for the frame loop instead,
        and so do the frames of the first seconds, buffered while the frame loop set up. Such
        a file waits until the loop is done with the frame, too: decoded ahead, the frames
        queued before a pause still came, as many as the threads' timing let through.
        """
        item = (frame, wanted)
        if self.drops_when_behind and not catching_up:
            self.live.dropped += self._frames.put_dropping(item)
            return
        while not self.stop.is_set() and not self._frames.put_waiting(item, timeout=0.2):
            pass
        while not self.drops_when_behind and not self.stop.is_set() and not self._handled.acquire(timeout=0.2):
            pass

    # -- the interface analyse uses -----------------------------------------------------

    def sample(self, rates: Sequence[float | None]) -> Iterator[tuple[Frame, tuple[bool, ...]]]:
        """Frames as they arrive, with which consumer wants each (as ``VideoSource.sample``)."""
        self._schedules = [Schedule(rate, self.info.fps) for rate in rates]
        self._loop_started.set()
        while True:
            try:
                frame, wanted = self._frames.get(timeout=0.1)
            except queue.Empty:
                if self.ended.is_set():
                    return
                continue
            self.stats.delivered += 1
            self.latest_frame = frame
            try:
                yield frame, wanted
            finally:
                if not self.drops_when_behind:
                    self._handled.release()  # done with it (or gone): the reader may decode on

    def pause(self, consumer: int, longest_gop: float = LONGEST_QUIET_GOP_S) -> None:
        """Consumer ``consumer`` wants nothing more until the next keyframe (a quiet scene)."""
        if self._schedules and self._gop_seconds <= longest_gop:
            self._schedules[consumer].paused = True

    def window(self, start: float, end: float) -> Iterator[Frame]:
        """Every frame from ``start`` to ``end``, decoded again from the buffered packets (edge refinement)."""
        packets = self.ring.between(start, end)
        if not packets:
            return
        origin = packets[0]
        codec = origin.template.decoder()
        for item in packets:
            try:
                frames = codec.decode(item.packet)
            except av.error.FFmpegError:
                continue
            for frame in frames:
                if frame.pts is None:
                    continue
                t = origin.time + float((frame.pts - origin.packet.pts) * origin.packet.time_base)
                if t > end + 1e-6:
                    return
                if t >= start - 1e-6:
                    yield Frame(frame, t, round(t * self.info.fps), 0)

    def frame_near(self, t: float) -> Frame | None:
        """The buffered keyframe at or before ``t`` (None when it is no longer buffered)."""
        return next(iter(self.window(t, t + 1.0 / self.info.fps)), None)

    def close(self) -> None:
        self.stop.set()
        self._loop_started.set()  # a reader waiting for a frame loop that never came
        self._reader.join(timeout=10)

    def __enter__(self) -> LiveSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class FrameQueue:
    """The frames between the reader and the frame loop: at most ``seconds`` of the stream and ``most`` frames.

    ``queue.Queue`` bounds a count of frames; what a live loop must bound is how far behind
    the stream it is, whatever number of frames a second its consumers want.
    """

    def __init__(self, seconds: float, most: int):
        self.seconds, self.most = seconds, most
        self._items: deque[tuple[Frame, tuple[bool, ...]]] = deque()
        self._ready = threading.Condition()

    def put_dropping(self, item: tuple[Frame, tuple[bool, ...]]) -> int:
        """Queue ``item`` at once; drop the oldest beyond the bounds (seconds behind it, or frames). Returns how many."""
        t = item[0].time
        with self._ready:
            self._items.append(item)
            dropped = 0
            while len(self._items) > self.most or (len(self._items) > 1 and t - self._items[0][0].time > self.seconds):
                self._items.popleft()
                dropped += 1
            self._ready.notify_all()
            return dropped

    def put_waiting(self, item: tuple[Frame, tuple[bool, ...]], timeout: float) -> bool:
        """Queue ``item`` once there is room for it (``most``), waiting at most ``timeout``: whether it was."""
        with self._ready:
            if not self._ready.wait_for(lambda: len(self._items) < self.most, timeout):
                return False
            self._items.append(item)
            self._ready.notify_all()
            return True

    def get(self, timeout: float) -> tuple[Frame, tuple[bool, ...]]:
        """The oldest frame queued, waiting at most ``timeout`` for one; ``queue.Empty`` if none came."""
        with self._ready:
            if not self._ready.wait_for(lambda: self._items, timeout):
                raise queue.Empty
            item = self._items.popleft()
            self._ready.notify_all()
            return item
