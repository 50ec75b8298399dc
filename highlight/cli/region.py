"""``highlight region``: pick a --region without guessing coordinates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from highlight import HighlightError
from highlight.cli.options import Seconds, fail


def region(
    video: Annotated[Path, typer.Argument(help="The recording to pick a region on.")],
    at: Annotated[
        float | None, typer.Option("--at", help="Moment of the still (default: the middle).", **Seconds)
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", metavar="FILE", help="Still to write, .png or .jpg (default: ./<name>_region.png)."
        ),
    ] = None,
    regions: Annotated[
        list[str] | None,
        typer.Option("--region", metavar="REGION", help="Draw this region (as `run` takes it; repeatable)."),
    ] = None,
    excludes: Annotated[
        list[str] | None, typer.Option("--exclude", metavar="REGION", help="Draw this excluded region (repeatable).")
    ] = None,
) -> None:
    """Write a still with a grid of frame fractions and the given regions; drag a new one where a display exists.

    Example: highlight region IMG_0042.mov --at 1:20 --region 0.58,0.10,0.22,0.35
    """
    from highlight.export import region_still as still

    try:
        included = still.parse_option_regions(regions, "--region")
        excluded = still.parse_option_regions(excludes, "--exclude")
        path, frame, frame_size = still.write_region_still(video, out, at, included, excluded)
    except HighlightError as error:
        fail(str(error))
    typer.echo(f"still: {path}")
    picked = still.pick_region(frame, frame_size, included, excluded) if still.can_show_windows() else None
    if picked is not None:
        typer.echo(f"--region {picked}")
    else:
        typer.echo(still.HOW_TO_READ)
