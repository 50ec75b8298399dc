"""The optional parts of highlight (pyproject's extras), checked before any work, with the line to install them.

``pip install .`` gives the batch tool; editor timelines, the watch daemon, training,
pose and reps, and Ray need an extra. A command that needs one checks it first
(``require``), so a user without it gets one line naming the extra and a non-zero exit,
not a traceback after the first video, nor a run that says "done" without the part
asked for. The check looks for the module without importing it (TensorFlow takes
seconds to import), so ``--help`` and the check stay fast.
"""

from __future__ import annotations

import importlib.util

from highlight import HighlightError

# extra (as in pyproject.toml) -> the modules it provides that the code imports.
EXTRAS: dict[str, tuple[str, ...]] = {
    "editors": ("opentimelineio",),
    "watch": ("watchdog",),
    "train": ("tensorflow",),
    "pose": ("mediapipe",),
    "ray": ("ray",),
}


class MissingExtra(HighlightError):
    """A part the command needs is not installed: the message says which extra installs it."""


def install_line(extra: str) -> str:
    """What to type: ``pip install "highlight[pose]"``."""
    return f'pip install "highlight[{extra}]"'


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a broken or blocked package counts as missing
        return False


def missing_module(extra: str) -> str | None:
    """The first module of ``extra`` that cannot be imported, or None when it is all there."""
    return next((module for module in EXTRAS[extra] if not _importable(module)), None)


def require(extra: str, what: str) -> None:
    """Raise MissingExtra ('<what> needs <module>: pip install "highlight[<extra>]"') unless ``extra`` is installed."""
    module = missing_module(extra)
    if module is not None:
        raise MissingExtra(f"{what} needs {module}, which is not installed: {install_line(extra)}")
