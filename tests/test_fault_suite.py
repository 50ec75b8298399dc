"""The fault suite of issue 13: whatever the input, the disk or a second process does, every outcome is clean.

A corpus of odd and broken recordings is generated here (each kind of issue 13's defects,
empty, truncated, random bytes, audio only, no audio, one frame, 4K, rotated, variable
frame rate, HEVC/VP9/AV1 where the encoder exists, unicode and control characters in
names) and processed by two ``highlight run`` at once on the same output. Clean means:

* each file is done (a complete manifest whose every clip decodes to its length) or
  failed with one ``error:`` line naming it, escaped; never done by both processes;
* no traceback; the exit code is 1 exactly when a file failed or was busy;
* no source file changed (hashed before and after);
* after a SIGKILL at a random (seeded) moment, nothing under a final name is broken, no
  manifest says complete with a bad clip, and a rerun completes;
* on a full disk (a small tmpfs, root only) a video fails with "no space left" and is
  not complete; once there is room, a rerun finishes it.

The summary is printed at the end of the module (``pytest -s`` shows it) and each count
in it is asserted by the test that made it.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import av
import numpy as np
import pytest

from highlight import HighlightError
from highlight.discover import printable
from highlight.export import manifest as manifests
from highlight.export.clips import verify_clip
from highlight.export.scores import read_scores
from tests.conftest import load_sample_maker

HIGHLIGHT = [sys.executable, "-m", "highlight"]
RUN_OPTIONS = ["-q", "--no-report", "--margin", "0.3s"]
KILLS = 12
WARNS = "warns: "  # an expected outcome that is a warning on stderr, not a row in the summary
SUMMARY: dict[str, object] = {}


@pytest.fixture(scope="module", autouse=True)
def print_summary():
    """The suite's summary, after its last test."""
    yield
    if SUMMARY:
        lines = [f"  {key}: {value}" for key, value in SUMMARY.items()]
        print("\nfault suite summary\n" + "\n".join(lines))


# -- the corpus -------------------------------------------------------------------------


