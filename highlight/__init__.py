"""highlight: long sports and workout recordings in, highlight clips out.

The pipeline has four stages, one module (or package) each:
``source`` (decode once) -> ``scorers`` (+ ``plugin_api`` plugins on the same frames)
-> ``intervals`` (pure functions) -> ``export`` (clips, manifest, scores).
``pipeline`` runs them for one video; ``batch`` runs the pipeline over many.
"""

__version__ = "0.1.0"


class HighlightError(Exception):
    """An error with a message meant for the user: one line, naming the file and the reason."""
