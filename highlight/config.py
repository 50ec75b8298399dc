"""User defaults in a config file, for what would otherwise be typed on every run.

    # ~/.config/highlight/config.toml (or the file $HIGHLIGHT_CONFIG names)
    [plugins.pose]
    model = "~/models/pose_landmarker_full.task"
    fps = 10

    [plugins.reps]
    exercise = "squat"

    [detectors.motion]
    history = "60s"

A table per plugin (``[plugins.NAME]``) or detector (``[detectors.NAME]``) holds
defaults for the options it declares (``highlight plugins`` lists them), named as in
the declaration (``highlight_sets`` or ``highlight-sets``). The flat keys of earlier
versions (``[plugins]`` with ``pose-model``, ``exercise``...) are still read: they are
the options' aliases. Plugin defaults apply to runs that enable the plugin; a run
without plugins is not touched (its settings, and so whether it is already done,
stay the same). Precedence: the command line, then the environment (an option's
``env``, e.g. ``HIGHLIGHT_POSE_MODEL``), then this file. A relative path in the file is
relative to the file's folder.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from highlight import HighlightError
from highlight.options import Option, parse_values
from highlight.registry import Group

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the same parser, from PyPI
    import tomli as tomllib

CONFIG_ENV = "HIGHLIGHT_CONFIG"
SECTIONS = ("run", "plugins", "detectors")


def config_file() -> Path:
    """$HIGHLIGHT_CONFIG, else config.toml in $XDG_CONFIG_HOME/highlight (~/.config/highlight)."""
    given = os.environ.get(CONFIG_ENV)
    if given:
        return Path(given).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "highlight" / "config.toml"


def load_config(path: Path | None = None) -> dict[str, Any]:
    """The file's tables ({} when there is no file); a one-line HighlightError naming it when it is wrong."""
    path = path or config_file()
    if not path.is_file():
        if os.environ.get(CONFIG_ENV) and path == config_file():
            raise HighlightError(f"{path}: config file not found (named by ${CONFIG_ENV})")
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise HighlightError(f"{path}: not a valid TOML config ({error})") from None
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise HighlightError(f"{path}: unknown section(s) {', '.join(unknown)} (known: {', '.join(SECTIONS)})")
    for name, value in data.items():
        if not isinstance(value, dict):
            raise HighlightError(f"{path}: {name} = {value!r}: expected a table ([{name}]), not a value")
    return data


def run_defaults(path: Path | None = None) -> dict[str, Any]:
    """What ``[run]`` sets (any run option, as a camera's highlight.toml holds them), checked; {} without a file."""
    from highlight.layers import run_table

    path = path or config_file()
    return run_table(path, load_config(path).get("run", {}))


def component_values(group: Group, name: str, options: Sequence[Option], path: Path | None = None) -> dict[str, Any]:
    """The parsed values ``[SECTION.NAME]`` sets for one plugin or detector (and its aliases in ``[SECTION]``)."""
    path = path or config_file()
    section = load_config(path).get(group.section, {})
    table = section.get(name, {})
    if not isinstance(table, dict):
        table = {}
    aliases = {option.alias: option.name for option in options if option.alias}
    flat = {aliases[key]: value for key, value in section.items() if key in aliases and not isinstance(value, dict)}
    try:
        return parse_values(f"[{group.section}.{name}]", options, {**flat, **table}, base=path.parent)
    except ValueError as error:
        raise HighlightError(f"{path}: {error}") from None


def check_section(group: Group, declared: dict[str, Sequence[Option]], path: Path | None = None) -> None:
    """Every table names an installed component and every flat key is some option's alias; else one line why."""
    path = path or config_file()
    section = load_config(path).get(group.section, {})
    aliases = {option.alias for options in declared.values() for option in options if option.alias}
    for key, value in section.items():
        if isinstance(value, dict) and key not in declared:
            raise HighlightError(
                f"{path}: [{group.section}.{key}]: no {group.what} {key!r} installed "
                f"(installed: {', '.join(sorted(declared)) or 'none'})"
            )
        if not isinstance(value, dict) and key not in aliases:
            raise HighlightError(
                f"{path}: unknown key {key!r} in [{group.section}] "
                f"(put options under [{group.section}.NAME]; known here: {', '.join(sorted(aliases)) or 'none'})"
            )
        if isinstance(value, dict):
            component_values(group, key, declared[key], path)
