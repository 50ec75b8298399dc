"""``highlight review``: marks made in a real browser become the labels file; refused requests stay refused.

Two real recordings are run (`highlight run`), then reviewed in headless Chromium
(Selenium, Debian's chromium and chromedriver) by keys and real pointer drags: one
highlight kept, one rejected, an edge dragged, a missed moment added. The labels file
must say what was clicked, within one sample of the run.
"""

from __future__ import annotations

import http.client
import json
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import av
import numpy as np
import pytest
from typer.testing import CliRunner

from highlight.cli import app
from highlight.export import manifest as manifests
from highlight.folder_lock import FolderBusy
from highlight.review.marks import (
    LABELS_FILE,
    MARKS_FILE,
    Detected,
    Mark,
    RecordingMarks,
    recording_ranges,
    still_applying,
)
from highlight.review.server import ReviewServer
from highlight.train.labels import read_labels

VIDEOS = ("court_two_shots", "pushup_side")
REEL_VIDEO = "pedestrians_cdnet"  # a fixed street camera: people crossing are the highlights


@pytest.fixture(scope="module")
def run_out(shared, tmp_path_factory) -> Path:
    """`highlight run` (no clips: review plays the recording itself) on two real recordings."""
    out = tmp_path_factory.mktemp("review_run")
    videos = [str(shared / "data" / "videos" / f"{name}.mp4") for name in VIDEOS]
    result = CliRunner().invoke(app, ["run", *videos, "--out", str(out), "--no-clips", "--no-report", "-q"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def out(run_out, tmp_path) -> Path:
    """A fresh copy of the run for each test: no marks yet."""
    copy = tmp_path / "out"
    shutil.copytree(run_out, copy)
    return copy


@pytest.fixture
def server(out):
    served = ReviewServer(out)
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    yield served
    served.shutdown()
    served.close()
    thread.join(5)


def _request(server, method: str, path: str, headers: dict | None = None, body: bytes | None = None):
    """A raw request (paths sent as they are, no client-side clean-up); (status, body bytes)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, data, response


# --- the labels made from marks ------------------------------------------------------------------


def test_labels_cover_reviewed_moments_and_never_an_unreviewed_highlight():
    video = Path("/v.mp4")
    detected = Detected(video, 60.0, [(1, 5.0, 9.0), (2, 14.0, 18.0), (3, 40.0, 44.0)])
    marks = RecordingMarks({1: Mark(5.5, 8.0, "keep"), 3: Mark(40.0, 44.0, "reject")}, [Mark(50.0, 52.0)])
    got = [(r.start, r.end, r.label) for r in recording_ranges(detected, marks)]
    assert got == [
        (0.0, 5.5, "background"),
        (5.5, 8.0, "highlight"),
        (8.0, 14.0, "background"),  # stops at #2, which nobody reviewed
        (30.0, 50.0, "background"),  # 10 s before the rejected #3 to the added moment
        (50.0, 52.0, "highlight"),
        (52.0, 60.0, "background"),  # the recording ends before the 10 s do
    ]


def test_earlier_marks_label_their_own_seconds_and_a_later_mark_wins():
    """Marks set aside by a cut: a kept stretch inside a new unreviewed highlight is still labelled; a later reject wins."""
    detected = Detected(Path("/v.mp4"), 60.0, [(1, 0.0, 12.0), (2, 30.0, 40.0)])  # after a cut: both unreviewed
    marks = RecordingMarks(earlier=[Mark(2.0, 8.0, "keep"), Mark(32.0, 38.0, "keep")])
    got = [(r.start, r.end, r.label) for r in recording_ranges(detected, marks)]
    assert got == [
        (2.0, 8.0, "highlight"),
        (12.0, 18.0, "background"),  # 10 s around, but never the unreviewed seconds beside them
        (22.0, 30.0, "background"),
        (32.0, 38.0, "highlight"),
        (40.0, 48.0, "background"),
    ]
    marks.highlights = {2: Mark(30.0, 40.0, "reject")}
    got = [(r.start, r.end, r.label) for r in recording_ranges(detected, marks)]
    assert got[-1] == (20.0, 50.0, "background"), "rejected since: the kept stretch inside is background now"


def test_a_mark_applies_only_to_the_highlight_it_was_made_on(out):
    """A `highlight cut` numbers other highlights the same way: a rejection must not pass to them."""
    from highlight.review.server import Review

    review = Review(out)
    spans = {i.index: (i.start, i.end) for i in manifests.load(out / "pushup_side").intervals}
    review.save("pushup_side", {"highlights": {"1": {"start": 1.0, "end": 10.0, "status": "reject"}}})
    saved = json.loads((out / MARKS_FILE).read_text())["recordings"]["pushup_side"]["highlights"]["1"]
    assert saved["detected"] == list(spans[1])
    marks = Review(out).marks["pushup_side"]
    assert still_applying(marks, [(1, *spans[1])]).highlights == marks.highlights
    assert still_applying(marks, [(1, spans[1][0] + 2.0, spans[1][1])]).highlights == {}, "another #1 after a cut"


def test_the_labels_keep_every_mark_after_a_cut_changed_its_highlight(shared, tmp_path):
    """Review, cut with a longer lead-in: #2's mark no longer applies (outputs, page) but stays a training label."""
    from highlight.review.server import Review

    out, key = tmp_path / "out", "cctv_shop_door"
    video = shared / "data" / "videos" / f"{key}.mp4"
    result = CliRunner().invoke(app, ["run", str(video), "--out", str(out), "--no-clips", "--no-report", "-q"])
    assert result.exit_code == 0, result.output
    first, second, *_ = manifests.load(out / key).intervals  # a shop door: #1 starts with the recording
    # the cut below starts #2 1 s earlier (its merge gap 1 s shorter: the same highlights);
    # after that, room before it for a moment the user adds
    room = second.start - 1.0 - first.end
    assert first.start == 0.0 and room > 0.5, "#1 at the start, room after it"
    kept = (second.start + 0.5, second.end - 0.5)
    Review(out).save(
        key,
        {
            "highlights": {
                "1": {"start": first.start, "end": first.end, "status": "reject"},
                "2": {"start": kept[0], "end": kept[1], "status": "keep"},
            }
        },
    )
    result = CliRunner().invoke(app, ["cut", str(out / key), "--pad-before", "2s", "--merge-gap", "1s", "-q"])
    assert result.exit_code == 0, result.output
    cut = manifests.load(out / key).intervals
    assert (cut[0].start, cut[0].end) == (first.start, first.end) and cut[1].start < second.start, "only #2 changed"
    assert _timeline_spans(out / key) == [pytest.approx((i.start, i.end), abs=0.04) for i in cut], "#2 unreviewed"

    again = Review(out)  # the page shows #2 unmarked, #1 still rejected; the user adds a moment
    assert list(again.marks[key].highlights) == [1]
    added = {"start": round(first.end + room / 4, 3), "end": round(first.end + 3 * room / 4, 3)}
    again.save(
        key, {"highlights": {"1": {"start": first.start, "end": first.end, "status": "reject"}}, "added": [added]}
    )
    rows = [(r.start, r.end, r.label) for r in read_labels(out / LABELS_FILE)]
    highlights = [(start, end) for start, end, label in rows if label == "highlight"]
    assert highlights == [pytest.approx((added["start"], added["end"])), pytest.approx(kept, abs=0.002)], rows
    assert any(s <= first.start and e >= first.end and label == "background" for s, e, label in rows), rows
    saved = json.loads((out / MARKS_FILE).read_text())["recordings"][key]
    assert [(m["start"], m["end"], m["status"]) for m in saved["earlier"]] == [(*kept, "keep")]


# --- refused requests ----------------------------------------------------------------------------


def test_listens_on_loopback_only_and_needs_the_token(server):
    assert server.server_address[0] == "127.0.0.1"
    assert server.url.startswith(f"http://127.0.0.1:{server.server_port}/?token=")
    token = server.token
    assert _request(server, "GET", f"/api/state?token={token}")[0] == 200
    one_off = token[:-1] + ("y" if token.endswith("x") else "x")  # the token with its last character changed
    for path in ("/api/state", "/api/state?token=", f"/api/state?token={one_off}", "/", "/recording/pushup_side"):
        status, body, _ = _request(server, "GET", path)
        assert status == 403 and b"token" in body, path
    status, body, _ = _request(server, "GET", f"/?token={token}", {"Host": f"evil.example:{server.server_port}"})
    assert status == 403 and b"Host" in body, "a DNS-rebinding site's Host is refused"


def test_no_file_outside_the_folder_is_served(server, out, tmp_path):
    token = server.token
    inside = "court_two_shots/scores.csv"
    status, body, _ = _request(server, "GET", f"/files/{inside}?token={token}")
    assert status == 200 and body == (out / inside).read_bytes()
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the browser")
    (out / "court_two_shots" / "link.txt").symlink_to(secret)
    for path in (
        "/files/../secret.txt",
        "/files/court_two_shots/../../secret.txt",
        "/files/%2e%2e/secret.txt",
        "/files/court_two_shots/%2e%2e/%2e%2e/secret.txt",
        f"/files/{secret}",
        f"/files//{secret}",
        f"/files/{str(secret).replace('/', '%2F')}",
        "/files/court_two_shots/link.txt",  # a link leading outside
        "/files/court_two_shots/..%5C..%5Csecret.txt",
        "/files/.highlight.lock",  # hidden files: the lock, temporaries
        "/recording/../secret.txt",
        f"/recording/{secret}",
    ):
        status, body, _ = _request(server, "GET", f"{path}?token={token}")
        assert status in (403, 404) and b"not for the browser" not in body, path


def test_video_is_served_with_byte_ranges(server, shared):
    video = (shared / "data" / "videos" / "court_two_shots.mp4").read_bytes()
    status, body, response = _request(
        server, "GET", f"/recording/court_two_shots?token={server.token}", {"Range": "bytes=100-199"}
    )
    assert status == 206 and body == video[100:200]
    assert response.getheader("Content-Range") == f"bytes 100-199/{len(video)}"
    status, body, _ = _request(
        server, "GET", f"/recording/court_two_shots?token={server.token}", {"Range": "bytes=-10"}
    )
    assert status == 206 and body == video[-10:]
    status, _, response = _request(
        server, "GET", f"/recording/court_two_shots?token={server.token}", {"Range": f"bytes={len(video)}-"}
    )
    assert status == 416 and response.getheader("Content-Range") == f"bytes */{len(video)}"


def test_cross_site_and_non_json_writes_are_refused(server, out):
    marks = {"highlights": {"1": {"start": 0, "end": 2, "status": "keep"}}, "added": []}
    body = json.dumps({"recording": "court_two_shots", "marks": marks}).encode()
    own = f"http://127.0.0.1:{server.server_port}"
    path = f"/api/marks?token={server.token}"
    json_type = {"Content-Type": "application/json"}
    for headers, expected in (
        ({**json_type, "Origin": "https://evil.example"}, 403),
        ({**json_type, "Origin": "null"}, 403),
        (json_type, 403),  # no Origin: not the page
        ({"Content-Type": "text/plain", "Origin": own}, 415),  # what a cross-site form can send
        ({"Content-Type": "application/x-www-form-urlencoded", "Origin": own}, 415),
    ):
        assert _request(server, "POST", path, headers, body)[0] == expected, headers
    assert not (out / MARKS_FILE).exists() and not (out / LABELS_FILE).exists()
    for wrong in (
        {"recording": "../court_two_shots", "marks": marks},
        {"recording": "court_two_shots", "marks": {"highlights": {"7": {"start": 0, "end": 1}}}},
        {"recording": "court_two_shots", "marks": {"added": [{"start": 2, "end": 1}]}},
    ):
        status, _, _ = _request(server, "POST", path, {**json_type, "Origin": own}, json.dumps(wrong).encode())
        assert status == 400, wrong
    assert _request(server, "POST", path, {**json_type, "Origin": own}, body)[0] == 200
    assert [(r.start, r.end, r.label) for r in read_labels(out / LABELS_FILE)] == [
        (0.0, 2.0, "highlight"),
        (2.0, 3.0, "background"),
    ]


def test_a_second_review_of_the_folder_is_refused(server, out):
    with pytest.raises(FolderBusy, match="busy"):
        ReviewServer(out)


# A background job of a shell script (`... &`) starts with SIGINT ignored, and Python then
# raises no KeyboardInterrupt: the review must end on Ctrl-C all the same.
_STARTED_AS_BACKGROUND_JOB = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "os.execv(sys.executable, [sys.executable, '-m', 'highlight', *sys.argv[1:]])"
)


def test_command_prints_the_address_first_and_ends_on_ctrl_c(out):
    process = subprocess.Popen(
        [sys.executable, "-c", _STARTED_AS_BACKGROUND_JOB, "review", str(out), "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and "/?token=" in url
        port = int(url.split(":")[2].split("/")[0])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", url.split(str(port), 1)[1])
        assert connection.getresponse().status == 200
        second = subprocess.run(
            [sys.executable, "-m", "highlight", "review", str(out), "--no-browser"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 2 and second.stdout == ""
        assert second.stderr.startswith("error: busy: ") and "Traceback" not in second.stderr
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=20)
        assert process.returncode == 0 and "Traceback" not in errors and "review ended" in errors
        assert not (out / ".highlight.lock").exists()  # the folder let go
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


# --- in a browser --------------------------------------------------------------------------------


def _open(browser, server) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server.url)
    WebDriverWait(browser, 20).until(lambda _: browser.execute_script("return document.body.dataset.ready") == "1")


def _wait_saved(browser, saves: int) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 20).until(
        lambda _: browser.execute_script(
            "var s = document.getElementById('saved'); return s.dataset.pending === '0' && Number(s.dataset.saves) >= "
            + str(saves)
        )
    )
    assert browser.find_element("id", "problem").text == ""


def _at(browser, out: Path, key: str, seconds: float) -> tuple[float, float]:
    """Where ``seconds`` is on a recording's plot, in CSS px of the page (x, and y in the middle of the plot)."""
    return browser.execute_script(
        """
        var svg = document.querySelector('section[data-key="' + arguments[0] + '"] svg.plot');
        svg.scrollIntoView({block: 'center'});
        var axis = svg.querySelector('line.axis'), x0 = Number(axis.getAttribute('x1')), x1 = Number(axis.getAttribute('x2'));
        var duration = arguments[2], x = x0 + (x1 - x0) * arguments[1] / duration;
        var point = new DOMPoint(x, Number(axis.getAttribute('y1')) - 50).matrixTransform(svg.getScreenCTM());
        return [point.x, point.y];
        """,
        key,
        seconds,
        manifests.load(out / key).source.duration,
    )


def _drag(browser, start: tuple[float, float], end: tuple[float, float]) -> None:
    """A real mouse: press at ``start``, move in steps, release at ``end`` (page CSS px)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.actions import interaction
    from selenium.webdriver.common.actions.pointer_input import PointerInput

    actions = ActionChains(browser, devices=[PointerInput(interaction.POINTER_MOUSE, "mouse")])
    actions.w3c_actions.pointer_action.move_to_location(round(start[0]), round(start[1]))
    actions.w3c_actions.pointer_action.pointer_down()
    steps = 6
    for k in range(1, steps + 1):
        x = start[0] + (end[0] - start[0]) * k / steps
        y = start[1] + (end[1] - start[1]) * k / steps
        actions.w3c_actions.pointer_action.move_to_location(round(x), round(y))
    actions.w3c_actions.pointer_action.pointer_up()
    actions.perform()


def _rows(browser) -> dict[str, list[tuple[str, str, str]]]:
    """What the page lists per recording: (label, span text, status)."""
    return browser.execute_script(
        """
        var rows = {};
        document.querySelectorAll('section[data-key]').forEach(function (section) {
          rows[section.dataset.key] = Array.from(section.querySelectorAll('tr.item')).map(function (row) {
            return [row.cells[0].textContent, row.querySelector('.span').textContent, row.querySelector('.status').textContent];
          });
        });
        return rows;
        """
    )


def test_marks_clicked_in_the_browser_are_the_labels_and_survive_a_reload(browser, server, out):
    from selenium.webdriver.common.action_chains import ActionChains

    court, pushup = (manifests.load(out / name) for name in VIDEOS)
    assert [(i.index, i.start) for i in court.intervals][:1] == [(1, 0.0)] and pushup.intervals
    sample = 1.0 / court.settings["sample_fps"]
    _open(browser, server)
    browser.execute_script("window.scrollTo(0, 0)")
    ActionChains(browser).send_keys("y").perform()  # the first highlight (court #1) kept
    ActionChains(browser).send_keys("j").send_keys("n").perform()  # the next (pushup #1) rejected
    _wait_saved(browser, 2)

    court_end = court.intervals[0].end
    new_end = round(court_end * 2 / 3, 3)
    _drag(browser, _at(browser, out, "court_two_shots", court_end), _at(browser, out, "court_two_shots", new_end))
    added = (5.0, 8.0)  # inside the rejected highlight: the moment that was missed in it
    _drag(browser, _at(browser, out, "pushup_side", added[0]), _at(browser, out, "pushup_side", added[1]))
    _wait_saved(browser, 4)

    labels = read_labels(out / LABELS_FILE)
    got = {name: [(r.start, r.end, r.label) for r in labels if r.video.stem == name] for name in VIDEOS}
    expected = {
        "court_two_shots": [(0.0, new_end, "highlight"), (new_end, court.source.duration, "background")],
        "pushup_side": [
            (0.0, added[0], "background"),
            (added[0], added[1], "highlight"),
            (added[1], pushup.source.duration, "background"),
        ],
    }
    for name in VIDEOS:
        assert [label for *_, label in got[name]] == [label for *_, label in expected[name]], got
        for (start, end, _), (want_start, want_end, _) in zip(got[name], expected[name]):
            assert start == pytest.approx(want_start, abs=sample) and end == pytest.approx(want_end, abs=sample)
    assert {r.video for r in labels} == {Path(court.source.path), Path(pushup.source.path)}

    before = _rows(browser)
    assert [status for *_, status in before["court_two_shots"]] == ["keep"]
    assert [status for *_, status in before["pushup_side"]] == ["reject", "added"]
    browser.refresh()
    _open(browser, server)
    assert _rows(browser) == before
    classes = browser.execute_script(
        "return Array.from(document.querySelectorAll('svg.plot rect.hl')).map(function (r) { return r.getAttribute('class'); })"
    )
    assert sum("keep" in c for c in classes) == 2 and sum("reject" in c for c in classes) == 1


def test_play_seeks_the_recording_to_the_highlight(browser, server, out):
    from selenium.webdriver.support.ui import WebDriverWait

    _open(browser, server)
    _drag(browser, _at(browser, out, "pushup_side", 6.0), _at(browser, out, "pushup_side", 9.0))
    _wait_saved(browser, 1)
    video = browser.find_element("css selector", 'section[data-key="pushup_side"] video')
    browser.execute_script(
        "var v = arguments[0]; v.addEventListener('seeking', function () { v.dataset.seekedAt = v.currentTime; }, "
        "{ once: true });",
        video,
    )
    browser.find_element("css selector", 'section[data-key="pushup_side"] tr.item:last-child button.play').click()
    WebDriverWait(browser, 40).until(lambda _: video.get_attribute("data-seeked-at") is not None, "no seek")
    assert float(video.get_attribute("data-seeked-at")) == pytest.approx(6.0, abs=0.05)
    browser.execute_script("arguments[0].currentTime = 8.7", video)  # near the end: it must stop there by itself
    WebDriverWait(browser, 40).until(lambda _: browser.execute_script("return arguments[0].paused", video), "no stop")
    assert 8.9 <= browser.execute_script("return arguments[0].currentTime", video) <= 9.6, "stops at the end"


# --- the outputs take the review -----------------------------------------------------------------


def _timeline_spans(folder: Path, exported: Path | None = None) -> list[tuple[float, float]]:
    """`highlight export --format otio` (of ``exported``: the recording's folder unless given), read back."""
    result = CliRunner().invoke(app, ["export", str(exported or folder), "--format", "otio", "-q"])
    assert result.exit_code == 0, result.output
    return _otio_spans(folder)


def _otio_spans(folder: Path) -> list[tuple[float, float]]:
    """The recording's OpenTimelineIO timeline, read back: each clip's span of the recording (none: no timeline)."""
    import opentimelineio as otio

    from highlight.export.timelines import FORMATS

    path = folder / FORMATS["otio"].filename
    if not path.is_file():
        return []
    timeline = otio.adapters.read_from_file(str(path))  # held: its tracks live only as long as it does
    return [
        (clip.source_range.start_time.to_seconds(), clip.source_range.end_time_exclusive().to_seconds())
        for clip in timeline.tracks[0]
    ]


def test_export_takes_only_kept_and_added_highlights_once_a_recording_is_reviewed(out):
    from highlight.review.server import Review

    court, pushup = (manifests.load(out / name) for name in VIDEOS)
    assert [(i.index, i.start) for i in pushup.intervals] == [(1, 0.0)] and pushup.intervals[0].end > 14
    frame = 1.0 / pushup.source.fps
    assert _timeline_spans(out / "pushup_side") == [pytest.approx((0.0, pushup.intervals[0].end), abs=frame)]
    review = Review(out)
    review.save(
        "pushup_side",
        {"highlights": {"1": {"start": 1.0, "end": 10.0, "status": "keep"}}, "added": [{"start": 12.0, "end": 14.0}]},
    )
    assert _timeline_spans(out / "pushup_side") == [
        pytest.approx((1.0, 10.0), abs=frame),
        pytest.approx((12.0, 14.0), abs=frame),
    ]
    review.save("pushup_side", {"highlights": {"1": {"start": 0, "end": 15, "status": "reject"}}})
    assert _timeline_spans(out / "pushup_side") == [], "everything rejected: no timeline"
    review.save("court_two_shots", {"added": [{"start": 0.5, "end": 1.0}]})  # #1 not marked: not reviewed yet
    assert _timeline_spans(out / "court_two_shots") == [pytest.approx((0.0, court.intervals[0].end), abs=frame)]


def test_export_of_the_run_folder_exports_every_recording_and_goes_on_past_a_broken_one(out, tmp_path):
    from highlight.export.timelines import FORMATS
    from highlight.review.server import Review

    court, pushup = (manifests.load(out / name) for name in VIDEOS)
    frame = 1.0 / pushup.source.fps
    Review(out).save("pushup_side", {"highlights": {"1": {"start": 1.0, "end": 10.0, "status": "keep"}}})
    result = CliRunner().invoke(app, ["export", str(out), "--format", "otio"])
    assert result.exit_code == 0, result.output
    assert result.output.split() == [str(out / name / FORMATS["otio"].filename) for name in VIDEOS]
    assert _otio_spans(out / "court_two_shots") == [pytest.approx((0.0, court.intervals[0].end), abs=frame)]
    assert _otio_spans(out / "pushup_side") == [pytest.approx((1.0, 10.0), abs=frame)], "as reviewed"

    broken = out / "court_two_shots" / manifests.MANIFEST_FILE
    broken.write_text("{", encoding="utf-8")
    (out / "pushup_side" / FORMATS["otio"].filename).unlink()
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(app, ["export", str(empty), str(out), "--format", "otio", "-q"])
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert result.exit_code == 1 and len(errors) == 2 and "Traceback" not in result.output, result.output
    assert str(empty) in errors[0] and str(broken) in errors[1]
    assert _otio_spans(out / "pushup_side") == [pytest.approx((1.0, 10.0), abs=frame)], "the batch went on"


def _frames(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Every frame's time and picture (grey, averaged over 8x8 blocks: enough to tell moments apart)."""
    with av.open(str(path)) as container:
        decoded = [(frame.time, frame.to_ndarray(format="gray")) for frame in container.decode(video=0)]
    pictures = np.stack([picture for _, picture in decoded]).astype(np.float32)
    count, height, width = pictures.shape
    blocks = pictures[:, : height // 8 * 8, : width // 8 * 8].reshape(count, height // 8, 8, width // 8, 8)
    return np.array([time for time, _ in decoded]), blocks.mean(axis=(2, 4)).reshape(count, -1)


def _origins(reel: Path, recording: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """For each frame of the reel, the time of the recording's frame it is closest to (squared difference)."""
    times, pictures = recording
    _, shown = _frames(reel)
    distance = (shown**2).sum(axis=1)[:, None] + (pictures**2).sum(axis=1)[None, :] - 2 * shown @ pictures.T
    return times[distance.argmin(axis=1)]


def _seconds(path: Path) -> float:
    probed = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return float(probed.stdout)


@pytest.fixture(scope="module")
def reel_run(shared, tmp_path_factory) -> Path:
    """`highlight run --reel` on a real street recording with two highlights."""
    out = tmp_path_factory.mktemp("review_reel")
    video = shared / "data" / "videos" / f"{REEL_VIDEO}.mp4"
    result = CliRunner().invoke(app, ["run", str(video), "--out", str(out), "--reel", "--no-report", "-q"])
    assert result.exit_code == 0, result.output
    return out


def _report_of(out: Path) -> tuple[list[str], bool, str]:
    """`highlight report`, read back: the listed highlights' "from - to", whether the reel is linked, the notes."""
    from highlight.export.report import build_report

    page = build_report(out).read_text(encoding="utf-8")
    spans = re.findall(r'<tr id="[^"]+"><td>\d+</td><td>([^<]+)<br>([^<]+)</td>', page)
    return [f"{a}-{b}" for a, b in spans], f"{REEL_VIDEO}/reel.mp4" in page, page


@pytest.mark.slow
def test_reel_timelines_and_report_play_only_kept_highlights_once_reviewed(reel_run, tmp_path):
    """Keep #1 with its edges dragged in, reject #2, add a moment before #1: the reel is made again for them."""
    from highlight.review.server import Review
    from highlight.units import format_timestamp

    out = tmp_path / "out"
    shutil.copytree(reel_run, out)
    folder = out / REEL_VIDEO
    manifest = manifests.load(folder)
    first, second = manifest.intervals  # the recording's two walks across the street
    assert first.start > 4.0 and first.duration > 8.0, "room for an added moment, and for edges dragged in"
    recording = _frames(manifest.recording(folder))
    frame = 1.0 / manifest.source.fps
    origins = _origins(folder / manifest.reel, recording)
    from_second = (origins >= second.start) & (origins < second.end)
    assert from_second.sum() >= 0.9 * second.duration * manifest.source.fps, "before the review: #2 is in the reel"

    kept, added = (first.start + 1.0, first.start + 7.0), (first.start - 4.0, first.start - 1.0)
    Review(out).save(
        REEL_VIDEO,
        {
            "highlights": {
                "1": {"start": kept[0], "end": kept[1], "status": "keep"},
                "2": {"start": second.start, "end": second.end, "status": "reject"},
            },
            "added": [{"start": added[0], "end": added[1]}],
        },
    )
    listed, linked, page = _report_of(out)
    assert not linked and "the reel was made before the latest review" in page, "the old reel is not the reviewed one"
    assert listed == [f"{format_timestamp(a)}-{format_timestamp(b)}" for a, b in (added, kept)]

    exported = _timeline_spans(folder, exported=out)  # the run's folder: its recordings, this one among them
    assert exported == [pytest.approx(added, abs=frame), pytest.approx(kept, abs=frame)]
    reviewed = manifests.load(folder)
    assert reviewed.reel and reviewed.reel_review.revision == 1
    assert reviewed.reel_review.spans == (pytest.approx(added), pytest.approx(kept))
    assert [(i.start, i.end) for i in reviewed.intervals] == [(i.start, i.end) for i in manifest.intervals]
    assert _seconds(folder / reviewed.reel) == pytest.approx(3.0 + 6.0, abs=2 * frame)
    origins = _origins(folder / reviewed.reel, recording)
    assert not ((origins >= second.start) & (origins < second.end)).any(), "a rejected highlight's frames are gone"
    assert ((origins >= kept[0] - frame) & (origins < kept[1] + frame)).sum() >= 0.95 * 6.0 * manifest.source.fps
    assert _report_of(out)[1], "the reel made for the review is linked"

    Review(out).save(REEL_VIDEO, {"highlights": {"1": {"start": 0, "end": 1, "status": "reject"}}})  # #2 unmarked
    assert _timeline_spans(folder) == [pytest.approx((i.start, i.end), abs=frame) for i in manifest.intervals]
    back = manifests.load(folder)
    assert back.reel_review is None and _seconds(folder / back.reel) == pytest.approx(
        first.duration + second.duration, abs=2 * frame
    ), "no longer fully reviewed: the detected highlights' reel again"


# --- training from the page ----------------------------------------------------------------------

SMALL_TRAINING = {"weights": "none", "epochs": 1, "image_size": 64, "sample_fps": 2, "batch_size": 8, "tflite": False}


def _mark_both(review) -> None:
    """Court #1 kept (its end dragged in), pushup #1 rejected with a missed moment added inside it."""
    review.save("court_two_shots", {"highlights": {"1": {"start": 0, "end": 2, "status": "keep"}}})
    review.save(
        "pushup_side",
        {"highlights": {"1": {"start": 0, "end": 15, "status": "reject"}}, "added": [{"start": 5, "end": 8}]},
    )


def test_training_options_are_checked_before_anything_starts(server, out):
    own = {"Content-Type": "application/json", "Origin": f"http://127.0.0.1:{server.server_port}"}
    path = f"/api/train?token={server.token}"
    status, body, _ = _request(server, "POST", path, own, json.dumps({"options": SMALL_TRAINING}).encode())
    assert status == 409 and b"nothing to train on" in body
    _mark_both(server.review)
    for bad in ({"weights": str(out / "x.h5")}, {"out": "/tmp/model"}, {"epochs": 0}, {"image_size": "64 --force"}):
        status, _, _ = _request(server, "POST", path, own, json.dumps({"options": bad}).encode())
        assert status == 400, bad
    assert _request(server, "GET", f"/api/train?token={server.token}")[1].startswith(b'{"state": "idle"')
    assert not (out / "review_model").exists()


@pytest.mark.slow
def test_training_started_from_the_page_runs_to_the_end_and_its_model_cuts(browser, server, out):
    from selenium.webdriver.support.ui import WebDriverWait

    _mark_both(server.review)
    _open(browser, server)
    browser.execute_script(
        """
        var form = document.getElementById('train-form'), values = arguments[0];
        Object.keys(values).forEach(function (name) {
          var field = form.elements[name];
          if (field.type === 'checkbox') { field.checked = values[name]; } else { field.value = values[name]; }
        });
        """,
        SMALL_TRAINING,
    )
    browser.find_element("id", "train-start").click()
    status = browser.find_element("id", "train-status")
    WebDriverWait(browser, 600).until(lambda _: status.get_attribute("data-state") in ("done", "failed", "stopped"))
    assert status.get_attribute("data-state") == "done", status.text
    assert "epoch 1/1" in status.text and "F1" in status.text, status.text
    browser.find_element("id", "use-model").click()  # highlight run --model on the reviewed recordings
    WebDriverWait(browser, 300).until(lambda _: status.get_attribute("data-state") in ("recut", "failed"))
    assert status.get_attribute("data-state") == "recut", status.text
    line = browser.find_element("css selector", 'section[data-key="court_two_shots"] p.recut')
    WebDriverWait(browser, 20).until(lambda _: line.text.startswith("new model: "))
    recut = manifests.load(out / "review_model" / "recut" / "court_two_shots")
    assert recut.settings["model"] == str(out / "review_model") and recut.complete
    shown = [f"{i.start:.2f} - {i.end:.2f} s" for i in recut.intervals]
    assert line.text == "new model: " + (", ".join(shown) if shown else "no highlights")
    assert len(browser.find_elements("css selector", 'section[data-key="court_two_shots"] tr.item')) == 1, (
        "the re-cut is shown beside the reviewed highlights, not as another recording to review"
    )


def test_a_reviews_recut_is_not_a_recording_of_the_report(tmp_path):
    """The Use button's re-cut (inside OUT) is shown beside the review, never listed as recordings again."""
    from highlight.export.report import REVIEW_MODEL_DIR, video_folders

    for folder in ("a", f"{REVIEW_MODEL_DIR}/recut/a"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "highlights.json").write_text("{}")
    assert video_folders(tmp_path) == [tmp_path / "a"]
    assert video_folders(tmp_path / REVIEW_MODEL_DIR / "recut") == [tmp_path / REVIEW_MODEL_DIR / "recut" / "a"]
