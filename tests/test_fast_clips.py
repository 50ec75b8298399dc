"""Clips by stream copy and by smart cut: they play to the end, start and end where the manifest says, keep audio.

Every clip is read back with PyAV frame by frame (the count, the first and last
timestamps, the rotation) and its audio packets are checked to cover it; a run's
editor timeline (OpenTimelineIO) must fall inside the clip the manifest names.
"""

from __future__ import annotations

import hashlib
import math
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from highlight.batch import run_batch
from highlight.export import clip_methods, outputs
from highlight.export.clip_methods import CLIP_METHODS, DEFAULT_CLIP_METHOD, ClipSource, write_smart
from highlight.export.clips import ClipSettings
from highlight.export.manifest import IntervalEntry, load
from highlight.export.smart_cut import SmartCutUnsupported, smart_clip, smart_edges
from highlight.export.stream_copy import copy_clip
from highlight.intervals import Interval
from highlight.settings import RunSettings
from highlight.source import probe


@dataclass
class ReadBack:
    frames: int
    first: float
    last: float  # the last frame's start, seconds
    rate: Fraction
    rotation: int
    audio: tuple[float, float] | None  # seconds covered by audio packets

    @property
    def end(self) -> float:
        return self.last + float(1 / self.rate)


def read_back(path: Path) -> ReadBack:
    """Decode every frame of ``path``; the audio's extent from its packets."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        times, rotation = [], 0
        for frame in container.decode(video):
            times.append(float(frame.pts * video.time_base))
            rotation = int(round(frame.rotation or 0)) % 360
        audio = None
        if container.streams.audio:
            stream = container.streams.audio[0]
            container.seek(0)
            packets = [p for p in container.demux(stream) if p.pts is not None and p.size]
            audio = (
                float(packets[0].pts * stream.time_base),
                float((packets[-1].pts + packets[-1].duration) * stream.time_base),
            )
    rate = video.average_rate or Fraction(30)
    return ReadBack(len(times), min(times), max(times), rate, rotation, audio)


def keyframe_times(path: Path) -> list[float]:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        zero = video.start_time or 0
        return [
            float((p.pts - zero) * video.time_base)
            for p in container.demux(video)
            if p.is_keyframe and p.pts is not None
        ]


REAL = [
    # name, start, end: B-frames and audio; baseline at 29.97 with audio; no audio, 25 fps, full range;
    # a variable frame rate phone clip; MPEG-4 part 2 (not H.264)
    ("court_five_shots.mp4", 2.3, 9.1),
    ("gym_shooting.mp4", 3.1, 7.9),
    ("pedestrians_cdnet.mp4", 10.5, 17.2),
    ("pushup_side.mp4", 4.4, 9.0),
    ("quva_092_basketball.mp4", 1.3, 6.0),
]


@pytest.mark.parametrize("name,start,end", REAL)
def test_copy_starts_on_the_keyframe_before_and_plays_to_the_end(shared, tmp_path, name, start, end):
    source = shared / "data" / "videos" / name
    info = probe(source)
    clip = tmp_path / "clip.mp4"
    edges = copy_clip(source, start, end, clip)
    keyframes = keyframe_times(source)
    assert edges.start == max(k for k in keyframes if k <= start + 1e-6)  # nothing cut short at the start
    frame = 1 / info.fps
    # The first frame boundary after the end; with B-frames, up to the P-frame they refer to
    # (x264's default 3 B-frames: 4 frames on).
    assert end - 1e-6 <= edges.end <= end + 5 * frame
    got = read_back(clip)
    assert got.first == 0.0  # rebased
    assert got.end == pytest.approx(edges.duration, abs=frame / 2 + 1e-3)
    assert got.frames == pytest.approx(edges.duration * info.fps, abs=1.5 if info.fps % 1 else 0.5)
    if info.has_audio:
        assert got.audio is not None
        assert got.audio[0] <= 0.05 and got.audio[1] >= end - edges.start - 0.05
    else:
        assert got.audio is None


def gray_frames(path: Path, start: float = 0.0, end: float = math.inf) -> dict[int, np.ndarray]:
    """Luma of every frame in [start, end), keyed by milliseconds from the stream's start."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        zero = video.start_time or 0
        frames = {}
        for frame in container.decode(video):
            time = float((frame.pts - zero) * video.time_base)
            if start - 1e-3 <= time < end:
                frames[round(time * 1000)] = frame.to_ndarray(format="gray").astype(np.float32)
            elif time >= end:
                break
        return frames


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a - b) ** 2).mean())
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


