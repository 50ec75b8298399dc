"""The local web server behind ``highlight review``: the standard library's http.server, nothing else.

Safe by default, because a page on the loopback address is reachable from every web
page the user has open:

- it listens on 127.0.0.1 only, and answers only requests whose Host is that address or
  ``localhost`` with its port (a DNS-rebinding site sends its own name);
- every request carries the random token printed with the URL (``?token=``), compared in
  constant time; without it, 403;
- state-changing requests are POSTs of JSON (a cross-site form cannot send that without
  a preflight this server never grants) whose Origin is the page's own;
- files are served from two places only: the output folder (a relative path, each part
  checked: no ``..``, no absolute path, no hidden file, nothing a link leads outside)
  and the recordings its manifests name (by their folder's key, never by a path from the
  URL); nothing is written but the two marks files and the model folder in the output
  folder (training: highlight/review/training.py);
- the output folder's lock (highlight/folder_lock.py) is held while it runs, so a second
  review of the same folder is refused rather than both overwriting each other's marks.

Videos are served with HTTP Range support so the browser can seek to a highlight.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import mimetypes
import re
import secrets
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from highlight import HighlightError
from highlight.export import manifest as manifests
from highlight.export.report import plot_svg, video_folders
from highlight.export.scores import read_scores
from highlight.folder_lock import folder_lock
from highlight.review.marks import (
    LABELS_FILE,
    Detected,
    load_marks,
    marked_on,
    parse_recording_marks,
    save_marks,
    still_applying,
)
from highlight.review.training import OPTIONS, TrainingJob

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
MAX_BODY = 1 << 20  # marks of one recording: far below this
CHUNK = 1 << 16
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


@dataclass(frozen=True)
class Recording:
    """One reviewed recording: its key (the output folder relative to OUT), run and score plot."""

    key: str
    name: str
    detected: Detected
    plot: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "duration": self.detected.duration,
            "highlights": [{"index": i, "start": s, "end": e} for i, s, e in self.detected.highlights],
            "plot": self.plot,
        }


def load_recordings(out: Path) -> dict[str, Recording]:
    """Every recording of the output folder with a readable manifest and video, by key."""
    recordings = {}
    for folder in video_folders(out):  # the Use button's re-cut is not among them: shown beside, not reviewed
        try:
            manifest = manifests.load(folder)
        except HighlightError as error:
            log.warning("%s", error)
            continue
        video, duration = Path(manifest.source.path or ""), float(manifest.source.duration or 0)
        if not manifest.source.path or duration <= 0:
            log.warning("%s: no source video or duration in the manifest; skipped", folder)
            continue
        key = folder.relative_to(out).as_posix() if folder != out else "."
        spans = [(i.index, i.start, i.end) for i in manifest.intervals]
        recordings[key] = Recording(key, video.name, Detected(video, duration, spans), _plot(folder, manifest))
    return recordings


def _plot(folder: Path, manifest: manifests.Manifest) -> str:
    """The report's score plot, without its shading: the page draws the highlights it can edit."""
    settings = manifest.interval_settings
    try:
        times, scores, _ = read_scores(folder / manifest.scores)
    except HighlightError as error:
        times, scores = [], []
        log.warning("%s", error)
    return plot_svg(
        times, scores, [], settings.get("threshold"), settings.get("exit_threshold"), manifest.source.duration
    )


def safe_relative(out: Path, text: str) -> Path | None:
    """The file ``text`` names inside ``out``, or None: absolute, ``..``, hidden, or leading outside."""
    if not text or "\\" in text or "\x00" in text or text.startswith("/"):
        return None
    parts = PurePosixPath(text).parts
    if any(part in ("", ".", "..") or part.startswith(".") or ":" in part for part in parts):
        return None
    root = out.resolve()
    path = (root / Path(*parts)).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


