"""The Blender add-on, headless: installed from the zip ``highlight editor blender`` writes, run on a real clip.

Blender runs as ``bpy`` from PyPI in its own virtual environment (``.venv-bpy``, made by
tests/install.sh: bpy 5.0.1 wants Python 3.11 and numpy<2). One Blender process runs
tests/blender_scenario.py, which uses the add-on as a person would (find, cancel,
errors, import at source times and into the original strip, renders) and records what
it saw; the tests here check that record against ``highlights.json`` (strip edges within
one frame, sound strips, markers at the peaks) and the rendered frames against the
recording's frames decoded here with PyAV.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from highlight.cli import app
from highlight.editors.blender import build_extension
from highlight.export import manifest as manifests
from highlight.export.timeline_rules import peak_name
from highlight.export.timelines import exact_frame_rate, to_frame
from tests.conftest import REPO

BPY_PYTHON = REPO / ".venv-bpy" / "bin" / "python"
CLIP = "cctv_shop_door.mp4"  # 29.97 fps with sound; more than one highlight


@pytest.fixture(scope="module")
def scenario(shared, tmp_path_factory):
    """What tests/blender_scenario.py saw, and the highlights.json its Find wrote."""
    if not BPY_PYTHON.exists():
        message = f"{BPY_PYTHON} absent: bash tests/install.sh makes the bpy venv the Blender tests run in"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    work = tmp_path_factory.mktemp("blender")
    _reviewed_run(shared / "data" / "videos" / CLIP, work / "reviewed")
    extension = build_extension(work / "dist")
    command = Path(sys.executable).with_name("highlight")
    command = command if command.exists() else Path(shutil.which("highlight") or "highlight")
    environment = {**os.environ, "BLENDER_USER_RESOURCES": str(work / "blender_user")}
    done = subprocess.run(
        [str(BPY_PYTHON), str(REPO / "tests" / "blender_scenario.py"), str(extension), str(command)]
        + [str(shared / "data" / "videos" / CLIP), str(work)],
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads((work / "scenario.json").read_text())
    manifest = manifests.load(Path(report["manifest"]))
    assert len(manifest.intervals) >= 2, "the clip must give more than one highlight to lay out"
    return report, manifest


def _reviewed_run(recording: Path, out: Path) -> None:
    """`highlight run` on the recording, reviewed: #1 kept with its edges dragged in, the others rejected, a moment
    added between #1 and #2."""
    from highlight.review.server import Review

    result = CliRunner().invoke(app, ["run", str(recording), "--out", str(out), "--no-clips", "--no-report", "-q"])
    assert result.exit_code == 0, result.output
    (key,) = Review(out).recordings
    first, second, *later = manifests.load(out / key).intervals
    gap = second.start - first.end
    assert gap > 1.0, "room for an added moment between the two"
    rejected = {str(i.index): {"start": i.start, "end": i.end, "status": "reject"} for i in (second, *later)}
    Review(out).save(
        key,
        {
            "highlights": {"1": {"start": first.start + 1.0, "end": first.end - 2.0, "status": "keep"}, **rejected},
            "added": [{"start": first.end + gap / 4, "end": first.end + 3 * gap / 4}],
        },
    )


def _expected(manifest, placed_at):
    """[(timeline first frame, frames, peak marker frame, marker name)] where the add-on must put each highlight."""
    rate = exact_frame_rate(manifest.source)
    rows = []
    for interval in manifest.intervals:
        first, end = to_frame(interval.start, rate), to_frame(interval.end, rate)
        peak = min(max(to_frame(interval.peak_time, rate), first), end - 1)
        at = placed_at(first, sum(n for _, n, _, _ in rows))
        name = peak_name(
            manifest.plugins, interval.start, interval.end, interval.peak_time, interval.index, interval.peak
        )
        rows.append((at, end - first, at + peak - first, name))
    return rows, rate


def _check_layout(seen, manifest, placed_at, movie_channel):
    """Movie and sound strips on ``movie_channel`` and the one above, each showing its highlight's source frames
    where ``placed_at(first source frame, frames laid before)`` says, edges within one frame; a marker per peak."""
    rows, rate = _expected(manifest, placed_at)
    for kind, channel in (("MOVIE", movie_channel), ("SOUND", movie_channel + 1)):
        made = [s for s in seen["strips"] if s["type"] == kind and s["channel"] == channel]
        assert len(made) == len(rows), (kind, seen["strips"])
        for strip, (at, count, _, _), interval in zip(made, rows, manifest.intervals):
            assert abs(strip["start"] - at) <= 1 and abs(strip["end"] - (at + count)) <= 1, (strip, at, count)
            # timeline frame = content start + source frame: the strip shows the recording from the highlight's first frame
            assert abs(strip["content_start"] - (at - to_frame(interval.start, rate))) <= 1, strip
    assert [(m["frame"], m["name"]) for m in seen["markers"]] == [(p, n) for _, _, p, n in rows]