@pytest.mark.parametrize("name,start,end", [r for r in REAL if not r[0].startswith("quva")])
def test_smart_is_frame_accurate_and_shows_the_source_frames(shared, tmp_path, name, start, end):
    """Every frame of the clip, re-encoded edge or copied middle, is the source's frame at that time."""
    source = shared / "data" / "videos" / name
    info = probe(source)
    clip = tmp_path / "clip.mp4"
    edges = smart_clip(source, start, end, clip, ClipSettings(threads=2))
    assert smart_edges(source, start, end) == edges  # what a resumed run records for a clip already written
    frame = 1 / info.fps
    assert start - frame < edges.start <= start and end <= edges.end < end + frame  # every frame shown in [start, end)
    got = read_back(clip)
    assert got.first == 0.0 and got.end == pytest.approx(edges.duration, abs=frame / 2 + 1e-3)
    originals = gray_frames(source, edges.start, edges.end)
    clip_frames = gray_frames(clip)
    assert len(clip_frames) == len(originals) == got.frames
    # Frame by frame in order: variable frame rates keep their own timestamps.
    worst = min(psnr(a, b) for a, b in zip(clip_frames.values(), originals.values()))
    assert worst > 35  # re-encoded at crf 20; a frame decoded against the wrong parameter sets is noise
    if info.has_audio:
        assert got.audio[0] <= 0.05 and got.audio[1] >= edges.duration - 0.05


def test_smart_falls_back_to_encoding_where_it_cannot_join(shared, tmp_path, caplog):
    source = shared / "data" / "videos" / "quva_092_basketball.mp4"  # MPEG-4 part 2, not H.264
    with pytest.raises(SmartCutUnsupported, match="mpeg4"):
        smart_clip(source, 1.3, 4.0, tmp_path / "never.mp4", ClipSettings())
    assert CLIP_METHODS["smart"].edges(probe(source), Interval(1.3, 4.0)).start == 1.3  # re-encoded: as asked
    info = probe(source)
    with ClipSource(info) as clip_source:
        for index in range(2):
            edges = write_smart(
                clip_source, Interval(1.3 + index, 3.0 + index), tmp_path / f"{index}.mp4", ClipSettings()
            )
            assert read_back(tmp_path / f"{index}.mp4").frames == pytest.approx(edges.duration * info.fps, abs=1.5)
    notes = [r for r in caplog.records if "re-encoded whole" in r.getMessage()]
    assert len(notes) == 1  # said once for the video
    assert not (tmp_path / "never.mp4").exists() or (tmp_path / "never.mp4").stat().st_size == 0


@pytest.mark.parametrize("method", ["copy", "smart"])
def test_a_phone_video_stays_upright(samples, tmp_path, method):
    """The display matrix is copied: the clip shows 360x640 like the phone's recording."""
    folder, _ = samples
    source = folder / "phone_portrait.mp4"
    if method == "copy":
        edges = copy_clip(source, 2.5, 6.0, tmp_path / "clip.mp4")
    else:
        edges = smart_clip(source, 2.5, 6.0, tmp_path / "clip.mp4", ClipSettings())
    clip, original = probe(tmp_path / "clip.mp4"), probe(source)
    assert (clip.rotation, clip.width, clip.height) == (original.rotation, original.width, original.height)
    assert (clip.rotation, clip.width, clip.height) == (90, 360, 640)
    got = read_back(tmp_path / "clip.mp4")
    assert got.rotation == 90 and got.frames == round(edges.duration * 30)


@pytest.fixture(scope="module", params=[m for m in CLIP_METHODS if not CLIP_METHODS[m].re_encodes])
def fast_run(request, samples, tmp_path_factory):
    """A run over the generated samples (audio, B-frames, a rotated phone video) with one fast method."""
    folder, _ = samples
    out = tmp_path_factory.mktemp(f"run-{request.param}")
    settings = RunSettings(clip_method=request.param)
    batch = run_batch([folder], settings, out, quiet=True, exports=["otio"], write_report=False)
    assert not batch.failed
    return request.param, out


