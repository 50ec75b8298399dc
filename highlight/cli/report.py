"""``highlight report``: (re)build the HTML report of an output folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from highlight import HighlightError
from highlight.discover import printable


def report(
    out: Annotated[Path, typer.Argument(help="The output folder of `highlight run` (holding OUT/<video> folders).")],
) -> None:
    """(Re)build OUT/report.html and each video's contact_sheet.jpg from the runs' highlights.json.

    Example: highlight report highlights/
    """
    from highlight.export.report import build_report

    try:
        typer.echo(printable(build_report(out)))
    except HighlightError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
