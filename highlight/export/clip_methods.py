"""How clip files are made: one table of methods, which ``--clips`` choices, its help and the README derive from.

* ``smart`` (the default): whole GOPs copied, only the partial GOPs at the two edges
  re-encoded. Frame-accurate like ``encode`` and nearly as fast as ``copy``: the clip
  a user asked for, at the speed of reading the file.
* ``copy``: the recording's packets remuxed, nothing re-encoded: the fastest and
  lossless, but it starts on the keyframe at or before the asked-for start (up to a
  GOP early; the manifest records the real edges).
* ``encode``: everything decoded and re-encoded with moviepy (x264): the slowest, and
  the only one that can change pictures, so slow motion, overlays and the reel always
  use it, whatever the method of the plain clips.

Every writer writes to a temporary name, checks the result (``verify_clip``: it plays
to its end, and keeps the audio a source has) and only then renames it, and checks the
free space first. Each returns the clip's real edges in seconds of the source.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av

from highlight import HighlightError
from highlight.atomic import atomic_path
from highlight.export import clips as encoder
from highlight.export.smart_cut import SmartCutUnsupported, smart_clip, smart_edges
from highlight.export.stream_copy import ClipEdges, copy_clip
from highlight.intervals import Interval
from highlight.source import VideoInfo

log = logging.getLogger(__name__)

# A copy holds the source's own bytes for the clip plus up to a GOP before its start
# (a second on phones, up to 10 s on some cameras); a smart cut, no more than that
# (its re-encoded edges, at most twice the source's rate, fit in the same margin).
SPACE_MARGIN_S = 10.0


def space_to_copy(info: VideoInfo, interval: Interval) -> int:
    """Bytes a copied or smart clip of ``interval`` may take."""
    return encoder.needed_bytes(info.path, info.duration, interval.duration + SPACE_MARGIN_S, 1.0)


@contextlib.contextmanager
def checked_space(folder: Path, needed: int) -> Iterator[None]:
    """Fail before writing where the disk cannot hold ``needed`` bytes, and say the same if it fills while writing."""
    encoder.ensure_bytes(folder, needed)
    try:
        yield
    except (OSError, av.error.FFmpegError) as error:
        if error.errno == errno.ENOSPC:
            raise HighlightError(encoder.no_space_message(folder, needed)) from None
        raise


class ClipSource:
    """The recording, opened by each writer the way it needs: a path for copies, moviepy for re-encodes.

    moviepy (an ffmpeg process per stream) is started only when a re-encode is asked
    for, and once for all the clips of the video. Its reader is one position in one
    ffmpeg process, so one re-encode at a time holds it (``moviepy``); copies and smart
    cuts open the file themselves and may run on several threads at once.
    """

    def __init__(self, info: VideoInfo, drawers: list | None = None):
        self.info = info
        self.drawers = drawers or []
        self._stack = contextlib.ExitStack()
        self._moviepy = None
        self._moviepy_lock = threading.Lock()
        self._notes_lock = threading.Lock()
        self.smart_unsupported: str | None = None  # why smart cutting cannot work on this source, once found

    @contextlib.contextmanager
    def moviepy(self) -> Iterator:
        """The moviepy clip of the recording, upright, with the overlays drawn; for this thread alone until exit."""
        with self._moviepy_lock:
            if self._moviepy is None:
                clip = self._stack.enter_context(encoder.open_source(self.info))
                self._moviepy = encoder.with_overlays(clip, self.drawers)
            yield self._moviepy

    def found_smart_unsupported(self, reason: str) -> bool:
        """Record why smart cutting cannot work here; True for the first clip (of those at once) to find it."""
        with self._notes_lock:
            first = self.smart_unsupported is None
            self.smart_unsupported = self.smart_unsupported or reason
        return first

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> ClipSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


ClipWriter = Callable[[ClipSource, Interval, Path, encoder.ClipSettings], ClipEdges]


def write_encoded(source: ClipSource, interval: Interval, path: Path, settings: encoder.ClipSettings) -> ClipEdges:
    """Re-encode with moviepy (verified inside ``write_clip``)."""
    with source.moviepy() as clip:
        encoder.write_clip(clip, interval, path, settings)
    return asked_edges(source.info, interval)


def write_copied(source: ClipSource, interval: Interval, path: Path, settings: encoder.ClipSettings) -> ClipEdges:
    """Stream copy, widened to the enclosing keyframe, verified before the rename."""
    info = source.info
    with checked_space(path.parent, space_to_copy(info, interval)), atomic_path(path) as tmp:
        edges = copy_clip(Path(info.path), interval.start, interval.end, tmp)
        encoder.verify_clip(tmp, edges.duration, final=path, with_audio=info.has_audio)
    return edges


def asked_edges(info: VideoInfo, interval: Interval) -> ClipEdges:
    """A frame-accurate method's edges: the interval's, the end clamped to the recording."""
    return ClipEdges(interval.start, min(interval.end, info.duration or interval.end))


def copied_edges(info: VideoInfo, interval: Interval) -> ClipEdges:
    """Where a copy of ``interval`` starts and ends, from the source's packets (nothing written)."""
    return copy_clip(Path(info.path), interval.start, interval.end, None)


