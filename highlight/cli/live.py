"""``highlight live``: count reps and cut highlights as they happen, from a camera or a stream."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from highlight import HighlightError
from highlight.cli.components import with_component_options
from highlight.cli.options import (
    ANALYSIS_OPTIONS,
    Seconds,
    Verbose,
    analysis_settings,
    fail,
    with_shared_options,
)
from highlight.service_log import setup_service_logging
from highlight.terminal import quiet_unless_verbose
from highlight.units import counted

LOG_FILE = "live.log"

# Live has one way to make clips: its packet ring is copied (encoded where MP4 cannot hold
# the codec). `run`'s other methods need the recording, which a stream does not leave.
LIVE_CLIP_METHOD = "copy"
LiveClips = Annotated[
    Optional[str],
    typer.Option(
        "--clips",
        metavar="METHOD",
        help="copy (the only method live): the stream's own packets, from the keyframe at or before the start; "
        "codecs MP4 cannot hold (MJPEG, raw) are encoded to H.264. smart and encode need a recording: "
        "`highlight run` on one.",
    ),
]


def check_live_clip_method(method: str | None) -> None:
    """One line, not a traceback, for a ``--clips`` method live cannot apply to a stream."""
    if method not in (None, LIVE_CLIP_METHOD):
        fail(
            f"--clips {method}: live clips are copied from the stream's packets (--clips {LIVE_CLIP_METHOD}); "
            "smart and encode cut a recording with `highlight run`"
        )


def has_display() -> bool:
    """Whether an OpenCV window can open: a desktop session on Linux; macOS and Windows have one."""
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


@with_component_options
@with_shared_options(ANALYSIS_OPTIONS, clips=LiveClips)
@quiet_unless_verbose
def live(
    source: Annotated[
        str,
        typer.Option(
            "--source",
            "-s",
            help="Camera (0, /dev/video0), stream URL (rtsp://, udp://, srt://, http(s)://) or, with --realtime, a file.",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (a subfolder per part).")],
    realtime: Annotated[
        bool, typer.Option("--realtime", help="Play a file at its own pace, as if it came from a camera.")
    ] = False,
    duration: Annotated[
        Optional[float], typer.Option("--duration", help="Stop after this long. [default: until stopped]", **Seconds)
    ] = None,
    roll_over: Annotated[
        float, typer.Option("--roll-over", help="Start a new output folder after this long.", **Seconds)
    ] = 3600.0,
    preview: Annotated[
        bool, typer.Option("--preview", help="Show the picture and the counts in a window (needs a display).")
    ] = False,
    shared: dict | None = None,
    verbose: Verbose = False,
    components: dict | None = None,
) -> None:
    """Count reps and cut highlights as they happen, from a camera or a stream.

    Example: highlight live --source 0 --out ~/Videos/live --plugin reps --reps-exercise pushup
    Example: highlight live --source rtsp://192.168.1.20:8554/live --out ~/Videos/court
    Example: highlight live --source match.mp4 --realtime --out /tmp/try --duration 2m
    """
    from highlight.live.session import LiveOptions, LiveSession
    from highlight.live.status import StatusLine, describe, plugin_fields

    check_live_clip_method(shared["clips"])
    settings = analysis_settings(shared, components)
    setup_service_logging(out / LOG_FILE, verbose)
    log = logging.getLogger("highlight.live")
    if shared["slowmo"] or shared["reel"]:
        log.warning("--slowmo and --reel are not made live; the clips are written as they are")
    status = StatusLine()
    show = _preview_window(preview, log)
    counts = {"last": ""}

    def on_status(session) -> None:
        line = describe(session)
        status.show(line)
        if show is not None:
            show(session, line)
        results = "  ".join(plugin_fields(session.live_plugin_results()))
        if results and results != counts["last"]:  # the log (a service's journal) gets each change of count
            counts["last"] = results
            log.info("%s", results)

    options = LiveOptions(source=source, out=out, realtime=realtime, duration=duration, roll_over=roll_over)
    try:
        part = LiveSession(options, settings, on_status).run()
    except HighlightError as error:
        status.end()
        fail(error, code=1)
    except Exception as error:  # a bug: one line for the user, the traceback in live.log with --verbose
        status.end()
        log.debug("live stopped by an unexpected error", exc_info=True)
        fail(f"{type(error).__name__}: {error}", code=1)
    status.end()
    typer.echo(f"live: {counted(len(part.manifest.intervals), 'highlight')} in the last part, {part.folder}")


def _preview_window(wanted: bool, log: logging.Logger):
    """A function drawing the latest frame with the status in a window, or None (not asked, or no display)."""
    if not wanted:
        return None
    if not has_display():
        log.warning("--preview: no display here (headless); running without the window")
        return None
    from highlight.live.preview import Preview

    return Preview()
