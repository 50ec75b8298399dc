"""``highlight export``: editor timelines of a run's highlights, referencing the original recording."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from highlight import HighlightError
from highlight.cli.options import timeline_formats
from highlight.discover import printable
from highlight.errors import error_line


def export(
    folders: Annotated[list[Path], typer.Argument(help="Output folders of earlier runs (OUT/<video>).")],
    format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="edl, markers (Resolve timeline markers), fcpxml (Final Cut Pro, Resolve), fcp7 (Premiere), otio, kdenlive, shotcut, or all; comma-separated.",
        ),
    ] = "all",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not list the files written.")] = False,
) -> None:
    """Write editor timelines of a run's highlights, referencing the original recording.

    A recording reviewed in `highlight review` gets its kept highlights only, in the
    timelines and, where the run made one (--reel), in a reel made again for them.

    Example: highlight export highlights/IMG_0042 --format edl,fcpxml
    """
    from highlight.export.outputs import REEL_FILE
    from highlight.export.timelines import write_timelines
    from highlight.folder_lock import folder_lock
    from highlight.pipeline import follow_review

    formats = timeline_formats(format)
    failed = False
    for folder in folders:
        try:
            written = write_timelines(folder, formats)
            with folder_lock(folder):  # a run or a cut writing there would race on the reel and the manifest
                if follow_review(folder) and (folder / REEL_FILE).is_file():
                    written.append(folder / REEL_FILE)
        except (HighlightError, OSError) as error:  # this folder fails, the others are still exported
            typer.echo(f"error: {error_line(error)}", err=True)
            failed = True
            continue
        if not quiet:
            for path in written:
                typer.echo(printable(path))
    if failed:
        raise typer.Exit(1)
