"""``scores.csv``: every analysed timestamp and its score, so a run can be re-cut without decoding.

Columns: ``time_s``, ``score``, ``refined`` (1 for a frame decoded to place an edge
between two regular samples), then any extra columns a scorer or plugin adds.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from highlight import HighlightError
from highlight.atomic import write_text

SCORES_FILE = "scores.csv"
DECIMALS = 4


def as_stored(times: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The values exactly as scores.csv keeps them.

    Intervals are always computed from these, so a resumed run or ``highlight cut``
    finds the same intervals (and clip names) as the run that wrote the file.
    """
    return np.round(times, DECIMALS), np.round(scores, DECIMALS)


def write_scores(path: Path, times: np.ndarray, scores: np.ndarray, refined: np.ndarray) -> None:
    """Every analysed sample, so `highlight cut` can re-cut without decoding again."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["time_s", "score", "refined"])
    for t, s, r in zip(*as_stored(times, scores), refined):
        writer.writerow([f"{t:.{DECIMALS}f}", f"{s:.{DECIMALS}f}", int(bool(r))])
    write_text(path, buffer.getvalue())


def read_scores(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(times, scores, refined); raise HighlightError if the file is missing or malformed."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:  # -sig: a spreadsheet that saved it adds a BOM
            rows = list(csv.DictReader(handle))
        times = np.array([float(row["time_s"]) for row in rows])
        scores = np.array([float(row["score"]) for row in rows])
        refined = np.array([row.get("refined", "0") == "1" for row in rows], dtype=bool)
    except FileNotFoundError:
        raise HighlightError(f"{path}: not found (was this folder written by `highlight run`?)") from None
    except (KeyError, ValueError) as error:
        raise HighlightError(f"{path}: malformed scores file ({error})") from None
    if not (np.isfinite(times).all() and np.isfinite(scores).all()):
        raise HighlightError(f"{path}: malformed scores file (a time or score that is not a finite number)")
    order = np.argsort(times, kind="stable")  # written in time order; a hand edit may not be
    return times[order], scores[order], refined[order]