def write_smart(source: ClipSource, interval: Interval, path: Path, settings: encoder.ClipSettings) -> ClipEdges:
    """Copied GOPs, re-encoded edges; the whole clip re-encoded where the stream cannot be joined (said once a video)."""
    info = source.info
    if source.smart_unsupported is None:
        try:
            with checked_space(path.parent, space_to_copy(info, interval)), atomic_path(path) as tmp:
                edges = smart_clip(Path(info.path), interval.start, interval.end, tmp, settings)
                encoder.verify_clip(tmp, edges.duration, final=path, with_audio=info.has_audio)
            return edges
        except SmartCutUnsupported as reason:
            if source.found_smart_unsupported(str(reason)):
                log.warning(
                    "%s: --clips smart cannot join %s; its clips are re-encoded whole "
                    "(--clips copy is much faster, starting on the keyframe before each highlight)",
                    info.path,
                    reason,
                )
    return write_encoded(source, interval, path, settings)


def smart_edges_of(info: VideoInfo, interval: Interval) -> ClipEdges:
    """Where a smart clip of ``interval`` starts and ends (its frames'), or the asked edges where it falls back."""
    try:
        return smart_edges(Path(info.path), interval.start, interval.end)
    except (HighlightError, av.error.FFmpegError):
        return asked_edges(info, interval)


@dataclass(frozen=True)
class ClipMethod:
    """One way to make clips, as ``--clips`` offers it."""

    name: str
    summary: str  # one line, for --help and the README
    write: ClipWriter
    edges: Callable[[VideoInfo, Interval], ClipEdges]  # where ``write`` starts and ends it, without writing
    frame_accurate: bool  # starts and ends within a frame of the asked-for times
    re_encodes: bool  # decodes and encodes pictures (what slow motion, overlays and the reel need)


CLIP_METHODS: dict[str, ClipMethod] = {
    method.name: method
    for method in (
        ClipMethod(
            "smart",
            "frame-accurate, nearly as fast as copy: whole GOPs copied, only the edges re-encoded",
            write_smart,
            smart_edges_of,
            frame_accurate=True,
            re_encodes=False,
        ),
        ClipMethod(
            "copy",
            "lossless stream copy, fastest; starts on the keyframe at or before the highlight",
            write_copied,
            copied_edges,
            frame_accurate=False,
            re_encodes=False,
        ),
        ClipMethod(
            "encode",
            "re-encode every frame (x264), slowest; what slow motion, overlays and the reel use",
            write_encoded,
            asked_edges,
            frame_accurate=True,
            re_encodes=True,
        ),
    )
}
DEFAULT_CLIP_METHOD = "smart"
RE_ENCODING_METHOD = next(m for m in CLIP_METHODS.values() if m.re_encodes)


def clip_method_help() -> str:
    """``--clips``'s help: each method and what it does, from the table."""
    choices = "; ".join(f"{m.name}: {m.summary}" for m in CLIP_METHODS.values())
    return f"How clips are made ({choices}). [default: {DEFAULT_CLIP_METHOD}]"


def method_for_plain_clips(name: str, overlay: bool) -> ClipMethod:
    """The method the plain clips use: the chosen one, or the re-encoding one where overlays are drawn."""
    method = CLIP_METHODS[name]
    return RE_ENCODING_METHOD if overlay and not method.re_encodes else method


def re_encode_note(name: str, slowmo: bool, overlay: bool, reel: bool) -> str | None:
    """The one line that says which outputs are re-encoded although another method was chosen, or None."""
    if CLIP_METHODS[name].re_encodes:
        return None
    outputs = [what for what, asked in (("slow motion", slowmo), ("overlays", overlay), ("the reel", reel)) if asked]
    if not outputs:
        return None
    return (
        f"--clips {name} cannot draw or retime pictures: {', '.join(outputs)} "
        f"will be re-encoded (--clips {RE_ENCODING_METHOD.name})"
    )
