"""One video, start to finish: decode -> score (+ plugins) -> intervals -> export.

``analyse`` is the single frame loop; ``process_video`` runs everything for a new
recording; ``recut`` redoes only intervals and clips from a previous run's scores.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from highlight import HighlightError
from highlight.atomic import remove_stale_temporaries
from highlight.export import manifest as manifests
from highlight.export import write_outputs
from highlight.export.manifest import Manifest, ReelReview, spans_of
from highlight.export.outputs import Progress, rewrite_reel
from highlight.export.scores import SCORES_FILE, as_stored, read_scores, write_scores
from highlight.intervals import (
    MOST_OF_THE_RECORDING,
    Interval,
    IntervalSettings,
    action_inside_presence,
    around_share,
    covered_share,
    find_intervals,
    holding_the_action,
    merge_close,
)
from highlight.layers import COMMAND_LINE, cut_layer, recorded_origins
from highlight.options import complete
from highlight.plugin_api import NO_FRAMES, Plugin, VideoContext, action_spans, load_plugins, presence_spans
from highlight.presets import DETECTOR_DEFAULTS, with_preset
from highlight.review.applied import is_reviewed, review_of, reviewed_intervals
from highlight.scorers import Scorer, get_scorer
from highlight.scorers.hoop import Hoop, find_hoop, found_hint
from highlight.settings import RunSettings, settings_from_dict
from highlight.source import DecodeStats, Fingerprint, Frame, VideoInfo, VideoSource, probe

log = logging.getLogger(__name__)


@dataclass
class Analysis:
    """The score timeline of one video and what the plugins made of it."""

    times: np.ndarray
    scores: np.ndarray
    refined: np.ndarray
    plugin_results: dict[str, Any] = field(default_factory=dict)
    plugin_intervals: list[Interval] = field(default_factory=list)
    timing: dict[str, float] = field(default_factory=dict)
    decode_stats: dict[str, Any] = field(default_factory=dict)


# Called with the samples each scoring batch adds (times, scores, refined), in the order
# scored: `highlight live` decides intervals as the scores come, from the same loop.
ScoresListener = Callable[[list[float], list[float], list[bool]], None]


class _Timeline:
    """Scores collected during the pass; refines edges as soon as a crossing is seen."""

    def __init__(
        self, source: VideoSource, scorer: Scorer, edge_threshold: float, on_scores: ScoresListener | None = None
    ):
        self.source, self.scorer, self.edge_threshold = source, scorer, edge_threshold
        self.on_scores = on_scores
        self.times: list[float] = []
        self.scores: list[float] = []
        self.refined: list[bool] = []
        self.pending_times: list[float] = []
        self.pending_images: list[np.ndarray] = []
        self.score_seconds = 0.0
        self.convert_seconds = 0.0

    def add_frame(self, frame: Frame) -> None:
        started = time.perf_counter()
        image = self.scorer.image_for(frame)
        self.convert_seconds += time.perf_counter() - started
        self.add(frame.time, image)

    def add(self, t: float, image: np.ndarray) -> None:
        self.pending_times.append(t)
        self.pending_images.append(image)
        if len(self.pending_images) >= self.scorer.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self.pending_images:
            return
        started = time.perf_counter()
        first_new = len(self.times)
        self.scorer.expect_times(self.pending_times)
        new_scores = self.scorer.score(self.pending_images, learn=True)
        self.score_seconds += time.perf_counter() - started
        for t, s in zip(self.pending_times, new_scores):
            self.record(t, float(s))
        self.pending_times, self.pending_images = [], []
        self.report_since(first_new)

    def record(self, t: float, score: float) -> None:
        """One regular sample's score, in time order; a crossing since the last one is refined first."""
        started = time.perf_counter()
        if self.times and self._crosses(self.scores[-1], score):
            self._refine(self._refine_from(), t)
        self.times.append(t)
        self.scores.append(score)
        self.refined.append(False)
        self.score_seconds += time.perf_counter() - started

    def report_since(self, first_new: int) -> None:
        """Tell ``on_scores`` of the samples recorded from index ``first_new`` on (refined ones included)."""
        if self.on_scores is not None and len(self.times) > first_new:
            self.on_scores(self.times[first_new:], self.scores[first_new:], self.refined[first_new:])

    def finish(self) -> None:
        """Score what is still pending (end of the pass)."""
        self.flush()

    def stop(self) -> None:
        """Nothing runs beside the frame loop: nothing to stop."""

    def is_quiet(self) -> bool:
        """The last two samples are below the exit threshold: nothing is going on.

        Skipping the rest of a GOP then loses nothing that matters: if the next keyframe
        is busy again, the crossing between the two is refined frame by frame. Not while
        the scorer is watching something (``Scorer.watching``).
        """
        recent = self.scores[-2:]
        quiet = bool(recent) and not self.pending_images and max(recent) < self.edge_threshold
        return quiet and not self.scorer.watching

    def _crosses(self, before: float, after: float) -> bool:
        return (before >= self.edge_threshold) != (after >= self.edge_threshold)

    def _refine_from(self) -> float:
        """Where the frames to score before a crossing start: the last sample, or earlier if the scorer says so.

        A rise can come from something seen for a few samples before it was sure to be
        someone (``Scorer.began_at``: a person at the frame's edge is one once they have
        walked a few steps); then the frames from the regular sample before it was first
        seen are scored too, so the start lands where they came into view.
        """
        last = self.times[-1]
        began = self.scorer.began_at() if self.scores[-1] < self.edge_threshold else None
        if began is None or began > last:
            return last
        before = [t for t, refined in zip(self.times, self.refined) if not refined and t < began]
        return before[-1] if before else last

    def _refine(self, start: float, end: float) -> None:
        """Score frames strictly between two samples, so an edge lands on the right frame.

        Every frame, or every ``refine_every``-th where the scorer is dear, counted from
        the earlier sample (so the scored frames are evenly spaced with the samples).
        The scorer's state is not updated by these frames (``learn=False``): they are
        out of order, and the regular samples alone drive the background model.
        """
        scored = {t for t in self.times if start < t < end}  # regular samples there, where it starts further back
        frames = [f for f in self.source.window(start, end) if start < f.time < end and f.time not in scored]
        every = max(1, self.scorer.refine_every)
        chosen = frames[every - 1 :: every] if len(frames) >= every else frames
        for k in range(0, len(chosen), max(1, self.scorer.batch_size)):
            batch = chosen[k : k + self.scorer.batch_size]
            self.scorer.expect_times([f.time for f in batch])
            scores = self.scorer.score([self.scorer.image_for(f) for f in batch], learn=False)
            self.times.extend(f.time for f in batch)
            self.scores.extend(float(s) for s in scores)
            self.refined.extend([True] * len(batch))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        order = np.argsort(np.asarray(self.times), kind="stable")
        return (
            np.asarray(self.times)[order],
            np.asarray(self.scores)[order],
            np.asarray(self.refined, dtype=bool)[order],
        )

    def counts(self) -> dict[str, int]:
        return {}

    def extra_timing(self) -> dict[str, float]:
        return {}


