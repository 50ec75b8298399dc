"""``highlight export`` and ``highlight report``: editor timelines and the HTML report after a run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from highlight import HighlightError


def timeline_formats(text: str) -> list[str]:
    """``--export``/``--format`` value -> format names, or a usage error listing the choices."""
    from highlight.export.timelines import parse_formats

    try:
        return parse_formats(text)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


def export_command(
    folders: Annotated[list[Path], typer.Argument(help="Output folders of earlier runs (OUT/<video>).")],
    format: Annotated[str, typer.Option("--format", "-f", help="edl, fcpxml (Final Cut Pro, Resolve), fcp7 (Premiere), otio, or all; comma-separated.")] = "all",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not list the files written.")] = False,
) -> None:
    """Write editor timelines of a run's highlights, referencing the original recording.

    Example: highlight export highlights/IMG_0042 --format edl,fcpxml
    """
    from highlight.export.timelines import write_timelines

    formats = timeline_formats(format)
    failed = False
    for folder in folders:
        try:
            written = write_timelines(folder, formats)
        except HighlightError as error:
            typer.echo(f"error: {error}", err=True)
            failed = True
            continue
        if not quiet:
            for path in written:
                typer.echo(str(path))
    if failed:
        raise typer.Exit(1)


def report_command(
    out: Annotated[Path, typer.Argument(help="The output folder of `highlight run` (holding OUT/<video> folders).")],
) -> None:
    """(Re)build OUT/report.html and each video's contact_sheet.jpg from the runs' highlights.json.

    Example: highlight report highlights/
    """
    from highlight.export.report import build_report

    try:
        typer.echo(str(build_report(out)))
    except HighlightError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1)
