"""How ``--help`` reads: options in panels in the order a user decides, in user words, fitting 80 columns.

The panels are named where the options are declared (``rich_help_panel``, see
``highlight.cli.options``); this module only orders them, hides the detector's tuning
panel behind ``--help-all``, and keeps Python out of the listing: a flag shows no
``<bool>``, an argument no ``<list[Path]>``, the metavar alone says what to type.
"""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from highlight.cli.options import ANALYSE, HIGHLIGHT, OUTPUTS, PLUGINS_PANEL, RUNNING, TUNING

PANEL_ORDER = (ANALYSE, HIGHLIGHT, OUTPUTS, PLUGINS_PANEL, RUNNING)
_HELP_ALL = "highlight.help_all"  # set in the context's meta by --help-all
# What an option without a declared metavar takes, in words rather than Python's type names.
USER_WORDS = {"int": "N", "float": "NUMBER", "str": "TEXT", "Path": "PATH", "list[str]": "TEXT", "list[Path]": "PATH"}


class _Argument(TyperArgument):
    """An argument whose help shows its metavar, never the Python type behind it."""

    def display_type_rich(self, ctx: typer.Context) -> str | None:
        """Nothing: the name (``RECORDINGS``) already says what to give."""
        return None


def _panel_rank(param: Any) -> int:
    """Where a parameter's panel comes: declared panels in PANEL_ORDER, plugins' own after, tuning last."""
    panel = getattr(param, "rich_help_panel", None) or ""
    if panel.startswith(PLUGINS_PANEL):  # "Plugins: reps" comes right after --plugin
        return PANEL_ORDER.index(PLUGINS_PANEL)
    if panel in PANEL_ORDER:
        return PANEL_ORDER.index(panel)
    return len(PANEL_ORDER) + 1 if panel == TUNING else len(PANEL_ORDER)


def _plain(param: Any) -> Any:
    """The parameter with no Python type name in the help: flags take no metavar, arguments their name."""
    if type(param) is TyperArgument:
        param.__class__ = _Argument
    elif isinstance(param, TyperOption) and param.metavar is None:
        param.metavar = "" if param.is_flag else USER_WORDS.get(param.bare_type(), "VALUE")
    return param


def show_all(ctx: typer.Context, value: bool) -> None:
    """``--help-all``: the help with the detector tuning panel shown, then exit."""
    if not value or ctx.resilient_parsing:
        return
    ctx.meta[_HELP_ALL] = True
    typer.echo(ctx.get_help(), color=ctx.color)
    raise typer.Exit()


HelpAll = typer.Option(
    False,
    "--help-all",
    is_eager=True,
    callback=show_all,
    rich_help_panel=RUNNING,
    help="Show the detector tuning options too, and exit.",
)


def _literal_help(params: list[Any]) -> None:
    """Help texts shown as written: '[default: 1s]' is text for the user, not rich markup to strip."""
    for param in params:
        if getattr(param, "help", None):
            param.help = escape(param.help)


class Command(TyperCommand):
    """A command whose help lists its options in panels (ordered), tuning options behind --help-all."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _literal_help(self.params)

    def get_params(self, ctx: typer.Context) -> list[Any]:
        """The parameters in panel order, each without Python type names; tuning hidden unless --help-all."""
        for param in self.params:
            if getattr(param, "rich_help_panel", None) == TUNING:
                param.hidden = not ctx.meta.get(_HELP_ALL, False)
        return [_plain(param) for param in sorted(super().get_params(ctx), key=_panel_rank)]

    def get_help_option(self, ctx: typer.Context) -> Any:
        """The usual --help, listed without a type, with the other ways of running."""
        option = super().get_help_option(ctx)
        if option is not None:
            option.rich_help_panel = RUNNING
        return _plain(option)


class Group(TyperGroup):
    """The top-level group: its --help and --version listed without ``<bool>``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _literal_help(self.params)

    def get_params(self, ctx: typer.Context) -> list[Any]:
        """Every parameter without a Python type name."""
        return [_plain(param) for param in super().get_params(ctx)]

    def get_help_option(self, ctx: typer.Context) -> Any:
        """The usual --help, listed without a type."""
        return _plain(super().get_help_option(ctx))
