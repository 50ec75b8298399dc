"""Several people: a generated video of two real people side by side, and the pose file layouts."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from highlight_plugins.pose.landmarks import PeopleTrack, headline_person, load, save
from PIL import Image

from highlight.pipeline import process_video
from highlight.settings import RunSettings

WIDTH, HEIGHT, FPS, SECONDS = 640, 360, 15, 8.0


def _people(shared: Path) -> tuple[Image.Image, Image.Image]:
    """A skier (COCO) and a man by a truck (MPII), each cropped to the person, about 300 px tall."""
    images = shared / "data" / "pose_images"
    skier = Image.open(images / "coco" / "000000000785.jpg").convert("RGB").crop((230, 10, 500, 425))
    man = Image.open(images / "mpii" / "060754485.jpg").convert("RGB").crop((450, 100, 850, 720))
    return skier.resize((195, 300)), man.resize((155, 240))


def _two_people_video(shared: Path, path: Path) -> None:
    """The skier on the left jumps (up 40 px and back, once a second); the man on the right
    sways slowly; both drift towards the middle and back, never overlapping."""
    skier, man = _people(shared)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        for k in range(int(SECONDS * FPS)):
            t = k / FPS
            canvas = Image.new("RGB", (WIDTH, HEIGHT), (118, 124, 130))
            drift = int(40 * np.sin(2 * np.pi * t / SECONDS))
            canvas.paste(skier, (40 + drift, 50 - int(40 * abs(np.sin(np.pi * t)))))
            canvas.paste(man, (440 - drift + int(10 * np.sin(t)), 110))
            frame = av.VideoFrame.from_ndarray(np.asarray(canvas), format="rgb24")
            frame.pts, frame.time_base = k, Fraction(1, FPS)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


@pytest.mark.slow
def test_two_people_side_by_side_keep_their_tracks(shared, tmp_path):
    video = tmp_path / "two_people.mp4"
    _two_people_video(shared, video)
    model = shared / "models" / "pose_landmarker_lite.task"
    settings = RunSettings(plugins=("pose", "reps"), clips=False, plugin_options=(("pose", (("model", str(model)),)),))
    manifest = process_video(video, tmp_path / "out", settings)
    people = load(tmp_path / "out" / "pose.npz")
    seen = np.isfinite(people.landmarks[:, :, 0, 0])  # (frames, people)
    main = np.argsort(seen.sum(axis=0))[::-1][:2]
    assert seen[:, main].mean(axis=0).min() >= 0.9, seen.sum(axis=0)  # both found nearly always
    assert seen.sum() - seen[:, main].sum() <= 0.05 * len(people.times)  # hardly any stray tracks
    # identity kept: each track stays on its own side of the picture in every frame it has
    centre_x = np.nanmedian(people.landmarks[..., 0], axis=2)  # (frames, people)
    left, right = sorted(main, key=lambda column: np.nanmean(centre_x[:, column]))
    assert np.nanmax(centre_x[:, left]) < 0.45 and np.nanmin(centre_x[:, right]) > 0.55
    # the jumping skier moves most: the headline is hers
    assert people.most_active() == left
    pose, reps = manifest.plugins["pose"], manifest.plugins["reps"]
    assert pose["people"] == people.people and pose["person"] == left + 1
    assert reps["person"] == left + 1 and len(reps["people"]) == people.people
    assert json.dumps(reps)  # every per-person entry is plain JSON


def test_an_old_single_person_file_loads_as_one_person(tmp_path):
    times = np.array([0.0, 0.1, 0.2])
    landmarks = np.random.default_rng(0).uniform(0, 1, (3, 33, 4)).astype(np.float32)
    np.savez_compressed(tmp_path / "pose.npz", times=times, landmarks=landmarks)  # the layout before people
    people = load(tmp_path / "pose.npz")
    assert people.landmarks.shape == (3, 1, 33, 4) and people.people == 1
    np.testing.assert_array_equal(people.person(0).landmarks, landmarks)
    save(tmp_path / "again.npz", people)
    assert load(tmp_path / "again.npz").landmarks.shape == (3, 1, 33, 4)


def test_headline_person_is_the_one_who_moves_unless_chosen():
    times = np.arange(20) / 10.0
    still = np.full((20, 33, 4), 0.5, np.float32)
    still[:, :, 1] = np.linspace(0.2, 0.8, 33)  # a standing person, 0.6 of the frame tall
    moving = still.copy()
    moving[:, :, 0] = 0.2 + 0.05 * np.sin(np.arange(20))[:, None]
    people = PeopleTrack(times, np.stack([still, moving], axis=1))
    assert people.most_active() == 1
    assert headline_person(people, None) == 1 and headline_person(people, 1) == 0
    from highlight import HighlightError

    with pytest.raises(HighlightError, match="--person 3: 2 people"):
        headline_person(people, 3)
    assert headline_person(PeopleTrack(times, np.empty((20, 0, 33, 4), np.float32)), None) is None


def test_in_view_joins_sightings_a_moment_apart_and_ends_when_nobody_is_seen():
    """At 10 frames a second: someone 0-2 s, lost for two frames (0.2 s), seen to 4 s, gone for 3 s, back at 7 s
    with a second person; the stretches are 0-4 s and 7-8 s, whoever it is."""
    times = np.arange(80) / 10.0
    landmarks = np.full((80, 2, 33, 4), np.nan, np.float32)
    first = (times < 4.0) & ~((times >= 2.0) & (times < 2.2))
    landmarks[first, 0] = 0.5
    landmarks[times >= 7.0, 0] = 0.5
    landmarks[times >= 7.5, 1] = 0.4
    people = PeopleTrack(times, landmarks)
    assert np.allclose(people.in_view(), [(0.0, 4.0), (7.0, 8.0)])
    assert np.allclose(people.in_view(missed=0.1), [(0.0, 2.0), (2.2, 4.0), (7.0, 8.0)])
    assert PeopleTrack(times, np.empty((80, 0, 33, 4), np.float32)).in_view() == []


def test_person_option_reaches_the_plugins(monkeypatch, tmp_path):
    from highlight.cli.components import resolve

    (tmp_path / "empty.toml").write_text("")
    (tmp_path / "m.task").write_bytes(b"x")
    monkeypatch.setenv("HIGHLIGHT_CONFIG", str(tmp_path / "empty.toml"))
    model = {("plugins", "pose"): {"model": str(tmp_path / "m.task")}}
    values = resolve("motion", ["reps"], [], {("plugins", "pose"): {"model": str(tmp_path / "m.task"), "person": "2"}})[
        1
    ]
    assert values["pose"]["person"] == 2
    assert "person" not in resolve("motion", ["reps"], [], model)[1]["pose"]