def test_find_lays_out_the_highlights_end_to_end_with_sound_and_markers(scenario):
    report, manifest = scenario
    find = report["find"]
    assert (
        find["result"] == ["FINISHED"]
        and find["error"] == ""
        and find["status"] == f"{len(manifest.intervals)} highlights found"
    )
    rate = exact_frame_rate(manifest.source)
    assert rate == Fraction(30000, 1001)
    fps, base = find["rate"]
    assert abs(fps / base - float(rate)) < 1e-5  # the scene plays at the recording's rate (fps_base is a float32)
    progress = find["progress"]
    assert any(0 < p < 1 for p in progress) and progress == sorted(progress)  # shown while it ran, only forward
    _check_layout(find, manifest, lambda first, before: 1 + before, movie_channel=3)
    assert find["frame_range"] == [1, sum(n for _, n, _, _ in _expected(manifest, lambda f, b: 1 + b)[0])]


def test_import_at_source_times_and_into_the_original(scenario):
    report, manifest = scenario
    for name, channel in (("source_times", 3), ("cut", 1)):
        seen = report[name]
        assert seen["result"] == ["FINISHED"]
        _check_layout(seen, manifest, lambda first, before: 101 + first, movie_channel=channel)
    originals = [s["name"] for s in report["source_times"]["strips"] if s["name"].startswith("original")]
    assert originals == ["original", "original sound"]  # kept beside the highlights
    assert not [s for s in report["cut"]["strips"] if s["name"].startswith("original")]  # cut down to them


def test_a_reviewed_recording_is_laid_out_as_export_takes_it(scenario, tmp_path):
    """Only the kept highlight (its edges as dragged) and the added moment: the same function as export's."""
    from highlight.review.applied import review_of, reviewed_intervals

    report, _ = scenario
    folder = Path(report["manifest"]).parents[2] / "reviewed" / Path(report["manifest"]).parent.name
    manifest = manifests.load(folder)
    detected = list(manifest.intervals)
    manifest.intervals = reviewed_intervals(folder, manifest, review_of(folder, manifest))
    assert [i.index for i in manifest.intervals] == [1, len(detected) + 1], "#1 kept, the others rejected, one added"
    assert (manifest.intervals[0].start, manifest.intervals[0].end) == (detected[0].start + 1.0, detected[0].end - 2.0)
    assert report["reviewed"]["result"] == ["FINISHED"]
    _check_layout(report["reviewed"], manifest, lambda first, before: 101 + first, movie_channel=3)
    without = report["reviewed_without_command"]
    assert without["strips"] == 2 and "reviewed in highlight review" in without["raised"], without
    assert "\n" not in without["raised"].strip()


def test_the_addon_asks_the_tool_for_a_reviewed_recordings_highlights(tmp_path, shared):
    """The add-on's pure-Python side (no Blender): `highlight editor highlights` gives export's intervals."""
    from highlight.editors.blender_extension import job
    from highlight.review.applied import review_of, reviewed_intervals

    out = tmp_path / "out"
    _reviewed_run(shared / "data" / "videos" / CLIP, out)
    folder = next(out.rglob("highlights.json")).parent
    assert job.is_reviewed(folder) and not job.is_reviewed(tmp_path)
    manifest = manifests.load(folder)
    command = str(Path(sys.executable).with_name("highlight"))
    taken = job.reviewed_highlights(command, folder)
    assert taken == [i.to_dict() for i in reviewed_intervals(folder, manifest, review_of(folder, manifest))]
    with pytest.raises(RuntimeError, match="highlights.json"):
        job.reviewed_highlights(command, tmp_path)


def test_cancel_and_errors_are_one_line_and_add_nothing(scenario):
    report, _ = scenario
    cancel = report["cancel"]
    assert cancel["ran"] and cancel["error"] == "cancelled" and cancel["strips"] == 2 and cancel["seconds"] < 10
    assert report["refused"]["error"] == (
        "Invalid value for '--preset': unknown preset 'nosuch'; choose from: shots (see 'highlight run --help')"
    )
    assert report["damaged"]["error"].endswith(
        "damaged.mp4: damaged, truncated or not a video (Invalid data found when processing input)"
    )
    assert "not there" in report["missing"]["error"] and "\n" not in report["missing"]["error"]
    bad = report["bad_manifest"]
    assert bad["error"].endswith("nowhere/highlights.json: not found") and bad["strips"] == 2
    assert report["disabled"] == {"find_operator_left": False}
    assert report["panel"] == {
        "registered": True,
        "space": "SEQUENCE_EDITOR",
        "category": "Highlights",
        "find_without_selection": False,
    }


