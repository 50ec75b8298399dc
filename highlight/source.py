"""Decode a video once and hand each consumer the frames it asked for.

Decoding is the main cost of a run (1080p H.264 decodes at roughly 8-15x real time on
two cores), so the source decodes as little as it can:

* Packets are demuxed one GOP (keyframe to keyframe) at a time. A GOP is decoded only
  as far as its last needed frame; the decoder is then flushed and the rest of the GOP
  is skipped. At the default analysis rate on a phone recording (a keyframe every
  second or so) that halves the decoding, and a GOP with nothing needed costs nothing.
* Each consumer (scorer, plugin) names its rate; a frame is converted (scaled, colour
  converted, rotated upright) only for a consumer that wants it, at the size it wants,
  in one swscale call. Full-resolution RGB is never made unless asked for.
* A consumer may ``pause`` until the next keyframe: the highlight scorer does when a
  GOP's keyframe shows a quiet scene, so the hours of an empty court cost one decoded
  frame per GOP, while action is analysed at the full sampling rate. Not in the last
  GOP: no keyframe follows it to look at the recording's last seconds.
* While the pass needs nothing but keyframes, they are decoded a few GOPs ahead by a
  second decoder on FFmpeg's frame threads: keyframes are independent of each other,
  so they decode on every core while the pass scores the ones before.
* ``window`` decodes every frame of a short stretch by seeking, for refining the edges
  of a highlight between two analysed samples.

Times are presentation timestamps in seconds, so variable-frame-rate phone videos keep
exact times. Memory is bounded by one GOP of compressed packets.

Why PyAV rather than OpenCV: measured on these 2 cores with a 1080p30 phone-like H.264
file, decoding every frame and converting every 7th, OpenCV (grab/retrieve) ran at 408
frames/s and PyAV at 446; but only PyAV gives exact presentation timestamps, the
display-matrix rotation, packet-level control (skip the rest of a GOP, flush) and
scaling plus colour conversion in one call. With GOP skipping at the default 2 samples
per second, the same file analyses at about 24x real time instead of 15x.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from av.video.reformatter import VideoReformatter

from highlight import HighlightError

# A GOP longer than this many packets is decoded as it streams rather than buffered.
_MAX_BUFFERED_PACKETS = 600
# Keyframes decoded at once ahead of the pass (frame threads); more cores than this gain little
# on one keyframe stream, and each holds a decoded picture.
_KEYFRAME_THREADS = 4
# The pass keeps about this much of what it decoded last, for windows just behind it
# (``_RecentFrames``), and never more than this many bytes of pictures (4K: ten frames).
_RECENT_SECONDS = 1.0
_RECENT_BYTES = 128 * 2**20
# Frame rates outside this range are artefacts of broken timestamps, not recordings
# (time-lapse at 1 fps is the slowest real rate; 1000 fps the fastest phone slow motion).
MIN_PLAUSIBLE_FPS, MAX_PLAUSIBLE_FPS = 1.0, 1000.0


@dataclass(frozen=True)
class VideoInfo:
    """What a run needs to know about a recording before decoding it."""

    path: str
    size_bytes: int
    mtime: float
    width: int  # upright (after rotation)
    height: int
    rotation: int  # degrees counter-clockwise to turn the stored picture upright
    fps: float
    duration: float
    frame_count: int
    has_audio: bool
    codec: str
    fps_rational: str = ""  # the exact nominal rate, e.g. "30000/1001": editor timelines need it, not 29.97
    # The first frame's timecode ("10:00:00:00", ";" before the frames when drop-frame), "" when the
    # file has none: editors link a timeline's clips to media by it, so timelines must use it.
    start_timecode: str = ""
    audio_channels: int = 0  # of the first audio stream: an editor's timeline lays out that many tracks

    def to_dict(self) -> dict:
        """Every field; the start timecode and audio channels only where known, so a manifest written
        before they were recorded is saved again as it was."""
        data = asdict(self)
        for name in ("start_timecode", "audio_channels"):
            if not data[name]:
                del data[name]
        return data


def probe(path: Path) -> VideoInfo:
    """Open ``path`` far enough to describe it; raise HighlightError naming the reason."""
    path = Path(path)
    stat = _stat_or_raise(path)
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise HighlightError(f"{path}: no video stream (audio-only or not a video)")
            stream = container.streams.video[0]
            rotation = _first_frame_rotation(container, stream)
            width, height = stream.codec_context.width, stream.codec_context.height
            if rotation % 180:
                width, height = height, width
            return VideoInfo(
                path=str(path.resolve()),
                size_bytes=stat.st_size,
                mtime=stat.st_mtime,
                width=width,
                height=height,
                rotation=rotation,
                fps=_frame_rate(stream),
                duration=_duration(container, stream),
                frame_count=int(stream.frames or 0),
                has_audio=bool(container.streams.audio),
                codec=stream.codec_context.name,
                fps_rational=_nominal_rate(stream),
                start_timecode=_start_timecode(container, stream),
                audio_channels=_audio_channels(container),
            )
    except HighlightError:
        raise
    except av.error.InvalidDataError as error:
        raise HighlightError(f"{path}: damaged, truncated or not a video ({_reason(error)})") from None
    except (av.error.FFmpegError, OSError, ValueError) as error:
        raise HighlightError(f"{path}: not a readable video ({_reason(error)})") from None


FINGERPRINT_BYTES = 1 << 20  # hashed at each end: what a re-export, a copy still arriving or a truncation changes


@dataclass(frozen=True)
class Fingerprint:
    """A recording's identity at one moment: which file, how big, when written, its first and last MiB.

    Size and mtime alone miss a file replaced by one of the same size within the
    file system's clock step, or an editor that restores the mtime; the two hashed
    ends catch a truncation, an append and a re-encode whatever the clock says. Taken
    before analysis and compared before the clips are written and before the manifest
    says complete (``check_unchanged``): clips are cut from the file that was analysed.
    """

    device: int
    inode: int
    size: int
    mtime_ns: int
    ends: str

    @classmethod
    def of(cls, path: Path | str) -> Fingerprint:
        """The fingerprint now; HighlightError when the file cannot be read."""
        try:
            with open(path, "rb") as handle:
                status = os.fstat(handle.fileno())
                digest = hashlib.sha256(handle.read(FINGERPRINT_BYTES))
                handle.seek(max(0, status.st_size - FINGERPRINT_BYTES))
                digest.update(handle.read(FINGERPRINT_BYTES))
        except OSError as error:
            raise HighlightError(f"{path}: cannot read ({error.strerror or error})") from None
        return cls(status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, digest.hexdigest())

    def check_unchanged(self, path: Path | str, before: str) -> None:
        """HighlightError naming the file and what changed, when it is no longer this fingerprint."""
        try:
            now = Fingerprint.of(path)
        except HighlightError:
            raise HighlightError(f"{path}: changed while it was being processed (gone {before})") from None
        if now == self:
            return
        if (now.device, now.inode) != (self.device, self.inode):
            what = "replaced by another file"
        elif now.size != self.size:
            what = f"{self.size} bytes became {now.size}"
        else:
            what = "rewritten"
        raise HighlightError(
            f"{path}: changed while it was being processed ({what} {before}); run again once it is final"
        )


def _stat_or_raise(path: Path):
    try:
        stat = path.stat()
    except OSError as error:
        raise HighlightError(f"{path}: cannot read ({error.strerror or error})") from None
    if stat.st_size == 0:
        raise HighlightError(f"{path}: empty file (0 bytes)")
    return stat


def _first_frame_rotation(container, stream) -> int:
    """The display-matrix rotation, read from the first decodable frame."""
    for frame in container.decode(stream):
        return int(round(frame.rotation or 0)) % 360
    raise HighlightError(f"{container.name}: no decodable video frames (empty or truncated)")


def _frame_rate(stream) -> float:
    """Frames per second: the average rate, unless it is absurd.

    The average is frames over duration, so one frame that lasts for hours (a phone that
    stopped recording badly) drags it to a fraction of a frame a second; clips made at
    such a rate have no frames at all. Then the stream's nominal rate is the truth.
    """
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and MIN_PLAUSIBLE_FPS <= float(rate) <= MAX_PLAUSIBLE_FPS:
            return float(rate)
    return 30.0


_TIMECODE = re.compile(r"^\d{2}:\d{2}:\d{2}[:;.,]\d{2}$")


def read_start_timecode(path: Path) -> str:
    """The start timecode of the recording at ``path`` ("" when it has none or cannot be read).

    For manifests written before ``probe`` recorded it: an editor timeline re-exported from
    such a run must still place its clips at the file's timecode. Reads the header only.
    """
    try:
        with av.open(str(path)) as container:
            video = container.streams.video
            return _start_timecode(container, video[0]) if video else ""
    except (av.error.FFmpegError, OSError, ValueError):
        return ""


def _start_timecode(container, stream) -> str:
    """The start timecode a camera or editor wrote: the video stream's tag, else the ``tmcd`` track's, else the file's.

    FFmpeg reports a QuickTime/MP4 ``tmcd`` track as a data stream tagged ``timecode`` (and
    copies the tag onto the video stream); MXF and some cameras tag the container.
    """
    tagged = [stream, *container.streams.data, container]
    for item in tagged:
        value = (item.metadata or {}).get("timecode", "").strip()
        if _TIMECODE.match(value):
            return value
    return ""


def _audio_channels(container) -> int:
    audio = container.streams.audio
    return int(audio[0].codec_context.channels or 0) if audio else 0


def _nominal_rate(stream) -> str:
    """The rate an editor would call this video's, as a fraction ("25", "30000/1001").

    Phone recordings are variable-rate; their average (e.g. 1663/55) is no editing
    rate, while the stream's base rate is usually the nominal one (30). The first
    candidate that is a whole or NTSC (x/1001) rate wins; else the average, as is.
    """
    candidates = [stream.average_rate, stream.base_rate, stream.guessed_rate]
    for rate in candidates:
        if rate and Fraction(rate).denominator in (1, 1001):
            return str(Fraction(rate))
    return next((str(Fraction(rate)) for rate in candidates if rate), "")


def _duration(container, stream) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return 0.0


def _reason(error: Exception) -> str:
    text = getattr(error, "strerror", None) or str(error)
    if "moov atom not found" in str(error):
        return "truncated or incomplete file: moov atom not found"
    return text.split(": '", 1)[0].strip()


class Frame:
    """One decoded frame; converted lazily, once per (size, format), upright.

    ``index`` is the nearest frame number at the nominal rate (exact for constant-rate
    video); ``time`` is the exact presentation time and is what everything else uses.
    The scorer and the plugins (on their own thread) may convert the same frame at once:
    a lock keeps them from converting it twice (each thread has its own scaler).
    """

    __slots__ = ("time", "index", "keyframe", "_frame", "_rotation", "_cache", "_lock")

    def __init__(self, frame: av.VideoFrame, time: float, index: int, rotation: int):
        self.time = time
        self.index = index
        self.keyframe = bool(frame.key_frame)
        self._frame = frame
        self._rotation = rotation
        self._cache: dict[tuple, np.ndarray] = {}
        self._lock = threading.Lock()

    @property
    def size(self) -> tuple[int, int]:
        """Upright (width, height) at full resolution."""
        w, h = self._frame.width, self._frame.height
        return (h, w) if self._rotation % 180 else (w, h)

    def image(self, width: int | None = None, height: int | None = None, fmt: str = "rgb24") -> np.ndarray:
        """The frame as an array (``rgb24``, ``bgr24`` or ``gray``), upright, scaled in one step.

        Give ``width`` or ``height`` alone to keep the aspect ratio. The array is always
        C-contiguous, (height, width, 3) or (height, width) for ``gray``, whatever the size.
        """
        width, height = fit_size(self.size, width, height)
        key = (width, height, fmt)
        with self._lock:
            if key not in self._cache:
                self._cache[key] = self._converted(width, height, fmt)
            return self._cache[key]

    def _converted(self, width: int, height: int, fmt: str) -> np.ndarray:
        """The frame as ``image`` gives it at ``width`` x ``height`` (upright), converted now and not kept."""
        stored_w, stored_h = (height, width) if self._rotation % 180 else (width, height)
        # Area averaging when shrinking: no aliasing of sensor noise, and measured here
        # 1.5-2.4x faster than swscale's default bilinear (1080p -> 640 wide: 1.5 vs 3.6 ms).
        shrinking = stored_w < self._frame.width and stored_h < self._frame.height
        array = (
            _reformatter((width, height, fmt))
            .reformat(
                self._frame,
                width=stored_w,
                height=stored_h,
                format=fmt,
                interpolation="AREA" if shrinking else None,
                threads=1,
            )
            .to_ndarray()
        )
        return _upright_and_contiguous(array, self._rotation)

    def luma(self) -> np.ndarray | None:
        """The brightness plane at full resolution, upright: a view on the decoded frame, not a copy.

        For looking at a small part of the picture in full detail (the border band, see
        ``highlight.scorers.edges``): converting the whole frame at that detail costs
        three times the small picture the detectors look at. 8-bit YUV frames (what
        cameras write) have the plane; other formats (10-bit, RGB) None: convert with
        ``image``. Slice what you need and copy it (``np.ascontiguousarray``): rows are
        padded and a turned frame is a strided view.
        """
        if self._frame.format.name not in _LUMA_FIRST:
            return None
        plane = self._frame.planes[0]
        rows = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:, : plane.width]
        return np.rot90(rows, k=self._rotation // 90) if self._rotation else rows


def box_size(box: tuple[int, int, int, int]) -> tuple[int, int]:
    """The (width, height) of a box (left, top, right, bottom)."""
    left, top, right, bottom = box
    return right - left, bottom - top


class FramePart:
    """A box of a frame (upright, full-resolution pixels: left, top, right, bottom) as a frame of its own.

    The picture inside black bars (``highlight.scorers.letterbox``): a detector that
    scales the frame to its working width and watches the frame's edges gets the picture,
    its edges and its shape, as if the recording had been filmed at that size.
    """

    __slots__ = ("frame", "box", "time", "index", "keyframe")

    def __init__(self, frame: Frame, box: tuple[int, int, int, int]):
        self.frame, self.box = frame, box
        self.time, self.index, self.keyframe = frame.time, frame.index, frame.keyframe

    @property
    def size(self) -> tuple[int, int]:
        return box_size(self.box)

    def image(self, width: int | None = None, height: int | None = None, fmt: str = "rgb24") -> np.ndarray:
        """The box as ``Frame.image`` gives a frame: cut from the frame at full resolution, then scaled
        (area averaging), so that its edges are the box's to the pixel.

        Scaled first and cut after, the whole frame's sides rounded to whole pixels put part
        of a bar's line along the picture's edge. The full-resolution picture is not kept
        with the frame, as ``Frame.image`` keeps what it makes: over the frames the pass
        holds, 4K ones would be half a gigabyte; made each time, a 1440-line frame costs
        1.3 ms more than the scaled one.
        """
        width, height = fit_size(self.size, width, height)
        left, top, right, bottom = self.box
        whole_w, whole_h = self.frame.size
        part = self.frame._converted(whole_w, whole_h, fmt)[top:bottom, left:right]
        if part.shape[1::-1] == (width, height):
            return np.ascontiguousarray(part)
        shrinking = width < part.shape[1] and height < part.shape[0]
        interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
        return np.ascontiguousarray(cv2.resize(part, (width, height), interpolation=interpolation))

    def luma(self) -> np.ndarray | None:
        """The box of ``Frame.luma``: a view, as that is."""
        plane = self.frame.luma()
        if plane is None:
            return None
        left, top, right, bottom = self.box
        return plane[top:bottom, left:right]


_LUMA_FIRST = frozenset(  # 8-bit formats whose first plane is the brightness, one byte a pixel
    ("yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "yuv440p", "yuvj440p", "nv12", "nv21", "gray")
)
_REFORMATTERS = threading.local()


def _reformatter(key: tuple) -> VideoReformatter:
    """This thread's scaler for conversions to ``key`` (width, height, format), kept between frames.

    ``VideoFrame.reformat`` makes a new swscale context for every frame, and with it a
    pool of scaler threads: measured here, 1080p to 160x90 grey cost 0.6-4 ms a frame
    that way (the more so the busier the cores) and 0.34 ms with a context kept per
    kind of conversion and one thread. The pass has its parallelism elsewhere (decoder
    threads, consumers on their own threads), so one scaler thread is all a small
    picture needs. A context must not be shared between threads, hence one per thread.
    """
    kept = _REFORMATTERS.__dict__.setdefault("by_key", {})
    if key not in kept:
        kept[key] = VideoReformatter()
    return kept[key]


def _upright_and_contiguous(array: np.ndarray, rotation: int) -> np.ndarray:
    """``array`` turned upright, as one C-contiguous block (a copy only where needed).

    PyAV's ``to_ndarray`` returns a view on the frame's buffer, whose rows are padded
    to the line alignment of FFmpeg's allocator: a 216-pixel rgb24 row is 648 bytes
    in a line of 672. NumPy reads such a view correctly, but a consumer that takes the
    raw buffer as rows of width x channels bytes (MediaPipe's ``mp.Image`` does) reads
    garbage: the pose plugin found nobody in a clip 216 pixels wide. ``np.rot90`` makes
    a strided view too. One copy here fixes every consumer at every size; an aligned
    frame (640 wide: 1920-byte rows, not rotated) is returned as it is.
    """
    if rotation:
        array = np.rot90(array, k=rotation // 90)
    return np.ascontiguousarray(array)


def fit_size(size: tuple[int, int], width: int | None, height: int | None) -> tuple[int, int]:
    """Fill in a missing side from the aspect ratio; sides are even (what encoders want)."""
    full_w, full_h = size
    if width is None and height is None:
        return full_w, full_h
    if width is None:
        width = round(full_w * height / full_h)
    if height is None:
        height = round(full_h * width / full_w)
    return max(2, int(width) // 2 * 2), max(2, int(height) // 2 * 2)


class Schedule:
    """When a consumer next wants a frame: a grid at its rate, or every frame."""

    def __init__(self, rate: float | None, fps: float):
        self.period = 0.0 if not rate or rate >= fps else 1.0 / rate
        self.tolerance = 0.25 / fps
        self.next_time = -math.inf
        self.paused = False  # until the next GOP

    @property
    def resume_time(self) -> float:
        return math.inf if self.paused else self.next_time

    def wants(self, t: float) -> bool:
        if self.paused or t + self.tolerance < self.next_time:
            return False
        if self.period:
            steps = math.floor((t + self.tolerance) / self.period) + 1
            self.next_time = steps * self.period
        return True


@dataclass
class DecodeStats:
    """What a pass cost: for the summary and the benchmark."""

    decoded: int = 0
    decoded_ahead: int = 0  # of them, keyframes decoded on frame threads ahead of the pass
    delivered: int = 0
    skipped_gops: int = 0
    corrupt_packets: int = 0
    last_time: float = 0.0  # presentation time of the last packet demuxed


class VideoSource:
    """One recording, opened for a sampled pass and for random-access windows."""

    def __init__(self, path: Path, info: VideoInfo | None = None):
        self.path = Path(path)
        self.info = info or probe(self.path)
        self.stats = DecodeStats()
        self._window_container = None
        self._decoder: _GopDecoder | None = None

    def sample(self, rates: Sequence[float | None]) -> Iterator[tuple[Frame, tuple[bool, ...]]]:
        """One pass over the video: each frame some consumer wants, with who wants it.

        ``rates[i]`` is consumer i's frames per second (None: every frame).
        """
        schedules = [Schedule(rate, self.info.fps) for rate in rates]
        with self._open() as container:
            stream = container.streams.video[0]
            # Slice threads, not frame threads: a flush after each early-stopped GOP
            # drains a frame-thread pipeline, and measured here that is slower.
            stream.thread_type = "SLICE"
            self._decoder = _GopDecoder(stream, schedules, self.info.rotation, self.info.fps, self.stats)
            yield from self._decoder.run(container.demux(stream))

    def pause(self, consumer: int, longest_gop: float = 2.0) -> None:
        """Consumer ``consumer`` of the running ``sample`` wants nothing more from this GOP.

        Ignored when the GOP is longer than ``longest_gop`` seconds: skipping to a
        keyframe ten seconds away (many encoders' default) would leave the consumer
        blind for too long. Ignored in the last GOP too: no keyframe follows to look
        at, and whoever comes into view in the recording's last seconds would be missed.
        """
        decoder = self._decoder
        if decoder is not None and decoder.gop_seconds <= longest_gop and not decoder.in_last_gop:
            decoder.schedules[consumer].paused = True

    def frame_near(self, t: float) -> Frame | None:
        """The keyframe at or before ``t``: the cheapest frame to reach by seeking.

        Decoded on its own, as ``_KeyframesAhead`` decodes keyframes. Through the window's
        decoder it comes out only once the frames after it that are shown before it (B-frames)
        are decoded too, for nothing: 17.5 ms a keyframe of the 10-minute 1080p office
        recording, 9.8 ms alone; the detector takes 33 before its pass. Where the first packet
        after the seek is no keyframe, or decodes to nothing, as the window decodes.
        """
        return self._keyframe_alone(t) or next(self._seek_and_decode(t), None)

    def _keyframe_alone(self, t: float) -> Frame | None:
        container = self._seeked_to(t)
        stream = container.streams.video[0]
        packet = _first_packet(container)
        if packet is None or not packet.is_keyframe:
            return None
        try:
            codec = _decoder_for(stream)
            frames = [*codec.decode(packet), *codec.decode(None)]
        except av.error.FFmpegError:
            return None
        if not frames or frames[0].pts is None:
            return None
        return self._frame_at(frames[0], stream)

    def window(self, start: float, end: float) -> Iterator[Frame]:
        """Every frame with ``start <= time <= end`` (frames near a transition).

        Taken from what the running pass has just decoded where it holds them all
        (``_RecentFrames``), else found by seeking to the keyframe before and decoding.
        """
        recent = self._decoder.recent.between(start, end) if self._decoder is not None else None
        if recent is not None:
            yield from recent
            return
        for frame in self._seek_and_decode(start):
            if frame.time > end + 1e-6:
                break
            if frame.time >= start - 1e-6:
                yield frame

    def _seek_and_decode(self, t: float) -> Iterator[Frame]:
        """Frames from the keyframe at or before ``t`` onwards."""
        container = self._seeked_to(t)
        stream = container.streams.video[0]
        try:
            for frame in container.decode(stream):
                if frame.pts is not None:
                    yield self._frame_at(frame, stream)
        except av.error.InvalidDataError:
            return

    def _frame_at(self, frame: av.VideoFrame, stream) -> Frame:
        """A decoded frame of the window's ``stream``, at its presentation time."""
        time = float(frame.pts * stream.time_base)
        return Frame(frame, time, round(time * self.info.fps), self.info.rotation)

    def _seeked_to(self, t: float):
        """The second container (the pass goes on in the first), at the keyframe at or before ``t``.

        A window decodes a GOP's frames up to an edge. Slice threads decode the slices of one
        picture at once, frame threads several pictures at once: on two cores, a window of the
        10-minute 1080p office recording (one slice a picture, as ffmpeg's x264 writes it) takes
        155 ms on slice threads and 105 ms on frame threads; of the rendered 12 Mbit/s one (two
        slices a picture) 216 and 255 ms. So frame threads where a picture is one slice.
        """
        if self._window_container is None:
            self._window_container = self._open()
            stream = self._window_container.streams.video[0]
            first = _first_packet(self._window_container)
            stream.thread_type = "SLICE" if first is None or _slices(stream, first) > 1 else "FRAME"
            stream.thread_count = min(os.cpu_count() or 1, _KEYFRAME_THREADS)
        container = self._window_container
        stream = container.streams.video[0]
        container.seek(max(0, int(t / stream.time_base)), stream=stream, backward=True, any_frame=False)
        return container

    def close(self) -> None:
        self._decoder = None  # and the frames it kept (``_RecentFrames``)
        if self._window_container is not None:
            self._window_container.close()
            self._window_container = None

    def __enter__(self) -> VideoSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _open(self):
        try:
            return av.open(str(self.path))
        except (av.error.FFmpegError, OSError) as error:
            raise HighlightError(f"{self.path}: not a readable video ({_reason(error)})") from None


def _first_packet(container):
    """The first packet with data of the container's video stream from where it stands (None: none left)."""
    return next((packet for packet in container.demux(container.streams.video[0]) if packet.size), None)


def _decoder_for(stream) -> av.CodecContext:
    """A decoder of the stream's codec of its own, fed only what it is given (keyframes)."""
    codec = av.CodecContext.create(stream.codec_context.name, "r")
    codec.extradata = stream.codec_context.extradata
    return codec


def _slices(stream, packet) -> int:
    """How many slices the picture in ``packet`` is cut into, where the stream tells it plainly: H.264 as MP4
    and MOV store it (each NAL unit after its length, ``avcC``); else 1."""
    extradata = bytes(stream.codec_context.extradata or b"")
    if stream.codec_context.name != "h264" or len(extradata) < 5 or extradata[0] != 1:
        return 1
    size, data, at, slices = (extradata[4] & 3) + 1, bytes(packet), 0, 0
    while at + size < len(data):
        slices += data[at + size] & 0x1F in (1, 5)  # a coded slice (5: of a keyframe)
        at += size + int.from_bytes(data[at : at + size], "big")
    return max(slices, 1)


@dataclass
class _Gop:
    """The packets of one GOP (keyframe to keyframe) and, once decoded ahead, its keyframe."""

    packets: list
    end: float  # presentation time of the next keyframe (inf: the last GOP)
    streamed: bool = False  # one packet of an over-long GOP, to decode at once
    sent_ahead: bool = False
    keyframe: av.VideoFrame | None = None  # decoded ahead

    @property
    def start_pts(self):
        return self.packets[0].pts


class _KeyframesAhead:
    """Decodes keyframes a few GOPs ahead of the pass, on FFmpeg's frame threads.

    Where the pass wants only each GOP's keyframe (quiet stretches; action when GOPs
    are short), decoding keyframes is all the work, and one decoder runs on one core.
    Keyframes decode independently of each other, so a decoder fed nothing but
    keyframes can decode several at once on frame threads (FFmpeg decodes in its own
    threads, without Python's lock) while the pass converts and scores the previous
    ones. Measured here on a 1080p keyframe stream: 1.5x the speed of one thread on
    two cores, for the same CPU time. The frames come out a few keyframes late, so the
    pass reads a few GOPs ahead: memory stays a few GOPs of packets.
    """

    def __init__(self, stream, threads: int):
        self.codec = _decoder_for(stream)
        self.codec.thread_type = "FRAME"
        self.codec.thread_count = threads
        self.lookahead = threads + 2  # GOPs read ahead: the frame threads plus the reorder delay
        self._waiting: dict[int, _Gop] = {}

    def send(self, gop: _Gop) -> int:
        """Start decoding ``gop``'s keyframe; hands out finished keyframes; returns how many decoded."""
        gop.sent_ahead = True
        self._waiting[gop.start_pts] = gop
        return self._collect(gop.packets[0])

    def forget(self, gop: _Gop) -> None:
        """``gop`` is being decoded by the pass itself (its keyframe did not come out in time, or at all)."""
        self._waiting.pop(gop.start_pts, None)

    def finish(self) -> int:
        """Hand out every keyframe still in the decoder (end of the pass)."""
        return self._collect(None)

    def _collect(self, packet) -> int:
        try:
            frames = self.codec.decode(packet)
        except av.error.InvalidDataError:
            return 0  # that GOP is decoded by the pass itself, which counts the corrupt packet
        for frame in frames:
            gop = self._waiting.pop(frame.pts, None)
            if gop is not None:
                gop.keyframe = frame
        return len(frames)


class _RecentFrames:
    """The frames the pass decoded last, in order and without a gap: windows just behind it are read from them.

    An edge between two samples is placed by scoring every frame between them
    (``VideoSource.window``). Where the pass has just decoded through them (a ball at
    a hoop sampled 10 times a second, action in long GOPs), seeking back to the keyframe
    before and decoding them again was a large part of the pass: the shots pass over a
    5-minute 1080p court took 70 s, 51 s without it. Where the pass reads keyframes only,
    the window still seeks. A frame that does not follow the last one (the pass skipped
    the rest of a GOP) starts the run again. The scorer may read a window on another
    thread (a classifier behind the motion gate): the frames are handed out as a copied list.
    """

    def __init__(self, fps: float):
        self._frames: deque[tuple[Frame, int]] = deque()
        self._bytes = 0
        self._spacing = 1.5 / fps  # further apart than this, a frame was not decoded in between
        self._lock = threading.Lock()

    def add(self, frame: Frame, size: int) -> None:
        with self._lock:
            if self._frames and not 0 < frame.time - self._frames[-1][0].time <= self._spacing:
                self._frames.clear()
                self._bytes = 0
            self._frames.append((frame, size))
            self._bytes += size
            while len(self._frames) > 1 and (
                self._bytes > _RECENT_BYTES or frame.time - self._frames[0][0].time > _RECENT_SECONDS
            ):
                self._bytes -= self._frames.popleft()[1]

    def between(self, start: float, end: float) -> list[Frame] | None:
        """Every frame with ``start <= time <= end``, where all of them are here; else None."""
        with self._lock:
            frames = [frame for frame, _ in self._frames]
        if not frames or frames[0].time > start + 1e-6 or frames[-1].time < end - 1e-6:
            return None
        return [frame for frame in frames if start - 1e-6 <= frame.time <= end + 1e-6]


class _GopDecoder:
    """Feeds the decoder GOP by GOP, stopping each GOP once nothing more is wanted from it.

    Keyframes are decoded ahead (``_KeyframesAhead``) while the previous GOP needed
    nothing but its keyframe: the pass usually goes on as it was, and a GOP that is
    decoded through anyway would decode its keyframe twice.
    """

    def __init__(self, stream, schedules: list[Schedule], rotation: int, fps: float, stats: DecodeStats):
        self.stream = stream
        self.codec = stream.codec_context
        self.time_base: Fraction = stream.time_base
        self.schedules = schedules
        self.rotation = rotation
        self.stats = stats
        self.fps = fps
        self.needs_flush = False
        self.gop_seconds = math.inf  # length of the GOP being decoded
        self.in_last_gop = False  # the GOP being decoded is the stream's last: no keyframe after it
        self.ahead = _KeyframesAhead(stream, min(os.cpu_count() or 1, _KEYFRAME_THREADS))
        self.recent = _RecentFrames(fps)
        self.keyframe_was_enough = False  # the last GOP needed only its keyframe

    def run(self, packets) -> Iterator[tuple[Frame, tuple[bool, ...]]]:
        waiting: deque[_Gop] = deque()
        for gop in self._gops(packets):
            if gop.streamed:  # part of an over-long GOP, decoded as it comes: what was read goes first
                while waiting:
                    yield from self._decode_gop(waiting.popleft())
                yield from self._feed(gop.packets[0])
                continue
            if self.keyframe_was_enough and gop.packets[0].is_keyframe:
                self._count_ahead(self.ahead.send(gop))
            waiting.append(gop)
            while waiting and self._ready(waiting):
                yield from self._decode_gop(waiting.popleft())
        self._count_ahead(self.ahead.finish())
        while waiting:
            yield from self._decode_gop(waiting.popleft())
        yield from self._feed(None)

    def _count_ahead(self, keyframes: int) -> None:
        self.stats.decoded += keyframes
        self.stats.decoded_ahead += keyframes

    def _ready(self, waiting: deque[_Gop]) -> bool:
        first = waiting[0]
        return not first.sent_ahead or first.keyframe is not None or len(waiting) > self.ahead.lookahead

    def _gops(self, packets) -> Iterator[_Gop]:
        """The stream cut into GOPs; a GOP too long to buffer comes out packet by packet (``streamed``)."""
        gop: list = []
        for packet in packets:
            if packet.size == 0:
                continue
            # How far the file really goes (a truncated file stops early), whether or
            # not this packet is decoded.
            self.stats.last_time = max(self.stats.last_time, self._time(packet, default=0.0))
            if packet.is_keyframe and gop:
                yield _Gop(gop, self._time(packet))
                gop = []
            gop.append(packet)
            if len(gop) > _MAX_BUFFERED_PACKETS:
                yield _Gop([gop.pop(0)], math.nan, streamed=True)
        if gop:
            yield _Gop(gop, math.inf)

    def _decode_gop(self, gop: _Gop) -> Iterator[tuple[Frame, tuple[bool, ...]]]:
        packets, gop_end = gop.packets, gop.end
        self.ahead.forget(gop)  # no longer waited for, whether or not its keyframe came out
        for schedule in self.schedules:
            schedule.paused = False
        last = gop_end if math.isfinite(gop_end) else max(self._time(p, 0.0) for p in packets) + 1.0 / self.fps
        self.gop_seconds = last - self._time(packets[0])
        self.in_last_gop = gop_end == math.inf
        gop_end = last  # the last GOP ends with its last frame: nothing wanted after it is decoded for
        self.keyframe_was_enough = True
        if self._nothing_wanted_before(gop_end):
            self.stats.skipped_gops += 1
            self.needs_flush = True
            return
        keyframe_time = -math.inf
        if gop.keyframe is not None:  # decoded ahead
            keyframe_time = self._time(packets[0])
            yield from self._deliver(gop.keyframe)
            if self._nothing_wanted_before(gop_end):
                self.needs_flush = True
                return
        decoded_before = self.stats.decoded
        for k, packet in enumerate(packets):
            yield from self._feed(packet, after=keyframe_time)
            # One frame out of the decoder is the keyframe (it may take a second packet to come out).
            self.keyframe_was_enough = self.stats.decoded - decoded_before <= (gop.keyframe is None)
            if k + 1 < len(packets) and self._nothing_wanted_before(gop_end):
                self.needs_flush = True
                return
        self.keyframe_was_enough = False

    def _nothing_wanted_before(self, t: float) -> bool:
        return all(s.resume_time >= t for s in self.schedules)

    def _feed(self, packet, after: float = -math.inf) -> Iterator[tuple[Frame, tuple[bool, ...]]]:
        """Decode ``packet``; frames at or before ``after`` (a keyframe decoded ahead) are not delivered again."""
        if self.needs_flush:
            if packet is None or not packet.is_keyframe:
                return  # after a skip, decoding can only restart at a keyframe
            self.codec.flush_buffers()
            self.needs_flush = False
        try:
            frames = self.codec.decode(packet)
        except av.error.InvalidDataError:
            self.stats.corrupt_packets += 1
            return
        for frame in frames:
            self.stats.decoded += 1
            if frame.pts is not None and float(frame.pts * self.time_base) > after + 1e-9:
                yield from self._deliver(frame)

    def _deliver(self, frame: av.VideoFrame) -> Iterator[tuple[Frame, tuple[bool, ...]]]:
        if frame.pts is None:
            return
        t = float(frame.pts * self.time_base)
        wanted = tuple(s.wants(t) for s in self.schedules)
        decoded = Frame(frame, t, round(t * self.fps), self.rotation)
        self.recent.add(decoded, sum(plane.buffer_size for plane in frame.planes))
        if any(wanted):
            self.stats.delivered += 1
            yield decoded, wanted

    def _time(self, packet, default: float = math.inf) -> float:
        """The packet's presentation time in seconds, as ``float(pts * time_base)`` gives it: a whole number
        divided by a whole number is rounded once, as the fraction's conversion is (asked of every packet)."""
        pts = packet.pts if packet.pts is not None else packet.dts
        if pts is None:
            return default
        return pts * self.time_base.numerator / self.time_base.denominator
