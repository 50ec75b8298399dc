"""The config file: defaults for plugin options, below the command line and the environment."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from highlight import HighlightError
from highlight.cli import plugin_options
from highlight.config import config_file, plugin_defaults


@pytest.fixture
def config(tmp_path, monkeypatch):
    """Writes a config file that $HIGHLIGHT_CONFIG names; no pose model in the environment."""
    path = tmp_path / "conf" / "config.toml"
    path.parent.mkdir()
    monkeypatch.setenv("HIGHLIGHT_CONFIG", str(path))
    monkeypatch.delenv("HIGHLIGHT_POSE_MODEL", raising=False)

    def write(text: str):
        path.write_text(text)
        return path

    return write


def test_config_file_location(monkeypatch, tmp_path):
    monkeypatch.delenv("HIGHLIGHT_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert config_file() == tmp_path / "highlight" / "config.toml"
    assert plugin_defaults() == {}  # no file: no defaults, no error


def test_plugin_defaults_with_relative_paths_and_cli_names(config, tmp_path):
    path = config('[plugins]\npose-model = "../models/lite.task"\npose-fps = 5\nexercise = "squat"\nrest = 20\n'
                  'overlay = "pose"\nhighlight-sets = true\n')
    assert plugin_defaults() == {
        "pose_model": str((tmp_path / "models" / "lite.task").resolve()), "pose_fps": 5, "exercise": "squat",
        "rest_s": 20, "overlay": ("pose",), "highlight_sets": True,
    }
    assert path.is_file()


def test_command_line_then_environment_then_file(config, tmp_path, monkeypatch):
    config('[plugins]\npose-model = "/from/file.task"\npose-fps = 5\n')
    enabled, options = plugin_options(["pose"])
    assert enabled == ["pose"] and options == {"pose_model": "/from/file.task", "pose_fps": 5}
    monkeypatch.setenv("HIGHLIGHT_POSE_MODEL", "/from/env.task")
    assert plugin_options(["pose"])[1]["pose_model"] == "/from/env.task"
    options = plugin_options(["pose"], pose_model=tmp_path / "cli.task", pose_fps=8.0)[1]
    assert options == {"pose_model": str(tmp_path / "cli.task"), "pose_fps": 8.0}


def test_a_run_without_plugins_is_not_touched(config):
    config('[plugins]\npose-model = "/from/file.task"\n')
    assert plugin_options(None) == ([], {})


@pytest.mark.parametrize("text,message", [
    ("[plugins\n", "not a valid TOML config"),
    ("[plugin]\npose-model = 'x'\n", r"unknown section\(s\) plugin"),
    ("[plugins]\npose_model = 'x'\n", r"unknown key\(s\) pose_model in \[plugins\]"),
    ("[plugins]\npose-fps = 'ten'\n", "pose-fps = 'ten': expected a number$"),
    ("[plugins]\nhighlight-sets = 1\n", "highlight-sets = 1: expected true or false"),
])
def test_a_wrong_config_is_a_one_line_error_naming_the_file(config, text, message):
    path = config(text)
    with pytest.raises(HighlightError, match=message) as error:
        plugin_defaults()
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_a_missing_named_config_is_an_error(config):
    with pytest.raises(HighlightError, match="config file not found"):
        plugin_defaults()


def test_run_takes_the_pose_model_from_the_config(config, shared, tmp_path):
    """End to end: `run --plugin pose` with nothing but the config file naming the model."""
    config(f'[plugins]\npose-model = "{shared / "models" / "pose_landmarker_lite.task"}"\npose-fps = 4\n')
    video = shared / "data" / "videos" / "quva_023_fitness.mp4"
    done = subprocess.run([sys.executable, "-m", "highlight", "run", str(video), "--plugin", "pose", "--no-clips",
                           "--no-report", "-q", "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    pose = json.loads((tmp_path / "out" / video.stem / "highlights.json").read_text())["plugins"]["pose"]
    assert pose["model"] == "pose_landmarker_lite.task" and pose["fps"] == 4 and pose["detected_frames"] > 0

    config("[plugins]\npose-fps = 4\n")
    done = subprocess.run([sys.executable, "-m", "highlight", "run", str(video), "--plugin", "pose", "-q",
                           "--out", str(tmp_path / "out2")], capture_output=True, text=True)
    assert done.returncode == 2 and "pose-model" in done.stderr and "[plugins]" in done.stderr


def test_plugins_command_says_which_config_applies(config):
    from typer.testing import CliRunner

    from highlight.cli import app

    path = config('[plugins]\nexercise = "squat"\n')
    listing = CliRunner().invoke(app, ["plugins"])
    assert listing.exit_code == 0 and f"config: {path}: exercise=squat" in listing.output
    path.unlink()
    assert f"config: {path} (not found" in CliRunner().invoke(app, ["plugins"]).output
