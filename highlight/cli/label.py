"""``highlight label``: labels for training, drafted from a run or picked from a contact sheet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from highlight import HighlightError
from highlight.cli.help import Command, Group
from highlight.cli.options import Seconds, fail

label_app = typer.Typer(
    cls=Group, no_args_is_help=True, help="Make labels: a draft from a run, a contact sheet of a video."
)


@label_app.command("draft", cls=Command)
def label_draft(
    manifests: Annotated[list[Path], typer.Argument(help="highlights.json of earlier runs (or their folders).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Labels file to write.")] = Path("labels.csv"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing labels file.")] = False,
) -> None:
    """Write a labels file from detected highlights, for you to correct before training.

    Example: highlight label draft highlights/IMG_0042/highlights.json --out labels.csv
    """
    from highlight.train.labels import draft_from_manifests, write_labels

    if out.exists() and not force:
        fail(HighlightError(f"{out}: exists (your corrections?); use --force to overwrite"))
    try:
        ranges = draft_from_manifests(manifests)
    except HighlightError as error:
        fail(error)
    write_labels(out, ranges)
    typer.echo(
        f"{out}: {len(ranges)} ranges ({sum(r.label == 'highlight' for r in ranges)} highlight); correct them, then `highlight train {out}`"
    )


@label_app.command("sheet", cls=Command)
def label_sheet(
    video: Annotated[Path, typer.Argument(help="A recording.")],
    out: Annotated[
        Optional[Path], typer.Option("--out", "-o", help="Image to write. [default: <video>_sheet.jpg here]")
    ] = None,
    every: Annotated[
        Optional[float], typer.Option("--every", help="Time between thumbnails. [default: ~60 per video]", **Seconds)
    ] = None,
    columns: Annotated[int, typer.Option("--columns", help="Thumbnails per row.")] = 6,
    width: Annotated[int, typer.Option("--width", help="Thumbnail width, pixels.")] = 240,
) -> None:
    """Write a contact sheet (thumbnails with timestamps) to pick label ranges from.

    Example: highlight label sheet ~/Videos/court/IMG_0042.mov --every 5s
    """
    from highlight.train.labels import contact_sheet

    try:
        written = contact_sheet(video, out or Path(f"{video.stem}_sheet.jpg"), every, columns, width)
    except HighlightError as error:
        fail(error)
    for path in written:
        typer.echo(str(path))
