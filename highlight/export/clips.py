"""Highlight clips, slow-motion versions and the reel, written with moviepy.

Every file is encoded to a temporary name and renamed only once it is known good: its
video stream is there and it lasts as long as asked (moviepy does not check ffmpeg's
exit status, so a full disk would otherwise leave a truncated clip under its final
name). Clips are H.264 + AAC in MP4 with ``+faststart``: what phones, browsers and
editors all open. The ffmpeg processes moviepy starts are supervised: their error
output is read as it comes (moviepy leaves that pipe unread, and a corrupt stretch
fills it and hangs both sides), and odd frame sizes, which H.264 refuses, are padded
by a pixel.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from highlight import HighlightError
from highlight.atomic import atomic_path
from highlight.intervals import Interval, union
from highlight.source import VideoInfo

log = logging.getLogger(__name__)

MB = 1024 * 1024
# Re-encoded clips (crf 20, veryfast) run up to about twice a phone's bit rate; the
# reserve leaves room for the manifest and the file system's own needs.
SPACE_PER_SOURCE_BYTE, SPACE_RESERVE = 2.0, 8 * MB


@dataclass(frozen=True)
class ClipSettings:
    preset: str = "veryfast"  # x264 speed/size trade-off; clips are short, speed wins
    crf: int = 20  # visually near-lossless for sports footage
    threads: int = max(1, os.cpu_count() or 1)


SLOWMO_SUFFIX = "_slowmo"
CLIP_NAME = re.compile(rf"clip_\d{{3,}}_\d+\.\d{{2}}-\d+\.\d{{2}}({SLOWMO_SUFFIX})?\.mp4")


def clip_name(index: int, interval: Interval, suffix: str = "") -> str:
    """A name that sorts in order and says where in the recording the clip comes from (``CLIP_NAME``)."""
    return f"clip_{index:03d}_{interval.start:.2f}-{interval.end:.2f}{suffix}.mp4"


def is_clip_name(name: str) -> bool:
    """A name ``clip_name`` makes: the only clip files a run or a cut may delete as stale."""
    return CLIP_NAME.fullmatch(name) is not None


@contextlib.contextmanager
def open_source(info: VideoInfo) -> Iterator:
    """The recording as a moviepy clip, upright.

    moviepy 2.2 reads rotation only from the old ``rotate`` tag, while ffmpeg (which
    rotates phone videos as it decodes) now reports a display matrix; without help,
    moviepy would take the rotated frames for unrotated ones and scramble them. Asking
    for the upright size makes its frame size match what ffmpeg delivers.
    """
    from moviepy import VideoFileClip

    upright = (info.width, info.height) if info.rotation % 180 else None
    try:
        clip = VideoFileClip(info.path, audio=info.has_audio, target_resolution=upright)
    except (OSError, KeyError, IndexError, ValueError) as error:
        raise HighlightError(f"{info.path}: moviepy cannot open it ({error})") from None
    for reader in (clip.reader, getattr(clip.audio, "reader", None)):
        if reader is not None:
            drain_errors_of(reader)
    try:
        yield clip
    finally:
        clip.close()


def drain_errors_of(reader) -> None:
    """Read the error output of every ffmpeg process this moviepy reader starts (it restarts on seeks).

    moviepy opens that output as a pipe and never reads it. ffmpeg writes a line per
    damaged frame, so a corrupt stretch fills the pipe (64 kB) and ffmpeg stops writing
    frames while moviepy waits for them: both wait for ever. A thread that reads the
    pipe as it fills keeps ffmpeg going; the damage shows in the clip's check instead.
    """
    start = reader.initialize

    def initialize(*args, **kwargs):
        start(*args, **kwargs)
        _drain(reader.proc)

    reader.initialize = initialize
    _drain(getattr(reader, "proc", None))


def _drain(process) -> None:
    if process is None or process.stderr is None:
        return

    def read_all(stream) -> None:
        try:
            while stream.read1(65536):
                pass
        except (OSError, ValueError):  # closed by moviepy when it stops the process
            pass

    threading.Thread(target=read_all, args=(process.stderr,), name="ffmpeg-stderr", daemon=True).start()


def with_overlays(source_clip, drawers: list):
    """The clip with each drawer, (RGB image, source time) -> image, applied to every frame.

    Applied before cutting, so that the times the drawers see are times of the source.
    """
    if not drawers:
        return source_clip

    def draw(get_frame, t):
        image = get_frame(t)
        for drawer in drawers:
            image = drawer(image, t)
        return image

    return source_clip.transform(draw, apply_to=[])


def write_clip(source_clip, interval: Interval, path: Path, settings: ClipSettings, speed: float = 1.0) -> None:
    """One interval as a file; ``speed`` < 1 writes slow motion (without audio, which would drone)."""
    from moviepy import vfx

    part = _subclip(source_clip, interval)
    if speed != 1.0:
        part = part.without_audio().with_effects([vfx.MultiplySpeed(speed)])
    _write(part, path, settings, interval.duration / speed)


def write_reel(source_clip, intervals: list[Interval], path: Path, settings: ClipSettings) -> None:
    """All highlights of one video, in order, as one file; footage two highlights share plays once."""
    from moviepy import concatenate_videoclips

    spans = union(intervals)
    parts = [_subclip(source_clip, i) for i in spans]
    _write(concatenate_videoclips(parts), path, settings, sum(i.duration for i in spans))


def _subclip(source_clip, interval: Interval):
    """The interval's part; its end is clamped to what moviepy reads as the clip's length,
    which can be a few milliseconds shorter than the container's duration."""
    end = min(interval.end, source_clip.duration) if source_clip.duration else interval.end
    return source_clip.subclipped(min(interval.start, end), end)