def _audio_only(path: Path) -> None:
    """An .mp4 holding one second of a tone and no picture (a voice memo renamed, a camera's audio track)."""
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=48000)
        tone = (0.1 * np.sin(np.arange(48000) * 2 * np.pi * 440 / 48000)).astype(np.float32)
        for start in range(0, len(tone), 1024):
            frame = av.AudioFrame.from_ndarray(tone[np.newaxis, start : start + 1024], format="fltp", layout="mono")
            frame.rate, frame.pts = 48000, start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _zero_middle(path: Path) -> None:
    """A corrupt stretch: a fifth of the file zeroed in its middle (issue 13, defect 1)."""
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.seek(size * 2 // 5)
        handle.write(b"\0" * (size // 5))


def make_corpus(folder: Path) -> dict[str, tuple[str, set[str]]]:
    """Write the corpus; kind -> (file name, the statuses that are a right answer for it)."""
    maker = load_sample_maker()
    square = maker.moving_square
    small = (320, 240)
    kinds: dict[str, tuple[str, set[str]]] = {}

    def add(kind: str, name: str, expected: set[str]) -> Path:
        kinds[kind] = (name, expected)
        return folder / name

    square(add("plain h264, no audio", "plain.mp4", {"done"}), small, 60)
    square(add("with audio", "with_audio.mp4", {"done"}), small, 60, audio=True)
    corrupt = square(add("corrupt stretch mid-file (1)", "corrupt_middle.mp4", {"done", "failed"}), small, 200)
    _zero_middle(corrupt)
    square(
        add("last frame hours late (3)", "stopped_badly.mp4", {"done"}), small, 60, "mpeg4", last_frame_at=3 * 3600.0
    )
    square(add("odd size 333x187 (4)", "odd_size.mp4", {"done"}), (333, 187), 60, "mpeg4")
    square(add("one frame", "one_frame.mp4", {"done", "failed"}), small, 1)
    square(add("4K", "uhd.mp4", {"done"}), (3840, 2160), 8)
    landscape = square(folder / ".landscape.tmp.mp4", small, 60)
    maker.rotate_metadata(landscape, add("rotated 90", "rotated.mp4", {"done"}), 90)
    landscape.unlink()
    times = [0.04 * k if k < 30 else 1.2 + 0.1 * (k - 30) for k in range(50)]
    square(add("variable frame rate", "vfr.mp4", {"done"}), small, 50, frame_times=times)
    for codec, kind, name in (
        ("libx265", "HEVC", "hevc.mp4"),
        ("libvpx-vp9", "VP9", "vp9.webm"),
        ("libsvtav1", "AV1", "av1.mkv"),
    ):
        if codec in av.codecs_available:
            square(add(kind, name, {"done"}), small, 60, codec)
    square(add("unicode name", "überkopf 🏀 日本.mp4", {"done"}), small, 60)
    square(add("control characters in the name (7)", "two\nlines\tand\x1besc.mp4", {"done"}), small, 60)
    add("empty file", "empty.mp4", {"failed"}).write_bytes(b"")
    whole = (folder / "plain.mp4").read_bytes()
    add("truncated file", "truncated.mp4", {"failed", "done"}).write_bytes(whole[: len(whole) * 2 // 5])
    add("random bytes", "random.mp4", {"failed"}).write_bytes(random.Random(7).randbytes(40_000))
    _audio_only(add("audio only", "audio_only.mp4", {"failed"}))
    (folder / "loop_a.mp4").symlink_to(folder / "loop_b.mp4")
    (folder / "loop_b.mp4").symlink_to(folder / "loop_a.mp4")
    kinds["symlink loop (5)"] = ("loop_a.mp4", {WARNS + "skipped, a symlink loop"})
    if os.geteuid() != 0:  # root lists every folder whatever its mode: SUMMARY says it was not tried
        locked = folder / "locked"
        locked.mkdir()
        square(locked / "inside.mp4", small, 30)
        locked.chmod(0)
        kinds["unreadable folder (7)"] = ("locked", {WARNS + "folder skipped, cannot be listed"})
    return kinds


def _warning(expected: set[str]) -> str | None:
    """The warning a kind must give instead of a row in the summary, if it is such a kind."""
    return next((e.removeprefix(WARNS) for e in expected if e.startswith(WARNS)), None)


def source_hashes(folder: Path) -> dict[str, str]:
    """Every entry below ``folder``: a file's SHA-256, a link's target (links are not followed)."""
    hashes = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            hashes[str(path)] = "-> " + os.readlink(path)
        elif path.is_file():
            hashes[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def summary_rows(stdout: str) -> dict[str, str]:
    """Escaped video name -> status, from the run summary table (names have no spaces... except unicode ones)."""
    rows = {}
    for line in stdout.splitlines()[1:]:
        for status in ("done", "skipped", "busy", "failed"):
            name, sep, _ = line.partition(f"  {status}  ")
            if sep:
                rows[name.strip()] = status
                break
    return rows


def run_highlight(folder: Path, out: Path, *extra: str) -> subprocess.Popen:
    """A ``highlight run`` with umask 022, as a user's shell would have it."""
    return subprocess.Popen(
        [*HIGHLIGHT, "run", str(folder), "--out", str(out), *RUN_OPTIONS, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: os.umask(0o022),
    )


def bad_states(out: Path) -> list[str]:
    """What is wrong in an output folder a killed run left: broken files under final names, a complete manifest with a bad clip."""
    problems = []
    for folder in sorted(p for p in out.iterdir() if p.is_dir()):
        manifest = None
        if (folder / manifests.MANIFEST_FILE).exists():
            try:
                manifest = manifests.load(folder)
            except HighlightError as error:
                problems.append(f"unreadable manifest: {error}")
        if (folder / "scores.csv").exists():
            try:
                read_scores(folder / "scores.csv")
            except HighlightError as error:
                problems.append(str(error))
        for clip in folder.glob("[!.]*.mp4"):
            try:
                verify_clip(clip, 0.0)
            except HighlightError as error:
                problems.append(f"broken under its final name: {error}")
        if manifest is not None and manifest.complete:
            missing = set(manifest.output_files()) - manifest.intact_files(folder)
            problems += [f"{folder / name}: listed in a complete manifest but not intact" for name in missing]
    return problems


# -- the tests --------------------------------------------------------------------------


def test_the_corpus_run_twice_at_once_ends_clean(tmp_path):
    folder, out = tmp_path / "corpus", tmp_path / "out"
    folder.mkdir()
    kinds = make_corpus(folder)
    before = source_hashes(folder)
    runs = [run_highlight(folder, out) for _ in range(2)]
    results = [run.communicate(timeout=600) for run in runs]
    rows = [summary_rows(stdout) for stdout, _ in results]
    unclean: list[str] = []
    for run, (stdout, stderr), row in zip(runs, results, rows):
        if "Traceback" in stderr:
            unclean.append(f"traceback:\n{stderr[-3000:]}")
        expected_code = 1 if {"failed", "busy"} & set(row.values()) else 0
        if run.returncode != expected_code:
            unclean.append(f"exit code {run.returncode}, expected {expected_code}:\n{stdout}\n{stderr[-2000:]}")
    for kind, (name, expected) in kinds.items():
        shown = printable(name)
        statuses = [row.get(shown) for row in rows]
        if _warning(expected):
            if any(statuses) or not all(f"{shown}: {_warning(expected)}" in err for _, err in results):
                unclean.append(f"{kind}: {statuses}, no warning")
            continue
        if statuses.count("done") > 1 or None in statuses:
            unclean.append(f"{kind}: {name!r} statuses {statuses}")
            continue
        final = "done" if "done" in statuses or "skipped" in statuses else "failed"
        if final not in expected:
            unclean.append(f"{kind}: {final}, expected {expected}")
        for (_, stderr), status in zip(results, statuses):
            errors = [line for line in stderr.splitlines() if line.startswith("error:") and shown in line]
            if (status in ("failed", "busy")) != (len(errors) == 1):
                unclean.append(f"{kind}: {status} with error lines {errors}")
        video_out = out / Path(name).stem
        if final == "done":
            unclean += [f"{kind}: {problem}" for problem in _finished_problems(video_out)]
    again = run_highlight(folder, out)
    stdout, stderr = again.communicate(timeout=300)
    for kind, (name, expected) in kinds.items():
        status = summary_rows(stdout).get(printable(name))
        if not _warning(expected) and status not in ("skipped", "failed"):
            unclean.append(f"{kind}: rerun says {status}")
    changed = [path for path, digest in source_hashes(folder).items() if before.get(path) != digest]
    if (folder / "locked").exists():
        (folder / "locked").chmod(0o755)
    cleanly = len(kinds) - len({line.split(":")[0] for line in unclean})
    SUMMARY["kinds tried"] = f"{len(kinds)} ({', '.join(kinds)})"
    if os.geteuid() == 0:
        SUMMARY["not tried"] = "an unreadable folder (running as root, which lists every folder whatever its mode)"
    SUMMARY["handled cleanly"] = cleanly
    SUMMARY["outcomes"] = dict(Counter(s for row in rows for s in row.values()))
    SUMMARY["source files changed"] = len(changed)
    assert not unclean, "\n".join(unclean)
    assert not changed, changed
    assert again.returncode == 1 and "Traceback" not in stderr


def _finished_problems(folder: Path) -> list[str]:
    """A done video: complete manifest, every listed clip intact, no temporaries, files readable by others (umask 022)."""
    manifest = manifests.load(folder)
    problems = [] if manifest.complete else ["manifest not complete"]
    problems += [f"{name} not intact" for name in set(manifest.output_files()) - manifest.intact_files(folder)]
    problems += [f"{p.name} left behind" for p in folder.glob(".*.tmp-*")]
    problems += [
        f"{p.name} mode {p.stat().st_mode & 0o777:o}" for p in folder.iterdir() if p.stat().st_mode & 0o644 != 0o644
    ]
    return problems


@pytest.fixture(scope="module")
def kill_corpus(tmp_path_factory) -> Path:
    """Two small recordings with sound: with --slowmo and --reel, each writes four kinds of file."""
    folder = tmp_path_factory.mktemp("kill_corpus")
    square = load_sample_maker().moving_square
    square(folder / "first.mp4", (320, 240), 100, audio=True)
    square(folder / "second.mp4", (256, 192), 75, "mpeg4")
    return folder


def test_sigkill_at_random_moments_never_leaves_a_bad_state(kill_corpus, tmp_path):
    out = tmp_path / "out"
    before = source_hashes(kill_corpus)
    options = ("--slowmo", "0.5", "--reel")
    started = time.monotonic()
    whole = run_highlight(kill_corpus, out, *options)
    stdout, stderr = whole.communicate(timeout=300)
    assert whole.returncode == 0, stdout + stderr
    full_run = time.monotonic() - started
    assert not bad_states(out)
    shutil.rmtree(out)
    rng = random.Random(13)
    kills, finished_first, problems = 0, 0, []
    for _ in range(KILLS):
        run = run_highlight(kill_corpus, out, *options)
        try:
            run.wait(timeout=rng.uniform(0.3, full_run))
            finished_first += 1  # it finished before its moment came: start afresh next time
            run.communicate()
            shutil.rmtree(out, ignore_errors=True)
            continue
        except subprocess.TimeoutExpired:
            os.kill(run.pid, signal.SIGKILL)
            run.communicate()
            kills += 1
        if out.is_dir():
            problems += bad_states(out)
    rerun = run_highlight(kill_corpus, out, *options)
    stdout, stderr = rerun.communicate(timeout=300)
    final = bad_states(out) + [f"{p} left behind" for p in out.rglob(".*.tmp-*")]
    changed = [path for path, digest in source_hashes(kill_corpus).items() if before.get(path) != digest]
    SUMMARY["kills"] = f"{kills} (and {finished_first} runs that finished before their moment)"
    SUMMARY["bad states after kills"] = len(problems)
    SUMMARY["rerun after the kills"] = "complete" if rerun.returncode == 0 and not final else "NOT complete"
    assert kills >= KILLS // 2, f"only {kills} runs were still going when killed: the moments are too late"
    assert not problems, "\n".join(problems)
    assert rerun.returncode == 0 and not final, stdout + stderr + "\n".join(final)
    assert all(manifests.load(out / name).complete for name in ("first", "second"))
    assert not changed


def test_a_full_disk_fails_clearly_and_a_rerun_with_room_finishes(kill_corpus, small_disk):
    """Sizes from too small for anything to enough for all; each run is clean, none marks a broken clip done."""
    video = kill_corpus / "first.mp4"
    outcomes = []
    for size in ("300k", "9m"):  # the writer keeps 8 MB in reserve: 9m is enough, just
        subprocess.run(["mount", "-o", f"remount,size={size}", str(small_disk)], check=True)
        shutil.rmtree(small_disk / "first", ignore_errors=True)
        done = run_highlight(video, small_disk, "--slowmo", "0.5")
        stdout, stderr = done.communicate(timeout=300)
        assert "Traceback" not in stderr, stderr
        status = summary_rows(stdout).get("first.mp4")
        outcomes.append(f"{size}: {status}")
        assert bad_states(small_disk) == []
        if status == "failed":
            assert done.returncode == 1 and "no space left on" in stderr, stderr
            manifest_file = small_disk / "first" / manifests.MANIFEST_FILE
            assert not manifest_file.exists() or not json.loads(manifest_file.read_text())["complete"]
        else:
            assert status == "done" and done.returncode == 0
            assert not _finished_problems(small_disk / "first")
        assert not list(small_disk.rglob(".*.tmp-*"))
    subprocess.run(["mount", "-o", "remount,size=20m", str(small_disk)], check=True)
    done = run_highlight(video, small_disk, "--slowmo", "0.5")
    stdout, stderr = done.communicate(timeout=300)
    assert done.returncode == 0 and summary_rows(stdout).get("first.mp4") in ("done", "skipped"), stdout + stderr
    assert not _finished_problems(small_disk / "first")
    SUMMARY["full disk"] = ", ".join(outcomes) + "; rerun with room: done"
    assert "300k: failed" in outcomes
