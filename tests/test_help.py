"""The first hour: help that fits an 80-column terminal, and options checked against their declared range."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from highlight.cli.options import ANALYSE, HIGHLIGHT, OUTPUTS, PLUGINS_PANEL, RUNNING
from highlight.options import Option, parse_values
from highlight.registry import DETECTORS, PLUGINS, loadable_classes

PYTHON_TYPES = re.compile(r"<(bool|int|float|str|path|list\[[^\]]*\])>|\{paths\}", re.IGNORECASE)


def highlight(*args: str, columns: int = 80) -> subprocess.CompletedProcess:
    """The command as a user runs it in a terminal of ``columns`` columns."""
    env = {**os.environ, "COLUMNS": str(columns), "TERMINAL_WIDTH": str(columns)}
    return subprocess.run(
        [sys.executable, "-m", "highlight", *args], capture_output=True, text=True, env=env, timeout=60
    )


@pytest.fixture(scope="module")
def run_help() -> str:
    result = highlight("run", "--help")
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_run_help_at_80_columns_has_no_python_types_and_cuts_nothing(run_help):
    assert not PYTHON_TYPES.search(run_help), PYTHON_TYPES.search(run_help)
    assert "…" not in run_help
    assert max(len(line) for line in run_help.splitlines()) <= 80


def test_run_help_groups_options_in_the_declared_panels_in_order(run_help):
    positions = [run_help.index(f"─ {panel} ") for panel in (ANALYSE, HIGHLIGHT, OUTPUTS, PLUGINS_PANEL, RUNNING)]
    assert positions == sorted(positions)
    analyse = run_help[positions[0] : positions[1]]
    assert "--region" in analyse and "--detector" in analyse and "--threshold" not in analyse


def test_run_help_shows_defaults_and_user_units(run_help):
    flat = " ".join(run_help.replace("│", " ").split())
    for shown in (
        "[default: 0.5, or the model's]",
        "[default: 1.5s]",
        "[default: 2s]",
        "[default: motion]",
        "[default: smart]",
    ):
        assert shown in flat, shown
    assert re.search(r"--pad-before\s+SECONDS", flat)
    assert re.search(r"--region\s+L,T,W,H", flat)


def test_detector_tuning_is_behind_help_all(run_help):
    assert "--motion-history" not in run_help and "--help-all" in run_help
    every = highlight("run", "--help-all").stdout
    tuning = {f"--motion-{option.dashed}" for option in loadable_classes(DETECTORS)["motion"].options}
    assert all(flag in every for flag in tuning)
    assert "…" not in every and not PYTHON_TYPES.search(every)


def test_plugin_aliases_still_work_but_are_not_listed(run_help):
    assert "--reps-exercise" in run_help and "--exercise " not in run_help
    result = highlight("run", "/nonexistent", "--exercise", "nonsense")
    assert result.returncode != 0 and "nonsense" in result.stderr


def test_top_level_help_has_no_version_type():
    result = highlight("--help")
    assert "--version" in result.stdout and not PYTHON_TYPES.search(result.stdout)


@pytest.mark.parametrize(
    ("owner", "name", "value", "allowed"),
    [
        (DETECTORS, "width", "0", "16 or more"),
        (DETECTORS, "width", -160, "16 or more"),
        (DETECTORS, "history", -5, "above 0"),
        (DETECTORS, "var_threshold", "nan", "above 0"),
        (PLUGINS, "fps", 0, "above 0"),
    ],
)
def test_out_of_range_values_are_one_line_errors_naming_option_and_range(owner, name, value, allowed):
    component = "motion" if owner is DETECTORS else "pose"
    options = loadable_classes(owner)[component].options
    with pytest.raises(ValueError) as error:
        parse_values(component, options, {name: value})
    message = str(error.value)
    assert "\n" not in message and name.replace("_", "-") in message and allowed in message


def test_values_inside_the_range_pass_and_the_range_is_described():
    rate = Option("fps", "number", 10.0, "Rate.", minimum=0, maximum=240, above_minimum=True)
    assert rate.parse("0.5") == 0.5 and rate.parse(240) == 240
    assert rate.allowed_range == "above 0, at most 240"
    assert Option("n", "integer", 1, "Count.", minimum=1).parse("1") == 1
    with pytest.raises(ValueError, match="not a number"):
        Option("x", "number", 1.0, "Any.").parse("inf")


def test_out_of_range_on_the_command_line_stops_before_any_work(tmp_path):
    result = highlight("run", str(tmp_path / "missing.mp4"), "--motion-width", "0", "--out", str(tmp_path / "o"))
    assert result.returncode == 2 and "motion.width" in result.stderr and "16 or more" in result.stderr
    assert not (tmp_path / "o").exists()


COMMANDS = [
    "run",
    "cut",
    "export",
    "report",
    "plugins",
    "region",
    "watch",
    "live",
    "train",
    "eval",
    "label",
    "label draft",
]


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_every_command_help_fits_80_columns_without_python_types(command):
    from typer.testing import CliRunner

    from highlight.cli import app

    result = CliRunner().invoke(app, [*command.split(), "--help"], env={"COLUMNS": "80", "TERMINAL_WIDTH": "80"})
    assert result.exit_code == 0, result.output
    assert not PYTHON_TYPES.search(result.output) and "…" not in result.output, result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80
