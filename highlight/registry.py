"""Installed plugins and detectors: entry-point groups, one mechanism for both.

A third-party package adds a plugin or a detector by naming its class in its own
``pyproject.toml`` (``[project.entry-points."highlight.plugins"]`` or
``"highlight.detectors"``); ``pip install`` of that package is all it takes. Classes are
imported only when used, and a broken package gives a one-line error naming it rather
than stopping every command.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from highlight import HighlightError


@dataclass(frozen=True)
class Group:
    """One kind of component: its entry-point group, what a user calls it, its config-file section."""

    entry_points: str
    what: str  # "plugin", "detector"
    section: str  # the config file's table: [plugins.NAME], [detectors.NAME]


PLUGINS = Group("highlight.plugins", "plugin", "plugins")
DETECTORS = Group("highlight.detectors", "detector", "detectors")

Registry = Mapping[str, "EntryPoint | type"]  # name -> entry point, or a class (tests)


def installed(group: Group) -> dict[str, EntryPoint]:
    """Installed components by name (entry points, not yet imported)."""
    return {ep.name: ep for ep in entry_points(group=group.entry_points)}


def load_class(group: Group, name: str, registry: Registry | None = None) -> type:
    """The class registered as ``name``; HighlightError (one line) when unknown or broken."""
    found = installed(group) if registry is None else registry
    if name not in found:
        known = ", ".join(sorted(found)) or "none installed"
        raise HighlightError(f"unknown {group.what} {name!r} (installed: {known})")
    entry = found[name]
    if isinstance(entry, type):
        return entry
    try:
        return entry.load()
    except Exception as error:  # a broken third-party package must not stop the run
        raise HighlightError(f"{group.what} {name!r} failed to load: {type(error).__name__}: {error}") from None


def loadable_classes(group: Group) -> dict[str, Any]:
    """Every installed component that loads, by name (for help texts and listings); broken ones are left out."""
    classes = {}
    for name in sorted(installed(group)):
        try:
            classes[name] = load_class(group, name)
        except HighlightError:
            continue
    return classes
