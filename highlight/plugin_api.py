"""The plugin interface: explicit hooks on the frame loop of ``highlight run``.

A plugin sees the same decoded frames as the highlight scorer (a video is decoded
once, whatever is enabled), at the rate it asks for::

    check_options(options)      class method, before any video: raise HighlightError on bad options
    start_video(context)        once, before the first frame
    on_frame(frame)             each frame at ``sample_fps`` (exact ``frame.time``)
    end_video() -> dict         a JSON-serialisable result: highlights.json["plugins"][name];
                                its optional "summary" (one short line) is shown in the run summary
    highlight_intervals()       optional: intervals to add to the highlights
    overlay(out_dir, options)   class method, optional: (image, time) -> image drawn on exported clips
                                (``--overlay NAME``), from the files the plugin wrote in out_dir

Plugins run in dependency order (``requires``) and share ``context.shared``: what an
earlier plugin publishes there at ``end_video`` a later one can read at its own.
``on_frame`` is called on one worker thread, frames in order, while the frame loop goes
on decoding and scoring: heavy work that releases the GIL (native inference) then uses
a second core. The other hooks run on the calling thread, before and after it.
``sample_fps = NO_FRAMES`` says a plugin needs no frames (it works from others' results).

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
from typing import Any, Callable, ClassVar

from highlight import HighlightError
from highlight.intervals import Interval
from highlight.source import Frame, VideoInfo

ENTRY_POINT_GROUP = "highlight.plugins"
NO_FRAMES = 0.0  # a sample_fps meaning "call on_frame never"


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
    sample_fps: float | None = 5.0  # None: every frame; NO_FRAMES: none (may be changed in start_video)
    requires: ClassVar[tuple[str, ...]] = ()  # plugins that must run before this one

    @classmethod
    def check_options(cls, options: dict[str, Any]) -> None:
        """Fail early (HighlightError, one line) on options this plugin cannot work with."""

    @classmethod
    def overlay(cls, out_dir: Path, options: dict[str, Any]) -> Callable[[Any, float], Any] | None:
        """A drawer for exported clips, (RGB image, source time) -> image; None: nothing to draw."""
        return None

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


def plugin_class(name: str, registry: dict[str, Any] | None = None) -> type[Plugin]:
    """The class of an installed plugin (``registry``: name -> entry point or class, for tests)."""
    found = available_plugins() if registry is None else registry
    if name not in found:
        known = ", ".join(sorted(found)) or "none installed"
        raise HighlightError(f"unknown plugin {name!r} (installed: {known})")
    entry = found[name]
    if isinstance(entry, type):
        return entry
    try:
        return entry.load()
    except Exception as error:  # a broken third-party package must not stop the run
        raise HighlightError(f"plugin {name!r} failed to load: {error}") from None


def check_plugins(names: tuple[str, ...] | list[str], options: dict[str, Any]) -> None:
    """Load the plugins (and what they require) and let each check the options: before any video."""
    for plugin in load_plugins(names):
        type(plugin).check_options(options)


def load_plugins(names: tuple[str, ...] | list[str], registry: dict[str, Any] | None = None) -> list[Plugin]:
    """Instantiate the named plugins, adding what they require, in dependency order."""
    found = available_plugins() if registry is None else registry
    ordered: list[Plugin] = []
    seen: set[str] = set()

    def add(name: str, chain: tuple[str, ...] = ()) -> None:
        if name in seen:
            return
        if name in chain:
            raise HighlightError(f"plugin {name!r} requires itself through {' -> '.join(chain)}")
        cls = plugin_class(name, found)
        for dependency in getattr(cls, "requires", ()):
            add(dependency, chain + (name,))
        seen.add(name)
        ordered.append(cls())

    for name in names:
        add(name)
    return ordered


def overlay_drawers(names: tuple[str, ...] | list[str], out_dir: Path, options: dict[str, Any]) -> list[Callable]:
    """The drawers of the plugins named in ``--overlay``, for the clips of one video."""
    drawers = []
    for name in names:
        drawer = plugin_class(name).overlay(out_dir, options)
        if drawer is not None:
            drawers.append(drawer)
    return drawers
