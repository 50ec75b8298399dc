"""``highlight plugins``: what is installed, the options each declares, and what the config file sets."""

from __future__ import annotations

import typer

from highlight import HighlightError
from highlight.cli.options import fail
from highlight.options import Option
from highlight.registry import DETECTORS, PLUGINS, Group, installed, load_class


def list_plugins() -> None:
    """List installed plugins and detectors, their options (flag, config key, default), and the config file."""
    for group in (PLUGINS, DETECTORS):
        typer.echo(f"{group.section}:")
        found = installed(group)
        if not found:
            typer.echo("  none installed")
        for name, entry in sorted(found.items()):
            _echo_component(group, name, entry.value)
    _echo_config()


def _echo_component(group: Group, name: str, where: str) -> None:
    try:
        cls = load_class(group, name)
        if group is PLUGINS:
            from highlight.plugin_api import check_plugin_class

            check_plugin_class(cls, name)
    except HighlightError as error:  # show broken components rather than crash the listing
        typer.echo(f"  {name:12s} {where}  (fails to load: {error})")
        return
    typer.echo(f"  {name:12s} {where}  {cls.description}")
    for option in cls.options:
        typer.echo(f"      {_flags(name, option, group):38s} {option.describe()}")


def _flags(component: str, option: Option, group: Group) -> str:
    flag = f"--{component}-{option.dashed} {option.metavar}".rstrip()
    if option.alias and group is PLUGINS:
        flag += f" (or --{option.alias})"
    return flag


def _echo_config() -> None:
    """Which config file the options default from, and what it sets: a user's first question."""
    from highlight.config import config_file, load_config

    path = config_file()
    if not path.is_file():
        typer.echo(f"config: {path} (not found; see README, 'Config file')")
        return
    try:
        data = load_config(path)
    except HighlightError as error:
        fail(error)
    settings = []
    for section, tables in sorted(data.items()):
        for name, value in sorted(tables.items()):
            if isinstance(value, dict):
                settings += [f"[{section}.{name}] {key}={item}" for key, item in sorted(value.items())]
            else:
                settings.append(f"[{section}] {name}={value}")
    typer.echo(f"config: {path}: " + (", ".join(settings) or "sets nothing"))
