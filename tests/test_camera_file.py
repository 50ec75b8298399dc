"""A camera set-up per folder: highlight.toml's [run] table, layered under the command line.

Two cameras film the same kind of scene: something happens in the top-right corner
(at TOP_RIGHT) and, later, in the bottom-left (at BOTTOM_LEFT). Each camera's folder
says where to look; a batch over both must find, for each recording, the event its
own region covers and nothing else: planted events, scored by tIoU.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from highlight import HighlightError
from highlight.cli import app
from highlight.export import manifest as manifests
from highlight.intervals import temporal_iou
from highlight.layers import CAMERA_FILE, Layer, SettingsLayers, find_camera_file, read_camera_file
from highlight.settings import RunSettings
from tests.conftest import write_model_description
from tests.footage import write_video

REPO = Path(__file__).resolve().parents[1]
TOP_RIGHT, BOTTOM_LEFT = (2.0, 5.0), (8.0, 11.0)  # when something moves there, seconds
TR_REGION, BL_REGION = "0.5,0,0.5,0.5", "0,0.5,0.5,0.5"
SECONDS = 13.0


def render_two_corners(path: Path) -> None:
    """A fixed textured scene; a block sways in the top right during TOP_RIGHT, another in the bottom left later."""
    width, height, fps = 320, 180, 25
    rng = np.random.default_rng(3)
    scene = np.kron(rng.integers(60, 160, (10, 17, 3)), np.ones((20, 20, 1)))[:height, :width].astype(np.uint8)

    def frames():
        for i in range(int(SECONDS * fps)):
            t = i / fps
            frame = scene.copy()
            sway = int(25 * np.sin(t * 3))
            if TOP_RIGHT[0] <= t < TOP_RIGHT[1]:
                frame[15:75, 230 + sway : 260 + sway] = (40, 200, 40)
            if BOTTOM_LEFT[0] <= t < BOTTOM_LEFT[1]:
                frame[100:170, 50 + sway : 80 + sway] = (200, 40, 40)
            yield frame

    write_video(path, frames(), fps, {"crf": "23", "g": str(fps)})


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("corners") / "corners.mp4"
    render_two_corners(path)
    return path


def camera_file(folder: Path, region: str, extra: str = 'pad-before = "0s"\npad-after = "0s"\n') -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CAMERA_FILE
    path.write_text(f'# the court camera\n[run]\nregion = ["{region}"]\n{extra}', encoding="utf-8")
    return path


@pytest.fixture
def two_cameras(tmp_path, clip) -> Path:
    """recordings/cam_a (top-right region; its clip one folder further down) and recordings/cam_b (bottom-left)."""
    root = tmp_path / "recordings"
    camera_file(root / "cam_a", TR_REGION)
    camera_file(root / "cam_b", BL_REGION)
    (root / "cam_a" / "day1").mkdir()
    shutil.copy(clip, root / "cam_a" / "day1" / "a.mp4")
    shutil.copy(clip, root / "cam_b" / "b.mp4")
    return root


def run_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "XDG_CONFIG_HOME": str(cwd / "no-config")}
    env.pop("HIGHLIGHT_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "highlight", *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env
    )


def found(folder: Path) -> list[tuple[float, float]]:
    return [(i.start, i.end) for i in manifests.load(folder).intervals]


def assert_only(intervals: list[tuple[float, float]], event: tuple[float, float]) -> None:
    assert len(intervals) == 1 and temporal_iou(intervals[0], event) >= 0.8, intervals


# -- resolving ----------------------------------------------------------------------------


def test_nearest_file_up_to_the_input_root(tmp_path):
    root = tmp_path / "in"
    outer = camera_file(tmp_path, TR_REGION)  # above the input root: never read
    video = root / "cam" / "day1" / "v.mp4"
    video.parent.mkdir(parents=True)
    assert find_camera_file(video, root) is None and outer.is_file()
    near = camera_file(root / "cam", BL_REGION)
    assert find_camera_file(video, root) == near
    assert find_camera_file(video, root / "cam" / "day1") is None  # a file given itself: its own folder
    assert find_camera_file(near.parent / "w.mp4", root) == near


def test_layers_in_order_and_where_each_value_came_from(tmp_path):
    cam = camera_file(tmp_path / "cam", TR_REGION, 'preset = "shots"\npad-after = "3s"\nthreshold = 0.6\n')
    video = cam.parent / "v.mp4"
    layers = SettingsLayers(
        trained=Layer("detector motion", {"threshold": 0.4, "exit_threshold": 0.2}),
        user=Layer("/home/me/config.toml", {"pad_after": 4.0}),
        command_line=Layer("command line", {"pad_before": 0.5}),
    )
    settings = layers.resolve(video, tmp_path)
    assert settings.regions == (TR_REGION,)
    assert settings.intervals.threshold == 0.6 and settings.intervals.exit_threshold == pytest.approx(0.36)
    assert settings.intervals.pad_after == 4.0 and settings.intervals.pad_before == 0.5
    assert settings.sample_fps == 10.0  # the preset the camera file names, below the file itself
    origins = dict(settings.origins)
    assert origins["regions"] == origins["threshold"] == str(cam)
    assert origins["pad_after"] == "/home/me/config.toml" and origins["pad_before"] == "command line"
    assert origins["sample_fps"] == origins["smooth"] == "preset shots"
    assert "slowmo" not in origins and "detector" not in origins  # at their defaults: not listed
    assert settings.camera_file == str(cam)
    # Where values came from is not part of the key: the same values are the same run.
    assert settings.key == RunSettings(**{**settings.__dict__, "origins": (), "camera_file": None}).key
    assert layers.resolve().regions == () and layers.resolve().camera_file is None


def test_a_cameras_own_model_relative_to_its_file_unless_the_command_line_names_one(tmp_path):
    models = tmp_path / "models" / "court"
    write_model_description(models)
    info = json.loads((models / "model.json").read_text())
    (models / "model.json").write_text(json.dumps({**info, "threshold": 0.7, "exit_threshold": 0.4}))
    cam = camera_file(tmp_path / "in" / "cam", TR_REGION, 'model = "../../models/court"\n')
    settings = SettingsLayers().resolve(cam.parent / "v.mp4", tmp_path / "in")
    assert settings.model == str(models) and settings.intervals.threshold == 0.7
    assert dict(settings.origins)["model"] == str(cam) and dict(settings.origins)["threshold"] == f"model {models}"
    given = RunSettings(model=str(tmp_path / "other"))
    assert SettingsLayers(base=given).resolve(cam.parent / "v.mp4").model == given.model


@pytest.mark.parametrize(
    "text, key",
    [
        ('[run]\nregion = ["2,2,1,1"]\n', "region"),
        ("[run]\nthreshold = 1.5\n", "threshold"),
        ('[run]\npad-after = "soon"\n', "pad-after"),
        ("[run]\nsmooth = nan\n", "smooth"),
        ("[run]\nsample-fps = 0\n", "sample-fps"),
        ("[run]\nslowmo = 2\n", "slowmo"),
        ('[run]\nclips = "fast"\n', "clips"),
        ('[run]\npreset = "dunks"\n', "preset"),
        ("[run]\nlooking = 1\n", "looking"),
        ('[run]\nmodel = "no/such/model"\n', "model"),
        ("[run]\nthreshold = 0.4\nexit-threshold = 0.45\n", "exit threshold"),
        ("[run\n", "not valid TOML"),
    ],
)
def test_every_value_is_checked_naming_the_file_and_the_key(tmp_path, text, key):
    path = tmp_path / CAMERA_FILE
    path.write_text(text, encoding="utf-8")
    with pytest.raises(HighlightError) as error:
        read_camera_file(path)
    message = str(error.value)
    assert message.startswith(f"{path}: ") and key in message and "\n" not in message


# -- run, watch, cut ------------------------------------------------------------------------


def test_two_cameras_in_one_batch_each_get_their_own_region(two_cameras, tmp_path):
    out = tmp_path / "out"
    result = run_cli("run", two_cameras, "-o", out, "--no-clips", "-q", "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert_only(found(out / "cam_a" / "day1" / "a"), TOP_RIGHT)
    assert_only(found(out / "cam_b" / "b"), BOTTOM_LEFT)
    manifest = manifests.load(out / "cam_a" / "day1" / "a")
    assert manifest.camera_file == str(two_cameras / "cam_a" / CAMERA_FILE)
    assert manifest.settings["regions"] == [TR_REGION]
    assert manifest.settings_from["regions"] == manifest.settings_from["pad_after"] == manifest.camera_file
    assert (
        "camera set-up:" in (out / "report.html").read_text()
        and manifest.camera_file in (out / "report.html").read_text()
    )

    # The same batch again is done already: each recording's own settings are compared.
    again = run_cli("run", two_cameras, "-o", out, "--no-clips", "-q")
    assert again.returncode == 0 and again.stdout.count("skipped") == 2, again.stdout

    # The command line wins over both files, and says so.
    result = run_cli("run", two_cameras, "-o", out, "--no-clips", "-q", "--region", BL_REGION)
    assert result.returncode == 0, result.stderr
    assert_only(found(out / "cam_a" / "day1" / "a"), BOTTOM_LEFT)
    manifest = manifests.load(out / "cam_a" / "day1" / "a")
    assert manifest.settings_from["regions"] == "command line"
    assert manifest.settings_from["pad_before"] == manifest.camera_file  # the file's other values still apply


def test_cut_takes_the_camera_files_new_values_below_its_own_options(two_cameras, tmp_path):
    out = tmp_path / "out"
    assert run_cli("run", two_cameras / "cam_a", "-o", out, "--no-clips", "-q").returncode == 0
    folder = out / "day1" / "a"
    ((start, end),) = found(folder)
    camera_file(two_cameras / "cam_a", TR_REGION, 'pad-before = "0s"\npad-after = "2s"\n')
    result = run_cli("cut", folder, "-q")
    assert result.returncode == 0, result.stderr
    assert found(folder) == [(start, pytest.approx(end + 2.0, abs=0.01))]
    assert manifests.load(folder).settings_from["pad_after"] == str(two_cameras / "cam_a" / CAMERA_FILE)
    assert run_cli("cut", folder, "-q", "--pad-after", "1.5s").returncode == 0
    assert found(folder) == [(start, pytest.approx(end + 1.5, abs=0.01))]
    assert manifests.load(folder).settings_from["pad_after"] == "command line"
    # Another region in the file needs a new analysis: cut says so rather than cutting the old scores.
    camera_file(two_cameras / "cam_a", BL_REGION)
    result = run_cli("cut", folder, "-q")
    assert result.returncode == 1 and "re-analysis" in result.stderr and "Traceback" not in result.stderr


def test_watch_gives_each_camera_its_region(two_cameras, tmp_path):
    out = tmp_path / "out"
    result = run_cli(
        "watch", two_cameras, "--out", out, "--settle", "0.3s", "--no-clips", "--no-report", "--exit-when-idle"
    )
    assert result.returncode == 0, result.stderr
    assert_only(found(out / "cam_a" / "day1" / "a"), TOP_RIGHT)
    assert_only(found(out / "cam_b" / "b"), BOTTOM_LEFT)
    assert manifests.load(out / "cam_b" / "b").camera_file == str(two_cameras / "cam_b" / CAMERA_FILE)


def test_a_wrong_camera_file_fails_its_recordings_and_the_batch_goes_on(two_cameras, tmp_path):
    (two_cameras / "cam_b" / CAMERA_FILE).write_text("[run]\npad-after = -1\n", encoding="utf-8")
    result = run_cli("run", two_cameras, "-o", tmp_path / "out", "--no-clips", "-q")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert (
        f"{two_cameras / 'cam_b' / CAMERA_FILE}: [run] pad-after: -1 is out of range; allowed: 0 or more"
        in result.stderr
    )
    assert_only(found(tmp_path / "out" / "cam_a" / "day1" / "a"), TOP_RIGHT)


# -- highlight region --save ------------------------------------------------------------------


def test_region_save_writes_the_folders_camera_file_keeping_what_it_holds(two_cameras, tmp_path):
    video = two_cameras / "cam_b" / "b.mp4"
    still = tmp_path / "still.png"
    runner = CliRunner()
    result = runner.invoke(app, ["region", str(video), "--out", str(still), "--region", TR_REGION, "--save"])
    assert result.exit_code == 0, result.output
    text = (two_cameras / "cam_b" / CAMERA_FILE).read_text()
    assert "# the court camera" in text  # comments and other keys stay
    assert read_camera_file(two_cameras / "cam_b" / CAMERA_FILE) == {
        "regions": (TR_REGION,),
        "pad_before": 0.0,
        "pad_after": 0.0,
    }
    # A new folder gets a new file; the next run there uses it.
    fresh = tmp_path / "fresh" / "v.mp4"
    fresh.parent.mkdir()
    shutil.copy(video, fresh)
    result = runner.invoke(
        app, ["region", str(fresh), "--out", str(still), "--region", BL_REGION, "--exclude", "0,0,0.1,0.1", "--save"]
    )
    assert result.exit_code == 0, result.output
    assert read_camera_file(fresh.parent / CAMERA_FILE) == {"regions": (BL_REGION,), "excludes": ("0,0,0.1,0.1",)}
    # A file that does not parse is left as it is.
    (fresh.parent / CAMERA_FILE).write_text("[run\nregion = 1\n", encoding="utf-8")
    result = runner.invoke(app, ["region", str(fresh), "--out", str(still), "--region", TR_REGION, "--save"])
    assert result.exit_code == 2 and "not valid TOML, left unchanged" in result.output
    assert (fresh.parent / CAMERA_FILE).read_text() == "[run\nregion = 1\n"
