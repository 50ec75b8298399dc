"""The config file: defaults for plugin and detector options, below the command line and the environment."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import typer
from highlight_plugins.pose import PosePlugin
from highlight_plugins.reps import RepsPlugin

from highlight import HighlightError
from highlight.cli.components import resolve
from highlight.config import component_values, config_file
from highlight.registry import DETECTORS, PLUGINS


def pose_defaults() -> dict:
    return component_values(PLUGINS, "pose", PosePlugin.options)


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
    assert pose_defaults() == {}  # no file: no defaults, no error


def test_a_table_per_plugin_with_relative_paths(config, tmp_path):
    config(
        '[plugins.pose]\nmodel = "../models/lite.task"\nfps = 5\n[plugins.reps]\nexercise = "squat"\n'
        'rest = "20s"\nhighlight-sets = true\n[detectors.motion]\nhistory = 60\n'
    )
    assert pose_defaults() == {"model": str((tmp_path / "models" / "lite.task").resolve()), "fps": 5.0}
    assert component_values(PLUGINS, "reps", RepsPlugin.options) == {
        "exercise": "squat",
        "rest": 20.0,
        "highlight_sets": True,
    }
    from highlight.scorers.motion import MotionScorer

    assert component_values(DETECTORS, "motion", MotionScorer.options) == {"history": 60.0}


def test_the_flat_keys_of_earlier_versions_still_work(config, tmp_path):
    config(
        '[plugins]\npose-model = "../models/lite.task"\npose-fps = 5\nexercise = "squat"\nrest = 20\n'
        "highlight-sets = true\n"
    )
    assert pose_defaults() == {"model": str((tmp_path / "models" / "lite.task").resolve()), "fps": 5.0}
    assert component_values(PLUGINS, "reps", RepsPlugin.options) == {
        "exercise": "squat",
        "rest": 20.0,
        "highlight_sets": True,
    }


def test_command_line_then_environment_then_file(config, tmp_path, monkeypatch):
    model_file, env_model, cli_model = (tmp_path / name for name in ("file.task", "env.task", "cli.task"))
    for path in (model_file, env_model, cli_model):
        path.write_bytes(b"x")
    config(f'[plugins.pose]\nmodel = "{model_file}"\nfps = 5\n')
    enabled, values, _ = resolve("motion", ["pose"], [], {})
    assert enabled == ["pose"] and values == {"pose": {"model": str(model_file), "fps": 5.0}}
    monkeypatch.setenv("HIGHLIGHT_POSE_MODEL", str(env_model))
    assert resolve("motion", ["pose"], [], {})[1]["pose"]["model"] == str(env_model)
    given = {("plugins", "pose"): {"model": str(cli_model), "fps": "8"}}
    assert resolve("motion", ["pose"], [], given)[1] == {"pose": {"model": str(cli_model), "fps": 8.0}}


def test_a_plugin_option_enables_its_plugin(config, tmp_path):
    config("")
    (tmp_path / "m.task").write_bytes(b"x")
    enabled, values, _ = resolve(
        "motion",
        [],
        [],
        {("plugins", "reps"): {"exercise": "squat"}, ("plugins", "pose"): {"model": str(tmp_path / "m.task")}},
    )
    assert set(enabled) == {"reps", "pose"} and values["reps"] == {"exercise": "squat"}


def test_a_run_without_plugins_is_not_touched(config):
    config('[plugins.pose]\nmodel = "/from/file.task"\n')
    assert resolve("motion", [], [], {}) == ([], {}, {})


@pytest.mark.parametrize(
    "text,message",
    [
        ("[plugins\n", "not a valid TOML config"),
        ("[plugin]\npose-model = 'x'\n", r"unknown section\(s\) plugin"),
        ("[plugins]\npose_model = 'x'\n", r"unknown key 'pose_model' in \[plugins\]"),
        ("[plugins.pose]\nfps = 'ten'\n", r"\[plugins.pose\].fps: 'ten': could not convert"),
        ("[plugins.reps]\nhighlight-sets = 1\n", r"\[plugins.reps\].highlight-sets: 1: expected true or false"),
        ("[plugins.reps]\nexercise = 'yoga'\n", "'yoga' is not one of auto"),
        ("[plugins.rep]\nexercise = 'squat'\n", r"\[plugins.rep\]: no plugin 'rep' installed"),
        ("[plugins.reps]\nexcercise = 'squat'\n", "has no option 'excercise'"),
    ],
)
def test_a_wrong_config_is_a_one_line_error_naming_the_file(config, text, message):
    path = config(text)
    with pytest.raises(HighlightError, match=message) as error:
        resolve("motion", ["reps"], [], {})
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_a_missing_named_config_is_an_error(config):
    with pytest.raises(HighlightError, match="config file not found"):
        pose_defaults()


def test_run_takes_the_pose_model_from_the_config(config, shared, tmp_path):
    """End to end: `run --plugin pose` with nothing but the config file naming the model."""
    config(f'[plugins]\npose-model = "{shared / "models" / "pose_landmarker_lite.task"}"\npose-fps = 4\n')
    video = shared / "data" / "videos" / "quva_023_fitness.mp4"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "highlight",
            "run",
            str(video),
            "--plugin",
            "pose",
            "--no-clips",
            "--no-report",
            "-q",
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    pose = json.loads((tmp_path / "out" / video.stem / "highlights.json").read_text())["plugins"]["pose"]
    assert pose["model"] == "pose_landmarker_lite.task" and pose["fps"] == 4 and pose["detected_frames"] > 0

    config("[plugins]\npose-fps = 4\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "highlight",
            "run",
            str(video),
            "--plugin",
            "pose",
            "-q",
            "--out",
            str(tmp_path / "out2"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "--pose-model" in done.stderr and "[plugins.pose]" in done.stderr


def test_plugins_command_says_which_config_applies(config):
    from typer.testing import CliRunner

    from highlight.cli import app

    path = config('[plugins.reps]\nexercise = "squat"\n')
    listing = CliRunner().invoke(app, ["plugins"])
    assert listing.exit_code == 0 and f"config: {path}: [plugins.reps] exercise=squat" in listing.output
    assert "--reps-exercise" in listing.output and "--motion-history" in listing.output
    path.unlink()
    assert f"config: {path} (not found" in CliRunner().invoke(app, ["plugins"]).output


def test_run_table_gives_regions_and_a_preset_below_the_command_line(config):
    """[run] carries a camera set-up's regions and preset; what the command line gives wins."""
    from highlight.cli.options import run_settings

    config('[run]\nregion = "0.58,0.10,0.22,0.35"\nexclude = ["0,0.9,0.3,0.1"]\npreset = "shots"\n')
    settings = run_settings("motion", None, None, None, None, {})
    assert settings.regions == ("0.58,0.1,0.22,0.35",) and settings.excludes == ("0,0.9,0.3,0.1",)
    assert settings.intervals.separate and settings.sample_fps == 10.0  # the preset's
    given = run_settings("motion", None, 4.0, None, None, {}, regions=["0.1,0.1,0.2,0.2"], pad_after=3.0)
    assert given.regions == ("0.1,0.1,0.2,0.2",) and given.sample_fps == 4.0 and given.intervals.pad_after == 3.0
    config('[run]\nregion = "0.5,0.5"\n')
    with pytest.raises(typer.Exit):
        run_settings("motion", None, None, None, None, {})


def test_a_run_without_a_config_keeps_the_defaults(config):
    from highlight.cli.options import run_settings

    config("")
    settings = run_settings("motion", None, None, None, None, {})
    assert settings.regions == () and settings.sample_fps == 2.0 and not settings.intervals.separate
