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
    folders: Annotated[
        list[Path],
        typer.Argument(help="Output folders of earlier runs: OUT (every recording in it) or OUT/<video>."),
    ],
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

    Given the run's output folder, every recording in it (one that fails is one error
    line; the others are still exported); or recordings' own folders (OUT/<video>).

    A recording reviewed in `highlight review` gets its kept highlights only, in the
    timelines and, where the run made one (--reel), in a reel made again for them.

    Example: highlight export highlights/ --format edl,fcpxml
    """
    from highlight.export.outputs import REEL_FILE
    from highlight.export.report import video_folders
    from highlight.export.timelines import write_timelines
    from highlight.folder_lock import folder_lock
    from highlight.pipeline import follow_review

    formats = timeline_formats(format)
    failed = False
    recordings = []
    for folder in folders:  # OUT as `report` and `review` take it, or one recording's folder
        found = video_folders(folder) if folder.is_dir() else []
        if not found:
            typer.echo(
                f"error: {printable(folder)}: no highlights.json in it or below (give a folder `highlight run` wrote)",
                err=True,
            )
            failed = True
        recordings += [recording for recording in found if recording not in recordings]
    for folder in recordings:
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
