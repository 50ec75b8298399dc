"""The ``highlight`` command line (typer): one module per command, shared options in ``options``.

    run      cli/run.py       cut     cli/cut.py      export  cli/export.py   report  cli/report.py
    plugins  cli/plugins.py   watch   cli/watch.py    train   cli/train.py    eval    cli/eval.py
    label    cli/label.py     region  cli/region.py   live    cli/live.py     editor  cli/editor.py
    review   cli/review.py

Commands import what they run inside their function, so ``highlight --help`` and a
run without ``--model`` never import TensorFlow.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from highlight import __version__
from highlight.cli import cut, editor, eval, export, label, live, plugins, region, report, review, run, train, watch
from highlight.cli.help import Command, Group
from highlight.errors import error_line

app = typer.Typer(
    cls=Group,
    add_completion=False,
    no_args_is_help=True,
    help="Turn long sports and workout recordings into highlight clips.",
    context_settings={"help_option_names": ["-h", "--help"]},
)

app.command("run", cls=Command)(run.run)
app.command("cut", cls=Command)(cut.cut)
app.command("export", cls=Command)(export.export)
app.command("report", cls=Command)(report.report)
app.command("review", cls=Command)(review.review)
app.command("plugins", cls=Command)(plugins.list_plugins)
app.command("region", cls=Command)(region.region)
app.command("watch", cls=Command)(watch.watch)
app.command("live", cls=Command)(live.live)
app.command("train", cls=Command)(train.train)
app.command("eval", cls=Command)(eval.evaluate)
app.add_typer(label.label_app, name="label")
app.add_typer(editor.editor_app, name="editor")


@app.callback(invoke_without_command=True)
def _version(
    version: Annotated[bool, typer.Option("--version", help="Show the version and exit.", is_eager=True)] = False,
) -> None:
    if version:
        typer.echo(f"highlight {__version__}")
        raise typer.Exit()


def main() -> None:
    """The console entry point: Ctrl-C ends with status 130, anything unforeseen with 1, each with one line.

    Click handles its own errors only in standalone mode, where they come as a box of
    several lines; here a wrong option value is one line like every other error, naming
    what the user typed and where the help is, with click's status (2).
    """
    try:
        status = app(standalone_mode=False)
    except (KeyboardInterrupt, typer.Abort):
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as error:  # noqa: BLE001 - the guard of last resort (highlight/errors.py)
        if _is_click_error(error):
            context = getattr(error, "ctx", None)
            command = context.command_path if context is not None else "highlight"
            typer.echo(f"error: {' '.join(error.format_message().split())} (see '{command} --help')", err=True)
            sys.exit(error.exit_code)
        typer.echo(f"error: {error_line(error)}", err=True)
        sys.exit(1)
    sys.exit(status if isinstance(status, int) else 0)


def _is_click_error(error: Exception) -> bool:
    """A usage or parameter error of the command line (click's, or the copy of click newer typer ships)."""
    return callable(getattr(error, "format_message", None)) and isinstance(getattr(error, "exit_code", None), int)
