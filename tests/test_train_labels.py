"""Labels file, label drafts, contact sheets, the train/validation split (no TensorFlow here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from highlight import HighlightError
from highlight.train.dataset import Frames, SplitSettings, class_weights, load_frames, split_frames
from highlight.train.labels import (
    LabelledRange,
    draft_from_manifests,
    label_set,
    positive_intervals,
    read_labels,
    write_labels,
)


@pytest.fixture
def clip(samples) -> Path:
    folder, _ = samples
    return folder / "pal_25fps.mp4"


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_seconds_and_timestamps_and_relative_paths(tmp_path, clip):
    (tmp_path / "videos").mkdir()
    (tmp_path / "videos" / "a.mp4").symlink_to(clip)
    labels = _write(
        tmp_path / "labels.csv",
        (
            "# a comment\n"
            "video,start,end,label\n"
            "videos/a.mp4,0,2.5,background\n"
            "\n"
            "videos/a.mp4,0:02.5,00:00:07.25,highlight\n"
            f"{clip},7.25s,12,background\n"
        ),
    )
    ranges = read_labels(labels)
    assert [(r.start, r.end, r.label) for r in ranges] == [
        (0.0, 2.5, "background"),
        (2.5, 7.25, "highlight"),
        (7.25, 12.0, "background"),
    ]
    assert ranges[0].video == (tmp_path / "videos" / "a.mp4").resolve()
    assert ranges[2].video == clip.resolve()
    assert ranges[1].line == 5


def test_columns_in_any_order_with_extra_columns(tmp_path, clip):
    labels = _write(tmp_path / "l.csv", f"label,note,end,start,video\nhighlight,dunk,3,1,{clip}\n")
    (r,) = read_labels(labels)
    assert (r.start, r.end, r.label) == (1.0, 3.0, "highlight")


@pytest.mark.parametrize(
    "body, message",
    [
        ("", "no labels"),
        ("video,start,label\nx,1,a\n", "missing: end"),
        ("video,start,end,label\n", "no labelled ranges"),
        ("video,start,end,label\n{clip},5,3,highlight\n", ":2: end (3) must be after start (5)"),
        ("video,start,end,label\n{clip},1:xx,3,highlight\n", ":2: not a timestamp"),
        ("video,start,end,label\nmissing.mp4,1,3,highlight\n", ":2: video not found: missing.mp4"),
        ("video,start,end,label\n{clip},1,3,\n", ":2: empty label"),
        ("video,start,end,label\n{clip},1,3\n", ":2: expected 4 columns"),
        ("video,start,end,label\n{clip},0,5,background\n{clip},4,6,highlight\n", ":3: overlaps line 2"),
    ],
)
def test_errors_name_the_line_and_reason(tmp_path, clip, body, message):
    labels = _write(tmp_path / "bad.csv", body.format(clip=clip))
    with pytest.raises(HighlightError) as error:
        read_labels(labels)
    assert str(labels) in str(error.value) and message in str(error.value)
    assert "\n" not in str(error.value)


def test_missing_labels_file(tmp_path):
    with pytest.raises(HighlightError, match="cannot read the labels file"):
        read_labels(tmp_path / "nope.csv")


def test_label_set_positive_rules(clip):
    def r(label):
        return LabelledRange(clip, 0, 1, label)

    assert label_set([r("highlight"), r("walk")]).labels == ("walk", "highlight")
    assert label_set([r("dunk"), r("other")], positive="dunk").labels == ("other", "dunk")
    three = label_set([r("up"), r("down"), r("mid")])
    assert three.labels == ("down", "mid", "up") and three.positive is None and not three.binary
    with pytest.raises(HighlightError, match="at least two labels"):
        label_set([r("highlight")])
    with pytest.raises(HighlightError, match="--positive"):
        label_set([r("dunk"), r("other")])
    with pytest.raises(HighlightError, match="not one of the labels"):
        label_set([r("dunk"), r("other")], positive="jump")


def test_positive_intervals_join_touching_ranges(clip):
    ranges = [
        LabelledRange(clip, 0, 2, "highlight"),
        LabelledRange(clip, 2, 3, "highlight"),
        LabelledRange(clip, 3, 5, "background"),
        LabelledRange(clip, 5, 6, "highlight"),
    ]
    assert positive_intervals(ranges, "highlight") == [(0, 3), (5, 6)]


def test_write_then_read_round_trip_with_relative_paths(tmp_path, clip):
    ranges = [
        LabelledRange(clip.resolve(), 0, 1.5, "background"),
        LabelledRange(clip.resolve(), 1.5, 4.125, "highlight"),
    ]
    out = tmp_path / "deep" / "labels.csv"
    out.parent.mkdir()
    write_labels(out, ranges)
    assert not out.read_text().splitlines()[1].startswith("/")  # relative to the labels file
    assert [(r.video, r.start, r.end, r.label) for r in read_labels(out)] == [
        (r.video, r.start, r.end, r.label) for r in ranges
    ]


def test_draft_covers_the_video_with_detected_intervals(tmp_path, clip):
    folder = tmp_path / "out" / "pal"
    folder.mkdir(parents=True)
    manifest = {
        "source": {"path": str(clip), "duration": 12.0},
        "intervals": [{"start": 2.0, "end": 5.5}, {"start": 8.0, "end": 12.0}],
    }
    (folder / "highlights.json").write_text(json.dumps(manifest))
    ranges = draft_from_manifests([folder / "highlights.json"])
    assert [(r.start, r.end, r.label) for r in ranges] == [
        (0.0, 2.0, "background"),
        (2.0, 5.5, "highlight"),
        (5.5, 8.0, "background"),
        (8.0, 12.0, "highlight"),
    ]


def test_label_draft_and_sheet_commands(tmp_path, samples):
    folder, truth = samples
    out = tmp_path / "out"
    highlight = [sys.executable, "-m", "highlight"]
    subprocess.run(
        highlight + ["run", str(folder / "pal_25fps.mp4"), "--out", str(out), "--no-clips", "-q"], check=True
    )
    labels = tmp_path / "labels.csv"
    done = subprocess.run(
        highlight + ["label", "draft", str(out / "pal_25fps" / "highlights.json"), "--out", str(labels)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    ranges = read_labels(labels)  # a valid labels file
    detected = positive_intervals(ranges, "highlight")
    (visit,) = truth["pal_25fps.mp4"]
    assert len(detected) == 1 and detected[0][0] <= visit[0] + 1 and detected[0][1] >= visit[1] - 1
    again = subprocess.run(
        highlight + ["label", "draft", str(out / "pal_25fps"), "--out", str(labels)], capture_output=True, text=True
    )
    assert again.returncode == 2 and "--force" in again.stderr  # the user's corrections are not overwritten

    sheet = tmp_path / "sheet.jpg"
    done = subprocess.run(
        highlight
        + [
            "label",
            "sheet",
            str(folder / "pal_25fps.mp4"),
            "--out",
            str(sheet),
            "--every",
            "2s",
            "--columns",
            "3",
            "--width",
            "120",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    image = cv2.imread(str(sheet))
    assert image is not None and 3 * 120 < image.shape[1] < 4 * 120  # 3 thumbnails a row
    assert image.shape[0] >= 2 * 96  # 6 thumbnails (12 s every 2 s): 2 rows of 120x96


def _frames(times_per_video: list[np.ndarray], labels_per_video: list[np.ndarray]) -> Frames:
    n = sum(t.size for t in times_per_video)
    return Frames(
        images=np.zeros((n, 2, 2, 3), np.uint8),
        labels=np.concatenate(labels_per_video),
        times=np.concatenate(times_per_video),
        videos=np.concatenate([np.full(t.size, k) for k, t in enumerate(times_per_video)]),
        names=[f"v{k}" for k in range(len(times_per_video))],
    )


def test_block_split_leaves_a_gap_and_validates_every_label():
    times = np.arange(0, 60, 0.25)
    labels = ((times > 20) & (times < 45)).astype(int)
    frames = _frames([times, times], [labels, 1 - labels])
    settings = SplitSettings(method="blocks", block=5.0, gap=1.0, validation=0.2, seed=3)
    split = split_frames(frames, settings)
    assert split.method == "blocks"
    for video in (0, 1):
        train_t = split.train.times[split.train.videos == video]
        val_t = split.validation.times[split.validation.videos == video]
        assert val_t.size and train_t.size
        nearest = np.min(np.abs(train_t[:, None] - val_t[None, :]), axis=1)
        assert nearest.min() >= settings.gap - 1e-9  # no training frame next to a validation frame
        # validation is whole blocks: every block is entirely on one side
        assert not set(np.floor(val_t / 5)) & set(np.floor(train_t / 5))
    assert set(split.validation.labels) == {0, 1} == set(split.train.labels)
    assert split.summary["dropped_near_boundaries"] > 0
    again = split_frames(frames, settings)
    assert np.array_equal(again.validation.times, split.validation.times)  # seeded


def test_video_split_keeps_videos_whole():
    times = np.arange(0, 10, 0.5)
    per_video = [((times > 3) & (times < 7)).astype(int) for _ in range(6)]
    frames = _frames([times] * 6, per_video)
    split = split_frames(frames, SplitSettings(method="auto", min_videos=5))
    assert split.method == "videos"
    assert not set(split.train.videos) & set(split.validation.videos)
    assert len(set(split.validation.videos)) == 1  # 20% of 6 videos


def test_class_weights_balance_the_classes():
    labels = np.array([0] * 90 + [1] * 10)
    weights = class_weights(labels, 3)
    assert np.isclose((weights[labels]).sum(), labels.size)
    assert np.isclose(weights[0] * 90, weights[1] * 10) and weights[2] == 0


def test_frames_sampled_from_ranges_and_cached(tmp_path, clip):
    labels = _write(tmp_path / "l.csv", f"video,start,end,label\n{clip},1,3,background\n{clip},5,6,highlight\n")
    ranges = read_labels(labels)
    taken = []  # the training's stall watch sees each frame taken: a long video is sampled for minutes
    first = load_frames(ranges, label_set(ranges), (32, 32), 4.0, tmp_path / "cache", on_frame=lambda: taken.append(1))
    assert len(taken) == len(first) == 12
    assert first.images.shape[1:] == (32, 32, 3) and first.images.dtype == np.uint8
    assert first.counts(label_set(ranges)) == {"background": 8, "highlight": 4}
    assert np.all(((first.times >= 1) & (first.times < 3)) | ((first.times >= 5) & (first.times < 6)))
    (shard,) = (tmp_path / "cache").glob("*.npz")
    with np.load(shard, allow_pickle=False) as data:  # no pickle inside
        assert set(data.files) == {"images", "label_names", "times"}
    again = load_frames(ranges, label_set(ranges), (32, 32), 4.0, tmp_path / "cache")
    assert np.array_equal(again.images, first.images) and np.array_equal(again.times, first.times)
