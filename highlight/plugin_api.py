"""The plugin interface: explicit hooks on the frame loop of ``highlight run``.

A plugin sees the same decoded frames as the highlight scorer (a video is decoded
once, whatever is enabled), at the rate it asks for::

    start_video(context)        once, before the first frame
    on_frame(frame)             each frame at ``sample_fps`` (exact ``frame.time``)
    end_video() -> dict         a JSON-serialisable result: highlights.json["plugins"][name]
    highlight_intervals()       optional: intervals to add to the highlights

Plugins are classes registered in the entry-point group ``highlight.plugins``
(``name = "package.module:Class"``); the bundled ones in ``plugins/`` register the
same way in this project's pyproject.toml. A plugin that raises is switched off for
the rest of that video and its error is stored in the manifest and shown in the
summary; the highlights are still written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar

from highlight import HighlightError
from highlight.intervals import Interval
from highlight.source import Frame, VideoInfo

ENTRY_POINT_GROUP = "highlight.plugins"


@dataclass
class VideoContext:
    """What a plugin gets at the start of a video."""

    info: VideoInfo
    out_dir: Path  # the video's output folder: a plugin may write files here (atomically)
    options: dict[str, Any]  # plugin options from the command line or config
    shared: dict[str, Any] = field(default_factory=dict)  # results earlier plugins publish for later ones


class Plugin:
    """Base class: override the hooks you need."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    sample_fps: float | None = 5.0  # None: every frame
    requires: ClassVar[tuple[str, ...]] = ()  # plugins that must run before this one

    def start_video(self, context: VideoContext) -> None:
        self.context = context

    def on_frame(self, frame: Frame) -> None:
        pass

    def end_video(self) -> dict[str, Any]:
        return {}

    def highlight_intervals(self) -> list[Interval]:
        return []


def available_plugins() -> dict[str, Any]:
    """Installed plugins by name (entry points, not yet imported)."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def load_plugins(names: tuple[str, ...] | list[str]) -> list[Plugin]:
    """Instantiate the named plugins, adding what they require, in dependency order."""
    found = available_plugins()
    ordered: list[Plugin] = []
    seen: set[str] = set()

    def add(name: str, chain: tuple[str, ...] = ()) -> None:
        if name in seen:
            return
        if name in chain:
            raise HighlightError(f"plugin {name!r} requires itself through {' -> '.join(chain)}")
        if name not in found:
            known = ", ".join(sorted(found)) or "none installed"
            raise HighlightError(f"unknown plugin {name!r} (installed: {known})")
        try:
            cls = found[name].load()
        except Exception as error:  # a broken third-party package must not stop the run
            raise HighlightError(f"plugin {name!r} failed to load: {error}") from None
        for dependency in getattr(cls, "requires", ()):
            add(dependency, chain + (name,))
        seen.add(name)
        ordered.append(cls())

    for name in names:
        add(name)
    return ordered
