"""Frame scorers: interchangeable classes behind one interface (see ``base.Scorer``).

``get_scorer(name)`` builds one by name; ``--detector`` on the command line picks it.
"""

from __future__ import annotations

import functools

from highlight import HighlightError
from highlight.scorers.base import Scorer
from highlight.scorers.motion import MotionScorer

SCORERS: dict[str, type[Scorer]] = {MotionScorer.name: MotionScorer}


def get_scorer(name: str, **options) -> Scorer:
    try:
        return SCORERS[name](**options)
    except KeyError:
        raise HighlightError(f"unknown detector {name!r}; choose from: {', '.join(sorted(SCORERS))}") from None


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


__all__ = ["SCORERS", "Scorer", "get_scorer", "MotionScorer"]
