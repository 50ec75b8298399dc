"""The files of a live session, written as it goes and valid at every moment.

A session writes into one folder per part (``OUT/2026-11-24_20-45-07/``), a new part
each ``roll_over`` seconds (an hour by default), so a day-long stream is a set of
ordinary output folders rather than one file that grows without end. Each part holds
what `highlight run` writes for a recording: ``highlights.json`` (the typed
``Manifest``), ``scores.csv`` and the clips; `highlight report` reads it as it reads
any run's (`cut` and `export` refer to the recording, which a stream does not leave).

The live variant of the manifest: ``source.path`` is the stream, ``source.duration``
the part's length so far, ``intervals`` lists only clips that are complete on disk,
``complete`` turns true when the part is closed, and ``extra["live"]`` records the
part's start in session time, the connections, dropped frames and, for each clip, how
long after the highlight ended it was on disk. Where a clip really starts and ends
(session seconds) is in each interval's ``clip_start`` and ``clip_end``, as for `run`. A clip
may be written again, longer, when the action resumes within the merge gap; the
manifest then lists the longer one. Every write is atomic (``highlight.atomic``), so a
crash leaves the last valid version of each file.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from highlight.atomic import remove_stale_temporaries
from highlight.export.manifest import LIVE_EXTRA, IntervalEntry, Manifest
from highlight.export.scores import SCORES_FILE, write_scores
from highlight.export.stream_copy import ClipEdges
from highlight.intervals import Interval
from highlight.settings import RunSettings
from highlight.source import VideoInfo

log = logging.getLogger("highlight.live")


class LivePart:
    """One output folder of a session: its manifest and scores, saved after every change."""

    def __init__(self, out: Path, info: VideoInfo, settings: RunSettings, detector: dict, start: float):
        self.folder = out / time.strftime("%Y-%m-%d_%H-%M-%S")
        suffix = 1
        while self.folder.exists():
            suffix += 1
            self.folder = out / f"{time.strftime('%Y-%m-%d_%H-%M-%S')}_{suffix}"
        self.folder.mkdir(parents=True)
        remove_stale_temporaries(self.folder)
        self.start = start
        self.manifest = Manifest.new(info, settings.to_dict(), settings.key, detector)
        self.manifest.extra[LIVE_EXTRA] = {"part_start_s": round(start, 3), "clips": {}}
        self.times: list[float] = []
        self.scores: list[float] = []
        self.refined: list[bool] = []
        self._lock = threading.Lock()  # the frame loop adds scores while the clip writer records clips
        self._entries: dict[int, IntervalEntry] = {}
        self._clips_pending = 0  # decided, not yet on disk: the part is complete only without any
        self._closed = False
        self.save()

    def clip_submitted(self) -> None:
        with self._lock:
            self._clips_pending += 1

    def clip_failed(self) -> None:
        with self._lock:
            self._clips_pending -= 1
        self.save()

    def add_scores(self, times: list[float], scores: list[float], refined: list[bool]) -> None:
        with self._lock:
            self.times.extend(times)
            self.scores.extend(scores)
            self.refined.extend(refined)

    def hand_over(self, after: float) -> tuple[list[float], list[float], list[bool]]:
        """Take out the samples later than ``after`` (times, scores, refined): the next part's first ones."""
        with self._lock:
            staying = [t <= after for t in self.times]
            columns = (self.times, self.scores, self.refined)
            later = tuple([v for v, stays in zip(column, staying) if not stays] for column in columns)
            self.times, self.scores, self.refined = (
                [v for v, stays in zip(column, staying) if stays] for column in columns
            )
        return later

    def record_clip(
        self, index: int, interval: Interval, clip: str | None, edges: ClipEdges | None, latency: float | None
    ) -> None:
        """List a highlight whose clip is complete on disk (``clip`` None: --no-clips, the interval alone).

        A longer clip of the same highlight replaces the shorter one. ``edges``, where the
        clip really starts and ends, go in the typed fields every manifest has; the
        latency is live's own and goes in ``extra["live"]["clips"]``.
        """
        with self._lock:
            entry = IntervalEntry.from_interval(index, interval)
            entry.clip = clip
            if edges is not None:
                entry.clip_start, entry.clip_end = round(edges.start, 3), round(edges.end, 3)
            old = self._entries.get(index)
            self._entries[index] = entry
            self.manifest.intervals = [self._entries[k] for k in sorted(self._entries)]
            clips = self.manifest.extra[LIVE_EXTRA]["clips"]
            if old is not None and old.clip != clip:
                clips.pop(old.clip, None)
            if clip is not None:
                clips[clip] = {"written_after_end_s": None if latency is None else round(latency, 3)}
            self._clips_pending -= 1
        self.save()
        if old is not None and old.clip and old.clip != clip:
            (self.folder / old.clip).unlink(missing_ok=True)  # no longer listed: the manifest names the new one

    def note(self, key: str, value: Any) -> None:
        """A live statistic for ``extra["live"]`` (connections, dropped frames), saved with the next write."""
        with self._lock:
            self.manifest.extra[LIVE_EXTRA][key] = value

    def close(self, plugins: dict | None = None) -> None:
        """No more scores or highlights come to this part; complete once its last clip is on disk."""
        with self._lock:
            self._closed = True
            if plugins is not None:
                self.manifest.plugins = plugins
        self.save()

    def save(self) -> None:
        """scores.csv, then highlights.json: the manifest never names scores that are not on disk."""
        with self._lock:
            times = np.asarray(self.times, dtype=float)
            order = np.argsort(times, kind="stable")
            if times.size:
                self.manifest.source = replace(self.manifest.source, duration=round(float(times.max()) - self.start, 3))
            self.manifest.complete = self._closed and self._clips_pending == 0
            scores = np.asarray(self.scores, dtype=float)[order]
            refined = np.asarray(self.refined, dtype=bool)[order]
            write_scores(self.folder / SCORES_FILE, times[order], scores, refined)
            self.manifest.save(self.folder)
