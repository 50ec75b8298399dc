"""Every module of the package imports on its own, in a fresh interpreter (no import circles)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import highlight_plugins
import pytest

import highlight

MODULES = sorted(
    name
    for package in (highlight, highlight_plugins)
    for _, name, _ in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + ".")
    if not name.endswith("__main__")
)


def test_modules_are_found():
    assert {"highlight.cli.run", "highlight.cli.watch", "highlight.pipeline", "highlight_plugins.reps.counter"} <= set(
        MODULES
    )


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_alone(module):
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-1500:]


def test_every_package_folder_is_installed():
    """pyproject.toml lists the packages by name (plugins/ installs as highlight_plugins): none may be missing."""
    from pathlib import Path

    import tomllib

    repo = Path(__file__).resolve().parents[1]

    def installed_name(folder: Path) -> str:
        parts = folder.relative_to(repo).parts
        return ".".join(("highlight_plugins", *parts[1:]) if parts[0] == "plugins" else parts)

    def is_package(folder: Path) -> bool:
        """A folder with __init__.py inside packages all the way up (the Blender add-on's source is not one)."""
        inside = folder.relative_to(repo).parents[:-1]
        return (folder / "__init__.py").is_file() and all((repo / p / "__init__.py").is_file() for p in inside)

    listed = set(tomllib.loads((repo / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    assert {
        installed_name(init.parent)
        for top in ("highlight", "plugins")
        for init in (repo / top).rglob("__init__.py")
        if is_package(init.parent)
    } == listed
