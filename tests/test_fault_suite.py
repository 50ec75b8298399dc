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


# -- issue 26: nothing outside OUT touched, no collisions, a changing source, no traceback ---------

ISSUE_26: dict[str, bool] = {}  # kind -> handled cleanly


def _kind(name: str, clean: bool) -> None:
    """Record one of issue 26's kinds for the summary (the test still asserts it)."""
    ISSUE_26[name] = clean
    SUMMARY["issue 26 kinds"] = f"{len(ISSUE_26)} ({', '.join(ISSUE_26)})"
    SUMMARY["issue 26 handled cleanly"] = sum(ISSUE_26.values())


def cli(capfd, *args: str) -> tuple[int, str, str]:
    """``highlight ARGS`` in this process, through the console entry point (its top-level guard included)."""
    from highlight.cli import main

    argv = sys.argv
    sys.argv = ["highlight", *args]
    try:
        main()
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    finally:
        sys.argv = argv
    out, err = capfd.readouterr()
    return code, out, err


def one_error_line(err: str, naming: str) -> bool:
    """Exactly one ``error:`` line, naming ``naming``, and no traceback."""
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    return "Traceback" not in err and len(errors) == 1 and naming in errors[0]


def tree(folder: Path, leave_out: Path) -> dict[str, str]:
    """``source_hashes`` of everything below ``folder`` except ``leave_out`` (the output folder)."""
    return {path: digest for path, digest in source_hashes(folder).items() if not Path(path).is_relative_to(leave_out)}


@pytest.fixture(scope="module")
def recording(tmp_path_factory) -> Path:
    """A 3 s recording with sound and motion all along (one highlight, one clip)."""
    folder = tmp_path_factory.mktemp("issue26")
    return load_sample_maker().moving_square(folder / "a.mp4", (320, 240), 75, audio=True)


def _quick_run(capfd, *args: str) -> tuple[int, str, str]:
    return cli(capfd, "run", *args, "-q", "--no-report", "--margin", "0.3s")


def test_a_hand_edited_manifest_never_touches_a_file_outside_its_folder(recording, tmp_path, capfd):
    """Issue 26, defect 1: ``cut`` deleted whatever a manifest's clip, slowmo_clip or reel named."""
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    shutil.copy(recording, inputs / "a.mp4")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    assert _quick_run(capfd, str(inputs), "--out", str(out))[0] == 0
    manifest_file = out / "a" / manifests.MANIFEST_FILE
    original = json.loads(manifest_file.read_text())
    before = tree(tmp_path, out)
    edits = {
        "clip ../../victim.txt": lambda m: m["intervals"][0].update(clip="../../victim.txt"),
        "slowmo_clip absolute": lambda m: m["intervals"][0].update(slowmo_clip=str(victim)),
        "reel ../../victim.txt": lambda m: m.update(reel="../../victim.txt"),
        "scores ../victim.txt": lambda m: m.update(scores="../../victim.txt"),
    }
    for what, edit in edits.items():
        edited = json.loads(json.dumps(original))
        edit(edited)
        manifest_file.write_text(json.dumps(edited))
        for command in (
            ["cut", str(out / "a"), "--threshold", "0.6"],
            ["export", str(out / "a")],
            ["report", str(out)],
        ):
            code, _, err = cli(capfd, *command)
            clean = tree(tmp_path, out) == before and victim.read_text() == "keep me"
            clean = (
                clean
                and ("Traceback" not in err)
                and (
                    command[0] == "report"
                    or one_error_line(err, "intervals")
                    or one_error_line(err, "reel")
                    or one_error_line(err, "scores")
                )
            )
            _kind(f"manifest {what}: {command[0]}", clean)
            assert clean, (what, command, code, err)
        # A run over the edited folder starts afresh from its own names: the victim stays.
        assert _quick_run(capfd, str(inputs), "--out", str(out))[0] == 0
        assert tree(tmp_path, out) == before
        manifest_file.write_text(json.dumps(original))


