"""Editor timelines, report and contact sheets, checked with independent readers.

Timelines are read back with OpenTimelineIO's adapters (EDL, FCP7 XML, FCPXML, .otio)
and, for FCPXML, also with plain XML and exact fractions (the adapter's reader rounds
the rate down to a whole number, so it cannot check 29.97 frame-exactly). The report is
opened in headless Chromium.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import shutil
import signal
import subprocess
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest
from PIL import Image

from highlight.batch import run_batch
from highlight.export import manifest as manifests
from highlight.export.timelines import FORMATS, exact_frame_rate, parse_formats, to_frame
from highlight.settings import RunSettings
from tests.conftest import REPO, load_sample_maker
from tests.headless_chromium import CHROMIUM

# --- pure functions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, expected",
    [
        ({"fps_rational": "30000/1001", "fps": 29.97}, Fraction(30000, 1001)),
        ({"fps_rational": "2997/100", "fps": 29.97}, Fraction(30000, 1001)),  # a file that rounds 29.97
        ({"fps_rational": "25", "fps": 25.0}, Fraction(25)),
        ({"fps": 29.97002997002997}, Fraction(30000, 1001)),  # manifests written before fps_rational
        ({"fps_rational": "14145840/470789", "fps": 30.047}, Fraction(30)),  # a variable-rate phone video
        ({"fps_rational": "15", "fps": 15.0}, Fraction(15)),
    ],
)
def test_exact_frame_rate(source, expected):
    assert exact_frame_rate(manifests.source_from_dict(source)) == expected


def test_millisecond_times_of_frames_map_back_to_the_same_frame():
    for rate in (Fraction(30000, 1001), Fraction(25), Fraction(60000, 1001), Fraction(24000, 1001)):
        for frame in range(0, 20000, 7):
            assert to_frame(round(float(frame / rate), 3), rate) == frame


def test_parse_formats():
    assert parse_formats("edl, FCPXML") == ["edl", "fcpxml"]
    assert parse_formats("all") == list(FORMATS)
    with pytest.raises(ValueError, match="unknown timeline format 'avid'"):
        parse_formats("edl,avid")


# --- a batch over a 25 fps and a 29.97 fps recording ----------------------------------------------


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """``highlight run --export all --no-clips`` over a 25 fps and a 29.97 (30000/1001) fps recording.

    Both are rendered small here with the samples' renderer (cheaper than the full samples).
    """
    videos = tmp_path_factory.mktemp("editors_in")
    render = load_sample_maker().render
    render(videos / "pal_25fps.mp4", width=360, height=288, fps=Fraction(25), seconds=10.0, visits=[(3.0, 7.5)], seed=2)
    render(
        videos / "ntsc_2997.mp4",
        width=320,
        height=240,
        fps=Fraction(30000, 1001),
        seconds=10.0,
        visits=[(1.5, 4.0), (6.5, 9.0)],
        seed=3,
    )
    out = tmp_path_factory.mktemp("editors_out")
    report = run_batch([videos], RunSettings(clips=False), out, quiet=True, exports=list(FORMATS))
    assert not report.failed, [r.error for r in report.failed]
    return out


@pytest.fixture(params=["pal_25fps", "ntsc_2997"])
def video(request, exported):
    folder = exported / request.param
    manifest = manifests.load(folder)
    rate = exact_frame_rate(manifest.source)
    assert rate == {"pal_25fps": Fraction(25), "ntsc_2997": Fraction(30000, 1001)}[request.param]
    assert manifest.intervals, "the sample must have highlights to export"
    return folder, manifest, rate


def _expected(manifest, rate):
    """(first frame, frame count, peak frame) per highlight: nearest frame, exact arithmetic."""
    rows = []
    for interval in manifest.intervals:
        first = math.floor(Fraction(str(interval.start)) * rate + Fraction(1, 2))
        end = math.floor(Fraction(str(interval.end)) * rate + Fraction(1, 2))
        peak = math.floor(Fraction(str(interval.peak_time)) * rate + Fraction(1, 2))
        assert abs(first / rate - Fraction(str(interval.start))) <= 1 / (2 * rate)
        rows.append((first, end - first, min(max(peak, first), end - 1)))
    return rows


def _check_clips(clips, manifest, rate, markers=True, named=True):
    expected = _expected(manifest, rate)
    assert len(clips) == len(expected)
    for clip, interval, (first, count, peak) in zip(clips, manifest.intervals, expected):
        source = clip.source_range
        assert (source.start_time.value, source.duration.value) == (first, count), clip.name
        assert source.start_time.rate == pytest.approx(float(rate), abs=1e-9)
        if named:
            assert f"#{interval.index:02d}" in clip.name and f"peak {interval.peak:.2f}" in clip.name.lower()
        else:  # the EDL names the file, which Resolve links media by
            assert clip.name == Path(manifest.source.path).name
        if markers:
            assert [m.marked_range.start_time.value for m in clip.markers] == [peak]


def test_otio_round_trip(video):
    folder, manifest, rate = video
    timeline = otio.adapters.read_from_file(str(folder / "highlights.otio"))
    clips = list(timeline.find_clips())
    _check_clips(clips, manifest, rate)
    assert clips[0].media_reference.target_url == Path(manifest.source.path).as_uri()


def test_fcp7_xml_round_trip(video):
    folder, manifest, rate = video
    timeline = otio.adapters.read_from_file(str(folder / "highlights_fcp7.xml"), "fcp_xml")
    clips = list(timeline.find_clips())
    _check_clips(clips, manifest, rate)
    assert clips[0].media_reference.target_url == Path(manifest.source.path).as_uri()
    text = (folder / "highlights_fcp7.xml").read_text()
    assert f"<ntsc>{'TRUE' if rate.denominator == 1001 else 'FALSE'}</ntsc>" in text


def test_edl_round_trip(video):
    folder, manifest, rate = video
    text = (folder / "highlights.edl").read_text()
    timeline = otio.adapters.read_from_string(text, "cmx_3600", rate=float(rate))
    drop_frame = rate == Fraction(30000, 1001)
    # The adapter reads LOC markers only in non-drop-frame timecode; they are checked below.
    video = timeline.video_tracks()[0]
    _check_clips(list(video.find_clips()), manifest, rate, markers=not drop_frame, named=False)
    events = [line for line in text.splitlines() if re.match(r"^\d{3}\s", line)]
    assert len(events) == len(manifest.intervals)
    assert ("FCM: DROP FRAME" in text) == drop_frame and ("FCM: NON-DROP FRAME" in text) == (not drop_frame)
    assert all((";" in line) == drop_frame for line in events)
    locators = re.findall(r"\* LOC: (\S+)", text)
    peaks = [p for _, _, p in _expected(manifest, rate)]
    assert [otio.opentime.from_timecode(tc, float(rate)).value for tc in locators] == peaks
    assert f"* FROM CLIP: {Path(manifest.source.path).as_uri()}" in text


def test_fcpxml_round_trip(video):
    folder, manifest, rate = video
    path = folder / "highlights.fcpxml"
    root = ET.parse(path).getroot()
    (fmt,) = root.iter("format")
    frame = Fraction(fmt.get("frameDuration").rstrip("s"))
    assert frame == 1 / rate
    assert (int(fmt.get("width")), int(fmt.get("height"))) == (manifest.source.width, manifest.source.height)
    (asset,) = root.iter("asset")
    assert asset.get("src") == Path(manifest.source.path).as_uri()

    def frames(value: str) -> int:
        count = Fraction(value.rstrip("s")) / frame
        assert count.denominator == 1, f"{value} is not a whole number of frames"  # FCP rejects those
        return int(count)

    clips = list(root.iter("asset-clip"))
    got = [(frames(c.get("start")), frames(c.get("duration")), frames(c.find("marker").get("start"))) for c in clips]
    assert got == _expected(manifest, rate)
    offsets = [frames(c.get("offset")) for c in clips]
    assert offsets == [sum(n for _, n, _ in got[:k]) for k in range(len(got))]  # back to back, in order
    if rate.denominator == 1:  # the adapter's reader truncates 29.97 to 29: only whole rates read back
        _check_clips(list(otio.adapters.read_from_file(str(path)).find_clips()), manifest, rate)


def test_contact_sheets(exported):
    for name in ("pal_25fps", "ntsc_2997"):
        manifest = manifests.load(exported / name)
        with Image.open(exported / name / "contact_sheet.jpg") as sheet:
            columns = min(4, len(manifest.intervals))
            assert sheet.width >= columns * 320 and sheet.height > 180


# --- the report in a browser ----------------------------------------------------------------------


def _chromium(url: str, tmp_path: Path, *extra: str) -> tuple[str, list[str]]:
    """(stdout, console messages) of headless Chromium on ``url``."""
    if not CHROMIUM.exists():
        pytest.fail("chromium not found (bash tests/install.sh installs Debian's chromium)")
    profile = tmp_path / f"chromium-profile-{len(list(tmp_path.iterdir()))}"
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=8000",
        "--window-size=1280,6000",
        *extra,
        url,
    ]
    # Its own process group, killed whole at the end: a renderer left behind (the browser timed
    # out, or exited before it) can spin a core for the rest of the suite.
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        stdout, stderr = process.communicate(timeout=90)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    console = [line for line in stderr.splitlines() if ":CONSOLE" in line]
    return stdout, console


def _check_report_in_browser(out: Path, tmp_path: Path) -> None:
    page = out / "report.html"
    dom, console = _chromium(page.as_uri(), tmp_path, "--dump-dom")
    assert console == []
    sources = re.findall(r'<img class="thumb" src="([^"]+)"', dom)
    highlights = sum(len(manifests.load(f.parent).intervals) for f in out.rglob("highlights.json"))
    assert len(sources) == 3 * highlights > 0
    assert all((out / src).is_file() for src in sources)
    body = re.search(r"<body([^>]*)>", dom).group(1)
    assert f'data-thumbs-total="{len(sources)}"' in body
    assert f'data-thumbs-loaded="{len(sources)}"' in body, body
    assert 'data-thumbs-broken="0"' in body


def test_console_errors_are_caught(tmp_path):
    """The console check can fail: a page that logs an error is seen."""
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><html><body><script>console.error('broken page')</script></body></html>")
    _, console = _chromium(page.as_uri(), tmp_path, "--dump-dom")
    assert any("broken page" in line for line in console)


def test_report_renders_every_thumbnail(exported, tmp_path):
    _check_report_in_browser(exported, tmp_path)
    text = (exported / "report.html").read_text()
    for name in ("highlights.edl", "highlights.fcpxml", "highlights_fcp7.xml", "highlights.otio", "contact_sheet.jpg"):
        assert f'href="ntsc_2997/{name}"' in text
    assert "<svg" in text and 'class="interval"' in text and 'class="threshold"' in text


@pytest.mark.slow
def test_report_of_real_clip_screenshot(shared, tmp_path):
    """A real recording, with clips and plugins results; the screenshot is for a person to look at."""
    video = shared / "data" / "videos" / "pedestrians_cdnet.mp4"
    out = tmp_path / "out"
    report = run_batch([video], RunSettings(), out, quiet=True, exports=["edl"])
    assert not report.failed and report.report_path == out / "report.html"
    manifest = manifests.load(out / "pedestrians_cdnet")
    assert manifest.intervals and all((out / "pedestrians_cdnet" / i.clip).is_file() for i in manifest.intervals)
    # Plugin results are rendered generically; add one as a plugin would leave it.
    manifest.plugins = {"reps": {"total": 12, "sets": [{"reps": 7, "tempo_s": 1.9}, {"reps": 5, "tempo_s": 2.2}]}}
    manifest.save(out / "pedestrians_cdnet")
    from highlight.export.report import build_report

    build_report(out)
    text = (out / "report.html").read_text()
    assert "<h3>reps</h3>" in text and "<th>tempo_s</th>" in text
    assert all(f'href="pedestrians_cdnet/{i.clip}"' in text for i in manifest.intervals)
    _check_report_in_browser(out, tmp_path)
    artifacts = REPO / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shot = artifacts / "report.png"
    shot.unlink(missing_ok=True)
    _chromium((out / "report.html").as_uri(), tmp_path, f"--screenshot={shot}", "--window-size=1280,1600")
    with Image.open(shot) as image:
        assert image.size[0] == 1280 and image.getextrema() != ((255, 255), (255, 255), (255, 255))


def test_no_highlights_no_timelines(exported, tmp_path):
    from highlight.export.timelines import write_timelines

    folder = tmp_path / "empty"
    shutil.copytree(exported / "pal_25fps", folder)
    manifest = manifests.load(folder)
    manifest.intervals = []
    manifest.save(folder)
    assert write_timelines(folder, list(FORMATS)) == []
    assert not any((folder / f.filename).exists() for f in FORMATS.values())
