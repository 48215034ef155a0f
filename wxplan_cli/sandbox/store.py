"""Sandbox state in SQLite: plans, used ``out_request_no`` values and notify URLs.

``open_store(None)`` keeps everything in memory; ``open_store(path)`` uses a file that survives restarts
and is safe to share between threads (one connection behind a lock) and between processes (WAL journal,
a 30 s busy timeout, and ``BEGIN IMMEDIATE`` write transactions, so a check-then-insert such as
``out_request_no`` idempotency is atomic across processes too).

Plans are stored with timestamps only; states are derived on read (see ``lifecycle``). Usage::

    with store.transaction() as tx:
        if tx.find_request(mchid, out_request_no) is None:
            tx.insert_plan(record)
            tx.add_request(mchid, out_request_no, fingerprint, record.plan_id)
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from wxplan_cli.errors import ConfigError
from wxplan_cli.sandbox.lifecycle import PlanRecord, Version
from wxplan_cli.sqlschema import apply_schema

SCHEMA_VERSION = 1
FIRST_PLAN_ID = 100000000001
_SCHEMA = """
CREATE TABLE IF NOT EXISTS plans (
    plan_id TEXT PRIMARY KEY, mchid TEXT NOT NULL, brand_id TEXT NOT NULL,
    created_at REAL NOT NULL, versions TEXT NOT NULL, terminated_at REAL);
CREATE INDEX IF NOT EXISTS plans_by_brand ON plans (mchid, brand_id);
CREATE TABLE IF NOT EXISTS requests (
    mchid TEXT NOT NULL, out_request_no TEXT NOT NULL, fingerprint TEXT NOT NULL,
    plan_id TEXT NOT NULL, kind TEXT NOT NULL, PRIMARY KEY (mchid, out_request_no));
CREATE TABLE IF NOT EXISTS notify_urls (mchid TEXT PRIMARY KEY, url TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class Transaction:
    """Reads and writes inside one SQLite transaction (see ``Store.transaction``)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def find_request(self, mchid: str, out_request_no: str) -> tuple[str, str, str] | None:
        """``(fingerprint, plan_id, kind)`` recorded for a used ``out_request_no``, if any."""
        row = self._db.execute("SELECT fingerprint, plan_id, kind FROM requests WHERE mchid = ? "
                               "AND out_request_no = ?", (mchid, out_request_no)).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def add_request(self, mchid: str, out_request_no: str, fingerprint: str, plan_id: str,
                    kind: str) -> None:
        """Record a successful create or update under its ``out_request_no``."""
        self._db.execute("INSERT INTO requests VALUES (?, ?, ?, ?, ?)",
                         (mchid, out_request_no, fingerprint, plan_id, kind))

    def new_plan_id(self) -> str:
        """The next plan id: a string of 12 digits, unique in this store."""
        row = self._db.execute("SELECT value FROM counters WHERE name = 'plan_id'").fetchone()
        value = row[0] + 1 if row else FIRST_PLAN_ID
        self._db.execute("INSERT OR REPLACE INTO counters VALUES ('plan_id', ?)", (value,))
        return str(value)

    def insert_plan(self, record: PlanRecord) -> None:
        """Store a new plan."""
        self._db.execute("INSERT INTO plans VALUES (?, ?, ?, ?, ?, ?)",
                         (record.plan_id, record.mchid, record.brand_id, record.created_at,
                          _dump_versions(record.versions), record.terminated_at))

    def save_plan(self, record: PlanRecord) -> None:
        """Store a plan's new versions and termination time."""
        self._db.execute("UPDATE plans SET versions = ?, terminated_at = ? WHERE plan_id = ?",
                         (_dump_versions(record.versions), record.terminated_at, record.plan_id))

    def get_plan(self, mchid: str, plan_id: str) -> PlanRecord | None:
        """The plan ``plan_id`` of merchant ``mchid``, if it exists."""
        row = self._db.execute("SELECT * FROM plans WHERE mchid = ? AND plan_id = ?",
                               (mchid, plan_id)).fetchone()
        return _record(row) if row else None

    def list_plans(self, mchid: str, brand_id: str) -> list[PlanRecord]:
        """Every plan of ``brand_id`` created by ``mchid``, oldest first."""
        rows = self._db.execute("SELECT * FROM plans WHERE mchid = ? AND brand_id = ? "
                                "ORDER BY created_at, plan_id", (mchid, brand_id)).fetchall()
        return [_record(row) for row in rows]

    def set_notify_url(self, mchid: str, url: str) -> None:
        """Remember the notify URL of a service provider."""
        self._db.execute("INSERT OR REPLACE INTO notify_urls VALUES (?, ?)", (mchid, url))

    def notify_url(self, mchid: str) -> str | None:
        """The notify URL set by ``mchid``, if any."""
        row = self._db.execute("SELECT url FROM notify_urls WHERE mchid = ?", (mchid,)).fetchone()
        return str(row[0]) if row else None


class Store:
    """One SQLite database; thread-safe; use ``transaction()`` for every read or write."""

    def __init__(self, db: sqlite3.Connection, path: Path | None) -> None:
        self._db = db
        self._lock = threading.RLock()
        self.path = path

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Transaction]:
        """A transaction, ``BEGIN IMMEDIATE`` for writes; committed on success, rolled back on error."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield Transaction(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def clear(self) -> None:
        """Forget every plan, request number and notify URL (keys are not stored here)."""
        with self.transaction() as _:
            for table in ("plans", "requests", "notify_urls", "counters"):
                self._db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()


def open_store(path: Path | None) -> Store:
    """An in-memory store (``None``) or one backed by the SQLite file ``path`` (created if missing)."""
    try:
        db = _connect(path)
        apply_schema(db, _SCHEMA, SCHEMA_VERSION, "sandbox state")
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"sandbox state file {path} is not usable: {exc}",
                          hint="point --state at a new file, or delete this one") from None
    except OSError as exc:
        raise ConfigError(f"sandbox state file {path} cannot be created: {exc.strerror}") from None
    return Store(db, path)


def _connect(path: Path | None) -> sqlite3.Connection:
    if path is None:
        return sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30.0, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA busy_timeout = 30000")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    return db


def _dump_versions(versions: list[Version]) -> str:
    return json.dumps([{"content": v.content, "at": v.at} for v in versions], ensure_ascii=False)


def _record(row: tuple[Any, ...]) -> PlanRecord:
    plan_id, mchid, brand_id, created_at, versions, terminated_at = row
    loaded = [Version(v["content"], float(v["at"])) for v in json.loads(versions)]
    return PlanRecord(plan_id, mchid, brand_id, float(created_at), loaded, terminated_at)
