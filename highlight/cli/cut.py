"""``highlight cut``: new intervals and clips from a run's scores, without analysing again."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from highlight import HighlightError
from highlight.cli.options import (
    CUT_OPTIONS,
    Quiet,
    cut_changes,
    with_shared_options,
)
from highlight.discover import printable
from highlight.errors import error_line
from highlight.units import counted


@with_shared_options(CUT_OPTIONS)
def cut(
    folders: Annotated[list[Path], typer.Argument(help="Output folders of earlier runs (OUT/<video>).")],
    shared: dict | None = None,
    quiet: Quiet = False,
) -> None:
    """Re-cut clips from a run's scores.csv with new thresholds or padding (no re-analysis).

    Example: highlight cut highlights/IMG_0042 --threshold 0.7 --pad-after 2s
    """
    from highlight.folder_lock import folder_lock
    from highlight.pipeline import recut
    from highlight.presets import with_preset

    changes = cut_changes(shared)
    changes = with_preset(shared["preset"], changes)
    failed = False
    for folder in folders:
        try:
            with folder_lock(folder):  # a run or another cut writing there would race on the same clips
                manifest = recut(folder, changes)
        except (HighlightError, ValueError, OSError) as error:  # this folder fails, the others are still cut
            typer.echo(f"error: {error_line(error)}", err=True)
            failed = True
            continue
        if not quiet:
            typer.echo(f"{printable(folder)}: {counted(len(manifest.intervals), 'highlight')}")
    if failed:
        raise typer.Exit(1)
