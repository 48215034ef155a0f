"""The batch ledger: a local SQLite record of what was sent and what came back, per ``out_request_no``.

One file per batch (default ``<state dir>/ledgers/<hash of inputs and profile>.sqlite3``, mode 0600).
Tables:

* ``meta``   - the merchant and API the ledger belongs to (a ledger is never reused for another);
* ``plans``  - one row per ``out_request_no`` ever validated: its content hash, the exact body to send,
  where it came from, ``outcome`` (pending / sending / created / failed / unknown), attempts, ``plan_id``,
  the last HTTP status, error code and message, ``Request-ID`` and timestamps;
* ``inputs`` - the plans of the latest run, in input order: source ``file:line``, ``out_request_no``,
  and the validation issues of an invalid plan or the source of the earlier identical plan it repeats;
* ``runs``   - one row per run: the command, when, and how it ended.

Crash safety: WAL journal and one transaction per state change. ``sending`` is committed before a
request leaves and the outcome after its reply, so whenever the process dies the ledger is consistent
and a plan is at worst ``sending`` - which the next run treats as ``unknown`` and re-sends with the same
``out_request_no`` (the server returns the plan it already made). The connection is shared by the
batch's threads behind a lock. Nothing secret is stored: bodies are plan content; messages are redacted.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from wxplan_cli.errors import ConfigError, UsageError
from wxplan_cli.sqlschema import apply_schema

SCHEMA_VERSION = 1
PENDING, SENDING, CREATED, FAILED, UNKNOWN = "pending", "sending", "created", "failed", "unknown"
#: per input plan, in reports and events: the stored outcome, or one of these
INVALID, SKIPPED, DUPLICATE = "invalid", "skipped", "duplicate"
OK_OUTCOMES = frozenset({CREATED, SKIPPED, DUPLICATE})
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run INTEGER PRIMARY KEY, started_at REAL NOT NULL, finished_at REAL, status TEXT NOT NULL,
    command TEXT NOT NULL, inputs TEXT NOT NULL, counts TEXT);
CREATE TABLE IF NOT EXISTS plans (
    out_request_no TEXT PRIMARY KEY, content_hash TEXT NOT NULL, body BLOB NOT NULL,
    source TEXT NOT NULL, seen_run INTEGER NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('pending', 'sending', 'created', 'failed', 'unknown')),
    attempts INTEGER NOT NULL DEFAULT 0, plan_id TEXT, created_run INTEGER, http_status INTEGER,
    error_code TEXT, error_message TEXT, request_id TEXT,
    first_seen_at REAL NOT NULL, sent_at REAL, updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS inputs (
    seq INTEGER PRIMARY KEY, source TEXT NOT NULL, out_request_no TEXT, issues TEXT, duplicate_of TEXT);
CREATE INDEX IF NOT EXISTS inputs_by_request ON inputs (out_request_no);
"""
#: the outcome of one input plan in run :run (p = its plans row, i = its inputs row)
OUTCOME_SQL = """CASE
    WHEN i.issues IS NOT NULL THEN 'invalid'
    WHEN p.outcome = 'created' AND i.duplicate_of IS NOT NULL THEN 'duplicate'
    WHEN p.outcome = 'created' AND p.created_run < :run THEN 'skipped'
    WHEN p.outcome = 'sending' THEN 'unknown'
    ELSE p.outcome END"""
_ROW_COLUMNS = ("seq", "source", "out_request_no", "outcome", "plan_id", "attempts", "http_status",
                "error_code", "error_message", "request_id", "issues", "duplicate_of", "body")


def content_hash(body: bytes) -> str:
    """The hash a plan's content is compared by (its exact request body)."""
    return hashlib.sha256(body).hexdigest()


def default_path(state_dir: Path, key: Sequence[str]) -> Path:
    """``<state_dir>/ledgers/<16 hex digits>.sqlite3`` for the inputs and profile in ``key``."""
    digest = hashlib.sha256(json.dumps(list(key), ensure_ascii=False).encode()).hexdigest()[:16]
    return state_dir / "ledgers" / f"{digest}.sqlite3"