class Review:
    """The review's state: the folder, its recordings and marks; saving is one at a time."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out).resolve()
        self.recordings = load_recordings(self.out)
        if not self.recordings:
            raise HighlightError(f"{out}: no highlights.json with a recording found (run `highlight run` first)")
        self.marks = load_marks(self.out)
        for key, recording in self.recordings.items():  # a cut since the last review renumbers the highlights
            if key in self.marks:
                self.marks[key] = still_applying(self.marks[key], recording.detected.highlights)
        self._saving = threading.Lock()
        self.training = TrainingJob(self.out, self.out / LABELS_FILE)

    def state(self) -> dict[str, Any]:
        recut = self.recut_highlights()
        return {
            "folder": str(self.out),
            "labels": str(self.out / LABELS_FILE),
            "train_options": {name: option.default for name, option in OPTIONS.items()},
            "recordings": [
                {
                    **recording.as_dict(),
                    "marks": self.marks[key].as_dict() if key in self.marks else None,
                    "recut": recut.get(recording.detected.video.resolve()),
                }
                for key, recording in self.recordings.items()
            ],
        }

    def recut_highlights(self) -> dict[Path, list[dict[str, float]]]:
        """The highlights the trained model found (Use), by recording: the new beside the old."""
        folder = self.training.recut_folder
        found = {}
        for recut in video_folders(folder) if folder.is_dir() else ():
            try:
                manifest = manifests.load(recut)
            except HighlightError:
                continue
            spans = [{"start": i.start, "end": i.end} for i in manifest.intervals]
            found[Path(manifest.source.path).resolve()] = spans
        return found

    def save(self, key: str, data: Any) -> dict[str, Any]:
        """One recording's marks replaced by ``data``; ValueError when it is not a recording or not marks."""
        recording = self.recordings.get(key)
        if recording is None:
            raise ValueError(f"{key!r}: not a recording of this folder")
        marks = parse_recording_marks(data, recording.detected.duration)
        known = {index for index, _, _ in recording.detected.highlights}
        unknown = sorted(set(marks.highlights) - known)
        if unknown:
            raise ValueError(f"highlight {unknown[0]}: not one of {recording.name}'s")
        with self._saving:
            previous = self.marks.get(key)
            marks = marked_on(marks, recording.detected.highlights)
            marks.revision = (previous.revision if previous else 0) + 1
            marks.earlier = list(previous.earlier) if previous else []  # not on the page, still labels
            self.marks[key] = marks
            save_marks(self.out, self.marks, {k: r.detected for k, r in self.recordings.items()})
        return marks.as_dict()


class ReviewServer(ThreadingHTTPServer):
    """The HTTP server of one review; holds the output folder's lock from start to ``close``."""

    daemon_threads = True

    def __init__(self, out: Path, port: int = 0) -> None:
        self._lock = contextlib.ExitStack()
        self._lock.enter_context(folder_lock(Path(out)))
        try:
            self.review = Review(out)
            self.token = secrets.token_urlsafe(24)
            super().__init__((HOST, port), ReviewHandler)
        except BaseException:
            self._lock.close()
            raise
        self.origins = {f"http://{host}:{self.server_port}" for host in (HOST, "localhost")}

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_port}/?token={self.token}"

    def serve_until(self, stop: threading.Event, poll_s: float = 0.5) -> None:
        """Serve on a thread of its own until ``stop`` is set (``highlight review``: by Ctrl-C or SIGTERM).

        The calling (main) thread only waits, so the signal handler that sets ``stop`` runs
        whatever a request is doing. Ending never relies on KeyboardInterrupt: a process
        started as a background job (``&``) inherits SIGINT ignored, and Python then never
        raises it, so a review started that way could not be ended by SIGINT at all.
        """
        serving = threading.Thread(target=self.serve_forever, args=(poll_s,), name="review server", daemon=True)
        serving.start()
        try:
            while serving.is_alive() and not stop.wait(poll_s):
                pass
        finally:
            self.shutdown()  # back once serve_forever has returned: at most one poll

    def close(self) -> None:
        """Stop listening, end a running training and let go of the folder."""
        self.review.training.stop()
        self.server_close()
        self._lock.close()


