"""The ``highlight`` command running beside Blender: started, read, timed, cancelled.

Blender's interface runs on one thread, so the analysis runs as a separate process and
a timer (``bpy.app.timers``) asks it how far it is a few times a second. A reader
thread keeps the process's stderr (a progress line a second, asked for with
``HIGHLIGHT_PROGRESS=lines`` as no bars are drawn into a pipe, and a failure's one-line
``error: ...``) so the pipe never fills; the timer only looks at what it kept. The
process is bounded in time: ten times the recordings' length plus ten minutes, then it
is stopped and that is the error.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

# The run's progress lines on a pipe (HIGHLIGHT_PROGRESS=lines): "progress: NAME T/TOTAL s".
PROGRESS = re.compile(r"^progress: .* (\d+)/(\d+) s$")
STOP_GRACE_S = 5.0
REVIEW_FILE = "review.json"  # highlight review's marks, in the run's output folder (above each recording's)
ASK_LIMIT_S = 60.0  # `highlight editor highlights` reads two files: seconds, even on a busy machine


def find_command(configured: str) -> str:
    """The ``highlight`` executable: the path set in the add-on's preferences, else the one on PATH."""
    if configured:
        path = Path(configured).expanduser()
        if path.is_file():
            return str(path)
        raise FileNotFoundError(f"the highlight command set in the add-on's preferences is not there: {path}")
    found = shutil.which("highlight")
    if not found:
        raise FileNotFoundError("highlight command not found on PATH; set its path in the add-on's preferences")
    return found


def run_arguments(
    recordings: list[str], out: str, preset: str, region: str, threshold: float, plugins: str
) -> list[str]:
    """``highlight run`` with the panel's options; no clips or report: the sequencer cuts the recording itself."""
    arguments = ["run", *recordings, "--out", out, "--no-clips", "--no-report"]
    if preset:
        arguments += ["--preset", preset]
    for part in filter(None, (p.strip() for p in region.split("|"))):
        arguments += ["--region", part]
    if threshold > 0:
        arguments += ["--threshold", f"{threshold:g}"]
    for plugin in filter(None, (p.strip() for p in plugins.split(","))):
        arguments += ["--plugin", plugin]
    return arguments


def is_reviewed(folder: Path) -> bool:
    """Whether a ``highlight review`` of the run may apply to the recording whose output folder is ``folder``.

    Only whether to ask: what a review keeps is the tool's to say (``reviewed_highlights``).
    """
    folder = Path(folder).resolve()
    return any((root / REVIEW_FILE).is_file() for root in (folder, *folder.parents))


def reviewed_highlights(command: str, folder: Path) -> list[dict]:
    """The highlights an editor takes from ``folder`` once reviewed, as ``highlight export`` does (kept, dragged, added).

    Asked of the tool (``highlight editor highlights``), never worked out here, so the
    review applies in Blender as in every other timeline. RuntimeError: its one-line reason.
    """
    try:
        done = subprocess.run(
            [command, "editor", "highlights", str(folder)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=ASK_LIMIT_S,
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"highlight editor highlights ran longer than {ASK_LIMIT_S:.0f} s and was stopped") from None
    except OSError as error:
        raise RuntimeError(f"cannot start {command}: {error}") from None
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        last = next((line for line in reversed(lines) if line.startswith("error:")), lines[-1] if lines else "")
        raise RuntimeError(last.removeprefix("error:").strip() or f"highlight exited with status {done.returncode}")
    try:
        intervals = json.loads(done.stdout)["intervals"]
    except (ValueError, KeyError, TypeError) as error:
        raise RuntimeError(f"highlight editor highlights gave no highlights ({error})") from None
    if not isinstance(intervals, list):
        raise RuntimeError("highlight editor highlights gave no list of highlights")
    return intervals


@dataclass
class Job:
    """One running ``highlight run``; ``poll`` says how far it is, ``cancel`` stops it."""

    command: list[str]
    out: Path
    time_limit_s: float
    process: subprocess.Popen | None = None
    lines: deque = field(default_factory=lambda: deque(maxlen=200))
    started: float = 0.0
    cancelled: bool = False
    timed_out: bool = False
    _reader: threading.Thread | None = None

    def start(self) -> None:
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, "HIGHLIGHT_PROGRESS": "lines"},
            text=True,
            errors="replace",
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        buffer = ""
        while chunk := self.process.stderr.read(256):
            buffer += chunk
            *complete, buffer = re.split(r"[\r\n]", buffer)
            self.lines.extend(line for line in complete if line.strip())
        if buffer.strip():
            self.lines.append(buffer)

    @property
    def progress(self) -> float:
        """0-1: how much of the recording being analysed is done, from the run's latest progress line."""
        for line in reversed(self.lines):
            if match := PROGRESS.match(line.strip()):
                done, total = int(match.group(1)), int(match.group(2))
                return min(done / total, 1.0) if total else 0.0
        return 0.0

    def finished(self) -> bool:
        """True once the process has ended (stopped here if it ran past its time limit)."""
        assert self.process is not None
        if self.process.poll() is not None:
            if self._reader is not None:
                self._reader.join(timeout=2)
            return True
        if time.monotonic() - self.started > self.time_limit_s:
            self.timed_out = True
            self.cancel()
        return False

    def cancel(self) -> None:
        """Ask the process to stop; kill it if it has not after a few seconds."""
        if self.process is None or self.process.poll() is not None:
            return
        self.cancelled = not self.timed_out
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_GRACE_S)

    def error(self) -> str:
        """The tool's one-line error of a failed run ('' when it succeeded)."""
        assert self.process is not None
        if self.timed_out:
            return f"highlight ran longer than {self.time_limit_s:.0f} s and was stopped"
        if self.cancelled:
            return "cancelled"
        if self.process.returncode == 0:
            return ""
        errors = [line.strip() for line in self.lines if line.strip().startswith("error:")]
        if errors:
            return errors[-1].removeprefix("error:").strip()
        last = next((line.strip() for line in reversed(self.lines) if line.strip()), "")
        return last or f"highlight exited with status {self.process.returncode}"
