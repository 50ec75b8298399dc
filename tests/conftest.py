"""Shared fixtures: the generated samples and the real footage in ../shared."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

# One OpenBLAS thread in the test process (and the commands it starts), set before numpy loads.
# This process also runs TensorFlow, Ray and a browser beside it on CI's two cores. With a
# browser's renderer spinning a core (at real-time priority: see ``scheduling_unchanged``), a
# threaded matrix product (tests/test_review.py's reel check) once spun for 26 minutes:
# OpenBLAS's threads busy-wait for each other, and pytest's timeout cannot stop C code. The
# product's own matrices are too small for OpenBLAS to thread.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from highlight.checkout import load_script, use_checkout_plugins
from tests.headless_chromium import CHROMEDRIVER, CHROMIUM, HeadlessChromium

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HIGHLIGHT_SHARED", REPO.parent / "shared"))
use_checkout_plugins(REPO)  # the plugins under test are this checkout's, in subprocesses too


def load_checkout_script(path: str) -> ModuleType:
    """A script of this checkout (``path`` from its root; not a package module) as a module."""
    return load_script(REPO / path)


def load_sample_maker():
    """samples/make_samples.py as a module: the samples are generated, never committed."""
    return load_checkout_script("samples/make_samples.py")


@pytest.fixture(scope="session")
def samples(tmp_path_factory) -> tuple[Path, dict]:
    """(folder, truth): the generated sample videos, made once per test session."""
    folder = tmp_path_factory.mktemp("samples")
    truth = load_sample_maker().make_samples(folder)
    return folder, truth


@pytest.fixture(scope="session")
def shared() -> Path:
    """../shared beside the checkout (real clips, labels, pose models); CI always has it."""
    if not (SHARED / "data").is_dir():
        pytest.fail(f"real test data not found at {SHARED} (set HIGHLIGHT_SHARED)")
    return SHARED


@pytest.fixture(scope="session")
def dev_labels(shared) -> dict:
    return json.loads((shared / "data" / "labels" / "dev.json").read_text())


@pytest.fixture(scope="session")
def shots_by_eye() -> dict:
    """Per real court clip: shots read by eye, spans that are not shots, the hoop region (tests/labels)."""
    return json.loads((REPO / "tests" / "labels" / "shots_by_eye.json").read_text())["clips"]


@pytest.fixture
def small_disk(tmp_path):
    """A 600 kB tmpfs (root only; skipped elsewhere, with the reason); ``mount -o remount,size=...`` resizes it."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a small tmpfs")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    yield mount_point
    subprocess.run(["umount", str(mount_point)], check=False)


@pytest.fixture(autouse=True)
def scheduling_unchanged():
    """No test may leave the test process at another CPU scheduling: every later process inherits it.

    An AV1 encoder run in the test process as root once left it at real-time priority
    (``make_samples._scheduling_kept``); the browsers and trainings started after it then
    spun unpreempted and starved CI's two cores (a 30-minute hang). Put back, and named.
    """
    if not hasattr(os, "sched_getscheduler"):
        yield
        return
    before = (os.sched_getscheduler(0), os.sched_getparam(0))
    yield
    after = (os.sched_getscheduler(0), os.sched_getparam(0))
    if after != before:
        os.sched_setscheduler(0, *before)
        pytest.fail(f"the test changed the test process's CPU scheduling from {before} to {after} (put back)")


@pytest.fixture(scope="module")
def chromium() -> HeadlessChromium:
    """One headless Chromium per test module (tests/headless_chromium.py says why it is watched)."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("needs Debian's chromium and chromium-driver (bash tests/install.sh installs both)")
    browser = HeadlessChromium()
    yield browser
    browser.quit()


@pytest.fixture
def browser(chromium):
    """The module's Chromium for one test: it starts on a blank page with no renderer spinning, ends on one.

    A page left open keeps running after its test (a video it played, requests to a server
    the test has stopped); the next test should not share the CPU with it.
    """
    yield chromium.ready()
    chromium.driver.get("about:blank")


def write_model_description(folder: Path, size: int = 32) -> None:
    """The ``model.json`` a trained classifier folder holds (a sigmoid highlight/background model of ``size`` px)."""
    folder.mkdir(parents=True, exist_ok=True)
    description = {
        "kind": "highlight-classifier",
        "labels": ["background", "highlight"],
        "positive": "highlight",
        "output": "sigmoid",
        "input": {"width": size, "height": size},
        "threshold": 0.5,
        "tflite": None,
    }
    (folder / "model.json").write_text(json.dumps(description))
