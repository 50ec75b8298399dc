"""``highlight eval``: how well a trained model finds the labelled highlights.

* **Frame level**: every labelled frame (sampled at the model's rate) is a highlight
  if its score reaches the model's threshold; precision, recall and F1 against the
  labels.
* **Interval level**: the score timeline of each contiguous labelled stretch goes
  through the same interval stage as ``highlight run`` (its default smoothing,
  minimum length and gap merging, the model's thresholds) but without padding, which is
  presentation, not detection. A detected interval matches a labelled highlight when
  their temporal IoU is at least 0.5 (one-to-one, best pairs first).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from highlight import HighlightError
from highlight.intervals import IntervalSettings, find_intervals, temporal_iou
from highlight.scorers.classifier import ClassifierScorer
from highlight.source import VideoSource
from highlight.train.dataset import sample_range_frames
from highlight.train.labels import LabelledRange, group_by_video, positive_intervals, read_labels
from highlight.train.train import f1_score

IOU_MATCH = 0.5


def evaluate(
    model_dir: Path,
    labels_path: Path,
    sample_fps: float | None = None,
    threshold: float | None = None,
    backend: str = "auto",
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Frame-level precision, recall and F1 on held-out labels, and how many labelled ranges
    the interval stage finds (IoU >= 0.5): the two questions a user asks of a model."""
    scorer = ClassifierScorer(model_dir, backend=backend)
    threshold = threshold if threshold is not None else scorer.default_threshold
    if threshold is None:
        raise HighlightError(f"{model_dir}: model.json has no threshold; give one with --threshold")
    rate = sample_fps or float(scorer.info.get("sample_fps") or 2.0)
    ranges = read_labels(labels_path)
    leave = scorer.default_exit_threshold if threshold == scorer.default_threshold else None
    leave = min(IntervalSettings().exit_threshold if leave is None else leave, threshold)
    settings = replace(IntervalSettings(), threshold=threshold, exit_threshold=leave, pad_before=0.0, pad_after=0.0)
    all_scores, all_truth, truths, detections = [], [], [], []
    for video, own in group_by_video(ranges).items():
        if progress:
            progress(f"scoring {video.name}")
        with VideoSource(video) as source:
            for span in contiguous_spans(own):
                found = sample_range_frames(source, span, scorer.size, rate)
                if not found:
                    continue
                times = np.array([t for t, _, _ in found])
                scores = scorer.score([image for _, _, image in found], learn=False)
                all_scores.append(scores)
                all_truth.append(np.array([label == scorer.positive for _, label, _ in found]))
                start, end = span[0].start, span[-1].end
                detected = find_intervals(times - start, scores, settings, duration=end - start)
                detections += [(video.name, (start + i.start, start + i.end)) for i in detected]
                truths += [(video.name, t) for t in positive_intervals(span, scorer.positive)]
    if not all_scores:
        raise HighlightError(f"{labels_path}: no frames could be sampled from the labelled ranges")
    scores, truth = np.concatenate(all_scores), np.concatenate(all_truth)
    precision, recall, f1 = f1_score(scores >= threshold, truth)
    return {
        "model": str(Path(model_dir).resolve()),
        "labels": str(Path(labels_path).resolve()),
        "backend": scorer.backend,
        "threshold": threshold,
        "sample_fps": rate,
        "frame": {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "frames": int(truth.size),
            "positives": int(truth.sum()),
        },
        "intervals": match_intervals(truths, detections, IOU_MATCH),
    }


def contiguous_spans(ranges: list[LabelledRange], join_gap: float = 1e-3) -> list[list[LabelledRange]]:
    """Time-ordered ranges of one video grouped into stretches without unlabelled gaps."""
    spans: list[list[LabelledRange]] = []
    for r in ranges:
        if spans and r.start - spans[-1][-1].end <= join_gap:
            spans[-1].append(r)
        else:
            spans.append([r])
    return spans


def match_intervals(
    truths: list[tuple[str, tuple[float, float]]],
    detections: list[tuple[str, tuple[float, float]]],
    iou_threshold: float,
) -> dict[str, Any]:
    """One-to-one matches at temporal IoU >= ``iou_threshold``, the best pairs first."""
    candidates = sorted(
        (
            (temporal_iou(t, d), i, j)
            for i, (tv, t) in enumerate(truths)
            for j, (dv, d) in enumerate(detections)
            if tv == dv
        ),
        reverse=True,
    )
    used_truth, used_detection, pairs = set(), set(), []
    for iou, i, j in candidates:
        if iou < iou_threshold:
            break
        if i in used_truth or j in used_detection:
            continue
        used_truth.add(i)
        used_detection.add(j)
        pairs.append(
            {
                "video": truths[i][0],
                "truth": _rounded(truths[i][1]),
                "detected": _rounded(detections[j][1]),
                "iou": round(iou, 3),
            }
        )
    matched = len(pairs)
    precision = matched / len(detections) if detections else 0.0
    recall = matched / len(truths) if truths else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "iou_threshold": iou_threshold,
        "labelled": len(truths),
        "detected": len(detections),
        "matched": matched,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "matches": sorted(pairs, key=lambda p: (p["video"], p["truth"])),
        "missed": [{"video": v, "truth": _rounded(t)} for k, (v, t) in enumerate(truths) if k not in used_truth],
        "extra": [
            {"video": v, "detected": _rounded(d)} for k, (v, d) in enumerate(detections) if k not in used_detection
        ],
    }


def _rounded(span: tuple[float, float]) -> list[float]:
    return [round(span[0], 3), round(span[1], 3)]


def format_report(report: dict[str, Any]) -> str:
    """The evaluation as a few lines for the terminal (the JSON holds the same numbers)."""
    f, i = report["frame"], report["intervals"]
    return "\n".join(
        [
            f"model {report['model']} ({report['backend']}), threshold {report['threshold']:.2f}, {report['sample_fps']:g} frames/s",
            f"{'':10s} {'precision':>9s} {'recall':>7s} {'F1':>6s}",
            f"{'frames':10s} {f['precision']:9.3f} {f['recall']:7.3f} {f['f1']:6.3f}   ({f['frames']} frames, {f['positives']} highlights)",
            f"{'intervals':10s} {i['precision']:9.3f} {i['recall']:7.3f} {i['f1']:6.3f}   "
            f"({i['matched']} of {i['labelled']} labelled matched at IoU >= {i['iou_threshold']}, {i['detected']} detected)",
        ]
    )
