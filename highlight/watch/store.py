"""The watch daemon's record of every file it has seen: SQLite, in the output folder.

One row per recording: its size and mtime when taken, the key of the settings and model
it was processed with, its status (queued, running, done, failed), attempts, the last
error and the output folder. Restarting the daemon never reprocesses what is done; a
changed file (size or mtime) or changed settings/model put it back in the queue.

Crash safety: the database is in WAL mode and every change is one committed statement,
so a SIGKILL or power cut leaves either the old row or the new one. A row left
``running`` by a daemon that died is re-queued when the next one opens the store; the
outputs themselves are safe because the foundation writes them atomically and marks the
manifest ``complete`` only at the end (the re-run resumes from ``scores.csv``).
"""

from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from highlight import HighlightError
from highlight.discover import printable

STORE_FILE = "watch.sqlite3"
STATUSES = ("queued", "running", "done", "failed")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path         TEXT PRIMARY KEY,
    size         INTEGER NOT NULL,
    mtime        REAL NOT NULL,
    settings_key TEXT NOT NULL,   -- RunSettings.key: what the pipeline's resume check compares
    job_key      TEXT NOT NULL,   -- settings key + model identity: what decides "done already"
    status       TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    out_dir      TEXT NOT NULL,
    highlights   INTEGER,
    run_seconds  REAL,
    force        INTEGER NOT NULL DEFAULT 0,  -- redo the analysis (the model changed in place)
    pid          INTEGER,
    next_attempt REAL NOT NULL DEFAULT 0,
    first_seen   REAL NOT NULL,
    started      REAL,
    finished     REAL,
    updated      REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS files_status ON files (status, next_attempt);
