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
    save: Annotated[
        bool,
        typer.Option(
            "--save",
            help="Write the region (dragged, or --region) and --exclude into highlight.toml in the recording's "
            "folder: `run`, `watch` and `cut` then use them for every recording under it.",
        ),
    ] = False,
) -> None:
    """Write a still with a grid of frame fractions and the given regions; drag a new one where a display exists.

    Example: highlight region IMG_0042.mov --at 1:20 --region 0.58,0.10,0.22,0.35
    Example: highlight region court/IMG_0042.mov --region 0.58,0.10,0.22,0.35 --save
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
    elif not save:
        typer.echo(still.HOW_TO_READ)
    if save:
        _save(video, [str(picked)] if picked is not None else [str(r) for r in included], [str(r) for r in excluded])


def _save(video: Path, regions: list[str], excludes: list[str]) -> None:
    """The regions into the camera file of the recording's folder; what it holds already stays."""
    from highlight.layers import save_camera_file

    values = {key: texts for key, texts in (("region", regions), ("exclude", excludes)) if texts}
    if not values:
        fail("nothing to save: drag a region, or give --region or --exclude")
    try:
        path = save_camera_file(video.expanduser().absolute().parent, values)
    except HighlightError as error:
        fail(str(error))
    typer.echo(f"saved: {path} ({', '.join(f'{key} = {texts}' for key, texts in values.items())})")
