"""``highlight editor blender``: the Blender add-on packed as an extension zip, ready to install.

The zip holds ``blender_extension/`` with its ``addon.py`` as the package's
``__init__.py`` (in this repository the folder must not be a package: it imports
``bpy``) and ``highlight/export/timeline_rules.py`` beside it, so Blender's strips and
markers fall on the frames, and take the names, of every other timeline. It is written to a temporary name and renamed once
complete and readable.
"""

from __future__ import annotations

import contextlib
import os
import zipfile
from pathlib import Path

from highlight import HighlightError
from highlight.export import timeline_rules

SOURCE = Path(__file__).with_name("blender_extension")
ZIP_NAME = "highlight_blender.zip"


def extension_files() -> dict[str, Path]:
    """{name in the zip: file here} of the extension."""
    files = {
        path.relative_to(SOURCE).as_posix(): path
        for path in sorted(SOURCE.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }
    files["__init__.py"] = files.pop("addon.py")
    files["timeline_rules.py"] = Path(timeline_rules.__file__)
    return files


def build_extension(out: Path) -> Path:
    """Write ``out/highlight_blender.zip``; HighlightError names the folder when it cannot be written."""
    out = Path(out)
    target = out / ZIP_NAME
    partial = out / f".{ZIP_NAME}.partial"
    try:
        out.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, path in extension_files().items():
                archive.write(path, name)
        with zipfile.ZipFile(partial) as archive:
            if archive.testzip() is not None or not {"blender_manifest.toml", "__init__.py"} <= set(archive.namelist()):
                raise HighlightError(f"{partial}: the extension zip did not read back whole")
        os.replace(partial, target)
    except OSError as error:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise HighlightError(f"{out}: cannot write the Blender extension ({error.strerror or error})") from None
    return target
