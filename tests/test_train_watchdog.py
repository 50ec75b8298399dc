"""A training that stops making progress ends in one line with the stacks in a file; one that progresses runs on."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

from highlight.train.watchdog import EXIT_STATUS, StallWatch

_HANGS_AFTER_PROGRESS = textwrap.dedent(
    """
    import threading, time
    from highlight.train.watchdog import StallWatch
    with StallWatch(limit_s=1.0, factor=10.0) as watch:
        for _ in range(5):
            time.sleep(0.05)
            watch.progressed()
        print("working", flush=True)
        threading.Event().wait()  # a step that never returns
    """
)

_PROGRESSES = textwrap.dedent(
    """
    import time
    from highlight.train.watchdog import StallWatch
    with StallWatch(limit_s=0.5, factor=10.0) as watch:
        for _ in range(30):  # 3 s in all, six times the least limit
            time.sleep(0.1)
            watch.progressed()
    print("finished", flush=True)
    """
)


def _python(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(Path(__file__).resolve().parents[1]), "TMPDIR": str(tmp_path)},
    )


def test_a_hung_training_exits_in_one_line_naming_its_stacks(tmp_path):
    done = _python(_HANGS_AFTER_PROGRESS, tmp_path)
    assert done.returncode == EXIT_STATUS
    assert done.stdout == "working\n"
    line = done.stderr.strip()
    assert "\n" not in line and line.startswith("error: training stopped: no progress for"), line
    report = Path(re.search(r"the stacks of its threads: (\S+)\)$", line).group(1))
    assert report.parent == tmp_path
    hung_line = _HANGS_AFTER_PROGRESS.splitlines().index("    threading.Event().wait()  # a step that never returns")
    assert f'"<string>", line {hung_line + 1} in <module>' in report.read_text(), "the hung thread's own frame"


def test_a_training_that_keeps_progressing_is_never_stopped(tmp_path):
    done = _python(_PROGRESSES, tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "finished\n", "")
    assert list(tmp_path.iterdir()) == []


def test_the_limit_grows_with_the_slowest_step_seen():
    now = [1000.0]
    watch = StallWatch(limit_s=60.0, factor=10.0, clock=lambda: now[0])
    assert watch.limit_s == 60.0
    now[0] += 2.0
    watch.progressed()
    assert watch.limit_s == 60.0
    now[0] += 30.0  # a step of 30 s: a slow machine, large batches
    watch.progressed()
    assert watch.limit_s == 300.0
    now[0] += 5.0
    watch.progressed()
    assert watch.limit_s == 300.0, "the slowest step so far, not the last one"