@dataclass(frozen=True)
class PlanRow:
    """What the ledger knows about one ``out_request_no``."""

    content_hash: str
    source: str
    seen_run: int
    outcome: str
    plan_id: str | None
    http_status: int | None

    @property
    def number_is_free(self) -> bool:
        """Never sent, or refused outright (4xx other than 429): the server did not keep the number."""
        refused = self.http_status is not None and 400 <= self.http_status < 500 and self.http_status != 429
        return self.outcome == PENDING or (self.outcome == FAILED and refused)


@dataclass(frozen=True)
class Outcome:
    """What one send ended with."""

    outcome: str  # created / failed / unknown
    plan_id: str | None = None
    http_status: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    request_id: str | None = None


class Ledger:
    """An open ledger file. Thread-safe; every write is its own transaction unless inside ``hold()``."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self._lock = threading.RLock()
        self._held = False
        self.path = path

    # -- life cycle ------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (rolled back on error); nested in ``hold()`` it only locks."""
        with self._lock:
            if self._held:
                yield self._db
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextmanager
    def hold(self) -> Iterator[None]:
        """One transaction around everything inside, rolled back at the end (``--dry-run``)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._held = True
            try:
                yield
            finally:
                self._held = False
                self._db.execute("ROLLBACK")

    def bind(self, identity: dict[str, str]) -> None:
        """Record whose ledger this is, or refuse one that belongs to another merchant or API."""
        with self.transaction() as db:
            known = dict(db.execute("SELECT key, value FROM meta").fetchall())
            for key, value in identity.items():
                if key in known and key in ("mchid", "base_url") and known[key] != value:
                    raise ConfigError(f"ledger {self.path} belongs to {key} {known[key]}, not {value}",
                                      hint="give this batch its own --ledger FILE")
                db.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (key, value))

    def meta(self) -> dict[str, str]:
        """The ledger's identity (mchid, base_url, profile, created_at, ...)."""
        with self._lock:
            return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    def start_run(self, command: str, inputs: Sequence[str]) -> int:
        """A new run: forget the previous run's input list; an interrupted send becomes ``unknown``."""
        with self.transaction() as db:
            cursor = db.execute("INSERT INTO runs (started_at, status, command, inputs) VALUES (?, ?, ?, ?)",
                                (time.time(), "running", command, json.dumps(list(inputs))))
            db.execute("DELETE FROM inputs")
            db.execute("UPDATE plans SET outcome = 'unknown', updated_at = ?, error_message = "
                       "'the previous run stopped while this request was in flight' "
                       "WHERE outcome = 'sending'", (time.time(),))
            return int(cursor.lastrowid or 0)

    def finish_run(self, run: int, status: str, counts: dict[str, int]) -> None:
        """Record how run ``run`` ended."""
        with self.transaction() as db:
            db.execute("UPDATE runs SET finished_at = ?, status = ?, counts = ? WHERE run = ?",
                       (time.time(), status, json.dumps(counts), run))

    # -- first pass: validation --------------------------------------------------------------------

    def find(self, out_request_no: str) -> PlanRow | None:
        """The plan recorded under ``out_request_no``, if any."""
        with self._lock:
            row = self._db.execute("SELECT content_hash, source, seen_run, outcome, plan_id, http_status "
                                   "FROM plans WHERE out_request_no = ?", (out_request_no,)).fetchone()
        return PlanRow(*row) if row else None

    def add_plan(self, db: sqlite3.Connection, out_request_no: str, digest: str, body: bytes, source: str,
                 run: int) -> None:
        """Record a plan to send (or, for a number that is free again, its new content)."""
        now = time.time()
        db.execute("INSERT INTO plans (out_request_no, content_hash, body, source, seen_run, outcome, "
                   "first_seen_at, updated_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?) "
                   "ON CONFLICT (out_request_no) DO UPDATE SET content_hash = excluded.content_hash, "
                   "body = excluded.body, source = excluded.source, seen_run = excluded.seen_run, "
                   "outcome = 'pending', http_status = NULL, error_code = NULL, error_message = NULL, "
                   "updated_at = excluded.updated_at",
                   (out_request_no, digest, body, source, run, now, now))

    def see_plan(self, db: sqlite3.Connection, out_request_no: str, source: str, run: int) -> None:
        """A known plan is in this run's input again (at ``source``)."""
        db.execute("UPDATE plans SET seen_run = ?, source = ? WHERE out_request_no = ?",
                   (run, source, out_request_no))

    def add_input(self, db: sqlite3.Connection, seq: int, source: str, out_request_no: str | None,
                  issues: list[dict[str, str]] | None = None, duplicate_of: str | None = None) -> None:
        """One input plan of this run, in order."""
        db.execute("INSERT INTO inputs VALUES (?, ?, ?, ?, ?)",
                   (seq, source, out_request_no,
                    json.dumps(issues, ensure_ascii=False) if issues else None, duplicate_of))

    # -- second pass: sending -----------------------------------------------------------------------

    def mark_sending(self, out_request_no: str) -> int:
        """Committed before each attempt leaves: one more attempt, outcome ``sending``; returns the
        attempts so far (all runs)."""
        now = time.time()
        with self.transaction() as db:
            db.execute("UPDATE plans SET outcome = 'sending', attempts = attempts + 1, sent_at = ?, "
                       "updated_at = ? WHERE out_request_no = ?", (now, now, out_request_no))
            row = db.execute("SELECT attempts FROM plans WHERE out_request_no = ?", (out_request_no,))
            return int(row.fetchone()[0])

    def record(self, out_request_no: str, result: Outcome, run: int) -> None:
        """Committed after the outcome is known."""
        with self.transaction() as db:
            db.execute("UPDATE plans SET outcome = :outcome, plan_id = COALESCE(:plan_id, plan_id), "
                       "created_run = CASE WHEN :outcome = 'created' THEN COALESCE(created_run, :run) END, "
                       "http_status = :status, error_code = :code, error_message = :message, "
                       "request_id = COALESCE(:request_id, request_id), updated_at = :now "
                       "WHERE out_request_no = :orn",
                       {"outcome": result.outcome, "plan_id": result.plan_id, "run": run,
                        "status": result.http_status, "code": result.error_code,
                        "message": result.error_message, "request_id": result.request_id,
                        "now": time.time(), "orn": out_request_no})

    # -- reading back -------------------------------------------------------------------------------

    def counts(self, run: int) -> dict[str, int]:
        """Input plans of run ``run`` per outcome."""
        with self._lock:
            rows = self._db.execute(f"SELECT {OUTCOME_SQL} AS o, COUNT(*) FROM inputs i "  # noqa: S608
                                    "LEFT JOIN plans p USING (out_request_no) GROUP BY o",
                                    {"run": run}).fetchall()
        return {str(outcome): int(count) for outcome, count in rows}

    def rows(self, run: int, *, only: Sequence[str] = (), duplicates: bool = False,
             with_body: bool = False, page: int = 500) -> Iterator[dict[str, Any]]:
        """One dict per input plan of run ``run``, in input order, a page at a time (bounded memory).

        ``only``: just those outcomes; ``duplicates``: just plans that repeat an earlier one;
        ``with_body``: add ``body``, the bytes to send, for plans still to be sent (else None).
        """
        names = {f"o{index}": outcome for index, outcome in enumerate(only)}
        where = f" AND {OUTCOME_SQL} IN ({', '.join(':' + n for n in names)})" if only else ""
        where += " AND i.duplicate_of IS NOT NULL" if duplicates else ""
        body = ("CASE WHEN p.outcome IN ('pending', 'sending', 'failed', 'unknown') THEN p.body END"
                if with_body else "NULL")
        sql = (f"SELECT i.seq, i.source, i.out_request_no, {OUTCOME_SQL}, p.plan_id, p.attempts, "  # noqa: S608
               "p.http_status, p.error_code, p.error_message, p.request_id, i.issues, i.duplicate_of, "
               f"{body} FROM inputs i LEFT JOIN plans p USING (out_request_no) "
               f"WHERE i.seq > :last{where} ORDER BY i.seq LIMIT :page")
        last = 0
        while True:
            with self._lock:
                rows = self._db.execute(sql, {"run": run, "last": last, "page": page, **names}).fetchall()
            if not rows:
                return
            for row in rows:
                yield _row_dict(row)
            last = rows[-1][0]

    def totals(self) -> dict[str, int]:
        """Every ``out_request_no`` in the ledger (all runs) per stored outcome."""
        with self._lock:
            rows = self._db.execute("SELECT outcome, COUNT(*) FROM plans GROUP BY outcome").fetchall()
        return {str(outcome): int(count) for outcome, count in rows}

    def describe(self, limit: int = 20) -> dict[str, Any]:
        """``wxplan ledger show``: identity, the latest run, its input plans per outcome, the first
        ``limit`` problems (0: all), and every plan in the ledger per stored outcome."""
        from wxplan_cli.batchreport import public_row

        run = self.last_run()
        out: dict[str, Any] = {"ledger": str(self.path), "meta": self.meta(), "run": run,
                               "counts": {}, "problems": [], "ledger_plans": self.totals()}
        if run is None:
            return out
        if run["status"] == "running" and not in_use(self.path):
            run["status"] = "stopped without finishing (the process was killed?); re-run to resume"
        out["counts"] = self.counts(run["run"])
        problems = self.rows(run["run"], only=(FAILED, UNKNOWN, INVALID, PENDING))
        out["problems"] = [public_row(row) for row in islice(problems, limit or None)]
        return out

    def last_run(self) -> dict[str, Any] | None:
        """The latest run: number, command, inputs, times, status, counts."""
        with self._lock:
            row = self._db.execute("SELECT run, started_at, finished_at, status, command, inputs, counts "
                                   "FROM runs ORDER BY run DESC LIMIT 1").fetchone()
        if row is None:
            return None
        keys = ("run", "started_at", "finished_at", "status", "command", "inputs", "counts")
        out = dict(zip(keys, row, strict=True))
        out["inputs"] = json.loads(out["inputs"])
        out["counts"] = json.loads(out["counts"]) if out["counts"] else None
        return out