class _GatedTimeline:
    """A trained classifier behind the motion detector (a cascade), on its own thread.

    ResNet50 costs about 40 ms a frame here, the motion detector about 1 ms: a sample
    in which the motion detector sees nothing at all (score 0: nothing moving, nobody
    held present) is not shown to the classifier and scores 0. Zero, not a score made
    from the motion score: the two are on different scales, and "nothing in view" is
    no highlight under any threshold. Whatever moves (score > 0, far below the motion
    detector's own thresholds) goes to the classifier, which decides; where a gated
    sample meets a classified one above the exit threshold, the frames in between are
    scored by the classifier, as without the gate, so edges land where they did. The
    gate stays open for ``hold`` seconds after the last motion (the merge gap: a
    shorter pause never splits a highlight), so a player who stops for a moment does
    not turn each pause into a pair of edges, each refined with the classifier.

    The gate is decided on the frame loop's thread, frame by frame, so quiet skipping
    works for a batch scorer too. The classifier runs on a worker thread fed through a
    short queue (TensorFlow releases the GIL while it infers): decoding the next frames
    overlaps inference. The worker owns the classifier's ``_Timeline``, so samples are
    recorded in time order and edges refined there, as in the ungated pass.
    """

    QUEUED_SAMPLES = 64  # images at the classifier's input size (224 px: 150 kB each)

    def __init__(
        self,
        source: VideoSource,
        classifier: Scorer,
        gate: Scorer,
        edge_threshold: float,
        hold: float,
        on_scores: ScoresListener | None = None,
    ):
        self.timeline = _Timeline(source, classifier, edge_threshold, on_scores)
        self.classifier, self.gate, self.hold = classifier, gate, hold
        self.recent_gate: list[float] = []
        self.last_motion = -math.inf
        self.gated = self.classified = 0
        self.loop_seconds = 0.0  # the frame loop's: the gate, and waiting on a full queue or the last batch
        self._queue: queue.Queue = queue.Queue(maxsize=self.QUEUED_SAMPLES)
        self._error: BaseException | None = None
        self._worker = threading.Thread(target=self._work, name="highlight-classifier", daemon=True)
        self._worker.start()

    @property
    def score_seconds(self) -> float:
        """What scoring held up the frame loop (the classifier itself runs alongside: ``classify_seconds``)."""
        return self.loop_seconds

    @property
    def classify_seconds(self) -> float:
        return self.timeline.score_seconds

    @property
    def convert_seconds(self) -> float:
        return self.timeline.convert_seconds

    def add_frame(self, frame: Frame) -> None:
        started = time.perf_counter()
        self.gate.expect_times([frame.time])
        motion = float(self.gate.score([self.gate.image_for(frame)])[0])
        self.recent_gate = [*self.recent_gate[-1:], motion]
        if motion > 0.0:
            self.last_motion = frame.time
        if frame.time - self.last_motion <= self.hold:
            self.classified += 1
            converted = time.perf_counter()
            image = self.classifier.image_for(frame)
            self.timeline.convert_seconds += time.perf_counter() - converted
            started += time.perf_counter() - converted
            self._put((frame.time, image))
        else:
            self.gated += 1
            self._put((frame.time, None))
        self.loop_seconds += time.perf_counter() - started

    def is_quiet(self) -> bool:
        """The motion detector saw nothing in the last two samples (the classifier need not have answered)."""
        return len(self.recent_gate) == 2 and max(self.recent_gate) == 0.0 and not self.gate.watching

    def _put(self, item) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(item)

    def _work(self) -> None:
        try:
            while (item := self._queue.get()) is not None:
                t, image = item
                if image is None:
                    self.timeline.flush()  # what was queued before it is scored first: time order
                    first_new = len(self.timeline.times)
                    self.timeline.record(t, 0.0)
                    self.timeline.report_since(first_new)
                else:
                    self.timeline.add(t, image)
                    if self._queue.empty():  # do not keep a short batch waiting for the next action
                        self.timeline.flush()
            self.timeline.flush()
        except BaseException as error:  # raised on the frame loop's thread
            self._error = error
            while self._queue.get() is not None:  # let the frame loop finish putting
                pass

    def finish(self) -> None:
        """Wait for the classifier to score what is queued (end of the pass); its error is raised here."""
        self.stop()
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        """Let the worker finish and end; also on the way out of a failed pass."""
        started = time.perf_counter()
        if self._worker.is_alive():
            self._queue.put(None)
            self._worker.join()
        self.loop_seconds += time.perf_counter() - started

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.timeline.arrays()

    def counts(self) -> dict[str, int]:
        return {"samples_classified": self.classified, "samples_gated": self.gated}

    def extra_timing(self) -> dict[str, float]:
        return {"classify_s": round(self.classify_seconds, 3)}  # on the classifier's thread, alongside


