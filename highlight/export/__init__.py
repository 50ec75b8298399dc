"""Writers for a run's outputs, apart from decoding and scoring (PySceneDetect keeps them apart too).

``write_outputs`` (in ``outputs``) is the one entry that writes a video's clips, slow
motion, reel and ``highlights.json``; ``manifest``: the typed ``Manifest``; ``scores``:
scores.csv; ``clips``: video files via moviepy; ``timelines``, ``report``,
``contact_sheet``: what is built afterwards from a finished manifest.
"""

from highlight.export.outputs import write_outputs

__all__ = ["write_outputs"]