def test_run_records_the_real_edges_and_every_clip_matches_them(fast_run):
    method, out = fast_run
    import opentimelineio as otio

    checked = 0
    for folder in sorted(p for p in out.iterdir() if p.is_dir()):
        manifest = load(folder)
        info = manifest.source
        rate = Fraction(info.fps_rational) if info.fps_rational else Fraction(info.fps)
        timeline = otio.adapters.read_from_file(str(folder / "highlights.otio"))
        pictures = [clip for track in timeline.video_tracks() for clip in track.find_clips()]  # sound has its own track
        for entry, editor_clip in zip(manifest.intervals, pictures, strict=True):
            got = read_back(folder / entry.clip)
            assert entry.clip_start <= entry.start + 1e-3 and entry.clip_end >= entry.end - 1e-3  # nothing cut short
            if CLIP_METHODS[method].frame_accurate:
                assert entry.clip_start > entry.start - 1 / rate and entry.clip_end < entry.end + 1 / rate
            # The editor's range (frames of the source) lies inside the clip, and the clip has
            # exactly the frames between its recorded edges.
            first = round(entry.clip_start * rate)
            count = round((entry.clip_end - entry.clip_start) * rate)
            in_point = editor_clip.source_range.start_time.to_frames(float(rate))
            out_point = in_point + editor_clip.source_range.duration.to_frames(float(rate))
            assert first <= in_point and out_point <= first + count
            assert got.frames == count and got.first == 0.0
            assert got.rotation == info.rotation
            if info.has_audio:
                assert got.audio[0] <= 0.05 and got.audio[1] >= got.end - 0.05
            checked += 1
    assert checked >= 3


def test_clips_written_at_once_are_those_written_one_by_one(samples, tmp_path, monkeypatch):
    """Smart clips are written on a thread a core; the files and the manifest are what one at a time makes."""
    from highlight.pipeline import process_video

    folder, _ = samples
    video = folder / "court.mp4"  # two visits: two clips
    threads: list[str] = []
    cut = clip_methods.smart_clip

    def cut_and_say_where(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return cut(*args, **kwargs)

    monkeypatch.setattr(clip_methods, "smart_clip", cut_and_say_where)
    made = {}
    for at_once in (1, 2):
        monkeypatch.setattr(outputs, "CLIPS_AT_ONCE", at_once)
        threads.clear()
        manifest = process_video(video, tmp_path / str(at_once) / "court", RunSettings(), force=True)
        files = {e.clip: hashlib.sha256((tmp_path / str(at_once) / "court" / e.clip).read_bytes()).hexdigest()
                 for e in manifest.intervals}  # fmt: skip
        made[at_once] = ([e.to_dict() for e in manifest.intervals], files, sorted(set(threads)))
    assert len(made[1][0]) == 2 and made[1][:2] == made[2][:2]
    assert made[1][2] == ["MainThread"] and len(made[2][2]) == 2 and "MainThread" not in made[2][2]


def test_clip_method_is_part_of_the_key_only_when_not_the_default():
    default = RunSettings()
    assert "clip_method" not in default.to_dict()  # an older run (before the setting) keeps its key
    others = [RunSettings(clip_method=name).key for name in CLIP_METHODS if name != DEFAULT_CLIP_METHOD]
    assert default.key not in others and len(set(others)) == len(others)
    with pytest.raises(ValueError, match="clip method"):
        RunSettings(clip_method="fast")


def test_manifest_entries_without_edges_read_and_write_as_before():
    old = {"index": 1, "start": 1.0, "end": 2.5, "duration": 1.5, "peak": 0.9, "peak_time": 2.0, "clip": "c.mp4"}
    entry = IntervalEntry.from_dict(old)
    assert entry.clip_start is None and "clip_start" not in entry.to_dict()
    entry.clip_start, entry.clip_end = 0.5, 2.5
    assert IntervalEntry.from_dict(entry.to_dict()) == entry
    assert not math.isnan(entry.clip_start)


def test_readme_and_help_list_every_clip_method():
    """--help and the README table are derived from CLIP_METHODS: a method added there must show in both."""
    from typer.testing import CliRunner

    from highlight.cli import app

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    help_text = " ".join(CliRunner().invoke(app, ["run", "--help"], terminal_width=400).output.split())
    for method in CLIP_METHODS.values():
        assert f"| `{method.name}` | {method.summary} |" in readme
        assert f"{method.name}: {method.summary}" in help_text.replace("│ ", "").replace(" │", "")
    assert f"| `--clips METHOD` | `{DEFAULT_CLIP_METHOD}` |" in readme


def test_cli_takes_a_method_and_no_clips(samples, tmp_path):
    from typer.testing import CliRunner

    from highlight.cli import app

    folder, _ = samples
    runner = CliRunner()
    bad = runner.invoke(app, ["run", str(folder / "court.mp4"), "--clips", "fast", "-o", str(tmp_path)])
    assert bad.exit_code == 2 and "smart" in bad.output
    done = runner.invoke(
        app,
        ["run", str(folder / "pal_25fps.mp4"), "--clips", "copy", "--reel", "--no-report", "-o", str(tmp_path)],
    )
    assert done.exit_code == 0, done.output
    note = "--clips copy cannot draw or retime pictures: the reel will be re-encoded (--clips encode)"
    assert done.output.count(note) == 1  # a note, once after the table (-q keeps only the summary)
    manifest = load(tmp_path / "pal_25fps")
    assert manifest.settings["clip_method"] == "copy" and manifest.reel
    assert runner.invoke(app, ["cut", str(tmp_path / "pal_25fps"), "--no-clips", "-q"]).exit_code == 0
    assert not load(tmp_path / "pal_25fps").intervals[0].clip


def test_copy_packets_from_memory_matches_copy_from_the_file(shared, tmp_path):
    """The live mode's path: packets held in memory (from well before the start) give the same clip as the file."""
    source = shared / "data" / "videos" / "gym_shooting.mp4"
    from highlight.export.stream_copy import copy_packets

    expected = copy_clip(source, 3.1, 5.2, tmp_path / "file.mp4")
    with av.open(str(source)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        held = [p for p in container.demux(video, audio) if p.dts is not None and p.pts * p.time_base < 6.5]
        edges = copy_packets(held, video, audio, 3.1, 5.2, tmp_path / "memory.mp4")
    assert edges == expected
    a, b = read_back(tmp_path / "file.mp4"), read_back(tmp_path / "memory.mp4")
    assert (a.frames, a.first, a.last) == (b.frames, b.first, b.last) and b.audio == pytest.approx(a.audio, abs=0.03)


def test_copy_keeps_hevc_tagged_hvc1(samples, tmp_path):
    """iPhones write HEVC as hvc1, the only tag Apple's players open; a copy must not turn it into hev1."""
    import subprocess

    import imageio_ffmpeg

    folder, _ = samples
    hevc = tmp_path / "hevc.mp4"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(folder / "pal_25fps.mp4"), "-t", "4"]
        + ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error", "-tag:v", "hvc1", str(hevc)],
        check=True,
    )
    edges = copy_clip(hevc, 1.0, 3.0, tmp_path / "clip.mp4")
    with av.open(str(tmp_path / "clip.mp4")) as container:
        assert container.streams.video[0].codec_context.codec_tag == "hvc1"
    assert read_back(tmp_path / "clip.mp4").frames == round(edges.duration * 25)


