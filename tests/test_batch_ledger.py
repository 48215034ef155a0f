"""The ledger: file mode, identity, outcome states across runs, locking, dry-run rollback, and
consistency after processes are SIGKILLed mid-write."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wxplan_cli import ledger as L
from wxplan_cli.errors import ConfigError, UsageError


def add(ledger: L.Ledger, run: int, seq: int, orn: str, body: bytes = b"{}") -> None:
    with ledger.transaction() as db:
        ledger.add_plan(db, orn, L.content_hash(body), body, f"plans.csv:{seq + 1}", run)
        ledger.add_input(db, seq, f"plans.csv:{seq + 1}", orn)


def test_created_private_with_wal(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "ledger.sqlite3"
    with L.open_ledger(path) as ledger:
        add(ledger, ledger.start_run("cmd", ["plans.csv"]), 1, "order-0001")
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
        wal = path.with_name(path.name + "-wal")
        assert wal.exists() and stat.S_IMODE(os.stat(wal).st_mode) == 0o600
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_belongs_to_one_merchant_and_api(tmp_path: Path) -> None:
    with L.open_ledger(tmp_path / "l.sqlite3") as ledger:
        ledger.bind({"mchid": "1", "base_url": "https://a", "profile": "p"})
        ledger.bind({"mchid": "1", "base_url": "https://a", "profile": "other name"})
        with pytest.raises(ConfigError, match="belongs to mchid 1"):
            ledger.bind({"mchid": "2", "base_url": "https://a"})
        with pytest.raises(ConfigError, match="belongs to base_url"):
            ledger.bind({"mchid": "1", "base_url": "https://b"})
    with pytest.raises(ConfigError, match="no ledger"):
        L.open_ledger(tmp_path / "none.sqlite3", create=False)
    (tmp_path / "junk.sqlite3").write_text("not a database" * 100)
    with pytest.raises(ConfigError, match="not usable"):
        L.open_ledger(tmp_path / "junk.sqlite3")


def test_outcomes_across_runs(tmp_path: Path) -> None:
    with L.open_ledger(tmp_path / "l.sqlite3") as ledger:
        run = ledger.start_run("cmd", ["plans.csv"])
        for seq, orn in enumerate(("a-00001", "b-00002", "c-00003", "d-00004"), 1):
            add(ledger, run, seq, orn)
        assert ledger.counts(run) == {"pending": 4}
        assert ledger.mark_sending("a-00001") == 1 and ledger.mark_sending("a-00001") == 2
        ledger.record("a-00001", L.Outcome(L.CREATED, plan_id="100000000001", http_status=200,
                                           request_id="R1"), run)
        ledger.mark_sending("b-00002")
        ledger.record("b-00002", L.Outcome(L.FAILED, http_status=400, error_code="INVALID_REQUEST",
                                           error_message="no"), run)
        ledger.mark_sending("c-00003")  # the process dies here: c stays "sending"
        assert ledger.counts(run) == {"created": 1, "failed": 1, "unknown": 1, "pending": 1}
        assert ledger.find("b-00002") == L.PlanRow(L.content_hash(b"{}"), "plans.csv:3", run, "failed",
                                                   None, 400)
        assert ledger.find("b-00002").number_is_free and not ledger.find("a-00001").number_is_free  # type: ignore[union-attr]

        second = ledger.start_run("cmd", ["plans.csv"])
        assert ledger.find("c-00003").outcome == L.UNKNOWN  # type: ignore[union-attr]
        assert ledger.counts(second) == {}  # inputs are per run
        for seq, orn in enumerate(("a-00001", "b-00002", "c-00003"), 1):
            with ledger.transaction() as db:
                ledger.see_plan(db, orn, f"plans.csv:{seq + 1}", second)
                ledger.add_input(db, seq, f"plans.csv:{seq + 1}", orn)
        with ledger.transaction() as db:
            ledger.add_input(db, 4, "plans.csv:5", "a-00001", duplicate_of="plans.csv:2")
            ledger.add_input(db, 5, "plans.csv:6", None, [{"field": "plan_name", "message": "too long"}])
        assert ledger.counts(second) == {"skipped": 1, "failed": 1, "unknown": 1, "duplicate": 1,
                                         "invalid": 1}
        rows = list(ledger.rows(second, page=2))
        assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5]
        assert rows[0]["plan_id"] == "100000000001" and rows[0]["attempts"] == 2
        assert rows[0]["request_id"] == "R1"
        assert [r["seq"] for r in ledger.rows(second, only=("failed", "invalid"))] == [2, 5]
        assert [r["seq"] for r in ledger.rows(second, duplicates=True)] == [4]
        sending = [r for r in ledger.rows(second, with_body=True) if r["body"] is not None]
        assert [r["seq"] for r in sending] == [2, 3]
        described = ledger.describe(limit=1)
        assert described["run"]["run"] == second and len(described["problems"]) == 1
        assert described["ledger_plans"] == {"created": 1, "failed": 1, "unknown": 1, "pending": 1}


def test_dry_run_hold_rolls_back(tmp_path: Path) -> None:
    with L.open_ledger(tmp_path / "l.sqlite3") as ledger:
        with ledger.hold():
            add(ledger, ledger.start_run("cmd", []), 1, "a-00001")
            assert ledger.find("a-00001") is not None
        assert ledger.find("a-00001") is None and ledger.last_run() is None


def test_one_run_per_ledger(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    assert not L.in_use(path)
    with L.exclusive(path):
        assert L.in_use(path)
        with pytest.raises(UsageError, match="another wxplan is running this batch"):
            with L.exclusive(path):
                pass
    assert not L.in_use(path)


def test_default_path_and_latest(tmp_path: Path) -> None:
    a = L.default_path(tmp_path, ["sandbox", "/x/plans.csv"])
    assert a == L.default_path(tmp_path, ["sandbox", "/x/plans.csv"])
    assert a != L.default_path(tmp_path, ["prod", "/x/plans.csv"])
    assert a.parent == tmp_path / "ledgers" and a.suffix == ".sqlite3"
    assert L.latest(tmp_path / "ledgers") is None
    for name in ("old", "new"):
        L.open_ledger(tmp_path / "ledgers" / f"{name}.sqlite3").close()
        time.sleep(0.02)
    assert L.latest(tmp_path / "ledgers") == tmp_path / "ledgers" / "new.sqlite3"


WRITER = """
import sys, time
from pathlib import Path
from wxplan_cli import ledger as L
ledger = L.open_ledger(Path(sys.argv[1]))
run = ledger.start_run("cmd", [])
with ledger.transaction() as db:
    for n in range(200):
        ledger.add_plan(db, f"order-{n:05d}", "h", b"{}", "x", run)
print("ready", flush=True)
n = 0
while True:
    orn = f"order-{n % 200:05d}"
    ledger.mark_sending(orn)
    outcome = [L.CREATED, L.FAILED, L.UNKNOWN][n % 3]
    ledger.record(orn, L.Outcome(outcome, plan_id=str(n), http_status=200), run)
    n += 1
"""


def test_consistent_after_sigkill_at_any_moment(tmp_path: Path) -> None:
    path = tmp_path / "crash.sqlite3"
    for cycle in range(4):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(0.05 + 0.07 * cycle)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            states = dict(db.execute("SELECT outcome, COUNT(*) FROM plans GROUP BY outcome").fetchall())
            assert sum(states.values()) == 200
            assert db.execute("SELECT COUNT(*) FROM plans WHERE outcome = 'sending'").fetchone()[0] <= 1
            assert db.execute("SELECT COUNT(*) FROM plans WHERE attempts < 0").fetchone()[0] == 0
        with L.open_ledger(path) as ledger:  # the next run treats an interrupted send as unknown
            run = ledger.start_run("cmd", [])
            assert "sending" not in ledger.totals()
            ledger.finish_run(run, "done", {})
