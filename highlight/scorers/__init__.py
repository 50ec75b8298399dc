"""Detectors (frame scorers): interchangeable classes behind one interface (see ``base.Scorer``).

They are registered like plugins, in the entry-point group ``highlight.detectors``
(the bundled ``motion`` in this project's pyproject.toml); ``--detector NAME`` picks
one and ``get_scorer`` builds it with its declared options.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Mapping, Sequence
from typing import Any

from highlight import HighlightError
from highlight.registry import DETECTORS, Registry, installed, load_class
from highlight.scorers.base import Scorer


def detector_class(name: str, registry: Registry | None = None) -> type[Scorer]:
    """The checked class of an installed detector; HighlightError (one line) when unknown or malformed."""
    cls = load_class(DETECTORS, name, registry)
    where = f"detector {name!r}"
    if not (isinstance(cls, type) and issubclass(cls, Scorer)) or inspect.isabstract(cls):
        raise HighlightError(f"{where}: {cls!r} is not a concrete subclass of highlight.scorers.Scorer")
    if "sample_fps" not in inspect.signature(cls).parameters:
        raise HighlightError(f"{where}: its constructor must take sample_fps (and **options for its declared options)")
    return cls


def available_detectors() -> list[str]:
    """Names of the installed detectors, for messages and listings."""
    return sorted(installed(DETECTORS))


def get_scorer(
    name: str,
    sample_fps: float = 2.0,
    options: Mapping[str, Any] | None = None,
    registry: Registry | None = None,
    regions: Sequence[str] = (),
    excludes: Sequence[str] = (),
) -> Scorer:
    """A detector by name, built with its options (values by option name; checked) and regions."""
    try:
        cls = detector_class(name, registry)
        return cls(sample_fps=sample_fps, regions=regions, excludes=excludes, **dict(options or {}))
    except ValueError as error:
        raise HighlightError(str(error)) from None


def load_model_scorer(folder, **options) -> Scorer:
    """A trained highlight classifier (``highlight train``) as a scorer.

    Imported here, not at the top: loading a model imports TensorFlow, which a run
    without ``--model`` must not pay for. The classifier has no per-video state, so a
    batch of videos shares one loaded model (until its model.json changes).
    """
    from pathlib import Path

    folder = Path(folder)
    stamp = (folder / "model.json").stat().st_mtime if (folder / "model.json").is_file() else None
    return _load_classifier(str(folder.resolve()), stamp, tuple(sorted(options.items())))


@functools.lru_cache(maxsize=2)
def _load_classifier(folder: str, stamp: float | None, options: tuple) -> Scorer:
    from highlight.scorers.classifier import ClassifierScorer

    return ClassifierScorer(folder, **dict(options))


__all__ = ["Scorer", "available_detectors", "detector_class", "get_scorer", "load_model_scorer"]
