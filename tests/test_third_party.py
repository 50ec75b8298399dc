"""A third-party plugin and detector, installed as a distribution with entry points, each taking an
option from the command line and from the config file, run end to end on a real clip."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

THIRD_PARTY = textwrap.dedent("""
    import numpy as np

    from highlight.options import Option
    from highlight.plugin_api import Plugin
    from highlight.scorers import Scorer


    class Brightness(Plugin):
        name = "brightness"
        description = "Mean brightness of the video"
        sample_fps = 1.0
        options = (Option("width", "integer", 64, "Width the frames are measured at.", unit="px"),)

        def start_video(self, context):
            self.values = []

        def on_frame(self, frame):
            image = frame.image(width=self.context.options["width"], fmt="gray")
            self.values.append((image.shape[1], float(image.mean())))

        def end_video(self):
            widths = sorted({w for w, _ in self.values})
            mean = sum(v for _, v in self.values) / max(len(self.values), 1)
            return {"widths": widths, "mean": mean, "summary": f"brightness {mean:.0f}"}


    class FrameDifference(Scorer):
        name = "difference"
        description = "How much the picture changed since the last sample"
        options = (Option("gain", "number", 8.0, "Mean absolute change (0-1) that scores 1 is 1/gain."),)

        def __init__(self, sample_fps=2.0, **options):
            super().__init__(sample_fps, **options)
            self.previous = None

        def image_for(self, frame):
            return frame.image(width=64, fmt="gray").astype(np.float32) / 255

        def score(self, images, learn=True):
            scores = []
            previous = self.previous
            for image in images:
                change = 0.0 if previous is None else float(np.abs(image - previous).mean())
                scores.append(min(1.0, change * self.gain))
                if learn:
                    previous = image
            if learn:
                self.previous = previous
            return np.array(scores)
""")


@pytest.fixture
def third_party(tmp_path):
    """A site folder holding the package and its dist-info (entry_points.txt), as pip would install it."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "highlight_extras_demo.py").write_text(THIRD_PARTY)
    info = site / "highlight_extras_demo-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: highlight-extras-demo\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[highlight.plugins]\nbrightness = highlight_extras_demo:Brightness\n\n"
        "[highlight.detectors]\ndifference = highlight_extras_demo:FrameDifference\n"
    )
    return site


def _run(site: Path, config: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
        "HIGHLIGHT_CONFIG": str(config),
    }
    return subprocess.run(
        [sys.executable, "-m", "highlight", *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_third_party_plugin_and_detector_take_options_from_command_line_and_config(third_party, shared, tmp_path):
    video = shared / "data" / "videos" / "pedestrians_cdnet.mp4"
    config = tmp_path / "config.toml"
    config.write_text("[plugins.brightness]\nwidth = 48\n\n[detectors.difference]\ngain = 20\n")

    listing = _run(third_party, config, "plugins")
    assert listing.returncode == 0, listing.stderr
    assert "--brightness-width N" in listing.stdout and "--difference-gain NUMBER" in listing.stdout
    help_text = _run(third_party, config, "run", "--help-all").stdout  # detector tuning is listed there
    assert "--brightness-width" in help_text and "--difference-gain" in help_text

    common = [str(video), "--detector", "difference", "--plugin", "brightness", "--no-clips", "--no-report", "-q"]
    from_config = _run(third_party, config, "run", *common, "--out", str(tmp_path / "a"))
    assert from_config.returncode == 0, from_config.stderr[-2000:]
    manifest = json.loads((tmp_path / "a" / video.stem / "highlights.json").read_text())
    assert manifest["plugins"]["brightness"]["widths"] == [48]
    assert manifest["detector"] == {"name": "difference", "gain": 20.0}
    assert manifest["settings"]["plugin_options"] == {"brightness": {"width": 48}}

    from_cli = _run(
        third_party,
        config,
        "run",
        *common,
        "--brightness-width",
        "32",
        "--difference-gain",
        "4",
        "--out",
        str(tmp_path / "b"),
    )
    assert from_cli.returncode == 0, from_cli.stderr[-2000:]
    manifest = json.loads((tmp_path / "b" / video.stem / "highlights.json").read_text())
    assert manifest["plugins"]["brightness"]["widths"] == [32]
    assert manifest["detector"]["gain"] == 4.0 and manifest["complete"] is True
    assert "brightness" in from_cli.stdout  # its summary line in the run summary

    bad = _run(third_party, config, "run", *common, "--brightness-width", "wide", "--out", str(tmp_path / "c"))
    assert bad.returncode == 2 and bad.stderr.strip().splitlines() == [
        "error: plugin brightness.width: 'wide': invalid literal for int() with base 10: 'wide'"
    ]