def _source_frames(path: Path, wanted: set[int]) -> dict[int, np.ndarray]:
    frames = {}
    with av.open(str(path)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in wanted:
                frames[index] = frame.to_ndarray(format="rgb24").astype(np.float64)
            if index >= max(wanted):
                break
    return frames


def test_rendered_frames_are_the_source_frames(scenario):
    """A frame rendered from the sequencer is the recording's frame at that time, and not its neighbours."""
    report, manifest = scenario
    checks = []
    for name in ("find", "cut"):
        for frame, path in report[name]["renders"].items():
            strip = next(
                s
                for s in sorted(report[name]["strips"], key=lambda s: -s["channel"])
                if s["type"] == "MOVIE" and s["start"] <= int(frame) < s["end"] and not s["name"].startswith("original")
            )
            checks.append((path, int(frame) - round(strip["content_start"])))
    assert len(checks) == 3

    def around(index: int) -> tuple[int, ...]:  # the frame and two others half a second away
        return (0, 15, -15) if index >= 15 else (0, 15, 30)

    frames = _source_frames(Path(manifest.source.path), {k + d for _, k in checks for d in around(k)})
    for path, index in checks:
        with Image.open(path) as image:
            rendered = np.asarray(image.convert("RGB"), dtype=np.float64)
        difference = {d: float(np.abs(rendered - frames[index + d]).mean()) for d in around(index)}
        assert difference[0] < 2.0, (path, index, difference)  # seen: about 1.1 (colour conversion), neighbours 2.2-3.5
        assert difference[0] < min(v for d, v in difference.items() if d), (path, index, difference)


def test_editor_blender_writes_the_extension_zip(tmp_path):
    """`highlight editor blender --out DIR`: the zip Blender installs, or one line saying why not."""
    import zipfile

    from typer.testing import CliRunner

    from highlight.cli import app

    done = CliRunner().invoke(app, ["editor", "blender", "--out", str(tmp_path / "dist")])
    assert done.exit_code == 0, done.output
    with zipfile.ZipFile(done.output.strip()) as archive:
        names = set(archive.namelist())
        manifest = archive.read("blender_manifest.toml").decode()
    assert {"__init__.py", "blender_manifest.toml", "timeline_rules.py", "operators/find.py", "timeline.py"} <= names
    assert 'id = "highlight"' in manifest and 'blender_version_min = "4.2.0"' in manifest
    assert not [n for n in names if "__pycache__" in n or n.startswith(".")]
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    done = CliRunner().invoke(app, ["editor", "blender", "--out", str(blocked)])
    assert done.exit_code == 1 and done.output.count("\n") == 1 and "cannot write the Blender extension" in done.output


def test_timeline_picture(scenario):
    """test-artifacts/blender_timeline.png: the sequencer as Find left it, drawn from its strips and markers,
    each highlight with the frame Blender rendered from it (for docs/editors.md; a person looks at it)."""
    from PIL import ImageDraw

    report, _ = scenario
    find = report["find"]
    last = max(s["end"] for s in find["strips"])
    width, row, left = 1200, 70, 130
    channels = sorted({s["channel"] for s in find["strips"]}, reverse=True)
    picture = Image.new("RGB", (width, 60 + row * len(channels)), (40, 40, 40))
    draw = ImageDraw.Draw(picture)

    def x(frame: float) -> int:
        return left + round((frame - 1) / last * (width - left - 20))

    renders = {int(frame): path for frame, path in find["renders"].items()}
    for strip in find["strips"]:
        top = 40 + row * channels.index(strip["channel"])
        colour = (70, 110, 160) if strip["type"] == "MOVIE" else (60, 140, 120)
        draw.rectangle(
            [x(strip["start"]), top, x(strip["end"]) - 2, top + row - 8], fill=colour, outline=(230, 230, 230)
        )
        draw.text((x(strip["start"]) + 4, top + 4), strip["name"], fill=(255, 255, 255))
        render = next((p for f, p in renders.items() if strip["start"] <= f < strip["end"]), None)
        if strip["type"] == "MOVIE" and render and strip["channel"] > 2:
            with Image.open(render) as frame:
                thumb = frame.convert("RGB").resize((64, 36))
            picture.paste(thumb, (x(strip["start"]) + 4, top + row - 8 - 40))
    for index, channel in enumerate(channels):
        draw.text((8, 40 + row * index + 24), f"channel {channel}", fill=(200, 200, 200))
    for marker in find["markers"]:
        draw.polygon(
            [(x(marker["frame"]) - 6, 8), (x(marker["frame"]) + 6, 8), (x(marker["frame"]), 20)], fill=(90, 160, 255)
        )
        draw.text((x(marker["frame"]) + 8, 8), marker["name"], fill=(230, 230, 230))
    artifacts = REPO / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    picture.save(artifacts / "blender_timeline.png")
    assert len(set(picture.getdata())) > 50
