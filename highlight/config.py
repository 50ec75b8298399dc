"""User defaults in a config file, for what would otherwise be typed on every run.

    # ~/.config/highlight/config.toml (or the file $HIGHLIGHT_CONFIG names)
    [plugins]
    pose-model = "~/models/pose_landmarker_full.task"
    pose-fps = 10
    exercise = "squat"

``[plugins]`` holds defaults for the plugin options of ``run`` and ``watch``, named as
on the command line. They apply to runs that enable a plugin; a run without plugins
is not touched (its settings, and so whether it is already done, stay the same).
Precedence: the command line, then the environment (``HIGHLIGHT_POSE_MODEL``), then
this file. A relative path in the file is relative to the file's folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from highlight import HighlightError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the same parser, from PyPI
    import tomli as tomllib

CONFIG_ENV = "HIGHLIGHT_CONFIG"
PLUGIN_KEYS = {  # key in the file -> (plugin option as stored in highlights.json, accepted types)
    "pose-model": ("pose_model", (str,)),
    "pose-fps": ("pose_fps", (int, float)),
    "overlay": ("overlay", (str, list)),
    "exercise": ("exercise", (str,)),
    "highlight-sets": ("highlight_sets", (bool,)),
    "rest": ("rest_s", (int, float)),
}
_TYPE_NAMES = {str: "text", int: "a number", float: "a number", list: "a list", bool: "true or false"}


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
    unknown = sorted(set(data) - {"plugins"})
    if unknown:
        raise HighlightError(f"{path}: unknown section(s) {', '.join(unknown)} (known: [plugins])")
    return data


def plugin_defaults(path: Path | None = None) -> dict[str, Any]:
    """The ``[plugins]`` table as plugin options, paths made absolute."""
    path = path or config_file()
    table = load_config(path).get("plugins", {})
    unknown = sorted(set(table) - set(PLUGIN_KEYS))
    if unknown:
        raise HighlightError(f"{path}: unknown key(s) {', '.join(unknown)} in [plugins] (known: {', '.join(PLUGIN_KEYS)})")
    options = {}
    for key, value in table.items():
        name, types = PLUGIN_KEYS[key]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise HighlightError(f"{path}: [plugins] {key} = {value!r}: expected {' or '.join(dict.fromkeys(_TYPE_NAMES[t] for t in types))}")
        options[name] = value
    if "pose_model" in options:
        options["pose_model"] = str((path.parent / Path(options["pose_model"]).expanduser()).resolve())
    if "overlay" in options:
        overlay = options["overlay"]
        options["overlay"] = (overlay,) if isinstance(overlay, str) else tuple(overlay)
    return options