def analyse(
    source: VideoSource,
    scorer: Scorer,
    settings: RunSettings,
    plugins: list[Plugin] = (),
    out_dir: Path | None = None,
    progress: Progress | None = None,
    on_scores: ScoresListener | None = None,
) -> Analysis:
    """The one decode pass: the scorer and every plugin see the same frames.

    The scorer looks at keyframes only while the scene is quiet, and also while
    something happens where GOPs are short (see ``keyframes_suffice``); else at
    ``sample_fps``; at every edge, at every frame. ``full_scan`` (no ``skip_quiet``)
    samples at ``sample_fps`` throughout. A ``--model`` classifier sits behind the
    motion detector (``motion_gate``, ``_GatedTimeline``), on a thread of its own.
    ``on_scores`` hears of each batch of new samples as it is scored (live mode).
    """
    started = time.perf_counter()
    scorer.prepare(source)
    gate = motion_gate(settings)
    if gate is not None:
        gate.prepare(source)
    prepare_seconds = time.perf_counter() - started
    runner = _PluginRunner(
        plugins, source.info, out_dir or Path("."), settings.given_plugin_options(), scorer.camera_shakes
    )
    if gate is not None:
        intervals = settings.intervals
        timeline = _GatedTimeline(
            source, scorer, gate, intervals.exit_threshold, hold=intervals.merge_gap, on_scores=on_scores
        )
    else:
        timeline = _Timeline(source, scorer, settings.intervals.exit_threshold, on_scores)
    rates = [settings.sample_fps] + [p.sample_fps for p in runner.framed]
    # Quiet skipping needs each keyframe's score at once: a frame-by-frame scorer's, or the gate's.
    skip_quiet = settings.skip_quiet and (scorer.batch_size == 1 or gate is not None)
    longest_standin_gop = keyframes_suffice(settings)
    try:
        for frame, wanted in source.sample(rates):
            if wanted[0]:
                timeline.add_frame(frame)
                if frame.keyframe and longest_standin_gop:
                    source.pause(0, longest_gop=longest_standin_gop)
                if skip_quiet and frame.keyframe and timeline.is_quiet():
                    source.pause(0)
            runner.on_frame(frame, wanted[1:])
            if progress:
                progress(frame.time)
        timeline.finish()
    finally:
        timeline.stop()
        runner.stop()
    convert_seconds = timeline.convert_seconds
    finish_started = time.perf_counter()
    results, extra_intervals = runner.finish()
    plugins_end_seconds = time.perf_counter() - finish_started
    total = time.perf_counter() - started
    times, scores, refined = timeline.arrays()
    if times.size == 0:
        raise HighlightError(f"{source.path}: no frames could be decoded")
    scores = scorer.settle(times, scores, settings.intervals.exit_threshold)
    stats = source.stats
    return Analysis(
        times,
        scores,
        refined,
        results,
        extra_intervals,
        timing={
            "prepare_s": round(prepare_seconds, 3),
            # what the frame loop itself spent decoding: the rest of its time is accounted below
            "decode_s": round(
                total
                - prepare_seconds
                - timeline.score_seconds
                - convert_seconds
                - runner.wait_seconds
                - plugins_end_seconds,
                3,
            ),
            "convert_s": round(convert_seconds, 3),
            "score_s": round(timeline.score_seconds, 3),
            "plugins_s": round(runner.seconds, 3),  # in plugin hooks, mostly alongside the loop
            "plugins_wait_s": round(runner.wait_seconds + plugins_end_seconds, 3),  # the loop held up by them
            "analysis_s": round(total, 3),
            **timeline.extra_timing(),
        },
        decode_stats={**decode_summary(stats), **timeline.counts()},
    )


