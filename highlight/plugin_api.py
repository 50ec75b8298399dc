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
    live_results() -> dict      optional: the results so far, while `highlight live` runs (its status
                                line shows them); called on the frame loop's thread, so it must be
                                safe beside ``on_frame`` on the plugin thread
    live_overlay()              optional: (RGB image, time) -> image drawing what the plugin sees now
                                (``highlight live --preview``); same thread rule as live_results

Where the action is: a result may list ``sets`` and ``holds``, each a list of objects
with ``start`` and ``end`` in seconds (the reps plugin's sets and planks). When someone is
in view for most of a recording, those spans are its highlights (``action_spans``). A
result may also list ``in_view`` the same way: when the plugin saw someone (the pose
plugin's people, lying down too); that counts towards "most of a recording" beside the
highlights (``presence_spans``).

Plugins run in dependency order (``requires``) and share ``context.shared``: what an
earlier plugin publishes there at ``end_video`` a later one can read at its own.
``on_frame`` is called on one worker thread, frames in order, while the frame loop goes
on decoding and scoring: heavy work that releases the GIL (native inference) then uses
a second core. The other hooks run on the calling thread, before and after it.
``sample_fps = NO_FRAMES`` says a plugin needs no frames (it works from others' results).

The hooks are declared once, in ``HOOKS``: a plugin class whose method looks like a
hook but is not one (``on_frames``), or whose hook takes other arguments, is refused
when it is loaded, with a one-line error naming the plugin. The host gives each
plugin its ``context`` before ``start_video``, so a subclass that overrides a hook
without calling ``super()`` loses nothing. A plugin declares its options once
(``options = (Option(...), ...)``, see ``highlight.options``): the command line
(``--NAME-OPTION``), the config file (``[plugins.NAME]``) and ``highlight plugins`` are
made from that, and ``context.options`` holds every option's value, parsed.

Plugins are classes registered in the entry-point group ``highlight.plugins``
(``name = "package.module:Class"``); the bundled ones in ``plugins/`` register the
same way in this project's pyproject.toml. A plugin that raises in ``start_video``
fails the video: it was asked for and would never run, so the video must not end
"done" without it. One that raises later is switched off for the rest of that video
and its error is stored in the manifest and shown in the summary; the highlights are
still written. A plugin needing one of highlight's extras names it (``extra``), and
``check_plugins`` stops the command before any video when it is not installed.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from highlight import HighlightError
from highlight.extras import require
from highlight.intervals import Interval
from highlight.options import Option, complete
from highlight.registry import PLUGINS, Registry, installed, load_class
from highlight.source import Frame, VideoInfo

ENTRY_POINT_GROUP = PLUGINS.entry_points
NO_FRAMES = 0.0  # a sample_fps meaning "call on_frame never"


@dataclass(frozen=True)
class Hook:
    """A method the host calls: its name, the arguments it passes, and whether it is a class method."""

    name: str
    parameters: tuple[str, ...]
    on_class: bool = False


HOOKS: dict[str, Hook] = {
    hook.name: hook
    for hook in (
        Hook("check_options", ("options",), on_class=True),
        Hook("overlay", ("out_dir", "options"), on_class=True),
        Hook("start_video", ("context",)),
        Hook("on_frame", ("frame",)),
        Hook("end_video", ()),
        Hook("highlight_intervals", ()),
        Hook("live_results", ()),
        Hook("live_overlay", ()),
    )
}
HOOK_PREFIXES = ("on_", "start_", "end_", "before_", "after_")  # what a hook-like name starts with


@dataclass
class VideoContext:
    """What a plugin gets at the start of a video (also as ``self.context``)."""

    info: VideoInfo
    out_dir: Path  # the video's output folder: a plugin may write files here (atomically)
    options: dict[str, Any]  # this plugin's options, every one with its value (parsed; defaults filled in)
    shared: dict[str, Any] = field(default_factory=dict)  # results earlier plugins publish for later ones
    camera_shakes: bool = False  # the detector found the camera shaking in place (``highlight.scorers.steady``)


class Plugin:
    """Base class: override the hooks you need (``HOOKS``); declare your options in ``options``."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    sample_fps: float | None = 5.0  # None: every frame; NO_FRAMES: none (may be changed in start_video)
    requires: ClassVar[tuple[str, ...]] = ()  # plugins that must run before this one
    options: ClassVar[tuple[Option, ...]] = ()
    extra: ClassVar[str] = ""  # the extra of highlight it needs (``highlight.extras``), checked before any video
    context: VideoContext  # given by the host before start_video

    @classmethod
    def check_options(cls, options: dict[str, Any]) -> None:
        """Fail early (HighlightError, one line) on option values this plugin cannot work with."""

    @classmethod
    def overlay(cls, out_dir: Path, options: dict[str, Any]) -> Callable[[Any, float], Any] | None:
        """A drawer for exported clips, (RGB image, source time) -> image; None: nothing to draw."""
        return None

    def start_video(self, context: VideoContext) -> None:
        """Before the first frame (``self.context`` is already set)."""

    def on_frame(self, frame: Frame) -> None:
        """Each frame at ``sample_fps``, on the plugins' worker thread."""

    def end_video(self) -> dict[str, Any]:
        """After the last frame: the JSON result stored under ``plugins.<name>``."""
        return {}

    def highlight_intervals(self) -> list[Interval]:
        """Extra highlights, after ``end_video``."""
        return []

    def live_results(self) -> dict[str, Any]:
        """Results so far while a live stream goes on (``highlight live``); empty: nothing to show."""
        return {}

    def live_overlay(self) -> Callable[[Any, float], Any] | None:
        """A drawer of what the plugin sees now, for the live preview; None: nothing to draw."""
        return None


def check_plugin_class(cls: Any, registered_as: str) -> type[Plugin]:
    """The class, if it is a well-formed plugin; else HighlightError naming it and the fault."""
    where = f"plugin {registered_as!r}"
    if not (isinstance(cls, type) and issubclass(cls, Plugin)):
        raise HighlightError(f"{where}: {cls!r} is not a subclass of highlight.plugin_api.Plugin")
    if not cls.name:
        raise HighlightError(f"{where}: the class sets no name")
    for attribute, value in _own_attributes(cls):
        if attribute in HOOKS:
            _check_hook(where, HOOKS[attribute], value)
        elif callable(value) or isinstance(value, (classmethod, staticmethod)):
            _refuse_hook_like(where, attribute)
    names = [option.name for option in cls.options]
    if not all(isinstance(option, Option) for option in cls.options) or len(set(names)) != len(names):
        raise HighlightError(f"{where}: options must be highlight.options.Option declarations with distinct names")
    return cls


def _own_attributes(cls: type) -> list[tuple[str, Any]]:
    """Public attributes defined by the plugin's classes, not by ``Plugin`` itself."""
    own: dict[str, Any] = {}
    for klass in reversed(cls.__mro__[: cls.__mro__.index(Plugin)]):
        own.update({k: v for k, v in vars(klass).items() if not k.startswith("_")})
    return list(own.items())


def _check_hook(where: str, hook: Hook, value: Any) -> None:
    if hook.on_class != isinstance(value, classmethod):
        kind = "a class method (@classmethod)" if hook.on_class else "a plain method, not a class or static method"
        raise HighlightError(f"{where}: hook {hook.name} must be {kind}")
    function = value.__func__ if isinstance(value, classmethod) else value
    try:
        inspect.signature(function).bind(None, *hook.parameters)
    except TypeError:
        wanted = ", ".join(("cls" if hook.on_class else "self",) + hook.parameters)
        raise HighlightError(f"{where}: hook {hook.name} must take ({wanted})") from None


def _refuse_hook_like(where: str, attribute: str) -> None:
    """A method named like a hook that is none is a misspelling the host would silently never call."""
    close = difflib.get_close_matches(attribute, list(HOOKS), n=1, cutoff=0.75)
    if close or attribute.startswith(HOOK_PREFIXES):
        hint = f"did you mean {close[0]}?" if close else f"hooks are {', '.join(HOOKS)}"
        raise HighlightError(f"{where}: unknown hook {attribute!r} ({hint})")


def available_plugins() -> dict[str, Any]:
    """Installed plugins by name (entry points, not yet imported)."""
    return installed(PLUGINS)


def plugin_class(name: str, registry: Registry | None = None) -> type[Plugin]:
    """The checked class of an installed plugin (``registry``: name -> entry point or class, for tests)."""
    return check_plugin_class(load_class(PLUGINS, name, registry), name)


def with_dependencies(names: tuple[str, ...] | list[str], registry: Registry | None = None) -> list[type[Plugin]]:
    """The named plugin classes and what they require, in dependency order."""
    found = available_plugins() if registry is None else registry
    ordered: list[type[Plugin]] = []
    seen: set[str] = set()

    def add(name: str, chain: tuple[str, ...] = ()) -> None:
        if name in seen:
            return
        if name in chain:
            raise HighlightError(f"plugin {name!r} requires itself through {' -> '.join(chain)}")
        cls = plugin_class(name, found)
        for dependency in cls.requires:
            add(dependency, chain + (name,))
        seen.add(name)
        ordered.append(cls)

    for name in names:
        add(name)
    return ordered


def load_plugins(names: tuple[str, ...] | list[str], registry: Registry | None = None) -> list[Plugin]:
    """Instantiate the named plugins, adding what they require, in dependency order."""
    return [cls() for cls in with_dependencies(names, registry)]


def check_plugins(names: tuple[str, ...] | list[str], given: Mapping[str, Mapping[str, Any]]) -> None:
    """Load the plugins (and what they require), check their extras are installed and let each check its options.

    Before any video: a missing extra is one line naming the plugin asked for and what to install.
    """
    for name in names:
        for cls in with_dependencies([name]):
            if cls.extra:
                require(cls.extra, f"--plugin {name}")
    for cls in with_dependencies(names):
        cls.check_options(complete(cls.options, given.get(cls.name, {})))


def overlay_drawers(
    names: tuple[str, ...] | list[str], out_dir: Path, given: Mapping[str, Mapping[str, Any]]
) -> list[Callable]:
    """The drawers of the plugins named in ``--overlay``, for the clips of one video."""
    drawers = []
    for name in names:
        cls = plugin_class(name)
        drawer = cls.overlay(out_dir, complete(cls.options, given.get(name, {})))
        if drawer is not None:
            drawers.append(drawer)
    return drawers


ACTION_KEYS = ("sets", "holds")  # result lists whose entries say where the action is
PRESENCE_KEYS = ("in_view",)  # result lists whose entries say when someone is in view (the pose plugin's)


def action_spans(results: Mapping[str, Any]) -> list[tuple[float, float]]:
    """Every (start, end) the plugins' results list under ``ACTION_KEYS`` (``published_spans``)."""
    return published_spans(results, ACTION_KEYS)


def presence_spans(results: Mapping[str, Any]) -> list[tuple[float, float]]:
    """Every (start, end) in which a plugin saw someone, listed under ``PRESENCE_KEYS`` (``published_spans``).

    A pose model finds people lying down as well as standing: someone doing push-ups on
    one spot all along is part of the motion detector's empty scene, but not of the pose
    model's.
    """
    return published_spans(results, PRESENCE_KEYS)


def published_spans(results: Mapping[str, Any], keys: tuple[str, ...]) -> list[tuple[float, float]]:
    """Every (start, end) the plugins' results list under ``keys``; entries of another shape are skipped.

    Read from the published results (``highlights.json["plugins"]``), so a re-cut finds
    them without running the plugins again.
    """
    spans = []
    for result in results.values():
        if not isinstance(result, Mapping):
            continue
        for key in keys:
            for entry in result.get(key) or ():
                try:
                    spans.append((float(entry["start"]), float(entry["end"])))
                except (KeyError, TypeError, ValueError):
                    continue
    return sorted(spans)