@pytest.mark.parametrize("method", ["copy", "smart"])
def test_a_disk_filling_while_copying_gets_one_line_and_no_file(samples, tmp_path, monkeypatch, method):
    """A disk that fills during the write: the run's one-line message, no clip and no temporary left."""
    import errno

    from highlight import HighlightError
    from highlight.export import clip_methods

    folder, _ = samples
    written = []

    def fill_the_disk(source, start, end, path, *rest):
        path.write_bytes(b"\0" * 1000)  # half a clip
        written.append(path)
        raise av.error.FFmpegError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(clip_methods, "copy_clip" if method == "copy" else "smart_clip", fill_the_disk)
    with ClipSource(probe(folder / "court.mp4")) as source, pytest.raises(HighlightError, match="no space left on"):
        CLIP_METHODS[method].write(source, Interval(3.0, 7.0), tmp_path / "clip.mp4", ClipSettings())
    assert written and list(tmp_path.iterdir()) == []


def test_open_gops_copy_exactly_and_smart_says_it_cannot(samples, tmp_path):
    """Open GOPs (pictures before a keyframe that refer to the GOP before): a copy still shows the
    source's frames exactly; a smart cut refuses (its caller re-encodes) rather than show a broken edge."""
    import subprocess

    import imageio_ffmpeg

    folder, _ = samples
    source = tmp_path / "open_gop.mp4"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(folder / "court.mp4"), "-t", "8", "-c:a", "copy"]
        + ["-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-bf", "3", "-x264-params", "open-gop=1:scenecut=0"]
        + [str(source)],
        check=True,
    )
    with pytest.raises(SmartCutUnsupported, match="open GOP"):
        smart_clip(source, 2.5, 6.2, tmp_path / "smart.mp4", ClipSettings())
    edges = CLIP_METHODS["smart"].edges(probe(source), Interval(2.5, 6.2))
    assert (edges.start, edges.end) == (2.5, 6.2)  # re-encoded: as asked
    edges = copy_clip(source, 2.5, 6.2, tmp_path / "copy.mp4")
    originals = gray_frames(source, edges.start, edges.end)
    copied = gray_frames(tmp_path / "copy.mp4")
    assert len(copied) == len(originals) == round(edges.duration * 30)
    assert all(np.array_equal(a, b) for a, b in zip(copied.values(), originals.values()))  # lossless
