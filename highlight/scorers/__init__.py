"""Frame scorers: interchangeable classes behind one interface (see ``base.Scorer``).

``get_scorer(name)`` builds one by name; ``--detector`` on the command line picks it.
"""

from __future__ import annotations

from highlight import HighlightError
from highlight.scorers.base import Scorer
from highlight.scorers.motion import MotionScorer

SCORERS: dict[str, type[Scorer]] = {MotionScorer.name: MotionScorer}


def get_scorer(name: str, **options) -> Scorer:
    try:
        return SCORERS[name](**options)
    except KeyError:
        raise HighlightError(f"unknown detector {name!r}; choose from: {', '.join(sorted(SCORERS))}") from None


def load_model_scorer(folder):
    """A trained highlight classifier (``highlight train``) as a scorer."""
    raise HighlightError(
        f"--model {folder}: trained classifiers are not available in this version yet; "
        "use the default detector (leave out --model)"
    )


__all__ = ["SCORERS", "Scorer", "get_scorer", "MotionScorer"]
