"""Decoding: sampling rates, GOP skipping, exact timestamps, rotation, windows."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from highlight import HighlightError
from highlight.source import VideoSource, fit_size, probe
from tests.footage import write_video


def test_probe_describes_the_sample(samples):
    folder, _ = samples
    info = probe(folder / "court.mp4")
    assert (info.width, info.height, info.rotation) == (640, 360, 0)
    assert info.fps == pytest.approx(30.0)
    assert info.duration == pytest.approx(24.0, abs=0.05)
    assert info.has_audio and info.codec == "h264"


def test_rotated_phone_video_is_upright(samples):
    folder, _ = samples
    info = probe(folder / "phone_portrait.mp4")
    assert (info.width, info.height, info.rotation) == (360, 640, 90)
    frame, _ = next(VideoSource(folder / "phone_portrait.mp4").sample([1.0]))
    assert frame.image().shape == (640, 360, 3)
    assert frame.image(width=90, fmt="gray").shape == (160, 90)
    # The floor (drawn at the bottom of the landscape picture) must end up where a
    # counter-clockwise display rotation of 90 degrees puts it: the right-hand side.
    grey = frame.image(fmt="gray").astype(float)
    landscape, _ = next(_unrotated(folder).sample([1.0]))
    assert landscape.image(fmt="gray").shape == (360, 640)
    assert np.allclose(np.rot90(landscape.image(fmt="gray")), grey)


def _unrotated(folder):
    """The same file, read as if it had no display rotation."""
    info = probe(folder / "phone_portrait.mp4")
    stored = {**info.to_dict(), "rotation": 0, "width": info.height, "height": info.width}
    return VideoSource(folder / "phone_portrait.mp4", info.__class__(**stored))


def test_sampling_rate_and_exact_times(samples):
    folder, _ = samples
    source = VideoSource(folder / "court.mp4")
    times = [f.time for f, wanted in source.sample([2.0]) if wanted[0]]
    assert len(times) == 48
    assert np.allclose(np.diff(times), 0.5, atol=1e-6)
    # a keyframe a second at 2 fps: each GOP decodes only to its middle frame
    assert source.stats.decoded < 0.6 * 720


def test_a_paused_consumer_skips_the_rest_of_each_gop_but_the_last(samples):
    """No keyframe follows the last GOP to look at: its samples come whether paused or not (someone coming into
    view in the recording's last second was never seen)."""
    folder, _ = samples
    source = VideoSource(folder / "court.mp4")
    times = []
    for frame, _ in source.sample([2.0]):
        times.append(frame.time)
        if frame.keyframe:
            source.pause(0)
    assert times == [float(k) for k in range(24)] + [23.5]  # one keyframe a second, and the last GOP's samples
    assert source.stats.decoded <= 24 + 15 + 2  # the last GOP decoded to its middle frame


def test_two_consumers_get_their_own_rates(samples):
    folder, _ = samples
    source = VideoSource(folder / "pal_25fps.mp4")
    slow = fast = 0
    for _, wanted in source.sample([1.0, None]):
        slow += wanted[0]
        fast += wanted[1]
    assert slow == 12 and fast == 300
    assert source.stats.decoded == 300


def test_window_returns_every_frame_in_range(samples):
    folder, _ = samples
    with VideoSource(folder / "court.mp4") as source:
        frames = list(source.window(5.4, 5.7))
        again = list(source.window(1.0, 1.1))
    assert [round(f.time * 30) for f in frames] == list(range(162, 172))
    assert [f.index for f in again] == [30, 31, 32, 33]


def test_a_window_just_behind_the_pass_is_what_it_decoded(samples, monkeypatch):
    """Frames the pass has just decoded through are handed out again, not decoded a second time; the same
    frames as seeking gives. Behind a GOP the pass skipped, the window seeks as before."""
    folder, _ = samples
    with VideoSource(folder / "court.mp4") as seeking:
        expected = [(f.time, f.image(width=64, fmt="gray")) for f in seeking.window(5.1, 5.5)]
    with VideoSource(folder / "court.mp4") as source:
        seeks = []
        real_seek = source._seek_and_decode
        monkeypatch.setattr(source, "_seek_and_decode", lambda t: seeks.append(t) or real_seek(t))
        for frame, _ in source.sample([2.0]):
            if frame.time >= 5.5 - 1e-6:
                break
        behind = [(f.time, f.image(width=64, fmt="gray")) for f in source.window(5.1, 5.5)]
        assert not seeks, "served from what the pass decoded"
        list(source.window(2.6, 2.9))  # seconds ago: no longer kept
        assert seeks == [2.6]
    assert [t for t, _ in behind] == [t for t, _ in expected]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(behind, expected))


def test_variable_frame_rate_keeps_presentation_times(tmp_path):
    path = tmp_path / "vfr.mp4"
    rng = np.random.default_rng(3)
    gaps_ms = rng.integers(20, 60, 120)
    pts = np.concatenate([[0], np.cumsum(gaps_ms)[:-1]])
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 160, 96, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        for p in pts:
            frame = av.VideoFrame.from_ndarray(np.full((96, 160, 3), p % 255, np.uint8), format="rgb24")
            frame.pts, frame.time_base = int(p), Fraction(1, 1000)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    times = [f.time for f, _ in VideoSource(path).sample([None])]
    assert np.allclose(times, pts / 1000.0, atol=1e-3)


def test_fit_size_keeps_aspect_and_even_sides():
    assert fit_size((1920, 1080), 160, None) == (160, 90)
    assert fit_size((1080, 1920), None, 101) == (56, 100)
    assert fit_size((640, 360), None, None) == (640, 360)


def test_unreadable_inputs_name_the_file_and_reason(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.touch()
    text = tmp_path / "notes.mov"
    text.write_text("not a video")
    with pytest.raises(HighlightError, match=r"empty\.mp4: empty file"):
        probe(empty)
    with pytest.raises(HighlightError, match=r"notes\.mov: damaged, truncated or not a video"):
        probe(text)
    with pytest.raises(HighlightError, match=r"missing\.mp4: cannot read"):
        probe(tmp_path / "missing.mp4")


@pytest.mark.parametrize("slices", [1, 2])
def test_a_keyframe_decoded_alone_is_the_one_the_window_decodes(tmp_path, slices):
    """``frame_near`` decodes the keyframe on its own; windows decode on frame threads, or on slice threads where
    the encoder cut each picture into slices: the same frames as the window's decoder gives, told apart by
    the slices the packets hold."""
    rng = np.random.default_rng(3)
    frames = [rng.integers(0, 255, (144, 256, 3), dtype=np.uint8) // 2 + k for k in range(60)]
    path = tmp_path / f"{slices}.mp4"
    cut = "sliced-threads=0" if slices == 1 else f"slices={slices}"  # PyAV's x264 cuts by thread otherwise
    write_video(path, frames, 25, {"g": "10", "bf": "2", "x264-params": cut})
    with VideoSource(path) as source:
        for t in (0.0, 0.5, 1.1, 2.3):
            alone = source.frame_near(t)
            keyframe = next(source.window(alone.time, alone.time))
            assert alone.time == keyframe.time and alone.time <= t < alone.time + 0.4 + 1e-6
            assert np.array_equal(alone.image(), keyframe.image())
        stream = source._window_container.streams.video[0]
        assert stream.thread_type.name == ("FRAME" if slices == 1 else "SLICE")