def test_stale_clips_are_removed_and_nothing_else(recording, tmp_path, capfd):
    """Issue 26, defect 7: after a re-analysis the old clip stayed, unlisted. Only names the writer makes go."""
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    video = shutil.copy(recording, inputs / "a.mp4")
    assert _quick_run(capfd, str(inputs), "--out", str(out))[0] == 0
    first = manifests.load(out / "a").intervals[0].clip
    kept = ["notes.txt", "clip_001_mine.mp4", "reel_for_grandma.mp4"]
    for name in kept:
        (out / "a" / name).write_text("a person's file")
    load_sample_maker().moving_square(Path(video), (320, 240), 150, audio=True)  # the recording grew: 6 s
    assert _quick_run(capfd, str(inputs), "--out", str(out))[0] == 0
    manifest = manifests.load(out / "a")
    listed = set(manifest.output_files())
    clips = {p.name for p in (out / "a").glob("clip_*.mp4")}
    clean = first not in clips and clips - set(kept) <= listed and all((out / "a" / n).exists() for n in kept)
    _kind("re-analysis leaves no stale clip", clean)
    assert clean, (first, clips, listed)


def test_cut_with_no_scores_changes_nothing_and_says_why(recording, tmp_path, capfd):
    """Issue 26, defect 6: an emptied scores.csv made cut delete every clip and save an empty, complete manifest."""
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    shutil.copy(recording, inputs / "a.mp4")
    assert _quick_run(capfd, str(inputs), "--out", str(out))[0] == 0
    scores = out / "a" / "scores.csv"
    for what, text, says in (
        ("empty scores.csv", "", "nothing was changed"),
        ("header only", "time_s,score,refined\n", "nothing was changed"),
        ("outside the recording", "time_s,score,refined\n900.0,0.9,0\n", "nothing was changed"),
        ("a time that is not a number", "time_s,score,refined\n0.0,0.9,0\nnan,0.9,0\n", "not a finite number"),
    ):
        scores.write_text(text)
        before = source_hashes(out)
        code, _, err = cli(capfd, "cut", str(out / "a"), "--threshold", "0.6")
        clean = code == 1 and source_hashes(out) == before and one_error_line(err, says)
        _kind(f"cut with {what}", clean)
        assert clean, err


def test_same_named_recordings_get_their_own_folders_run_after_run(recording, tmp_path, capfd):
    """Issue 26, defect 2: day2's IMG_0001 was overwritten by day3's, and every rerun processed both again."""
    days = [tmp_path / f"day{k}" / "IMG_0001.mp4" for k in (1, 2, 3)]
    for k, day in enumerate(days):
        day.parent.mkdir()
        load_sample_maker().moving_square(day, (320, 240), 50 + 25 * k)  # three different recordings
    out = tmp_path / "out"
    code, stdout, _ = cli(capfd, "run", *map(str, days), "--out", str(out), "-q", "--jobs", "3")
    folders = sorted(p.parent for p in out.glob("*/highlights.json"))
    owners = {manifests.load(f).source.path for f in folders}
    again_code, again, _ = cli(capfd, "run", *map(str, reversed(days)), "--out", str(out), "-q")
    record = json.loads((out / "report_files" / "batch.json").read_text()) if (out / "report_files").is_dir() else {}
    mapped = {r["path"]: r.get("out_dir") for r in record.get("results", [])}
    clean = (
        code == 0
        and len(folders) == 3
        and owners == {str(d.resolve()) for d in days}
        and again_code == 0
        and "3 already done" in again
        and sorted(Path(p) for p in mapped.values()) == [f.resolve() for f in folders]
    )
    _kind("same-named recordings", clean)
    assert clean, (stdout, again, folders, mapped)


