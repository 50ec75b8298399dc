"""The user side of regions: ``highlight region``, regions drawn on stills, the report's picker.

Pixels are checked where the drawing must be (a grid line, a region's outline, the
hatching of an excluded area) and where it must not be; the picker is driven in
headless Chromium (Selenium, Debian's chromium and chromedriver) by a real pointer
drag, mouse and touch, over a report of a real recording.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from highlight.cli import app
from highlight.export import manifest as manifests
from highlight.export.manifest import Manifest
from highlight.export.region_overlay import (
    INCLUDE_COLOUR,
    RegionMarks,
    draw_grid,
    draw_regions,
    font_size,
    grid_positions,
    line_width,
    marks_from_manifest,
)
from highlight.export.region_still import region_from_selection
from highlight.export.report import FILES_DIR, build_report
from highlight.export.thumbnails import grab_frames
from highlight.regions import parse_region

HOOP = "0.58,0.1,0.22,0.35"
CORNER = "0,0.8,0.3,0.2"


def _close(pixel, colour, tolerance: int = 40) -> bool:
    return all(abs(int(a) - int(b)) <= tolerance for a, b in zip(pixel, colour))


def _grey(width: int, height: int) -> Image.Image:
    return Image.new("RGB", (width, height), (90, 90, 90))


# --- drawing -------------------------------------------------------------------------------------


def test_regions_drawn_where_they_are_and_nowhere_else():
    size = (640, 360)
    image = np.asarray(draw_regions(_grey(*size), [parse_region(HOOP)], [parse_region(CORNER)], size))
    left, top, right, bottom = (round(0.58 * 639), round(0.10 * 359), round(0.80 * 639), round(0.45 * 359))
    assert _close(image[(top + bottom) // 2, left], INCLUDE_COLOUR, 5)  # left edge of the hoop region
    assert _close(image[top, (left + right) // 2], INCLUDE_COLOUR, 5)  # its top edge
    assert _close(image[(top + bottom) // 2, (left + right) // 2], (90, 90, 90), 0)  # inside: untouched
    corner = image[round(0.8 * 359) + 6 :, : round(0.3 * 639) - 6]
    reddish = (corner[..., 0].astype(int) - corner[..., 1]) > 40
    assert 0.2 < reddish.mean() < 0.8, "an excluded area is hatched: stripes, not filled and not empty"
    outside = np.concatenate([image[:30].reshape(-1, 3), image[200:280, 300:500].reshape(-1, 3)])
    assert (outside == 90).all()


def test_pixel_regions_scale_to_the_still():
    """A region in px of the full frame lands on the same place of a small still."""
    marks = RegionMarks((parse_region("960px,0px,960px,540px"),), (), (1920, 1080))
    still = np.asarray(marks.draw(_grey(320, 180)))
    assert _close(still[45, 160], INCLUDE_COLOUR, 5) and _close(still[90, 240], INCLUDE_COLOUR, 5)
    assert _close(still[45, 240], (90, 90, 90), 0) and _close(still[130, 240], (90, 90, 90), 0)


def test_grid_lines_and_labels_readable_at_360p_and_4k():
    for size in ((640, 360), (3840, 2160)):
        gridded = np.asarray(draw_grid(_grey(*size))).astype(int)
        width, height = size
        for _, x in grid_positions(width):
            assert gridded[height // 2, x].mean() > 150  # a light line over grey
        for _, y in grid_positions(height):
            assert gridded[y, width // 2 + 7].mean() > 150
        between = gridded[height // 2 + height // 20, width // 2 + width // 20]
        assert (between == 90).all()
        label = gridded[: height // 10, : width // 10 - 2]  # top-left cell holds no label: the first is at 0.1
        assert (label.mean(axis=2) > 60).all()
        first = gridded[: font_size(size) * 2, grid_positions(width)[0][1] : grid_positions(width)[1][1]]
        dark = (first.mean(axis=2) < 30).sum(axis=0)
        assert (dark > 0).sum() >= font_size(size), "the 0.1 label is drawn about as wide as it is tall"
    assert font_size((640, 360)) >= 12 and font_size((3840, 2160)) >= 60
    assert line_width((320, 180)) == 3 and line_width((3840, 2160)) >= 10


def test_region_from_selection_rounds_and_stays_in_the_frame():
    assert str(region_from_selection((557, 54, 211, 189), (960, 540))) == "0.58,0.1,0.22,0.35"
    assert str(region_from_selection((480, 0, 480, 540), (960, 540))) == "0.5,0,0.5,1"
    assert region_from_selection((10, 10, 0, 0), (960, 540)) is None  # the selector's "cancelled"


def test_unreadable_region_in_a_manifest_names_it():
    with pytest.raises(ValueError, match="0.5,0.5"):
        marks_from_manifest(
            Manifest.from_dict({"source": {"width": 10, "height": 10}, "settings": {"regions": ["0.5,0.5"]}})
        )
    assert marks_from_manifest(Manifest.from_dict({"source": {}, "settings": {}})).tag == ""  # manifests before regions


def test_the_stills_show_the_hoop_a_run_found_on_its_own():
    """No --region was given; the shots were scored around the hoop the run found: that is drawn, as a region."""
    found = {
        "source": {"width": 640, "height": 360},
        "settings": {},
        "detector": {"hoop": {"region": "0.43,0.13,0.14,0.3"}},
    }
    marks = marks_from_manifest(Manifest.from_dict(found))
    assert [str(region) for region in marks.included] == ["0.43,0.13,0.14,0.3"] and marks.tag
    given = {**found, "settings": {"regions": ["0.5,0.1,0.2,0.3"]}}
    assert [str(region) for region in marks_from_manifest(Manifest.from_dict(given)).included] == ["0.5,0.1,0.2,0.3"]


# --- highlight region ----------------------------------------------------------------------------


def test_region_command_writes_a_gridded_still_with_the_regions(shared, tmp_path, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    video = shared / "data" / "videos" / "court_two_shots.mp4"
    out = tmp_path / "still.png"
    result = CliRunner().invoke(
        app, ["region", str(video), "--at", "1.5s", "--out", str(out), "--region", HOOP, "--exclude", CORNER]
    )
    assert result.exit_code == 0, result.output
    assert f"still: {out}" in result.output and "0.1" in result.output and "--region" in result.output
    still = np.asarray(Image.open(out).convert("RGB")).astype(int)
    plain = np.asarray(next(iter(grab_frames(video, [1.5], width=960).values()))).astype(int)
    assert still.shape == plain.shape == (540, 960, 3)
    changed = np.abs(still - plain).max(axis=2) > 30
    for _, x in grid_positions(960):
        assert changed[250:300, x].mean() > 0.5, f"grid line at x={x}"
    assert not changed[280:315, 110:180].any(), "between lines the recording shows unchanged"
    left, top, bottom = round(0.58 * 959), round(0.10 * 539), round(0.45 * 539)
    assert _close(still[(top + bottom) // 2, left], INCLUDE_COLOUR)
    corner = still[round(0.8 * 539) + 8 :, 40 : round(0.3 * 959) - 8]
    assert ((corner[..., 0] - corner[..., 1]) > 60).mean() > 0.15, "the excluded corner is hatched red"


def test_region_command_default_still_is_in_the_current_folder(shared, tmp_path, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["region", str(shared / "data" / "videos" / "court_two_shots.mp4")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "court_two_shots_region.png").is_file()
    assert "Read a region off the grid" in result.output


def test_region_command_with_an_unreachable_display_falls_back_to_the_still(shared, tmp_path, monkeypatch):
    """A stale DISPLAY (SSH) must not crash: OpenCV's Qt would abort the process there."""
    monkeypatch.setenv("DISPLAY", ":97")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    out = tmp_path / "still.jpg"
    result = CliRunner().invoke(
        app, ["region", str(shared / "data" / "videos" / "court_two_shots.mp4"), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Read a region off the grid" in result.output
    with Image.open(out) as still:
        assert still.format == "JPEG" and still.size == (960, 540)


@pytest.mark.parametrize(
    "arguments, reason",
    [
        (["--region", "0.5,0.5"], "--region '0.5,0.5': expected"),
        (["--exclude", "0.5,0.5,0.7,0.2"], "--exclude '0.5,0.5,0.7,0.2': fractions of the frame go up to 1"),
        (["--at", "99s"], "past the end"),
    ],
)
def test_region_command_bad_options(shared, tmp_path, arguments, reason):
    video = shared / "data" / "videos" / "court_two_shots.mp4"
    result = CliRunner().invoke(app, ["region", str(video), "--out", str(tmp_path / "s.png"), *arguments])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and reason in lines[0], result.output
    assert not (tmp_path / "s.png").exists()


def test_region_command_bad_file_is_one_line_naming_it(tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    result = CliRunner().invoke(app, ["region", str(bad), "--out", str(tmp_path / "s.png")])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {bad}: "), result.output
    assert "Traceback" not in result.output


# --- report stills and contact sheet -------------------------------------------------------------


@pytest.fixture(scope="module")
def court_report(shared, tmp_path_factory) -> Path:
    """`highlight run` (clips on, for click-to-play) on a real 3 s recording, then regions set and the report rebuilt."""
    out = tmp_path_factory.mktemp("region_report")
    video = shared / "data" / "videos" / "court_two_shots.mp4"
    result = CliRunner().invoke(app, ["run", str(video), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    folder = out / "court_two_shots"
    manifest = manifests.load(folder)
    assert manifest.intervals and manifest.intervals[0].clip
    # As a run with --region/--exclude records them (settings.regions, settings.excludes).
    manifest.settings = {**manifest.settings, "regions": [HOOP], "excludes": [CORNER]}
    manifest.save(folder)
    build_report(out)
    return out


def _has_regions(image: Image.Image) -> tuple[bool, bool]:
    pixels = np.asarray(image.convert("RGB")).astype(int)
    height, width = pixels.shape[:2]
    left, top, bottom = round(0.58 * (width - 1)), round(0.10 * (height - 1)), round(0.45 * (height - 1))
    edge = pixels[top + 3 : bottom - 3, left - 1 : left + 2]
    green = ((edge[..., 1] - edge[..., 0]) > 100).any(axis=1).mean() > 0.9  # the line in every row
    corner = pixels[round(0.8 * height) + 4 :, 4 : round(0.3 * width) - 4]
    red = ((corner[..., 0] - corner[..., 1]) > 50).mean() > 0.1
    return green, red


def test_report_stills_and_contact_sheet_show_the_regions(court_report):
    stills = sorted((court_report / FILES_DIR / "court_two_shots").glob("*.jpg"))
    assert len(stills) == 3 and all("_r" in p.stem for p in stills)
    for path in stills:
        assert _has_regions(Image.open(path)) == (True, True), path.name
    with Image.open(court_report / "court_two_shots" / "contact_sheet.jpg") as sheet:
        cell = sheet.crop((8, 34, 8 + 320, 34 + 180))  # the first cell (contact_sheet's layout)
        assert _has_regions(cell) == (True, True)


def test_stills_are_remade_without_regions_once_they_are_gone(court_report, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(court_report, out)
    folder = out / "court_two_shots"
    manifest = manifests.load(folder)
    manifest.settings = {k: v for k, v in manifest.settings.items() if k not in ("regions", "excludes")}
    manifest.save(folder)
    build_report(out)
    stills = sorted((out / FILES_DIR / "court_two_shots").glob("*.jpg"))
    assert len(stills) == 3 and not any("_r" in p.stem for p in stills)
    assert _has_regions(Image.open(stills[0])) == (False, False)


def test_unreadable_region_is_a_note_in_the_report(court_report, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(court_report, out)
    path = out / "court_two_shots" / manifests.MANIFEST_FILE
    data = json.loads(path.read_text())
    data["settings"]["regions"] = ["2,2,1,1"]
    path.write_text(json.dumps(data))
    text = build_report(out).read_text()
    assert "regions not drawn: &#x27;2,2,1,1&#x27;" in text


# --- the report's picker, in a browser ------------------------------------------------------------


def _open_still(browser, report: Path, moment: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(report.as_uri())
    image = browser.find_element(By.CSS_SELECTOR, f'img.thumb[alt="#1 {moment}"]')
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", image)
    WebDriverWait(browser, 10).until(lambda _: browser.execute_script("return arguments[0].naturalWidth", image) > 0)
    box = browser.execute_script("return arguments[0].getBoundingClientRect().toJSON()", image)
    return image, box


def _drag(browser, image, box, start: tuple[int, int], end: tuple[int, int], pointer: str) -> None:
    """Press at ``start``, move in steps, release at ``end`` (offsets in CSS px from the still's top-left)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.actions import interaction
    from selenium.webdriver.common.actions.pointer_input import PointerInput

    kind = interaction.POINTER_TOUCH if pointer == "touch" else interaction.POINTER_MOUSE
    actions = ActionChains(browser, devices=[PointerInput(kind, pointer)])
    centre = (box["width"] / 2, box["height"] / 2)
    actions.move_to_element_with_offset(image, int(start[0] - centre[0]), int(start[1] - centre[1]))
    actions.click_and_hold()
    steps = 5
    for k in range(steps):
        dx = round((end[0] - start[0]) * (k + 1) / steps) - round((end[0] - start[0]) * k / steps)
        dy = round((end[1] - start[1]) * (k + 1) / steps) - round((end[1] - start[1]) * k / steps)
        actions.move_by_offset(dx, dy)
    actions.release()
    actions.perform()


@pytest.mark.parametrize("pointer, moment", [("mouse", "peak"), ("touch", "start")])
def test_drag_on_a_still_shows_the_region_option(browser, court_report, pointer, moment):
    from selenium.webdriver.common.by import By

    report = court_report / "report.html"
    image, box = _open_still(browser, report, moment)
    start = (round(box["width"] * 0.2), round(box["height"] * 0.3))
    end = (round(box["width"] * 0.7), round(box["height"] * 0.8))
    _drag(browser, image, box, start, end, pointer)
    assert browser.current_url == report.as_uri(), "a drag on the peak still must not play the clip"
    panel = browser.find_element(By.ID, "region-pick")
    assert panel.is_displayed()
    text = browser.find_element(By.ID, "region-option").get_attribute("value")
    assert text.startswith("--region ")
    region = parse_region(text.removeprefix("--region "))
    (left, top), _, (right, bottom), _ = region.points
    pixel_x, pixel_y = 1.5 / box["width"], 1.5 / box["height"]  # a pixel, and the rounding to 3 decimals
    assert left == pytest.approx(start[0] / box["width"], abs=pixel_x)
    assert top == pytest.approx(start[1] / box["height"], abs=pixel_y)
    assert right == pytest.approx(end[0] / box["width"], abs=pixel_x)
    assert bottom == pytest.approx(end[1] / box["height"], abs=pixel_y)
    rectangle = browser.find_element(By.CSS_SELECTOR, ".pick-rect")
    shown = browser.execute_script("return arguments[0].getBoundingClientRect().toJSON()", rectangle)
    assert shown["width"] == pytest.approx(end[0] - start[0], abs=2)
    assert shown["height"] == pytest.approx(end[1] - start[1], abs=2)


def test_click_without_drag_still_plays_the_clip(browser, court_report):
    from selenium.webdriver.common.action_chains import ActionChains

    report = court_report / "report.html"
    image, _ = _open_still(browser, report, "peak")
    clip = manifests.load(court_report / "court_two_shots").intervals[0].clip
    ActionChains(browser).click(image).perform()
    assert browser.current_url.endswith(f"court_two_shots/{clip}")
    assert not browser.find_elements("css selector", "#region-pick:not([hidden])")


def test_copy_button_puts_the_option_on_the_clipboard(browser, court_report):
    from selenium.webdriver.common.by import By

    report = court_report / "report.html"
    image, box = _open_still(browser, report, "end")
    _drag(browser, image, box, (10, 10), (60, 40), "mouse")
    browser.find_element(By.ID, "region-copy").click()
    option = browser.find_element(By.ID, "region-option").get_attribute("value")
    assert browser.find_element(By.ID, "region-copied").text == "copied"
    selected = browser.execute_script(
        "var o = document.getElementById('region-option');return o.value.substring(o.selectionStart, o.selectionEnd);"
    )
    assert selected == option


def test_picker_offers_the_camera_file_to_copy_and_download(browser, court_report, tmp_path):
    from urllib.parse import unquote

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from highlight.layers import CAMERA_FILE, read_camera_file

    image, box = _open_still(browser, court_report / "report.html", "peak")
    _drag(browser, image, box, (20, 15), (90, 60), "mouse")
    option = browser.find_element(By.ID, "region-option").get_attribute("value")
    shown = browser.find_element(By.ID, "region-toml").get_attribute("value")
    link = browser.find_element(By.ID, "region-download")
    assert link.get_attribute("download") == CAMERA_FILE
    prefix = "data:application/toml;charset=utf-8,"
    assert link.get_attribute("href").startswith(prefix) and unquote(link.get_attribute("href")[len(prefix) :]) == shown
    saved = tmp_path / CAMERA_FILE
    saved.write_text(shown, encoding="utf-8")
    assert read_camera_file(saved) == {"regions": (str(parse_region(option.removeprefix("--region "))),)}
    browser.find_element(By.ID, "region-copy-toml").click()
    WebDriverWait(browser, 5).until(lambda _: browser.find_element(By.ID, "region-copied").text == "copied")
    selected = browser.execute_script(
        "var t = document.getElementById('region-toml');return t.value.substring(t.selectionStart, t.selectionEnd);"
    )
    assert selected == shown
