"""Frames from labelled ranges -> cached shards -> a train/validation split without leakage.

* Frames are sampled from each labelled range at ``sample_fps`` (decoding only the
  ranges, through ``VideoSource.window``) and turned into the model's input exactly as
  ``highlight run`` will (``scorers.classifier.frame_to_input``).
* Each video's frames are cached as one ``.npz`` shard (uint8 images, labels, times;
  never pickle), named by a hash of what made them (the file's size and mtime, its
  ranges, image size and rate): a second training run, or a resumed one, skips decoding.
* Neighbouring frames are near-identical, so a random frame split would put the same
  moment on both sides and flatter the validation score. The split is by **whole
  videos** when there are enough of them, otherwise by **time blocks** of each video,
  and training frames within ``gap`` seconds of a validation block are dropped.
  Validation blocks are chosen per label so that every label is validated.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from highlight import HighlightError
from highlight.atomic import atomic_path
from highlight.scorers.classifier import frame_to_input
from highlight.source import VideoSource
from highlight.train.labels import LabelledRange, LabelSet, group_by_video

SHARD_FORMAT = 1


@dataclass
class Frames:
    """Sampled frames of one or more videos, in parallel arrays."""

    images: np.ndarray  # [N, H, W, 3] uint8 RGB
    labels: np.ndarray  # [N] int, index into LabelSet.labels
    times: np.ndarray  # [N] seconds
    videos: np.ndarray  # [N] int, index into ``names``
    names: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.labels.size)

    def subset(self, mask: np.ndarray) -> Frames:
        return Frames(self.images[mask], self.labels[mask], self.times[mask], self.videos[mask], self.names)

    def counts(self, label_set: LabelSet) -> dict[str, int]:
        return {name: int((self.labels == k).sum()) for k, name in enumerate(label_set.labels)}


def sample_range_frames(
    source: VideoSource,
    ranges: Sequence[LabelledRange],
    size: tuple[int, int],
    sample_fps: float,
    on_frame: Callable[[], None] | None = None,
) -> list[tuple[float, str, np.ndarray]]:
    """(time, label, image) every ``1/sample_fps`` seconds inside each range; ``on_frame`` after each one taken.

    Every frame of a range is decoded: hours of labelled 4K take many minutes, and
    ``on_frame`` is how a caller sees that this is still going (``highlight.train.watchdog``).
    """
    period = 1.0 / sample_fps
    tolerance = 0.25 / max(source.info.fps, 1.0)
    found = []
    for r in ranges:
        next_time = r.start
        for frame in source.window(r.start, r.end):
            if frame.time >= r.end:
                break
            if frame.time + tolerance >= next_time:
                found.append((frame.time, r.label, frame_to_input(frame, size)))
                if on_frame:
                    on_frame()
                steps = math.floor((frame.time + tolerance - r.start) / period) + 1
                next_time = r.start + steps * period
    return found


def load_frames(
    ranges: Sequence[LabelledRange],
    label_set: LabelSet,
    size: tuple[int, int],
    sample_fps: float,
    cache_dir: Path | None,
    progress: Callable[[str], None] | None = None,
    on_frame: Callable[[], None] | None = None,
) -> Frames:
    """Frames of every labelled range, from the shard cache where it is current.

    ``progress``: a line for each video sampled; ``on_frame``: called after each frame taken.
    """
    parts = []
    groups = group_by_video(ranges)
    for number, (video, own) in enumerate(groups.items()):
        shard = _shard_path(cache_dir, video, own, size, sample_fps) if cache_dir else None
        if shard is not None and shard.is_file():
            data = _read_shard(shard)
        else:
            if progress:
                progress(f"sampling {video.name} ({sum(r.duration for r in own):.0f} s labelled)")
            with VideoSource(video) as source:
                found = sample_range_frames(source, own, size, sample_fps, on_frame)
            if not found:
                raise HighlightError(f"{video}: no frames decoded inside its labelled ranges")
            data = {
                "images": np.stack([image for _, _, image in found]),
                "label_names": np.array([label for _, label, _ in found]),
                "times": np.array([t for t, _, _ in found]),
            }
            if shard is not None:
                _write_shard(shard, data)
        labels = np.array([label_set.index(str(name)) for name in data["label_names"]], dtype=np.int64)
        parts.append((data["images"], labels, data["times"], np.full(labels.size, number)))
    return Frames(
        images=np.concatenate([p[0] for p in parts]),
        labels=np.concatenate([p[1] for p in parts]),
        times=np.concatenate([p[2] for p in parts]),
        videos=np.concatenate([p[3] for p in parts]),
        names=[str(video) for video in groups],
    )


def _shard_path(cache_dir: Path, video: Path, ranges: Sequence[LabelledRange], size, sample_fps: float) -> Path:
    stat = video.stat()
    recipe = {
        "format": SHARD_FORMAT,
        "video": str(video),
        "size_bytes": stat.st_size,
        "mtime": stat.st_mtime,
        "ranges": [(r.start, r.end, r.label) for r in ranges],
        "input": list(size),
        "sample_fps": sample_fps,
    }
    digest = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]
    return Path(cache_dir) / f"{video.stem}-{digest}.npz"


def _write_shard(path: Path, data: dict[str, np.ndarray]) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, **data)


def _read_shard(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as shard:
            return {key: shard[key] for key in ("images", "label_names", "times")}
    except (OSError, ValueError, KeyError) as error:
        raise HighlightError(f"{path}: unreadable cached frames ({error}); delete it to sample again") from None


@dataclass(frozen=True)
class SplitSettings:
    method: str = "auto"  # auto | blocks | videos
    block: float = 5.0  # seconds per time block
    gap: float = 1.0  # training frames this close to a validation block are dropped
    validation: float = 0.2  # fraction of blocks (or videos) per label kept for validation
    min_videos: int = 5  # "auto" splits by whole videos from this many videos on
    seed: int = 0


@dataclass
class Split:
    train: Frames
    validation: Frames
    method: str
    summary: dict


def split_frames(frames: Frames, settings: SplitSettings) -> Split:
    """Train/validation by whole videos or time blocks; see the module docstring for why."""
    method = settings.method
    if method == "auto":
        method = "videos" if len(frames.names) >= settings.min_videos else "blocks"
    if method == "videos":
        is_validation = _validation_videos(frames, settings)
        if is_validation is None:
            if settings.method == "videos":
                raise HighlightError(
                    "cannot split by whole videos so that every label is in both parts; use --split blocks"
                )
            method = "blocks"
    if method == "blocks":
        is_validation, dropped = _validation_blocks(frames, settings)
    elif method == "videos":
        dropped = np.zeros(len(frames), dtype=bool)
    else:
        raise HighlightError(f"unknown split {settings.method!r} (auto, blocks or videos)")
    train = frames.subset(~is_validation & ~dropped)
    validation = frames.subset(is_validation)
    if len(train) == 0 or len(validation) == 0:
        raise HighlightError(
            "too few labelled frames to split into training and validation; label more, or raise --sample-fps"
        )
    summary = {
        "method": method,
        "block_s": settings.block if method == "blocks" else None,
        "gap_s": settings.gap if method == "blocks" else None,
        "validation_fraction": settings.validation,
        "train_frames": len(train),
        "validation_frames": len(validation),
        "dropped_near_boundaries": int(dropped.sum()),
    }
    return Split(train, validation, method, summary)


def _validation_videos(frames: Frames, settings: SplitSettings) -> np.ndarray | None:
    """Whole videos for validation, so that every label has frames on both sides (None if impossible)."""
    rng = np.random.default_rng(settings.seed)
    n_videos = len(frames.names)
    wanted = max(1, round(settings.validation * n_videos))
    all_labels = set(np.unique(frames.labels))
    for _ in range(200):
        chosen = rng.choice(n_videos, size=wanted, replace=False)
        is_validation = np.isin(frames.videos, chosen)
        if set(np.unique(frames.labels[is_validation])) == all_labels == set(np.unique(frames.labels[~is_validation])):
            return is_validation
    return None


def _validation_blocks(frames: Frames, settings: SplitSettings) -> tuple[np.ndarray, np.ndarray]:
    """Blocks of ``block`` seconds per video; per label, a ``validation`` share of its blocks.

    A block is "of" the label most of its frames carry. Returns (is_validation, dropped):
    training frames within ``gap`` seconds of a validation frame of the same video are
    dropped, so that no training frame is a near-copy of a validation one.
    """
    rng = np.random.default_rng(settings.seed)
    block_ids = frames.videos * 1_000_000 + np.floor(frames.times / settings.block).astype(np.int64)
    blocks = np.unique(block_ids)
    majority = {b: np.bincount(frames.labels[block_ids == b]).argmax() for b in blocks}
    chosen: list[int] = []
    for label in np.unique(frames.labels):
        own = [b for b in blocks if majority[b] == label]
        if len(own) >= 2:
            count = max(1, round(settings.validation * len(own)))
            chosen.extend(rng.choice(own, size=count, replace=False).tolist())
    is_validation = np.isin(block_ids, chosen)
    dropped = np.zeros(len(frames), dtype=bool)
    for video in np.unique(frames.videos):
        here = frames.videos == video
        val_times = np.sort(frames.times[here & is_validation])
        if val_times.size == 0:
            continue
        train_idx = np.flatnonzero(here & ~is_validation)
        nearest = _distance_to_nearest(frames.times[train_idx], val_times)
        dropped[train_idx[nearest < settings.gap]] = True
    return is_validation, dropped


def _distance_to_nearest(times: np.ndarray, sorted_ref: np.ndarray) -> np.ndarray:
    pos = np.searchsorted(sorted_ref, times)
    before = sorted_ref[np.clip(pos - 1, 0, sorted_ref.size - 1)]
    after = sorted_ref[np.clip(pos, 0, sorted_ref.size - 1)]
    return np.minimum(np.abs(times - before), np.abs(times - after))


def class_weights(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Balanced weights ``N / (classes * count)``: each class counts as much as the others.

    Most frames are not highlights; unweighted, "never a highlight" is a good score.
    A class absent from training gets weight 0 (it cannot be learned anyway).
    """
    counts = np.bincount(labels, minlength=n_classes).astype(float)
    present = counts > 0
    weights = np.zeros(n_classes)
    weights[present] = labels.size / (present.sum() * counts[present])
    return weights