def _row_dict(row: Sequence[Any]) -> dict[str, Any]:
    out = dict(zip(_ROW_COLUMNS, row, strict=True))
    out["issues"] = json.loads(out["issues"]) if out["issues"] else None
    if out["outcome"] == SKIPPED or out["outcome"] == DUPLICATE:
        out["http_status"] = out["error_code"] = out["error_message"] = None
    return out


def open_ledger(path: Path, *, create: bool = True) -> Ledger:
    """Open (``create``: or create, mode 0600) the ledger at ``path``."""
    if not create and not path.is_file():
        raise ConfigError(f"no ledger at {path}", hint="pass the file a batch printed (ledger: ...)")
    try:
        _create_private(path)
        db = sqlite3.connect(path, timeout=30.0, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA busy_timeout = 30000")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        apply_schema(db, _SCHEMA, SCHEMA_VERSION, "ledger",
                     ("INSERT OR IGNORE INTO meta VALUES ('created_at', ?)", (str(time.time()),)))
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"ledger {path} is not usable: {exc}",
                          hint="pass another --ledger FILE, or delete this one") from None
    except OSError as exc:
        raise ConfigError(f"ledger {path} cannot be created: {exc.strerror or exc}",
                          hint="pass --ledger FILE in a folder you can write") from None
    return Ledger(db, path)


def _create_private(path: Path) -> None:
    """Create the folder (0700) and the file (0600) before SQLite does, so nobody else can read it
    (SQLite gives its -wal and -shm files the database file's mode)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """One run per ledger at a time: an advisory lock on ``<ledger>.lock``, released when the process
    ends however it ends."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no lock
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path.with_name(path.name + ".lock"), "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise UsageError(f"another wxplan is running this batch (ledger {path})",
                             hint="wait for it to finish, or give this batch its own --ledger FILE") from None
        yield


def in_use(path: Path) -> bool:
    """Whether a run holds ``path``'s lock right now."""
    try:
        with exclusive(path):
            return False
    except UsageError:
        return True


def latest(folder: Path) -> Path | None:
    """The most recently changed ledger in ``folder`` (``ledger show`` without a file)."""
    files = [p for p in folder.glob("*.sqlite3") if p.is_file()] if folder.is_dir() else []
    return max(files, key=_changed, default=None)


def _changed(path: Path) -> float:
    wal = path.with_name(path.name + "-wal")
    return max(path.stat().st_mtime, wal.stat().st_mtime if wal.exists() else 0.0)