"""


@dataclass(frozen=True)
class Record:
    path: str
    size: int
    mtime: float
    settings_key: str
    job_key: str
    status: str
    attempts: int
    last_error: str | None
    out_dir: str
    highlights: int | None
    run_seconds: float | None
    force: int
    pid: int | None
    next_attempt: float
    first_seen: float
    started: float | None
    finished: float | None
    updated: float


_ESCAPED_BYTE = re.compile(r"\\udc([89a-f][0-9a-f])")


def _stored(value: Any) -> Any:
    """A value as SQLite keeps it: text must be UTF-8, so a file name's undecodable bytes
    (lone surrogates, ``\udce9``) are kept as that escape; the rest is unchanged."""
    return value.encode("utf-8", "backslashreplace").decode("utf-8") if isinstance(value, str) else value


def _read(value: Any) -> Any:
    """The inverse of ``_stored``: the escapes back to the surrogates that open the file."""
    if isinstance(value, str) and "\\udc" in value:
        return _ESCAPED_BYTE.sub(lambda match: chr(0xDC00 + int(match[1], 16)), value)
    return value


class _Connection(sqlite3.Connection):
    """Every parameter through ``_stored``, every row through ``_read`` (rows are dicts)."""

    def execute(self, sql: str, parameters: tuple = ()) -> sqlite3.Cursor:
        return super().execute(sql, tuple(_stored(value) for value in parameters))


def _row(cursor: sqlite3.Cursor, row: tuple) -> dict[str, Any]:
    return {column[0]: _read(value) for column, value in zip(cursor.description, row)}


class Store:
    """A small, explicit API over one SQLite file; every method is one transaction.

    A file that is not such a database (damaged, another program's), or one this user
    cannot write, is a one-line ``HighlightError`` naming it.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # isolation_level=None: autocommit, so no statement is left in an open transaction.
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None, factory=_Connection)
        except sqlite3.Error as error:
            raise self._unusable(error) from None
        try:
            self.db.row_factory = _row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")  # a 'done' that was reported stays done after a power cut
            self.db.executescript(_SCHEMA)
            self.db.execute("SELECT path, size, mtime, job_key, status, out_dir FROM files LIMIT 1").fetchall()
        except sqlite3.Error as error:
            self.db.close()
            raise self._unusable(error) from None

    def _unusable(self, error: sqlite3.Error) -> HighlightError:
        return HighlightError(
            f"{printable(self.path)}: cannot use the watch database ({error}); move it away to start afresh "
            "(every recording is then checked again, finished ones are skipped)"
        )

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- reading -----------------------------------------------------------------

    def get(self, path: Path | str) -> Record | None:
        row = self.db.execute("SELECT * FROM files WHERE path = ?", (str(path),)).fetchone()
        return Record(**dict(row)) if row else None

    def records(self) -> list[Record]:
        return [Record(**dict(r)) for r in self.db.execute("SELECT * FROM files ORDER BY first_seen, path")]

    def ready(self, now: float, limit: int) -> list[Record]:
        """Queued files whose retry time has come, oldest first."""
        rows = self.db.execute(
            "SELECT * FROM files WHERE status = 'queued' AND next_attempt <= ? ORDER BY first_seen, path LIMIT ?",
            (now, limit),
        )
        return [Record(**dict(r)) for r in rows]

    def pending(self) -> int:
        """Files queued (now or after a backoff) or running."""
        return self.db.execute("SELECT COUNT(*) AS n FROM files WHERE status IN ('queued', 'running')").fetchone()["n"]

    def folder_owner(self, out_dir: Path | str) -> str | None:
        row = self.db.execute("SELECT path FROM files WHERE out_dir = ?", (str(out_dir),)).fetchone()
        return row["path"] if row else None

    # -- changes -----------------------------------------------------------------

    def offer(
        self,
        path: Path,
        size: int,
        mtime: float,
        settings_key: str,
        job_key: str,
        out_dir: Path,
        now: float | None = None,
    ) -> str:
        """A settled file: queue it unless it is already known in this exact state.

        Returns what happened: ``new``, ``changed`` (file or settings differ from the
        record: queued again with fresh attempts), or the unchanged record's status.
        """
        now = time.time() if now is None else now
        known = self.get(path)
        if known and known.size == size and abs(known.mtime - mtime) < 1e-3 and known.job_key == job_key:
            return known.status
        # Same pipeline settings but a different job key means the model changed in place:
        # scores.csv on disk would pass the pipeline's resume check, so ask for a fresh analysis.
        force = int(
            bool(known)
            and known.settings_key == settings_key
            and known.size == size
            and abs(known.mtime - mtime) < 1e-3
        )
        self.db.execute(
            """INSERT INTO files (path, size, mtime, settings_key, job_key, status, attempts, out_dir, force,
                                  next_attempt, first_seen, updated)
               VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?, 0, ?, ?)
               ON CONFLICT (path) DO UPDATE SET
                   size = excluded.size, mtime = excluded.mtime, settings_key = excluded.settings_key,
                   job_key = excluded.job_key, status = 'queued', attempts = 0, last_error = NULL,
                   out_dir = excluded.out_dir, highlights = NULL, run_seconds = NULL, force = excluded.force,
                   pid = NULL, next_attempt = 0, started = NULL, finished = NULL, updated = excluded.updated""",
            (str(path), size, mtime, settings_key, job_key, str(out_dir), force, now, now),
        )
        return "changed" if known else "new"

    def start(self, path: str, pid: int, now: float | None = None) -> None:
        now = time.time() if now is None else now
        self.db.execute(
            "UPDATE files SET status = 'running', attempts = attempts + 1, pid = ?, started = ?, updated = ? "
            "WHERE path = ?",
            (pid, now, now, path),
        )

    def finish(self, path: str, highlights: int, run_seconds: float, now: float | None = None) -> None:
        now = time.time() if now is None else now
        self.db.execute(
            "UPDATE files SET status = 'done', highlights = ?, run_seconds = ?, last_error = NULL, force = 0, "
            "pid = NULL, finished = ?, updated = ? WHERE path = ?",
            (highlights, run_seconds, now, now, path),
        )

    def fail(
        self, path: str, error: str, max_attempts: int, retry_delay: float, now: float | None = None
    ) -> float | None:
        """Record a failed attempt; returns when it will be retried, or None if it is now ``failed``."""
        now = time.time() if now is None else now
        record = self.get(path)
        if record is None:
            return None
        retry_at = None
        if record.attempts < max_attempts:
            retry_at = now + retry_delay * 2 ** max(0, record.attempts - 1)
        self.db.execute(
            "UPDATE files SET status = ?, last_error = ?, pid = NULL, next_attempt = ?, finished = ?, updated = ? "
            "WHERE path = ?",
            ("queued" if retry_at else "failed", error, retry_at or 0, now, now, path),
        )
        return retry_at

    def abandon(self, path: str, retry_at: float = 0.0, why: str | None = None, now: float | None = None) -> None:
        """Put back a file whose attempt says nothing about it (its worker was stopped on
        purpose, or another process held its folder): that attempt does not count.
        ``why`` is shown (``--status``) until the next attempt says otherwise."""
        now = time.time() if now is None else now
        self.db.execute(
            "UPDATE files SET status = 'queued', attempts = MAX(0, attempts - 1), pid = NULL, next_attempt = ?, "
            "last_error = COALESCE(?, last_error), updated = ? WHERE path = ? AND status = 'running'",
            (retry_at, why, now, path),
        )

    def requeue_interrupted(self, now: float | None = None) -> list[Record]:
        """Rows left ``running`` by a daemon that was killed: queue them again.

        The interrupted attempt still counts, so a file that somehow kills the daemon
        every time ends as ``failed`` instead of looping forever.
        """
        now = time.time() if now is None else now
        interrupted = [r for r in self.records() if r.status == "running"]
        self.db.execute(
            "UPDATE files SET status = 'queued', pid = NULL, next_attempt = 0, "
            "last_error = COALESCE(last_error, 'interrupted (the daemon stopped mid-file)'), updated = ? "
            "WHERE status = 'running'",
            (now,),
        )
        return interrupted

    def retry_failed(self, now: float | None = None) -> int:
        now = time.time() if now is None else now
        cursor = self.db.execute(
            "UPDATE files SET status = 'queued', attempts = 0, next_attempt = 0, updated = ? WHERE status = 'failed'",
            (now,),
        )
        return cursor.rowcount

    def forget(self, path: str) -> None:
        self.db.execute("DELETE FROM files WHERE path = ?", (path,))
