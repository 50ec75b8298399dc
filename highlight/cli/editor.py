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