def decode_summary(stats: DecodeStats) -> dict[str, Any]:
    """What a pass decoded, as the manifest's ``decode`` records it (a run's, or a live part's so far)."""
    return {
        "frames_decoded": stats.decoded,
        "keyframes_decoded_ahead": stats.decoded_ahead,
        "frames_used": stats.delivered,
        "gops_skipped": stats.skipped_gops,
        "corrupt_packets": stats.corrupt_packets,
        "last_frame_s": round(stats.last_time, 3),
    }


def motion_gate(settings: RunSettings) -> Scorer | None:
    """The motion detector that decides which samples a ``--model`` run classifies; None: no gate."""
    if not settings.model or not settings.model_gate:
        return None
    return get_scorer("motion", sample_fps=settings.sample_fps)


def keyframes_suffice(settings: RunSettings) -> float:
    """The longest GOP (seconds) whose keyframe alone stands for its samples; 0: none.

    Decoding a frame in the middle of a GOP costs decoding every frame before it: on a
    phone recording (a keyframe a second) the sample half a second in was 85% of the
    decoding. A keyframe a second is enough to see who is in view, since where a
    sample crosses the edge threshold every frame in between is scored anyway. So a
    keyframe stands for its GOP when the GOP spans at most two sample periods (with a
    frame of slack for variable-rate timestamps): at the default 2 samples a second,
    GOPs of up to a second; at 10 samples a second (the shots preset), none. A full
    scan (no ``skip_quiet``) samples every GOP at ``sample_fps``.
    """
    if not settings.skip_quiet:
        return 0.0
    return 2.0 / settings.sample_fps + 0.05


class _PluginRunner:
    """Calls plugin hooks; a plugin that raises is switched off and its error kept (in start_video: the video fails).

    Frames reach the plugins on a worker thread, through a short queue: pose inference
    (MediaPipe releases the GIL) then runs on the second core while the frame loop
    decodes and scores the next frames, so a run with plugins costs about the larger
    of the two rather than their sum. One worker keeps every plugin's frames in order.
    """

    QUEUED_FRAMES = 8  # bounds memory: each holds a decoded picture

    def __init__(
        self,
        plugins: list[Plugin],
        info: VideoInfo,
        out_dir: Path,
        given: dict[str, dict[str, Any]],
        camera_shakes: bool = False,
    ):
        self.plugins = list(plugins)
        self.errors: dict[str, str] = {}
        self.seconds = 0.0  # in plugin hooks, on either thread
        self.wait_seconds = 0.0  # the frame loop held up by the plugins
        shared: dict[str, Any] = {}
        for plugin in self.plugins:
            # The host gives the context, so a start_video that skips super() still has it.
            options = complete(plugin.options, given.get(plugin.name, {}))
            plugin.context = VideoContext(info, out_dir, options, shared, camera_shakes)
            self._call(plugin, "start_video", plugin.context)
            if plugin.name in self.errors:  # asked for and never ran: the video must not say "done"
                raise HighlightError(f"{info.path}: plugin {plugin.name} could not start ({self.errors[plugin.name]})")
        self.wait_seconds = self.seconds  # start_video (loading a model) holds up the loop too
        self.framed = [p for p in self.plugins if p.sample_fps != NO_FRAMES]  # known after start_video
        self._queue: queue.Queue = queue.Queue(maxsize=self.QUEUED_FRAMES)
        self._worker: threading.Thread | None = None

    def _call(self, plugin: Plugin, hook: str, *args) -> Any:
        if plugin.name in self.errors:
            return None
        started = time.perf_counter()
        try:
            return getattr(plugin, hook)(*args)
        except Exception as error:  # isolation: a plugin bug must not lose the highlights
            self.errors[plugin.name] = f"{hook}: {type(error).__name__}: {error}"
            log.debug("plugin %s failed\n%s", plugin.name, traceback.format_exc())
            return None
        finally:
            self.seconds += time.perf_counter() - started

    def on_frame(self, frame, wanted: tuple[bool, ...]) -> None:
        if not any(wanted):
            return
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="highlight-plugins", daemon=True)
            self._worker.start()
        started = time.perf_counter()
        self._queue.put((frame, wanted))
        self.wait_seconds += time.perf_counter() - started

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            frame, wanted = item
            for plugin, wants in zip(self.framed, wanted):
                if wants:
                    self._call(plugin, "on_frame", frame)

    def stop(self) -> None:
        """Let the worker finish the queued frames; also on the way out of a failed pass."""
        if self._worker is not None:
            started = time.perf_counter()
            self._queue.put(None)
            self._worker.join()
            self._worker = None
            self.wait_seconds += time.perf_counter() - started

    def finish(self) -> tuple[dict[str, Any], list[Interval]]:
        self.stop()
        results: dict[str, Any] = {}
        intervals: list[Interval] = []
        for plugin in self.plugins:
            result = self._call(plugin, "end_video")
            extra = self._call(plugin, "highlight_intervals") or []
            if plugin.name in self.errors:
                results[plugin.name] = {"error": self.errors[plugin.name]}
            else:
                results[plugin.name] = result if result is not None else {}
                intervals.extend(extra)
        return results, intervals