def _write(clip, path: Path, settings: ClipSettings, expected_seconds: float) -> None:
    """Encode to a temporary name, check the result, then rename: a failed write never gets the final name.

    The result is checked against ``expected_seconds``, the interval's length, not the
    length moviepy makes of it: for a recording cut short since it was analysed, that
    is the shorter file's, and the clip would pass.
    """
    ensure_space(path.parent, clip)
    even = ["-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2"] if any(side % 2 for side in clip.size) else []
    with atomic_path(path) as tmp, _repeated_frames(path, clip) as repeated:
        try:
            clip.write_videofile(
                str(tmp),
                codec="libx264",
                audio_codec="aac" if clip.audio is not None else None,
                audio=clip.audio is not None,
                preset=settings.preset,
                threads=settings.threads,
                ffmpeg_params=["-crf", str(settings.crf), "-pix_fmt", "yuv420p", "-movflags", "+faststart", *even],
                temp_audiofile_path=str(path.parent),
                logger=None,
            )
        except OSError as error:
            if error.errno == errno.ENOSPC or "No space left" in str(error):
                raise HighlightError(no_space_message(path.parent, _needed_bytes(clip))) from None
            reason = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
            raise HighlightError(f"{path}: the encoder failed ({reason})") from None
        repeated.check()
        verify_clip(tmp, expected_seconds, final=path)


class _RepeatedFrames:
    """Counts the frames moviepy repeated because the recording ran out before the clip's end.

    moviepy then warns ("bytes wanted but 0 bytes read ... Using the last valid frame
    instead") and goes on: a recording truncated since it was analysed, or one whose
    header states a wrong length or rate, gives a clip that freezes for as long as it
    lacks frames. A frame or two at the very end is moviepy's rounding; more is an error.
    """

    def __init__(self, path: Path, fps: float):
        self.path, self.fps = path, fps or 25.0
        self.warnings: list[warnings.WarningMessage] = []

    def check(self) -> None:
        ran_out = [w for w in self.warnings if "bytes wanted but" in str(w.message)]
        if len(ran_out) > max(3, 0.25 * self.fps):
            raise HighlightError(
                f"{self.path}: the recording ran out {len(ran_out) / self.fps:.1f} s before the clip's end "
                "(truncated or changed since it was analysed, or its header states a wrong length or rate)"
            )


