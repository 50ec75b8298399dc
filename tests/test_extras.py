"""A missing optional part is one line naming the extra to install, before any work; a plugin that cannot start fails.

The parts are hidden from a subprocess by an import blocker on sys.meta_path (as if
``pip install .`` alone had run), so nothing is uninstalled from the test environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from subprocess import PIPE

import pytest

from highlight import HighlightError
from highlight.extras import EXTRAS, install_line, require
from highlight.plugin_api import Plugin
from highlight.settings import RunSettings

REPO = Path(__file__).resolve().parents[1]

BLOCKED_RUN = """
import sys

blocked = set(sys.argv[1].split(","))


class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, Blocker())
sys.argv = ["highlight", *sys.argv[2:]]
from highlight.cli import main

main()
"""


CASES = [
    ("editors", ["export", "in"]),
    ("editors", ["run", "in", "--out", "out", "--export", "edl"]),
    ("watch", ["watch", "in", "--out", "out"]),
    ("train", ["train", "labels.csv", "--out", "model"]),
    ("pose", ["run", "in", "--out", "out", "--plugin", "reps"]),
    ("pose", ["run", "in", "--out", "out", "--plugin", "pose"]),
    ("ray", ["run", "in", "--out", "out", "--executor", "ray"]),
]


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> dict[int, tuple[subprocess.CompletedProcess, Path]]:
    """Every case run at once, each in its own folder with its extra hidden: (result, folder) by case."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    running = {}
    for index, (extra, args) in enumerate(CASES):
        folder = tmp_path_factory.mktemp(f"extra{index}")
        (folder / "in").mkdir()
        (folder / "in" / "a.mp4").write_bytes(b"\0" * 1024)  # never opened: the check comes first
        (folder / "labels.csv").write_text("video,start,end,label\nin/a.mp4,0,1,highlight\n")
        command = [sys.executable, "-c", BLOCKED_RUN, ",".join(EXTRAS[extra]), *args]
        running[index] = (subprocess.Popen(command, cwd=folder, env=env, stdout=PIPE, stderr=PIPE, text=True), folder)
    results = {}
    for index, (process, folder) in running.items():
        stdout, stderr = process.communicate(timeout=180)
        results[index] = (subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr), folder)
    return results


@pytest.mark.parametrize("case", range(len(CASES)), ids=[" ".join(args) for _, args in CASES])
def test_a_missing_extra_is_one_line_naming_it_before_any_work(finished, case):
    extra = CASES[case][0]
    done, folder = finished[case]
    lines = done.stderr.strip().splitlines()
    assert done.returncode != 0, done.stdout
    assert len(lines) == 1 and lines[0].startswith("error: ") and install_line(extra) in lines[0], done.stderr
    assert not (folder / "out").exists() and not (folder / "model").exists()


def test_require_passes_when_the_extra_is_there_and_names_it_when_not(monkeypatch):
    require("editors", "writing editor timelines")  # the test environment has every extra
    monkeypatch.setitem(EXTRAS, "editors", ("opentimelineio", "no_such_module_here"))
    with pytest.raises(HighlightError, match=r"timelines needs no_such_module_here.*highlight\[editors\]"):
        require("editors", "writing editor timelines")


def test_every_extra_checked_is_declared_in_pyproject():
    text = (REPO / "pyproject.toml").read_text()
    for extra in EXTRAS:
        assert f"\n{extra} = [" in text, extra


class _CannotStart(Plugin):
    name = "cannot_start"
    sample_fps = 2.0

    def start_video(self, context):
        raise ModuleNotFoundError("No module named 'somelib'")


def test_a_plugin_that_cannot_start_fails_its_video(samples):
    """Asked for and never run: the video fails with one line, it is never "done" without the plugin."""
    from highlight.pipeline import analyse
    from highlight.scorers import get_scorer
    from highlight.source import VideoSource

    folder, _ = samples
    video = sorted(folder.glob("*.mp4"))[0]
    with VideoSource(video) as source, pytest.raises(HighlightError) as error:
        analyse(source, get_scorer("motion", sample_fps=2.0), RunSettings(), [_CannotStart()])
    message = str(error.value)
    assert "\n" not in message and "cannot_start could not start" in message and "somelib" in message
