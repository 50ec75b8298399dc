"""Timelines with sound and the source's start timecode, read back by independent readers.

Each recording here is made by ffmpeg: every frame shows its own number as eight
black-or-white stripes (so a rendered frame says exactly which source frame it is), a
440 Hz tone for sound, and a start timecode in a ``tmcd`` track (10:00:00;00 drop-frame
and 01:00:00:00 non-drop at 29.97, 10:00:00:00 at 25). The highlights are planted at chosen frames. EDL, FCP7
XML and ``.otio`` are read back with OpenTimelineIO, FCPXML as XML with exact fractions,
the Kdenlive and Shotcut projects are rendered by Debian's ``melt``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import opentimelineio as otio
import pytest

from highlight.export import manifest as manifests
from highlight.export.manifest import IntervalEntry, Manifest
from highlight.export.timeline_rules import peak_name
from highlight.export.timelines import FORMATS, format_timecode, timecode_frames, write_timelines
from highlight.source import probe

WIDTH, HEIGHT, BITS = 160, 96, 8
SECONDS = 10
# (first frame, end frame exclusive, peak frame) of each planted highlight
CUTS = [(31, 61, 45), (104, 149, 140), (200, 213, 200)]
PLUGINS = {"reps": {"count": 8, "sets": [{"start": 3.6, "end": 4.9, "reps": 8, "exercise": "squat"}]}}
EXPECTED_CODES = [f % 256 for a, b, _ in CUTS for f in range(a, b)]  # what a render of the highlights shows
CASES = {
    "ntsc_df": (Fraction(30000, 1001), "10:00:00;00"),
    "ntsc_ndf": (Fraction(30000, 1001), "01:00:00:00"),  # a camera counting 29.97 non-drop
    "pal": (Fraction(25), "10:00:00:00"),
}


def _frame_code(index: int) -> np.ndarray:
    stripes = [(255 if index >> bit & 1 else 0) for bit in range(BITS)]
    return np.repeat(np.array(stripes, dtype=np.uint8), WIDTH // BITS)[None, :].repeat(HEIGHT, axis=0)


def _read_code(gray: np.ndarray) -> int:
    step = gray.shape[1] // BITS
    means = [gray[:, bit * step + step // 4 : (bit + 1) * step - step // 4].mean() for bit in range(BITS)]
    return sum(1 << bit for bit, mean in enumerate(means) if mean > 128)


def _make_recording(path: Path, rate: Fraction, timecode: str) -> None:
    frames = int(SECONDS * rate)
    command = [
        *("ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "gray", "-s", f"{WIDTH}x{HEIGHT}"),
        *("-r", f"{rate.numerator}/{rate.denominator}", "-i", "-"),
        *("-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={SECONDS}"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p", "-g", "12"),
        *("-c:a", "aac", "-ac", "2", "-shortest", "-timecode", timecode, str(path)),
    ]
    raw = b"".join(_frame_code(i % 256).tobytes() for i in range(frames))
    subprocess.run(command, input=raw, check=True, timeout=120)


@pytest.fixture(scope="module", params=list(CASES))
def project(request, tmp_path_factory):
    """(output folder, rate, start timecode in frames, drop-frame) of one recording with its timelines written."""
    if not shutil.which("ffmpeg"):
        pytest.fail("ffmpeg not found (bash tests/install.sh installs Debian's ffmpeg)")
    rate, timecode = CASES[request.param]
    root = tmp_path_factory.mktemp(request.param)
    recording = root / f"{request.param}.mp4"
    _make_recording(recording, rate, timecode)
    info = probe(recording)
    assert info.start_timecode == timecode and info.audio_channels == 2
    manifest = Manifest.new(info, {}, "planted", {})
    for index, (first, end, peak) in enumerate(CUTS, 1):
        start, stop, at = (round(float(f / rate), 3) for f in (first, end, peak))
        manifest.intervals.append(IntervalEntry(index, start, stop, round(stop - start, 3), 0.5 + index / 10, at))
    manifest.plugins = PLUGINS
    manifest.complete = True
    folder = root / "out"
    folder.mkdir()
    manifest.save(folder)
    assert len(write_timelines(folder, list(FORMATS))) == len(FORMATS)
    return folder, rate, timecode_frames(timecode, rate), ";" in timecode


# --- pure functions -------------------------------------------------------------------------------


def test_timecodes_count_frames_as_editors_do():
    ntsc = Fraction(30000, 1001)
    assert timecode_frames("10:00:00;00", ntsc) == 1078920  # 2 frame numbers dropped a minute, not each tenth
    assert timecode_frames("10:00:00:00", ntsc) == 1080000
    assert timecode_frames("00:01:00;02", ntsc) == 1800
    assert timecode_frames("01:00:00:00", Fraction(25)) == 90000
    for rate, drop in ((ntsc, True), (ntsc, False), (Fraction(60000, 1001), True), (Fraction(25), False)):
        for frame in range(0, 2_000_000, 997):
            assert timecode_frames(format_timecode(frame, rate, drop), rate) == frame
    assert otio.opentime.to_timecode(otio.opentime.RationalTime(1078920, float(ntsc)), float(ntsc)) == "10:00:00;00"


def test_peak_names_come_from_plugin_results():
    assert peak_name(PLUGINS, 3.5, 5.0, 4.7, 2, 0.7) == "squat set: 8 reps"
    shots = {"shots": {"shots": [{"start": 1.0, "end": 1.4}, {"start": 7.0, "end": 7.5}]}}
    assert peak_name(shots, 6.0, 9.0, 7.2, 4, 0.9) == "shot 2"
    assert peak_name(PLUGINS, 10.0, 12.0, 11.0, 3, 0.61) == "highlight 3 peak 0.61"
    assert peak_name({"reps": {"error": "no person"}}, 3.5, 5.0, 4.7, 2, 0.7) == "highlight 2 peak 0.70"


# --- the four interchange formats -----------------------------------------------------------------


def _check_tracks(timeline, rate, start, audio_tracks):
    assert len(timeline.video_tracks()) == 1 and len(timeline.audio_tracks()) == audio_tracks
    for track in timeline.tracks:
        clips = list(track.find_clips())
        got = [(c.source_range.start_time.value, c.source_range.duration.value) for c in clips]
        assert got == [(start + a, b - a) for a, b, _ in CUTS], track.name
        assert all(abs(c.source_range.start_time.rate - rate) < 1e-9 for c in clips)


def test_edl_sound_timecode_and_resolve_markers(project):
    folder, rate, start, drop = project
    text = (folder / "highlights.edl").read_text()
    assert ("FCM: DROP FRAME" in text) == drop and ("FCM: NON-DROP FRAME" in text) == (not drop)
    assert all((";" in line) == drop for line in re.findall(r"^\d{3} .*$", text, re.M))
    timeline = otio.adapters.read_from_string(text, "cmx_3600", rate=float(rate))
    _check_tracks(timeline, rate, start, audio_tracks=2)  # AA/V: picture and both sound channels
    events = re.findall(r"^\d{3} .*$", text, re.M)
    assert len(events) == len(CUTS) and all(" AA/V " in e for e in events)
    source_in = [timecode_frames(e.split()[4], rate) for e in events]
    assert source_in == [start + a for a, _, _ in CUTS]
    locators = [timecode_frames(tc, rate) for tc in re.findall(r"^\* LOC: (\S+)", text, re.M)]
    assert locators == [start + p for _, _, p in CUTS]
    markers = re.findall(r"^ \|C:ResolveColorBlue \|M:(.+) \|D:1$", text, re.M)
    assert markers == ["highlight 1 peak 0.60", "squat set: 8 reps", "highlight 3 peak 0.80"]
    recording = Path(manifests.load(folder).source.path).name
    assert re.findall(r"^\* FROM CLIP NAME: (.+)$", text, re.M) == [recording] * len(CUTS)


def test_resolve_markers_edl_puts_a_marker_at_each_peak_of_the_highlights_timeline(project):
    folder, rate, _, drop = project
    text = (folder / "highlights_markers.edl").read_text()
    assert ("FCM: DROP FRAME" in text) == drop
    timeline = otio.adapters.read_from_string(text, "cmx_3600", rate=float(rate))
    markers = timeline.video_tracks()[0]
    laid = [sum(b - a for a, b, _ in CUTS[:k]) for k in range(len(CUTS))]  # where each highlight starts
    expected = [at + peak - first for at, (first, _, peak) in zip(laid, CUTS)]
    record_in = [timecode_frames(e.split()[6], rate) for e in re.findall(r"^\d{3} .*$", text, re.M)]
    assert record_in == expected
    # the reader drops the lead-in before the first event, and keeps the gaps between them
    got = [m.range_in_parent().start_time.value for m in markers.find_clips()]
    assert got == [e - expected[0] for e in expected]
    assert [m.source_range.duration.value for m in markers.find_clips()] == [1] * len(CUTS)
    assert re.findall(r"^ \|C:ResolveColorBlue \|M:(.+) \|D:1$", text, re.M)[1] == "squat set: 8 reps"


def test_a_manifest_from_before_timecodes_were_recorded_still_gets_them(project, tmp_path):
    folder, rate, start, _ = project
    old = tmp_path / "old"
    shutil.copytree(folder, old)
    data = json.loads((old / "highlights.json").read_text())
    del data["source"]["start_timecode"], data["source"]["audio_channels"]
    (old / "highlights.json").write_text(json.dumps(data))
    write_timelines(old, ["otio"])
    timeline = otio.adapters.read_from_file(str(old / "highlights.otio"))
    _check_tracks(timeline, rate, start, audio_tracks=1)


def test_fcp7_and_otio_sound_and_timecode(project):
    folder, rate, start, _ = project
    for name, adapter in (("highlights_fcp7.xml", "fcp_xml"), ("highlights.otio", "otio_json")):
        timeline = otio.adapters.read_from_file(str(folder / name), adapter)
        _check_tracks(timeline, rate, start, audio_tracks=1)
        clips = list(timeline.video_tracks()[0].find_clips())
        assert [m.name for c in clips for m in c.markers][1] == "squat set: 8 reps"
    root = ET.parse(folder / "highlights_fcp7.xml").getroot()
    # Premiere counts clip markers from the media's first frame; the file's timecode says where that is.
    assert [int(m.find("in").text) for m in root.iter("marker")] == [p for _, _, p in CUTS]
    sound = root.findall(".//sequence/media/audio/track/clipitem")
    assert len(sound) == len(CUTS) and all(c.findtext("sourcetrack/mediatype") == "audio" for c in sound)
    assert root.findtext(".//file/media/audio/channelcount") == "2"
    assert {tc.find("string").text for tc in root.iter("timecode")} >= {format_timecode(start, rate, False)}
    assert (
        otio.adapters.read_from_file(str(folder / "highlights.otio"))
        .tracks[0][0]
        .media_reference.available_range.start_time.value
        == start
    )


def test_fcpxml_sound_timecode_and_rate(project):
    folder, rate, start, drop = project
    root = ET.parse(folder / "highlights.fcpxml").getroot()
    (fmt,) = root.iter("format")
    frame = Fraction(fmt.get("frameDuration").rstrip("s"))
    assert frame == 1 / rate

    def frames(value: str) -> int:
        count = Fraction(value.rstrip("s")) / frame
        assert count.denominator == 1, f"{value} is not a whole number of frames"
        return int(count)

    (asset,) = root.iter("asset")
    assert asset.get("hasAudio") == "1" and asset.get("audioChannels") == "2" and frames(asset.get("start")) == start
    clips = list(root.iter("asset-clip"))
    assert [(frames(c.get("start")), frames(c.get("duration"))) for c in clips] == [
        (start + a, b - a) for a, b, _ in CUTS
    ]
    assert [frames(c.find("marker").get("start")) for c in clips] == [start + p for _, _, p in CUTS]
    assert root.find(".//sequence").get("tcFormat") == ("DF" if drop else "NDF")
    if rate.denominator == 1:  # the adapter's reader truncates 29.97 to 29: only whole rates read back
        timeline = otio.adapters.read_from_file(str(folder / "highlights.fcpxml"))
        got = [(c.source_range.start_time.value, c.source_range.duration.value) for c in timeline.find_clips()]
        assert got == [(start + a, b - a) for a, b, _ in CUTS]


# --- Kdenlive and Shotcut, rendered by melt -------------------------------------------------------


def _melt(project: Path, out: Path) -> tuple[list[int], np.ndarray, Fraction]:
    """Render ``project`` with melt; (the source frame each rendered frame shows, the sound, the rate).

    melt exits 0 on broken XML and on missing media, so its stderr is read and the
    rendered frames are counted and decoded rather than trusted. ``real_time=0`` renders in
    one thread: melt's default hands frames between threads and may drop some under load,
    and once in CI (a project with missing media) it stalled past the time limit there.
    """
    melt = shutil.which("melt")
    if not melt:
        pytest.fail("melt not found (bash tests/install.sh installs Debian's melt)")
    command = [
        melt,
        "-silent",
        str(project),
        "-consumer",
        f"avformat:{out}",
        "vcodec=ffv1",
        "acodec=pcm_s16le",
        "real_time=0",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode == 0 and not _melt_failures(result.stderr) and out.is_file() and out.stat().st_size == 0:
        # Seen once in CI under load: melt exited 0, reported nothing wrong and left an empty
        # file. A project that cannot render fails again below (stderr, frames); this one is run again.
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    failures = _melt_failures(result.stderr)
    assert not failures, failures
    assert out.is_file() and out.stat().st_size > 0, f"melt wrote nothing: {result.stderr[-2000:]!r}"
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        codes = [_read_code(f.to_ndarray(format="gray")) for f in container.decode(stream)]
        rate = Fraction(stream.guessed_rate or stream.average_rate)
    with av.open(str(out)) as container:
        sound = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)]).astype(np.float64)
    return codes, sound, rate


def _melt_failures(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if re.search(r"fail|error|invalid|cannot", line, re.I)]


@pytest.mark.parametrize("name", ["highlights.kdenlive", "highlights.mlt"])
def test_melt_renders_the_highlights_with_sound(project, name, tmp_path):
    folder, rate, _, _ = project
    root = ET.parse(folder / name).getroot()
    (profile,) = root.iter("profile")
    assert Fraction(int(profile.get("frame_rate_num")), int(profile.get("frame_rate_den"))) == rate
    codes, sound, rendered_rate = _melt(folder / name, tmp_path / "render.mkv")
    assert codes == EXPECTED_CODES  # the frame count exactly, and each frame the right source frame
    assert rendered_rate == rate
    seconds = len(sound) / 2 / 48000
    assert abs(seconds - len(EXPECTED_CODES) / rate) < 0.05 and np.sqrt(np.mean(sound**2)) > 1000


def test_melt_check_sees_missing_media_and_broken_xml(project, tmp_path):
    """The render check can fail: melt exits 0 on both, the frames and stderr give them away."""
    folder, _, _, _ = project
    text = (folder / "highlights.mlt").read_text()
    missing = tmp_path / "missing.mlt"
    recording = Path(manifests.load(folder).source.path)
    missing.write_text(text.replace(str(recording), str(recording.with_name("gone.mp4"))))
    codes, _, _ = _melt(missing, tmp_path / "missing.mkv")
    assert codes != EXPECTED_CODES
    broken = tmp_path / "broken.mlt"
    broken.write_text(text[: len(text) // 2])
    with pytest.raises(AssertionError, match="Failed to load"):
        _melt(broken, tmp_path / "broken.mkv")