class Refused(Exception):
    """A request answered with an error status and a one-line reason."""

    def __init__(self, status: HTTPStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class ReviewHandler(BaseHTTPRequestHandler):
    server: ReviewServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self._answer(self._get)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(self._get)

    def do_POST(self) -> None:  # noqa: N802
        self._answer(self._post)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's name)
        log.debug("%s " + format, self.address_string(), *args)

    def _answer(self, route) -> None:
        try:
            self._check_host_and_token()
            route(unquote(urlsplit(self.path).path))
        except Refused as refused:
            self._send_text(refused.status, str(refused))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _check_host_and_token(self) -> None:
        host = self.headers.get("Host", "")
        if f"http://{host}" not in self.server.origins:
            raise Refused(HTTPStatus.FORBIDDEN, f"wrong Host {host!r}: open the address `highlight review` printed")
        given = parse_qs(urlsplit(self.path).query).get("token", [""])[0] or self.headers.get("X-Review-Token", "")
        if not hmac.compare_digest(given.encode(), self.server.token.encode()):
            raise Refused(HTTPStatus.FORBIDDEN, "no valid token: open the address `highlight review` printed")

    def _get(self, path: str) -> None:
        review = self.server.review
        if path == "/":
            self._send_bytes(HTTPStatus.OK, page(self.server.token).encode(), "text/html; charset=utf-8")
        elif path == "/api/state":
            self._send_json(HTTPStatus.OK, review.state())
        elif path == "/api/train":
            self._send_json(HTTPStatus.OK, review.training.status())
        elif path.startswith("/recording/"):
            recording = review.recordings.get(path.removeprefix("/recording/"))
            if recording is None or not recording.detected.video.is_file():
                raise Refused(HTTPStatus.NOT_FOUND, "no such recording")
            self._send_file(recording.detected.video)
        elif path.startswith("/files/"):
            file = safe_relative(review.out, path.removeprefix("/files/"))
            if file is None:
                raise Refused(HTTPStatus.FORBIDDEN, "not a file of the output folder")
            self._send_file(file)
        else:
            raise Refused(HTTPStatus.NOT_FOUND, "no such page")

    def _post(self, path: str) -> None:
        origin = self.headers.get("Origin", "")
        if origin not in self.server.origins:
            raise Refused(HTTPStatus.FORBIDDEN, f"cross-site request refused (Origin {origin!r})")
        if self.headers.get_content_type() != "application/json":
            raise Refused(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send JSON (Content-Type: application/json)")
        if path not in ACTIONS:
            raise Refused(HTTPStatus.NOT_FOUND, "no such action")
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            raise Refused(HTTPStatus.LENGTH_REQUIRED, "Content-Length needed") from None
        if not 0 <= length <= MAX_BODY:
            raise Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "request too large")
        try:
            body = json.loads(self.rfile.read(length))
        except ValueError as error:
            raise Refused(HTTPStatus.BAD_REQUEST, f"not JSON: {error}") from None
        self._send_json(HTTPStatus.OK, ACTIONS[path](self.server.review, body))

    def _send_file(self, path: Path) -> None:
        """The file, or the byte range the browser asked for (206), so that a video can seek."""
        size = path.stat().st_size
        start, end, status = 0, size - 1, HTTPStatus.OK
        wanted = self.headers.get("Range")
        if wanted:
            match = _RANGE.match(wanted.strip())
            if not match or not any(match.groups()):
                raise Refused(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, "only one byte range is served")
            first, last = match.groups()
            if first:
                start, end = int(first), min(int(last), size - 1) if last else size - 1
            else:
                start = max(size - int(last), 0)
            if start > end or start >= size:
                self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = HTTPStatus.PARTIAL_CONTENT
        self.send_response(status)
        self.send_header("Content-Type", mimetypes.guess_type(path.name)[0] or "application/octet-stream")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        if status == HTTPStatus.PARTIAL_CONTENT:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self._common_headers()
        self.end_headers()
        if self.command == "HEAD":
            return
        with path.open("rb") as handle:
            handle.seek(start)
            left = end - start + 1
            while left > 0:
                chunk = handle.read(min(CHUNK, left))
                if not chunk:
                    break
                self.wfile.write(chunk)
                left -= len(chunk)

    def _send_json(self, status: HTTPStatus, data: Any) -> None:
        self._send_bytes(status, json.dumps(data).encode(), "application/json")

    def _send_text(self, status: HTTPStatus, text: str) -> None:
        self._send_bytes(status, (text + "\n").encode(), "text/plain; charset=utf-8")

    def _send_bytes(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self._common_headers()
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _common_headers(self) -> None:
        """No caching of marks, no framing by other sites, no guessing of types, no token in Referer."""
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")


def _save_marks(review: Review, body: Any) -> dict[str, Any]:
    try:
        return {"saved": review.save(str(body["recording"]), body.get("marks"))}
    except (ValueError, KeyError, TypeError) as error:
        raise Refused(HTTPStatus.BAD_REQUEST, f"marks not saved: {error}") from None
    except (OSError, HighlightError) as error:
        raise Refused(HTTPStatus.INTERNAL_SERVER_ERROR, f"marks not saved: {error}") from None


def _start_training(review: Review, body: Any) -> dict[str, Any]:
    if not (review.out / LABELS_FILE).is_file():
        raise Refused(HTTPStatus.CONFLICT, "nothing to train on yet: keep or reject some highlights first")
    options = body.get("options", {}) if isinstance(body, dict) else None
    if not isinstance(options, dict):
        raise Refused(HTTPStatus.BAD_REQUEST, 'not started: send {"options": {...}}')
    try:
        review.training.start(options)
    except ValueError as error:
        raise Refused(HTTPStatus.BAD_REQUEST, f"not started: {error}") from None
    except RuntimeError as error:
        raise Refused(HTTPStatus.CONFLICT, str(error)) from None
    return review.training.status()


def _stop_training(review: Review, body: Any) -> dict[str, Any]:
    review.training.stop()
    return review.training.status()


def _use_model(review: Review, body: Any) -> dict[str, Any]:
    try:
        review.training.use([recording.detected.video for recording in review.recordings.values()])
    except RuntimeError as error:
        raise Refused(HTTPStatus.CONFLICT, str(error)) from None
    return review.training.status()


ACTIONS = {
    "/api/marks": _save_marks,
    "/api/train": _start_training,
    "/api/train/stop": _stop_training,
    "/api/use": _use_model,
}


def page(token: str) -> str:
    """The review page: the report's style, the token for the page's own requests."""
    template = resources.files("highlight.review").joinpath("page.html").read_text(encoding="utf-8")
    report = resources.files("highlight.export").joinpath("report_template.html").read_text(encoding="utf-8")
    style = report[report.index("<style>") + len("<style>") : report.index("</style>")]
    config = json.dumps({"token": token}).replace("</", "<\\/")
    return template.replace("/*REPORT_STYLE*/", style).replace("/*CONFIG*/", config)
