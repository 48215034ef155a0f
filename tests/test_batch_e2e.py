"""Proof of batch create, end to end with real processes.

* 200 plans against a separate ``wxplan sandbox serve`` process (shared ``--state`` file) that injects
  429s, 500s, slow replies and connections dropped after the plan was committed; the batch client is
  itself a subprocess, SIGKILLed in the middle, then resumed with the very same command until it
  finishes: the sandbox holds exactly 200 plans, each once, and the report agrees.
* Ctrl-C (SIGINT) on a running batch: in-flight requests finish, the ledger is consistent, the command
  that resumes is printed, exit 130; running it finishes the batch.
"""

from __future__ import annotations

import csv
import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_fixtures import write_config

from wxplan_cli.config import load_profile
from wxplan_cli.errors import ExitCode
from wxplan_cli.session import open_client

PLANS = 200
FAULTS = ["--rate-429", "0.1", "--rate-500", "0.1", "--rate-slow", "0.1", "--slow-seconds", "0.3",
          "--rate-drop", "0.05", "--seed", "20270101"]
WXPLAN = [sys.executable, "-m", "wxplan_cli"]


def interruptible() -> None:
    """In the child: take Ctrl-C even if this suite runs as a script's background job (SIGINT ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def serve(sb_home: Path, folder: Path, *options: str) -> tuple[subprocess.Popen[bytes], str, Path]:
    """``wxplan sandbox serve`` in its own process; its log goes to a file (never a full pipe)."""
    log = folder / "sandbox.log"
    proc = subprocess.Popen([*WXPLAN, "sandbox", "serve", "--port", "0", "--dir", str(sb_home),
                             "--state", str(folder / "sandbox.sqlite3"), *options],
                            stdout=subprocess.DEVNULL, stderr=log.open("w"))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = re.search(r"http://127\.0\.0\.1:\d+", log.read_text())
        if found:
            return proc, found.group(0), log
        assert proc.poll() is None, log.read_text()
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("the sandbox did not start: " + log.read_text())


@pytest.fixture
def faulty(sb_home: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    proc, url, log = serve(sb_home, tmp_path, *FAULTS)
    yield url, log
    proc.terminate()
    proc.wait(timeout=10)


def write_plans(path: Path, count: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["product_coupon_id", "stock_id", "plan_name", "total_count", "delivery_start_time",
                      "delivery_end_time"])
        for n in range(count):
            out.writerow([f"70110{n:05d}", f"70120{n:05d}", f"批量计划{n:03d}", 10000 + n, "2027-01-01",
                          "2027-02-01 10:00"])
    return path


def sandbox_plans(config: Path) -> list[dict]:
    """Every plan of brand 40016, listed page by page through the client."""
    plans: list[dict] = []
    with open_client(load_profile(str(config), "pubkey"), warn=lambda m: None) as client:
        while True:
            page = client.list_plans("40016", offset=len(plans), page_size=50)
            plans += page.plan_list
            if not page.plan_list or len(plans) >= page.total_count:
                return plans


def only_ledger(home: Path) -> Path:
    (ledger,) = (home / "state" / "ledgers").glob("*.sqlite3")
    return ledger


def ledger_states(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return dict(db.execute("SELECT outcome, COUNT(*) FROM plans GROUP BY outcome").fetchall())


def read_events(proc: subprocess.Popen[str], count: int) -> list[dict]:
    events = []
    assert proc.stdout is not None
    while len(events) < count:
        line = proc.stdout.readline()
        assert line, "the batch ended before it could be interrupted"
        events.append(json.loads(line))
    return events


def test_200_plans_with_faults_sigkill_and_resume(faulty: tuple[str, Path], sb_profile: dict,
                                                  tmp_path: Path, isolated_env: Path) -> None:
    url, server_log = faulty
    config = write_config(tmp_path / "config.yaml", sb_profile, url, retries=4)
    plans = write_plans(tmp_path / "plans.csv", PLANS)
    report = tmp_path / "report.csv"
    command = [*WXPLAN, "create", "--from", str(plans), "--config", str(config), "--report", str(report),
               "-o", "jsonl", "--concurrency", "4", "--rate", "80"]

    client = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    seen = read_events(client, 60)
    client.send_signal(signal.SIGKILL)
    assert client.wait(timeout=10) == -signal.SIGKILL
    assert all(event["event"] == "plan" for event in seen)
    states = ledger_states(only_ledger(isolated_env))  # consistent after the kill
    assert sum(states.values()) == PLANS and states.get("created", 0) >= 40
    assert set(states) <= {"pending", "sending", "created", "failed", "unknown"}

    for _ in range(8):  # the same command resumes; dropped replies may leave a few unknown each time
        again = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if again.returncode == 0:
            break
        assert again.returncode == ExitCode.BATCH_INCOMPLETE, again.stderr
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout.splitlines()[-1])
    assert summary["event"] == "summary" and summary["complete"] and summary["total"] == PLANS

    held = sandbox_plans(config)
    assert len(held) == PLANS
    assert len({p["plan_id"] for p in held}) == PLANS
    assert sorted(p["plan_name"] for p in held) == [f"批量计划{n:03d}" for n in range(PLANS)]
    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    assert len(rows) == PLANS and [r["source"] for r in rows] == [f"{plans}:{n + 2}" for n in range(PLANS)]
    assert {r["outcome"] for r in rows} <= {"created", "skipped"}
    assert {r["plan_id"] for r in rows} == {p["plan_id"] for p in held}
    assert len({r["out_request_no"] for r in rows}) == PLANS
    assert all(r["request_id"] for r in rows)
    by_name = {p["plan_name"]: p["plan_id"] for p in held}
    with plans.open(encoding="utf-8") as fh:
        for row, plan in zip(rows, csv.DictReader(fh), strict=True):
            assert by_name[plan["plan_name"]] == row["plan_id"]
    assert ledger_states(only_ledger(isolated_env)) == {"created": PLANS}
    log = server_log.read_text()  # the faults did happen
    for fragment in (" 429 ", " 500 ", " dropped "):
        assert fragment in log


def test_ctrl_c_finishes_in_flight_prints_resume_and_exits_130(sb_home: Path, sb_profile: dict,
                                                               tmp_path: Path, isolated_env: Path) -> None:
    proc, url, _ = serve(sb_home, tmp_path, "--rate-slow", "1.0", "--slow-seconds", "0.4")
    try:
        config = write_config(tmp_path / "config.yaml", sb_profile, url)
        plans = write_plans(tmp_path / "plans.csv", 24)
        command = [*WXPLAN, "create", "--from", str(plans), "--config", str(config), "-o", "jsonl",
                   "--concurrency", "3"]
        client = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  preexec_fn=interruptible)
        read_events(client, 4)
        client.send_signal(signal.SIGINT)
        out, err = client.communicate(timeout=20)
        assert client.returncode == ExitCode.INTERRUPTED, err
        assert "stopping: no new plans" in err
        resume = re.search(r"re-run the same command to resume: (wxplan create .*)", err)
        assert resume and "--ledger" in resume.group(1) and str(plans) in resume.group(1)
        assert json.loads(out.splitlines()[-1])["status"] == "interrupted"
        states = ledger_states(only_ledger(isolated_env))
        assert "sending" not in states and "unknown" not in states  # in-flight requests finished
        assert states.get("pending", 0) > 0 and states["created"] >= 4
        again = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert again.returncode == 0, again.stderr
        assert len(sandbox_plans(config)) == 24
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_second_ctrl_c_quits_at_once_and_in_flight_plans_are_resent(sb_home: Path, sb_profile: dict,
                                                                      tmp_path: Path,
                                                                      isolated_env: Path) -> None:
    slow, url, _ = serve(sb_home, tmp_path, "--rate-slow", "1.0", "--slow-seconds", "6")
    config = write_config(tmp_path / "config.yaml", sb_profile, url)
    plans = write_plans(tmp_path / "plans.csv", 6)
    command = [*WXPLAN, "create", "--from", str(plans), "--config", str(config), "--concurrency", "2"]
    client = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              preexec_fn=interruptible)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # wait until two requests are in flight
        ledgers = list((isolated_env / "state" / "ledgers").glob("*.sqlite3"))
        if ledgers and ledger_states(ledgers[0]).get("sending") == 2:
            break
        time.sleep(0.05)
    client.send_signal(signal.SIGINT)
    time.sleep(0.2)
    client.send_signal(signal.SIGINT)
    started = time.monotonic()
    _, err = client.communicate(timeout=10)
    assert client.returncode == ExitCode.INTERRUPTED and time.monotonic() - started < 4, err  # not 6 s
    assert "interrupted at once" in err and "re-run the same command to resume" in err
    assert ledger_states(only_ledger(isolated_env)) == {"sending": 2, "pending": 4}
    slow.terminate()
    slow.wait(timeout=10)
    port = url.rsplit(":", 1)[1]  # the same API (and --state) again, without faults
    healthy, _, _ = serve(sb_home, tmp_path, "--port", port)
    try:
        again = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert again.returncode == 0, again.stderr
        held = sandbox_plans(config)
        assert len(held) == 6 and len({p["plan_name"] for p in held}) == 6
    finally:
        healthy.terminate()
        healthy.wait(timeout=10)
