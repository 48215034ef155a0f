"""Create or check a SQLite schema in one immediate transaction (the ledger and the sandbox store)."""

from __future__ import annotations

import sqlite3


def apply_schema(db: sqlite3.Connection, schema: str, version: int, what: str,
                 *extra: tuple[str, tuple[object, ...]]) -> None:
    """Run ``schema`` (``;``-separated, idempotent statements) and the ``extra`` statements, then set
    ``user_version``; refuse a file written by a newer wxplan. Several processes may race here."""
    found = db.execute("PRAGMA user_version").fetchone()[0]
    if found > version:
        raise sqlite3.DatabaseError(f"{what} schema {found} is newer than this wxplan's ({version})")
    db.execute("BEGIN IMMEDIATE")
    try:
        for statement in filter(str.strip, schema.split(";")):
            db.execute(statement)
        for statement, params in extra:
            db.execute(statement, params)
        db.execute(f"PRAGMA user_version = {int(version)}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
