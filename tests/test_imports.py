"""Every module of the package imports on its own, in a fresh interpreter (no import circles)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import highlight
import plugins

MODULES = sorted(
    name for package in (highlight, plugins)
    for _, name, _ in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + ".")
    if not name.endswith("__main__")
)


def test_modules_are_found():
    assert {"highlight.cli.run", "highlight.cli.watch", "highlight.pipeline", "plugins.reps.counter"} <= set(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_alone(module):
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-1500:]