def test_one_file_reached_twice_is_processed_once(recording, tmp_path, capfd):
    """Issue 26, defect 4: a folder and a link to it, a folder and a file in it, a hard link: once each."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(recording, inputs / "a.mp4")
    os.link(inputs / "a.mp4", inputs / "hard.mp4")
    (tmp_path / "link").symlink_to(inputs)
    given = [inputs, tmp_path / "link", inputs / "a.mp4", inputs / "a.mp4", tmp_path / "in" / ".." / "in" / "a.mp4"]
    code, stdout, _ = cli(capfd, "run", *map(str, given), "--out", str(tmp_path / "out"), "-q", "--no-report")
    clean = code == 0 and "1 video: 1 processed" in stdout and len(list((tmp_path / "out").iterdir())) == 1
    _kind("one file reached five ways", clean)
    assert clean, stdout


def test_earlier_outputs_inside_the_input_are_not_recordings(recording, tmp_path, capfd):
    """Issue 26, defects 3 and 12: outputs in the input folder were processed as recordings (nested folders
    clips2/clips1/a), and ``--out`` the input folder itself found "no videos"."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(recording, inputs / "a.mp4")
    results = [_quick_run(capfd, str(inputs), "--out", str(inputs / name)) for name in ("A", "B")]
    results.append(_quick_run(capfd, str(inputs)))
    same = _quick_run(capfd, str(inputs), "--out", str(inputs))
    again = _quick_run(capfd, str(inputs), "--out", str(inputs))
    manifests_found = sorted(str(p.relative_to(inputs)) for p in inputs.rglob(manifests.MANIFEST_FILE))
    clean = all("1 video: 1 processed" in stdout for _, stdout, _ in [*results, same]) and "1 already done" in again[1]
    clean = clean and manifests_found == [
        "A/a/highlights.json",
        "B/a/highlights.json",
        "a/highlights.json",
        "highlights/a/highlights.json",
    ]
    _kind("earlier output folders in the input", clean)
    _kind("--out the input folder", clean)
    assert clean, (results, same, again, manifests_found)