def make_scorer(settings: RunSettings) -> Scorer:
    """The scorer a run asked for: a trained model folder, or a built-in detector."""
    if settings.model:
        from highlight.scorers import load_model_scorer

        if settings.regions or settings.excludes:
            raise HighlightError("--region and --exclude work with a detector, not with --model")
        return load_model_scorer(Path(settings.model))
    return get_scorer(
        settings.detector,
        sample_fps=settings.sample_fps,
        options=dict(settings.detector_options),
        regions=settings.regions,
        excludes=settings.excludes,
    )


def process_video(
    path: Path,
    out_dir: Path,
    settings: RunSettings,
    info: VideoInfo | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> Manifest:
    """Analyse one recording and write its outputs; returns the manifest.

    A previous run that stopped half-way (crash, kill) is resumed: its scores are reused
    when source and settings match, and finished clips are not written again.
    """
    fingerprint = Fingerprint.of(path)
    info = info or probe(path)
    if fingerprint.size != info.size_bytes or abs(fingerprint.mtime_ns / 1e9 - info.mtime) > 1e-3:
        raise HighlightError(f"{path}: changed while it was being processed (between opening and reading it)")
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(out_dir)  # the caller holds the folder's lock (runner.run_video): they are a dead run's
    previous = None if force else manifests.load_if_present(out_dir)
    resumable = (
        previous is not None
        and previous.settings_key == settings.key
        and previous.same_source(info)
        and (out_dir / SCORES_FILE).is_file()
    )
    if resumable:
        # Scores, detector and thresholds are all in the previous run's files: no scorer
        # (for --model, no TensorFlow) is needed to finish writing the clips.
        manifest = Manifest.new(info, settings.to_dict(), settings.key, previous.detector, **settings.provenance())
        manifest.plugins, manifest.timing = previous.plugins, previous.timing
        manifest.decode, manifest.plugin_intervals = previous.decode, previous.plugin_intervals
        manifest.applied_intervals = previous.applied_intervals
        times, scores, refined = read_scores(out_dir / SCORES_FILE)
        extra = list(previous.plugin_intervals or [])
    else:
        scorer = make_scorer(settings)
        manifest = Manifest.new(info, settings.to_dict(), settings.key, scorer.describe(), **settings.provenance())
        plugins = load_plugins(settings.plugins)
        with VideoSource(path, info) as source:
            analysis = analyse(source, scorer, settings, plugins, out_dir, progress)
        fingerprint.check_unchanged(path, "while it was analysed")  # before a second look (the hoop search)
        manifest.plugins = analysis.plugin_results
        manifest.detector = scorer.describe()  # with what the pass found out (a moving camera)
        for note in manifest.detector_notes():
            log.info("%s: %s", path.name, note)
        manifest.timing = analysis.timing
        manifest.decode = analysis.decode_stats
        manifest.plugin_intervals = [Interval(i.start, i.end) for i in analysis.plugin_intervals]
        extra = analysis.plugin_intervals
        _note_truncation(manifest, info, analysis)
        length = playable_duration(info, manifest)
        shots = shots_at_the_hoop(path, info, settings, analysis, length, steady=scorer.camera_shakes)
        if shots is not None:
            analysis = _shots_instead(analysis, shots, manifest)
        times, scores = as_stored(analysis.times, analysis.scores)
        refined = analysis.refined
        write_scores(out_dir / SCORES_FILE, times, scores, refined)
        manifest.save(out_dir)  # complete=False: analysis is safe, clips may follow
    applied = IntervalSettings(**manifest.applied_intervals)
    duration = playable_duration(info, manifest)
    intervals = find_intervals(times, scores, applied, duration)
    intervals = _add_plugin_intervals(intervals, extra)
    intervals = focus_on_action(intervals, manifest, applied, (times, scores), duration)
    previous_clips = previous.intact_files(out_dir) if resumable else set()  # a damaged one is written again
    fingerprint.check_unchanged(path, "before its clips were cut")
    return write_outputs(
        info,
        out_dir,
        intervals,
        settings,
        manifest,
        previous_clips,
        progress,
        lambda: fingerprint.check_unchanged(path, "while its clips were cut"),
    )


# Someone is around (``around_share``) at least this share of the recording: look for a hoop. Below it the
# visits are the moments (a door, a yard), and the recording is analysed once, as before.
HOOP_SEARCH_SHARE = 0.5


@dataclass(frozen=True)
class ShotsAtTheHoop:
    """A court found in a no-options run: the hoop, and the shots pass over it."""

    hoop: Hoop
    analysis: Analysis
    settings: RunSettings
    seconds: float


def shots_at_the_hoop(
    path: Path, info: VideoInfo, settings: RunSettings, presence: Analysis, duration: float, steady: bool = False
) -> ShotsAtTheHoop | None:
    """Where someone is in view all along, nothing told where to look and a hoop is found: the shots at it.

    Someone is around if seen again within ``intervals.STILL_AROUND_S``. Only then, so every other
    recording is analysed as before and at the same cost: a
    pass at ``hoop.SAMPLE_FPS`` looks for where the ball's flights end (``find_hoop``),
    and where they end in one place, that place is scored as ``--region ... --preset
    shots`` would score it (one clip per shot), each clip from just before its release to
    just after its result, as long as this court's flights take (``Hoop.clip_padding``);
    padding somebody gave wins. No hoop: None, and the presence stands.
    The search's seconds go into the presence's timing (``hoop_search_s``), found or not.
    ``steady``: the presence pass found the camera shaking in place; the search lines its samples up too.
    """
    if settings.regions or settings.excludes or settings.model or settings.detector != "motion":
        return None
    intervals = find_intervals(presence.times, presence.scores, settings.intervals, duration)
    intervals = _add_plugin_intervals(intervals, presence.plugin_intervals)
    if around_share(with_someone_seen(intervals, presence.plugin_results), duration) < HOOP_SEARCH_SHARE:
        return None
    if action_spans(presence.plugin_results):  # a plugin says where the action is (sets)
        return None
    started = time.perf_counter()
    with VideoSource(path, info) as source:
        hoop = find_hoop(source, steady)
    presence.timing["hoop_search_s"] = round(time.perf_counter() - started, 3)
    if hoop is None:
        return None
    started = time.perf_counter()
    measured = {**hoop.clip_padding(), **settings.given(), "regions": (hoop.region,)}  # what was given wins
    shot_settings = settings.with_changes(with_preset("shots", measured))
    with VideoSource(path, info) as source:
        shots = analyse(source, make_scorer(shot_settings), shot_settings)
    return ShotsAtTheHoop(hoop, shots, shot_settings, time.perf_counter() - started)


def _shots_instead(presence: Analysis, shots: ShotsAtTheHoop, manifest: Manifest) -> Analysis:
    """The shots' scores become the run's (scores.csv, and what ``highlight cut`` re-cuts), with their settings."""
    manifest.applied_intervals = shots.settings.intervals.to_dict()
    manifest.detector["hoop"] = {
        "region": shots.hoop.region,
        "flights": shots.hoop.flights,
        "ball": round(shots.hoop.ball, 4),
        "flight_s": round(shots.hoop.flight_s, 2),
    }
    manifest.timing["shots_s"] = round(shots.seconds, 3)
    return replace(presence, times=shots.analysis.times, scores=shots.analysis.scores, refined=shots.analysis.refined)


def _add_plugin_intervals(intervals: list[Interval], extra: list[Interval]) -> list[Interval]:
    if not extra:
        return intervals
    combined = sorted(intervals + list(extra), key=lambda i: i.start)
    merged = merge_close(combined, 0.0)
    peaks = {(i.start, i.end): i for i in intervals}
    return [peaks.get((m.start, m.end), m) for m in merged]


def with_someone_seen(intervals: list[Interval], plugin_results: Mapping[str, Any]) -> list[Interval]:
    """The highlights and the stretches in which a plugin saw someone (``presence_spans``): when someone is in view.

    The motion detector learns someone working out on one spot all through a short
    recording as part of the empty scene, all the more where a phone's keyframes, a second
    apart, tell it that place moves whenever one looks: lying down, the people detector
    that spares someone standing does not know them. The pose model finds them lying down
    too: `pushup_tutorial.mp4` as a phone writes it (30 fps, a keyframe a second) was in
    highlights for 59% of it, its sets joined into one highlight with the rests.
    """
    seen = [Interval(start, end) for start, end in presence_spans(plugin_results)]
    return sorted([*intervals, *seen], key=lambda interval: interval.start)


def focus_on_action(
    intervals: list[Interval],
    manifest: Manifest,
    settings: IntervalSettings,
    timeline: tuple[np.ndarray, np.ndarray],
    duration: float,
) -> list[Interval]:
    """Where someone is around for most of the recording (``around_share``): the action inside, or a hint.

    The action is what the plugins' results say it is (the reps plugin's sets and
    holds, ``action_spans``), or the shots at a hoop the run found (``shots_at_the_hoop``:
    the intervals are already theirs, the hint says so). Sets where the detector saw
    nobody are held whole (``holding_the_action``). Without any, the highlights stand
    and ``manifest.hints`` says, in one line, that they are (nearly) the whole recording
    and what to try.
    """
    manifest.hints = []
    hoop = manifest.detector.get("hoop")
    if hoop:  # the highlights are the shots: however much they cover, there is nothing else to try
        manifest.hints.append(found_hint(hoop["region"], hoop["flights"], manifest.applied_intervals))
        return intervals
    seen = with_someone_seen(intervals, manifest.plugins)
    share = covered_share(seen, duration)
    around = around_share(seen, duration)
    spans = action_spans(manifest.plugins)
    action = action_inside_presence(seen, spans, settings, duration, timeline)
    if action is not None:
        manifest.hints.append(
            f"someone is in view for {share:.0%} of the recording: the highlights are the sets the plugins found"
        )
        return action
    holding = holding_the_action(intervals, spans, settings, duration, timeline)
    if holding is not None:
        manifest.hints.append("the plugins found sets where the detector saw nobody moving: the highlights hold them")
        return holding
    if around >= MOST_OF_THE_RECORDING:
        manifest.hints.append(
            f"the highlights are {share:.0%} of the recording (someone is in view most of the time): "
            "on a court, mark the hoop (`highlight region VIDEO`) and run with --region ... --preset shots; "
            "in a workout, --plugin pose --plugin reps makes the sets the highlights"
        )
    return intervals


def playable_duration(info: VideoInfo, manifest: Manifest) -> float:
    """The declared duration, or less where the file is truncated (clips must not run past the last frame)."""
    last = (manifest.decode or {}).get("last_frame_s")
    if last is None or not info.duration:
        return info.duration
    return min(info.duration, last + 1.0 / max(info.fps, 1.0))


def _note_truncation(manifest: Manifest, info: VideoInfo, analysis: Analysis) -> None:
    last = analysis.decode_stats.get("last_frame_s", 0.0)
    if info.duration and last < info.duration - max(2.0, 0.05 * info.duration):
        manifest.errors.append(
            f"truncated: frames decode only up to {last:.1f} s of the {info.duration:.1f} s the file declares"
        )
    if analysis.decode_stats.get("corrupt_packets"):
        manifest.errors.append(f"{analysis.decode_stats['corrupt_packets']} corrupt packets skipped")


def recut(out_dir: Path, settings_changes: dict[str, Any], progress: Progress | None = None) -> Manifest:
    """New intervals and clips from a previous run's scores.csv, without decoding for scores.

    ``settings_changes`` holds interval settings (threshold, padding, ...) and output
    settings (``slowmo``, ``reel``, ``clips``) to change; the rest is kept. The recording's
    camera file (highlight.toml) applies below them, as it would for a new run.
    """
    manifest = manifests.load(out_dir)
    settings = _settings_of(out_dir, manifest)
    camera = cut_layer(manifest.recording(out_dir), manifest.camera_file, manifest.settings_from)
    origins = {**manifest.settings_from, **dict.fromkeys(camera.values, camera.origin)}
    origins.update(dict.fromkeys(settings_changes, COMMAND_LINE))
    settings_changes = {**camera.values, **settings_changes}
    _check_same_regions(out_dir, settings, settings_changes)
    # what the scores were made with: the regions and the detector's options stay the run's
    settings_changes = {
        k: v for k, v in settings_changes.items() if k not in ("regions", "excludes", DETECTOR_DEFAULTS)
    }
    applied = {**settings.intervals.to_dict(), **manifest.applied_intervals}
    settings = settings.with_changes({**applied, **settings_changes})
    manifest.applied_intervals = settings.intervals.to_dict()
    manifest.settings_from = recorded_origins(settings, origins)
    manifest.camera_file = camera.origin or manifest.camera_file
    recording, fingerprint, info = _analysed_recording(out_dir, manifest)
    times, scores, _ = read_scores(out_dir / manifest.scores)
    _check_scores_cover(out_dir / manifest.scores, times, info)
    duration = playable_duration(info, manifest)
    intervals = find_intervals(times, scores, settings.intervals, duration)
    intervals = _add_plugin_intervals(intervals, list(manifest.plugin_intervals or []))
    intervals = focus_on_action(intervals, manifest, settings.intervals, (times, scores), duration)
    check = lambda: fingerprint.check_unchanged(recording, "while its clips were cut")  # noqa: E731
    return write_outputs(info, out_dir, intervals, settings, manifest, progress=progress, check_source=check)


def follow_review(out_dir: Path) -> bool:
    """Make the reel again from the highlights the user kept in ``highlight review``, if it does not play them yet.

    Only where the run made a reel (``--reel``), and only the reel: the clips of kept
    highlights are the run's, and the editor timelines are written from the review
    each time (highlight.export.timelines). A recording not (or no longer) fully
    reviewed gets the reel of its detected highlights back. True when the reel was
    written (or, everything rejected, removed); the manifest then says which review it follows.
    """
    manifest = manifests.load(out_dir)
    settings = _settings_of(out_dir, manifest)
    if not settings.reel:
        return False
    marks = review_of(out_dir, manifest)
    reviewed = is_reviewed(manifest, marks)
    if not reviewed and manifest.reel_review is None:
        return False  # never reviewed: the reel (if the run made one) is the run's
    wanted = spans_of(Interval(i.start, i.end) for i in reviewed_intervals(out_dir, manifest, marks))
    reel_there = manifest.reel is not None and (out_dir / manifest.reel).is_file()
    if manifest.reel_spans() == wanted and (reel_there or not wanted):
        return False
    follows = ReelReview(marks.revision, tuple(wanted)) if reviewed else None
    recording, fingerprint, info = _analysed_recording(out_dir, manifest)
    check = lambda: fingerprint.check_unchanged(recording, "while its reel was made")  # noqa: E731
    intervals = [Interval(start, end) for start, end in wanted]
    rewrite_reel(info, out_dir, intervals, settings, manifest, follows, check)
    return True


def _settings_of(out_dir: Path, manifest: Manifest) -> RunSettings:
    """The settings a run recorded; a hand-edited value that is wrong blames the file, not the code."""
    try:
        return settings_from_dict(manifest.settings)
    except (TypeError, ValueError) as error:
        raise HighlightError(f"{manifests.manifest_path(out_dir)}: settings: {error}") from None


def _analysed_recording(out_dir: Path, manifest: Manifest) -> tuple[Path, Fingerprint, VideoInfo]:
    """The recording a run analysed, its fingerprint and probe; HighlightError when it changed since."""
    recording = manifest.recording(out_dir)
    fingerprint = Fingerprint.of(recording)
    info = probe(recording)
    if not manifest.same_source(info):
        raise HighlightError(f"{info.path}: the recording changed since it was analysed; run `highlight run` again")
    return recording, fingerprint, info


def _check_scores_cover(path: Path, times: np.ndarray, info: VideoInfo) -> None:
    """A cut from no scores would find no highlights and delete every clip: refuse before anything changes.

    An emptied or hand-trimmed ``scores.csv`` (or one whose times lie outside the
    recording) is not a video without action; it says nothing about the video.
    """
    inside = times[(times >= 0) & (times <= info.duration + 1.0)] if info.duration else times
    if inside.size == 0:
        reason = "holds no scores" if times.size == 0 else f"has no scores within the recording's {info.duration:.1f} s"
        raise HighlightError(
            f"{path}: {reason}; nothing was changed (run `highlight run --force` on the recording to analyse it again)"
        )


def _check_same_regions(out_dir: Path, settings: RunSettings, changes: dict[str, Any]) -> None:
    """Regions decide the scores themselves: other regions need a new analysis, not a re-cut."""
    for name, option in (("regions", "--region"), ("excludes", "--exclude")):
        if changes.get(name) is None:
            continue
        wanted = getattr(replace(settings, **{name: tuple(changes[name])}), name)
        if wanted != getattr(settings, name):
            before = " ".join(getattr(settings, name)) or "none"
            raise HighlightError(
                f"{out_dir}: analysed with {option} {before}; other regions need re-analysis: "
                f"highlight run --force with {option} {' '.join(wanted) or 'none'}"
            )
