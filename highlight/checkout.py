"""Make ``highlight_plugins`` import from this checkout's ``plugins/`` folder.

The bundled plugins live in ``plugins/`` but install as ``highlight_plugins``
(``package-dir`` in pyproject.toml), so running from a checkout with only
``PYTHONPATH=.`` either finds no ``highlight_plugins`` or, through an editable install
of another checkout, that checkout's plugins: tests and benchmarks would then test code
other than the one in front of them. A link named ``highlight_plugins`` in a scratch
folder, put first on ``sys.path`` and ``PYTHONPATH`` (so that subprocesses see it too),
maps the name to this checkout without touching the installation.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path
from types import ModuleType

CHECKOUT = Path(__file__).resolve().parents[1]


def use_checkout_plugins(checkout: Path = CHECKOUT) -> Path:
    """Map ``highlight_plugins`` to ``checkout/plugins`` in this process and its children; the folder used."""
    folder = Path(tempfile.mkdtemp(prefix="highlight-checkout-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    (folder / "highlight_plugins").symlink_to(checkout / "plugins", target_is_directory=True)
    for name in [m for m in sys.modules if m == "highlight_plugins" or m.startswith("highlight_plugins.")]:
        del sys.modules[name]  # imported from elsewhere before: import again from the checkout
    sys.path.insert(0, str(folder))
    paths = [str(folder), str(checkout), os.environ.get("PYTHONPATH", "")]
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    return folder


def load_script(path: Path) -> ModuleType:
    """A script (``samples/make_samples.py``, ``../shared/bench/make_long_office.py``) as a module.

    Scripts are run by hand and are not package modules, yet tests and benchmarks reuse their functions
    (a rendered scene, a recording's layout) rather than copy them.
    """
    spec = importlib.util.spec_from_file_location(Path(path).stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