@pytest.mark.parametrize("change", ["truncated", "replaced"])
def test_a_recording_that_changes_while_processed_is_never_complete(recording, tmp_path, change):
    """Issue 26, defect 5: truncated after analysis (a 71.8 s clip for a 0-180 s interval) or replaced by
    ``mv``, the video still ended complete. Changed as the analysis passes 1 s: one line, not complete."""
    from highlight.pipeline import process_video
    from highlight.settings import RunSettings

    video = Path(shutil.copy(recording, tmp_path / "a.mp4"))
    other = load_sample_maker().moving_square(tmp_path / "other.mp4", (320, 240), 60)
    changed = []

    def change_at_one_second(t: float) -> None:
        if t > 1.0 and not changed:
            changed.append(t)
            if change == "truncated":
                os.truncate(video, video.stat().st_size // 2)
            else:
                os.replace(other, video)

    with pytest.raises(HighlightError) as failure:
        process_video(video, tmp_path / "out", RunSettings(), progress=change_at_one_second)
    manifest = manifests.load_if_present(tmp_path / "out")
    clean = "changed while it was being processed" in str(failure.value) and (manifest is None or not manifest.complete)
    _kind(f"recording {change} during analysis", clean)
    assert clean, str(failure.value)


def test_frames_moviepy_repeats_because_the_recording_ran_out_are_an_error(tmp_path):
    """Issue 26, defect 5: ``--clips encode`` on a truncated file wrote 108 s of frozen frame and 3,243 warnings."""
    from highlight.export import clips
    from highlight.intervals import Interval
    from highlight.settings import ClipSettings
    from highlight.source import probe

    video = load_sample_maker().moving_square(tmp_path / "a.mkv", (320, 240), 250)  # 10 s
    info = probe(video)
    os.truncate(video, video.stat().st_size // 3)
    target = tmp_path / "clip.mp4"
    with clips.open_source(info) as source, pytest.raises(HighlightError) as failure:
        clips.write_clip(source, Interval(0.0, 9.0), target, ClipSettings())
    clean = "ran out" in str(failure.value) and not target.exists() and not list(tmp_path.glob(".*tmp*"))
    _kind("encode from a recording that ran out", clean)
    assert clean, str(failure.value)


def test_names_that_are_not_utf8_work_everywhere(recording, tmp_path, capfd):
    """Issue 26, defect 8: a name with a byte that is not UTF-8 failed the video (surrogates not allowed),
    lost the batch's report.html, and ``watch`` died at start-up with an 84-line traceback."""
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    raw = os.fsdecode(b"caf\xe9 \xff.mp4")
    shutil.copy(recording, inputs / raw)
    code, stdout, err = cli(capfd, "run", str(inputs), "--out", str(out), "-q", "--export", "otio")
    folder = next(p.parent for p in out.glob("*/highlights.json"))
    manifest = manifests.load(folder)
    outcomes = {
        "run": code == 0 and "Traceback" not in err and printable(raw) in stdout,
        "manifest keeps the real path": Path(manifest.source.path) == (inputs / raw).resolve(),
        "report": (out / "report.html").is_file() and "\\udce9" in (out / "report.html").read_text(),
        "rerun skips it": "1 already done" in cli(capfd, "run", str(inputs), "--out", str(out), "-q")[1],
        "cut": cli(capfd, "cut", str(folder), "--threshold", "0.6")[0] == 0,
        "export": cli(capfd, "export", str(folder), "--format", "edl,fcpxml")[0] == 0,
    }
    watched = subprocess.run(
        [*HIGHLIGHT, "watch", str(inputs), "--out", str(tmp_path / "watched"), "--exit-when-idle", "--settle", "0.2"],
        capture_output=True,
        timeout=120,
    )
    status = subprocess.run(
        [*HIGHLIGHT, "watch", "--status", "--out", str(tmp_path / "watched")], capture_output=True, timeout=60
    )
    outcomes["watch"] = watched.returncode == 0 and b"Traceback" not in watched.stderr
    outcomes["watch --status"] = b"done" in status.stdout and printable(raw).encode() in status.stdout
    for what, clean in outcomes.items():
        _kind(f"name not UTF-8: {what}", clean)
    assert all(outcomes.values()), (outcomes, stdout, err, watched.stderr[-2000:])


def test_a_read_only_output_is_one_line_from_every_command(recording, small_disk, capfd):
    """Issue 26, defect 9: ``cut``, ``report``, ``export`` (and ``watch``) on a read-only disk: OSError tracebacks."""
    subprocess.run(["mount", "-o", "remount,size=20m", str(small_disk)], check=True)
    inputs = small_disk / "in"
    inputs.mkdir()
    shutil.copy(recording, inputs / "a.mp4")
    out = small_disk / "out"
    assert _quick_run(capfd, str(inputs), "--out", str(out))[0] == 0
    (out / "watch.sqlite3").write_bytes(b"")  # a store that cannot be opened for writing
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        commands = {
            "cut": ["cut", str(out / "a"), "--threshold", "0.6"],
            "report": ["report", str(out)],
            "export": ["export", str(out / "a")],
            "run": ["run", str(inputs), "--out", str(small_disk / "new"), "-q"],
            "watch --status": ["watch", "--status", "--out", str(out)],
        }
        for name, command in commands.items():
            code, _, err = cli(capfd, *command)
            clean = (
                code != 0
                and one_error_line(err, "Read-only file system")
                or (name == "watch --status" and one_error_line(err, "watch.sqlite3"))
            )
            _kind(f"read-only output: {name}", clean)
            assert clean, (name, err)
        watch = subprocess.run(
            [*HIGHLIGHT, "watch", str(inputs), "--out", str(small_disk / "new"), "--exit-when-idle"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        clean = watch.returncode != 0 and one_error_line(watch.stderr, "Read-only file system")
        _kind("read-only output: watch", clean)
        assert clean, watch.stderr
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)


def test_bad_settings_files_and_stores_are_one_line_naming_them(recording, tmp_path, capfd, monkeypatch):
    """Issue 26, defects 9 and 11: a config of the wrong shape, a damaged watch.sqlite3, --out naming a file and
    a damaged model.json gave tracebacks, or an error about every video instead of the model."""
    from tests.conftest import write_model_description

    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(recording, inputs / "a.mp4")
    shutil.copy(recording, inputs / "b.mp4")
    config = tmp_path / "config.toml"
    monkeypatch.setenv("HIGHLIGHT_CONFIG", str(config))
    cases: dict[str, tuple[list[str], str]] = {}
    for what, text in (
        ("config preset a list", '[run]\npreset = ["shots"]\n'),
        ("config run = 5", "run = 5\n"),
        ("config width a list", "[detectors.motion]\nwidth = [1]\n"),
    ):
        config.write_text(text)
        cases[what] = (["run", str(inputs), "--out", str(tmp_path / "o")], str(config))
        code, out_text, err = cli(capfd, *cases[what][0])
        _kind(what, code != 0 and one_error_line(err, str(config)))
        assert one_error_line(err, str(config)), (what, code, out_text, err)
    monkeypatch.delenv("HIGHLIGHT_CONFIG")
    out = tmp_path / "watched"
    out.mkdir()
    for what, content in (
        ("corrupt", b"SQLite format 3\0" + b"\x07" * 2000),
        ("random", random.Random(3).randbytes(5000)),
    ):
        (out / "watch.sqlite3").write_bytes(content)
        code, _, err = cli(capfd, "watch", "--status", "--out", str(out))
        clean = code != 0 and one_error_line(err, "watch.sqlite3")
        watch = subprocess.run(
            [*HIGHLIGHT, "watch", str(inputs), "--out", str(out), "--exit-when-idle"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        clean = clean and watch.returncode != 0 and one_error_line(watch.stderr, "watch.sqlite3")
        _kind(f"watch.sqlite3 {what}", clean)
        assert clean, (err, watch.stderr)
    (tmp_path / "a_file").write_text("")
    code, _, err = cli(capfd, "watch", str(inputs), "--out", str(tmp_path / "a_file"))
    _kind("watch --out a file", code != 0 and one_error_line(err, "not a folder"))
    assert one_error_line(err, "not a folder"), err
    model = tmp_path / "model"
    write_model_description(model)
    description = json.loads((model / "model.json").read_text())
    for what, field, value in (
        ("labels 5", "labels", 5),
        ("input a text", "input", "224"),
        ("threshold 7", "threshold", 7),
    ):
        (model / "model.json").write_text(json.dumps({**description, field: value}))
        code, _, err = cli(capfd, "run", str(inputs), "--out", str(tmp_path / "m"), "--model", str(model), "-q")
        clean = code != 0 and one_error_line(err, "model.json") and "a.mp4" not in err
        _kind(f"model.json {what}", clean)
        assert clean, err
    (model / "model.json").write_text(json.dumps(description))
    (model / "model.keras").write_bytes(b"\x80\x04\x95 a pickle, not a zip")
    code, stdout, err = cli(capfd, "run", str(inputs), "--out", str(tmp_path / "m"), "--model", str(model), "-q")
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    clean = code != 0 and "Traceback" not in err and all("model.keras: not a Keras model" in line for line in errors)
    _kind("model.keras a pickle", clean)
    assert clean and errors, err


def test_a_bug_is_one_line_and_a_report_file(recording, tmp_path, capfd, monkeypatch):
    """The top-level guard: an error nobody foresaw is one line naming the report file, which holds the traceback."""
    import highlight.batch

    def broken(*args, **kwargs):
        raise RuntimeError("a bug\nsecond line")

    monkeypatch.setattr(highlight.batch, "run_batch", broken)
    code, _, err = cli(capfd, "run", str(recording), "--out", str(tmp_path / "out"))
    report = Path(err.split("full report: ")[-1].strip().rstrip(")")) if "full report: " in err else None
    clean = code == 1 and one_error_line(err, "RuntimeError: a bug") and report is not None and report.is_file()
    clean = clean and "Traceback" in report.read_text() and "second line" not in err
    _kind("a bug reaches the top", clean)
    assert clean, err
    report.unlink()


def test_the_summary_note_drops_the_name_however_the_path_was_given():
    """Issue 26, defect 12: given as a relative path, the note kept the absolute name (and a temporary file's)."""
    from highlight.batch import BatchReport, format_summary
    from highlight.runner import VideoResult

    video = Path("in/fps_0001.mp4")
    error = f"{video.resolve()}: cannot cut 0.00-3.00 s (Invalid data found when processing input)"
    table = format_summary(BatchReport([VideoResult(video, None, "failed", error=error)]))
    row = table.splitlines()[1]
    clean = (
        row.split("failed")[1].strip().endswith("s  cannot cut 0.00-3.00 s (Invalid data found when processing input)")
    )
    clean = clean and str(video.resolve()) not in row
    _kind("summary note of a relative path", clean)
    assert clean, table


def test_a_recording_in_one_gop_is_decoded_once_for_the_motion_plate(tmp_path, monkeypatch):
    """Issue 26, defect 13: a 2 s 8K recording in one GOP spent 16 s in ``prepare``: each of the 15 plate frames
    was decoded from the one keyframe again. Now one pass decodes each frame at most once."""
    from highlight.scorers import get_scorer
    from highlight.source import VideoSource, probe

    video = tmp_path / "one_gop.mp4"
    with av.open(str(video), "w") as container:
        stream = container.add_stream(
            "libx264", rate=25, options={"g": "1000", "keyint_min": "1000", "sc_threshold": "0"}
        )
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for k in range(100):
            image = np.full((240, 320, 3), 90, np.uint8)
            image[80:140, 3 * k : 3 * k + 60] = 230
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = k
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    passes, delivered = [], []  # each window() decodes from the keyframe before its start: one pass each
    window = VideoSource.window

    def counting_window(self, start, end):
        passes.append(start)
        for frame in window(self, start, end):
            delivered.append(frame.time)
            yield frame

    monkeypatch.setattr(VideoSource, "window", counting_window)
    scorer = get_scorer("motion", sample_fps=2.0)
    with VideoSource(video, probe(video)) as source:
        scorer.prepare(source)
    plate = scorer.plate_frames
    clean = len(passes) == 1 and len(set(delivered)) == len(delivered) and len(delivered) >= plate - 1
    _kind("one-GOP recording: plate decoded in one pass", clean)
    assert clean, f"{len(passes)} passes from the keyframe, {len(delivered)} frames delivered for {plate} plate frames"


def test_a_manifest_of_the_wrong_shape_is_one_line_blaming_it(recording, tmp_path, capfd):
    """Hand edits that leave a value where an object, a text or a setting belongs: one line naming the manifest
    from cut, export and report (the guard's "a bug" line and report file are for bugs, not for bad files)."""
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    shutil.copy(recording, inputs / "a.mp4")
    assert _quick_run(capfd, str(inputs), "--out", str(out))[0] == 0
    manifest_file = out / "a" / manifests.MANIFEST_FILE
    original = json.loads(manifest_file.read_text())
    edits = {
        "source a text": lambda m: m.update(source="x"),
        "source.path a number": lambda m: m["source"].update(path=5),
        "settings.intervals a text": lambda m: m["settings"].update(intervals="x"),
        "settings.slowmo a text": lambda m: m["settings"].update(slowmo="x"),
        "decode a text": lambda m: m.update(decode="x"),
        "settings_from a list": lambda m: m.update(settings_from=[1]),
    }
    for what, edit in edits.items():
        edited = json.loads(json.dumps(original))
        edit(edited)
        manifest_file.write_text(json.dumps(edited))
        lines = [cli(capfd, *command)[2] for command in (["cut", str(out / "a")], ["export", str(out / "a")])]
        lines.append(cli(capfd, "report", str(out))[2])
        clean = all("a bug" not in err and "Traceback" not in err for err in lines)
        clean = clean and one_error_line(
            lines[0], str(manifest_file)
        )  # export may not need the field: done, or one line
        clean = clean and (not lines[1].strip() or one_error_line(lines[1], str(manifest_file)))
        _kind(f"manifest {what}", clean)
        assert clean, (what, lines)
    manifest_file.write_text(json.dumps(original))


@pytest.mark.skipif("libsvtav1" not in av.codecs_available, reason="no SVT-AV1 encoder in this PyAV")
def test_encoding_av1_for_the_corpus_leaves_the_test_process_scheduling_as_it_was(tmp_path):
    """SVT-AV1 run as root sets the encoding thread to real-time priority and leaves it so; every browser
    and training the suite starts after it inherited that, and a spinning renderer starved CI."""
    before = (os.sched_getscheduler(0), os.sched_getparam(0))
    load_sample_maker().moving_square(tmp_path / "av1.mkv", (320, 240), 30, "libsvtav1")
    assert (os.sched_getscheduler(0), os.sched_getparam(0)) == before
