"""One live session: the frame loop on a stream, highlights decided and written as it goes.

The scorer, the plugins and the interval logic are `highlight run`'s: ``pipeline.analyse``
runs on a ``LiveSource`` and reports each batch of scores; ``LiveIntervals`` runs
``find_intervals`` on them and says which highlight can be written; a writer thread
turns each into a clip from the packet ring (so the frame loop never waits for a
file), and the part's manifest lists it once it is on disk.

Stopping (Ctrl-C, SIGTERM, ``--duration``) ends the stream: the frame loop finishes
like at the end of a file, the highlight in progress is closed at the last frame and
written, and the part is marked complete.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from highlight import HighlightError
from highlight.export.clips import clip_name
from highlight.live.clips import write_packet_clip
from highlight.live.decisions import ClipDecision, LiveIntervals
from highlight.live.outputs import LivePart
from highlight.live.stream import LiveSource, Reconnect
from highlight.pipeline import analyse, decode_summary, make_scorer
from highlight.plugin_api import load_plugins
from highlight.settings import RunSettings
from highlight.stop_signals import stopped_by_signals

log = logging.getLogger("highlight.live")

PLUGIN_RESULTS_EVERY_S = 2.0
SAVE_EVERY_S = 5.0  # scores.csv and highlights.json also grow while nothing happens (clips save them too)


@dataclass(frozen=True)
class LiveOptions:
    """How a session runs, beside the analysis settings."""

    source: str
    out: Path
    realtime: bool = False
    duration: float | None = None  # seconds of wall clock, then stop
    roll_over: float = 3600.0  # seconds per output folder
    reconnect: Reconnect = Reconnect()


@dataclass
class _ClipJob:
    decision: ClipDecision
    part: LivePart
    packets: list
    action_end_wall: float  # monotonic time the stream reached the interval's end (for the latency)


class ClipWriter:
    """Writes clips on its own thread, in order; failures are logged, never fatal."""

    def __init__(self) -> None:
        self._jobs: queue.Queue = queue.Queue()
        self.written = 0
        self.failed = 0
        self.last_clip = ""
        self._thread = threading.Thread(target=self._work, name="highlight-live-clips", daemon=True)
        self._thread.start()

    def submit(self, job: _ClipJob) -> None:
        self._jobs.put(job)

    def close(self) -> None:
        """Write what is queued, then stop."""
        self._jobs.put(None)
        self._thread.join()

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            decision, part = job.decision, job.part
            name = clip_name(decision.index, decision.interval)
            try:
                interval = decision.interval
                edges = write_packet_clip(job.packets, interval.start, interval.end, part.folder / name)
            except Exception as error:  # one bad clip must not end the session
                self.failed += 1
                part.clip_failed()
                log.error(
                    "%s", error if isinstance(error, HighlightError) else f"{name}: {type(error).__name__}: {error}"
                )
                continue
            latency = time.monotonic() - job.action_end_wall
            part.record_clip(decision.index, decision.interval, name, edges, latency)
            self.written += 1
            self.last_clip = name
            log.info(
                "highlight %d: %.1f-%.1f s -> %s (on disk %.1f s after its end)",
                decision.index,
                decision.interval.start,
                decision.interval.end,
                name,
                latency,
            )


class LiveSession:
    """Analyse a stream until stopped; write highlights, scores and manifests as it goes."""

    def __init__(self, options: LiveOptions, settings: RunSettings, on_status: Callable[[LiveSession], None] = None):
        self.options = options
        self.settings = settings
        self.on_status = on_status
        self.stop = threading.Event()
        self.intervals = LiveIntervals(settings.intervals)
        self.segments_seen = 1
        self.now = 0.0
        self.plugins = load_plugins(settings.plugins)
        self.source: LiveSource | None = None
        self.part: LivePart | None = None
        self.writer: ClipWriter | None = None
        self.latest_score = 0.0
        self.look_back = 0.0  # the scorer's (``Scorer.look_back``)
        self._plugin_results: dict = {}
        self._plugin_results_at = -float("inf")
        self._saved_at = time.monotonic()

    def run(self) -> LivePart:
        """Until the stream ends (a file), ``--duration`` passes, or a signal stops it; returns the last part."""
        with stopped_by_signals(self.stop, "closing the highlight in progress and stopping"):
            return self._run()

    def _run(self) -> LivePart:
        options = self.options
        scorer = make_scorer(self.settings)
        self.look_back = scorer.look_back
        timer = threading.Timer(options.duration, self.stop.set) if options.duration else None
        if timer:  # from now: waiting for a stream that never comes counts too
            timer.daemon = True
            timer.start()
        plugin_results: dict = {}
        try:
            self.source = LiveSource(options.source, self.stop, options.realtime, options.reconnect)
            self.part = LivePart(options.out, self.source.info, self.settings, scorer.describe(), start=0.0)
            self.writer = ClipWriter()
            log.info("live: %s -> %s", options.source, self.part.folder)
            with self.source:
                analysis = analyse(
                    self.source,
                    scorer,
                    self.settings,
                    self.plugins,
                    options.out,
                    progress=self._on_frame,
                    on_scores=self._on_scores,
                )
            plugin_results = analysis.plugin_results
        finally:
            if timer:
                timer.cancel()
            self._finish(plugin_results)
        return self.part

    # -- as frames and scores come --------------------------------------------------------

    def _on_frame(self, t: float) -> None:
        if self.on_status is not None:
            self.on_status(self)

    def _on_scores(self, times: list[float], scores: list[float], refined: list[bool]) -> None:
        self.part.add_scores(times, scores, refined)
        self.intervals.add(times, scores)
        self.latest_score = scores[-1] if scores else self.latest_score
        self.now = max([self.now, *times])
        decisions = []
        starts = self.source.live.connection_starts
        while self.segments_seen < len(starts):
            decisions += self.intervals.new_segment(starts[self.segments_seen])
            self.segments_seen += 1
        decisions += self.intervals.decide(self.now)
        for decision in decisions:
            self._submit(decision)
        self._trim_ring()
        self._roll_over_if_due()
        self._save_if_due()

    def _save_if_due(self) -> None:
        now = time.monotonic()
        if now - self._saved_at >= SAVE_EVERY_S:
            self._saved_at = now
            self._note_stats(self.part)
            self.part.save()

    def _submit(self, decision: ClipDecision) -> None:
        interval = decision.interval
        self.part.clip_submitted()
        if not self.settings.clips:  # --no-clips: listed at once, as `run --no-clips` lists it
            self.part.record_clip(decision.index, interval, None, None, None)
            log.info("highlight %d: %.1f-%.1f s", decision.index, interval.start, interval.end)
            return
        packets = self.source.ring.between(interval.start, interval.end)
        behind = self.now - interval.end  # the stream is this far past the interval's end
        action_end_wall = time.monotonic() - max(0.0, behind) - self.settings.intervals.pad_after
        self.writer.submit(_ClipJob(decision, self.part, packets, action_end_wall))

    def _trim_ring(self) -> None:
        pad_before = self.settings.intervals.pad_before
        needed = [self.now - pad_before - self.settings.intervals.smooth - 1.0]
        earliest = self.intervals.earliest_needed()
        if earliest is not None:
            needed.append(earliest - pad_before)
        self.source.ring.keep_from(min(needed))

    def _roll_over_if_due(self) -> None:
        """A new output folder each ``roll_over`` seconds, between highlights.

        The parts meet at a regular sample ``look_back`` behind the stream, and the old
        part hands its later samples to the new one: a visit confirmed a few samples
        late (someone walking in along the frame's edge) is scored back to where it
        began, and that is then inside the new part, whose start is the meeting point.
        """
        if self.now - self.part.start < self.options.roll_over or self.intervals.earliest_needed() is not None:
            return
        boundary = self._part_boundary()
        if boundary - self.part.start < self.options.roll_over:
            return
        later = self.part.hand_over(after=boundary)
        self._note_stats(self.part)
        self.part.close()  # complete once a clip still being written is on disk
        self.part = LivePart(
            self.options.out, self.source.info, self.settings, self.part.manifest.detector, start=boundary
        )
        self.part.add_scores(*later)
        log.info("live: new part %s", self.part.folder)

    def _part_boundary(self) -> float:
        """The latest regular sample of this part earlier than ``look_back`` behind the stream (else its start)."""
        reach = self.now - self.look_back
        regular = [t for t, refined in zip(self.part.times, self.part.refined) if not refined and t < reach]
        return max(regular, default=self.part.start)

    def live_plugin_results(self) -> dict:
        """The plugins' results so far (``Plugin.live_results``), refreshed every few seconds.

        Counting reps runs over the whole pose track, so it is not redone for every frame.
        """
        now = time.monotonic()
        if now - self._plugin_results_at >= PLUGIN_RESULTS_EVERY_S:
            self._plugin_results_at = now
            results = {}
            for plugin in self.plugins:
                try:
                    result = plugin.live_results()
                except Exception as error:  # a status line is not worth a session
                    log.debug("plugin %s: live results failed: %s", plugin.name, error)
                    continue
                if result:
                    results[plugin.name] = result
            self._plugin_results = results
        return self._plugin_results

    def live_plugin_overlays(self) -> list:
        """What each plugin draws on the live preview now (``Plugin.live_overlay``)."""
        drawers = []
        for plugin in self.plugins:
            try:
                drawer = plugin.live_overlay()
            except Exception as error:  # a preview is not worth a session
                log.debug("plugin %s: live overlay failed: %s", plugin.name, error)
                continue
            if drawer is not None:
                drawers.append(drawer)
        return drawers

    # -- stopping -------------------------------------------------------------------------

    def _finish(self, plugin_results: dict) -> None:
        """Close the highlight in progress at the last frame, write it, and mark the part complete."""
        if self.part is None:
            return
        if self.source is not None and self.now > 0:
            for decision in self.intervals.decide(self.now, over=True):
                self._submit(decision)
        if self.writer is not None:
            self.writer.close()
        self._note_stats(self.part)
        self.part.close(plugins=plugin_results)

    def _note_stats(self, part: LivePart) -> None:
        live = self.source.live
        stats = self.source.stats
        part.note("connection_starts_s", list(live.connection_starts))
        part.note("reconnects", live.reconnects)
        part.note("dropped_frames", live.dropped)
        part.manifest.decode = decode_summary(stats)
