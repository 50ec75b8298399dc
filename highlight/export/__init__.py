"""Writers for a run's outputs, apart from decoding and scoring (PySceneDetect keeps them apart too).

``scores``: scores.csv; ``manifest``: highlights.json; ``clips``: video files via moviepy.
"""
