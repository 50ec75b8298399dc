"""``highlight editor``: add-ons that bring highlight inside an editor (today Blender's Video Sequencer)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from highlight import HighlightError
from highlight.cli.help import Command, Group

editor_app = typer.Typer(cls=Group, no_args_is_help=True, help="Install highlight inside an editor.")


@editor_app.command("blender", cls=Command)
def blender(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for highlight_blender.zip.")] = Path("."),
) -> None:
    """Write the Blender add-on (a 4.2+ extension) as a zip to install.

    Install it with Edit > Preferences > Get Extensions > Install from Disk, or
    `blender --command extension install-file -r user_default -e highlight_blender.zip`;
    a "Highlights" tab then appears in the Video Sequencer's sidebar.
    """
    from highlight.editors.blender import build_extension

    try:
        typer.echo(str(build_extension(out)))
    except HighlightError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None


@editor_app.command("highlights", cls=Command)
def highlights(
    folder: Annotated[Path, typer.Argument(help="One recording's output folder (OUT/<video>).")],
) -> None:
    """Print, as JSON, the highlights an editor timeline takes from a recording's folder.

    Reviewed in `highlight review`: only the kept ones (with their dragged edges) and the
    moments added, as `highlight export` writes them; otherwise the detected ones. The
    editor add-ons ask this rather than reading highlights.json, so a review applies
    inside the editor the same way as everywhere else.

    Example: highlight editor highlights highlights/IMG_0042
    """
    import json

    from highlight.cli.options import fail
    from highlight.errors import error_line
    from highlight.export import manifest as manifests
    from highlight.review.applied import is_reviewed, review_of, reviewed_intervals

    try:
        manifest = manifests.load(folder)
        marks = review_of(folder, manifest)
        taken = reviewed_intervals(folder, manifest, marks)
    except (HighlightError, OSError) as error:
        fail(error_line(error), code=1)
    reviewed = is_reviewed(manifest, marks)
    typer.echo(json.dumps({"reviewed": reviewed, "intervals": [interval.to_dict() for interval in taken]}))