@contextlib.contextmanager
def _repeated_frames(path: Path, clip) -> Iterator[_RepeatedFrames]:
    """Collect moviepy's warnings while ``clip`` is written (re-encoding runs one clip at a time)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        repeated = _RepeatedFrames(path, float(getattr(clip, "fps", 0) or 0))
        repeated.warnings = caught
        yield repeated


def verify_clip(path: Path, expected_seconds: float, final: Path | None = None, with_audio: bool = False) -> None:
    """HighlightError unless ``path`` is a playable video of about ``expected_seconds``
    (with an audio stream, where ``with_audio`` asks for one).

    Reads the container's header and decodes the last GOP: a clip cut short by a
    full disk or a dying encoder fails one or the other. Times count from the video
    stream's first timestamp, so a clip whose timestamps do not start at 0 is measured
    the same way.
    """
    import av

    name = final or path
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise HighlightError(f"{name}: the encoder wrote no video stream")
            if with_audio and not container.streams.audio:
                raise HighlightError(f"{name}: the writer lost the audio")
            stream = container.streams.video[0]
            last = _last_frame_time(container, stream)
    except av.error.FFmpegError as error:
        raise HighlightError(f"{name}: the encoder wrote a broken file ({error})") from None
    frame = _frame_seconds(stream)
    if last is None or _short_of(last + frame, expected_seconds, frame):
        written = "no frames" if last is None else f"frames up to {last + frame:.2f} s"
        raise HighlightError(f"{name}: the encoder stopped early ({written} of {expected_seconds:.2f} s)")


def is_intact(path: Path, expected_seconds: float) -> bool:
    """A clip written (and verified) earlier is still whole: not empty, a video stream, packets to its end.

    For resuming and skipping, which check every clip of a finished video: the packets
    of the last GOP are read, not decoded (``verify_clip`` decodes them, once, after
    writing). The damage a file at rest suffers is truncation (a copy or a sync cut
    short, a disk that filled), which leaves the last packets missing.
    """
    import av

    try:
        if path.stat().st_size == 0:
            return False
        with av.open(str(path)) as container:
            if not container.streams.video:
                return False
            stream = container.streams.video[0]
            end = _last_packet_end(container, stream)
    except (OSError, av.error.FFmpegError):
        return False
    return end is not None and not _short_of(end, expected_seconds, _frame_seconds(stream))


def _short_of(reached: float, expected: float, frame: float) -> bool:
    """Ends clearly before ``expected``: more than three frames or a quarter second (container rounding) short."""
    return reached < expected - max(0.25, 3 * frame)


def _frame_seconds(stream) -> float:
    return 1.0 / float(stream.average_rate or 30)


def _seek_to_last_keyframe(container, stream) -> None:
    """To the keyframe that starts the last GOP: all that must be read to reach the last frame."""
    duration = float(stream.duration * stream.time_base) if stream.duration else 0.0
    last_frame = duration - _frame_seconds(stream)
    if last_frame > 0:
        start = stream.start_time or 0
        container.seek(start + int(last_frame / stream.time_base), stream=stream, backward=True)


def _last_packet_end(container, stream) -> float | None:
    """Where the last packet that can be read ends, in seconds from the stream's start."""
    _seek_to_last_keyframe(container, stream)
    end = None
    for packet in container.demux(stream):
        if packet.pts is not None and packet.size:
            packet_end = float((packet.pts + (packet.duration or 0) - (stream.start_time or 0)) * stream.time_base)
            end = max(end or 0.0, packet_end)
    return end


def _last_frame_time(container, stream) -> float | None:
    """The time of the last frame that decodes, from the last GOP's keyframe."""
    _seek_to_last_keyframe(container, stream)
    last = None
    for frame in container.decode(stream):
        if frame.pts is not None:
            last = float((frame.pts - (stream.start_time or 0)) * stream.time_base)
    return last


def _needed_bytes(clip) -> int:
    """A generous estimate of the file a clip makes: its share of the source's bytes, doubled."""
    reader = getattr(clip, "reader", None)  # kept by subclips and transforms; a reel has none
    source, total = getattr(reader, "filename", None), getattr(reader, "duration", None)
    return needed_bytes(source, total, clip.duration, SPACE_PER_SOURCE_BYTE)


def needed_bytes(source: str | None, source_seconds: float | None, seconds: float, per_source_byte: float) -> int:
    """Bytes to keep free for ``seconds`` of ``source``: its bit rate times ``per_source_byte``, plus the reserve.

    ``per_source_byte`` is what the writer makes of one byte of the source: about 2 for a
    re-encode (see SPACE_PER_SOURCE_BYTE), 1 for a stream copy.
    """
    try:
        size = os.path.getsize(source) if source else 0
    except OSError:
        size = 0
    bytes_per_second = size / source_seconds if size and source_seconds else 2 * MB  # ~16 Mbit/s when unknown
    return int(seconds * bytes_per_second * per_source_byte) + SPACE_RESERVE


def ensure_space(folder: Path, clip) -> None:
    """Fail before encoding, with the numbers, when the output disk cannot hold the clip."""
    ensure_bytes(folder, _needed_bytes(clip))


def ensure_bytes(folder: Path, needed: int) -> None:
    """HighlightError, with the numbers, unless ``folder``'s disk has ``needed`` bytes free."""
    if shutil.disk_usage(folder).free < needed:
        raise HighlightError(no_space_message(folder, needed))


def no_space_message(folder: Path, needed: int) -> str:
    """The one line a full disk gets: where, how much is needed, how much is free."""
    free = shutil.disk_usage(folder).free
    return f"no space left on {folder}: need ~{needed / MB:.0f} MB, {free / MB:.0f} MB free"
