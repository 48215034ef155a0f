"""`wxplan create` with many plans, end to end through the CLI against the sandbox on 127.0.0.1.

Input formats and precedence, validation of every plan before sending (all problems at once, with
file:line), --skip-invalid, duplicates, the ledger across re-runs (skip, retry, refuse different content),
outputs (-o jsonl/json/id, --report .csv/.json), ledger show, dry run, exit codes.
"""

from __future__ import annotations

import csv
import json
import os
import stat
import time
from pathlib import Path

import pytest
from cli_fixtures import Served, args_for, write_config

from wxplan_cli import batch
from wxplan_cli.client import RetryPolicy
from wxplan_cli.errors import ExitCode

HEADER = "product_coupon_id,stock_id,plan_name,total_count,delivery_start_time,delivery_end_time\n"
SAMPLE = Path(__file__).resolve().parent.parent / "sample-configs" / "plan.yaml"


def csv_plans(path: Path, count: int, *, start: int = 0, extra_rows: str = "") -> Path:
    rows = "".join(f"7011{n:04d},7012{n:04d},计划{n:04d},{10000 + n},2027-01-01,2027-02-01\n"
                   for n in range(start, start + count))
    path.write_text(HEADER + rows + extra_rows, encoding="utf-8")
    return path


def plans_in(cli, served: Served) -> list[dict]:
    res = cli(*args_for(served, "list", "-o", "json"))
    assert res.exit_code == 0, res.stderr
    return json.loads(res.stdout)


def events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_csv_batch_creates_every_plan_and_reruns_skip(cli, served: Served, tmp_path: Path) -> None:
    plans = csv_plans(tmp_path / "plans.csv", 12)
    report = tmp_path / "report.json"
    res = cli(*args_for(served, "create", "--from", str(plans), "-o", "jsonl", "--report", str(report)))
    assert res.exit_code == 0, res.stderr
    got = events(res.stdout)
    assert [e["event"] for e in got] == ["plan"] * 12 + ["summary"]
    assert {e["outcome"] for e in got[:-1]} == {"created"}
    assert got[-1]["counts"]["created"] == 12 and got[-1]["complete"] is True
    assert "batch 批量创建" in res.stderr and "created" in res.stderr
    rows = json.loads(report.read_text())
    assert [r["source"] for r in rows] == [f"{plans}:{n}" for n in range(2, 14)]
    assert all(r["plan_id"] and r["request_id"] and r["attempts"] == 1 for r in rows)
    assert len(plans_in(cli, served)) == 12

    again = cli(*args_for(served, "create", "--from", str(plans), "-o", "jsonl", "--report", str(report)))
    assert again.exit_code == 0, again.stderr
    skipped = events(again.stdout)[:-1]
    assert {e["outcome"] for e in skipped} == {"skipped"}
    assert {e["plan_id"] for e in skipped} == {r["plan_id"] for r in rows}
    assert len(plans_in(cli, served)) == 12


def test_yaml_list_multidoc_jsonl_and_several_files(cli, served: Served, tmp_path: Path) -> None:
    common = {"stock_id": "1", "total_count": 10000, "delivery_start_time": "2027-01-01",
              "delivery_end_time": "2027-02-01"}
    listed = tmp_path / "list.yaml"
    listed.write_text("".join(f"- product_coupon_id: '{n}'\n  plan_name: 列表{n}\n"
                              + "".join(f"  {k}: {json.dumps(v)}\n" for k, v in common.items())
                              for n in range(3)))
    docs = tmp_path / "docs.yaml"
    docs.write_text("---\n".join(f"product_coupon_id: 'd{n}'\nplan_name: 文档{n}\n"
                                 + "".join(f"{k}: {json.dumps(v)}\n" for k, v in common.items())
                                 for n in range(2)))
    lines = tmp_path / "plans.jsonl"
    lines.write_text("\n".join(json.dumps({"product_coupon_id": f"j{n}", "plan_name": f"行{n}", **common},
                                          ensure_ascii=False) for n in range(2)) + "\n")
    res = cli(*args_for(served, "create", "--from", str(listed), "--from", str(docs), "--from", str(lines),
                        "-o", "json"))
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["counts"]["created"] == 7
    names = {p["plan_name"] for p in plans_in(cli, served)}
    assert names == {"列表0", "列表1", "列表2", "文档0", "文档1", "行0", "行1"}


def test_defaults_section_flags_and_plan_values_precedence(cli, served: Served, tmp_path: Path) -> None:
    batch = tmp_path / "batch.yaml"
    batch.write_text("defaults:\n  stock_id: '9'\n  total_count: 20000\n  delivery_start_time: 2027-01-01\n"
                     "  delivery_end_time: 2027-02-01\n  recommend_word: 默认\n"
                     "plans:\n  - product_coupon_id: '1'\n    plan_name: 用默认\n"
                     "  - product_coupon_id: '2'\n    plan_name: 自己的\n    total_count: 30000\n"
                     "    recommend_word: 自己\n")
    res = cli(*args_for(served, "create", "--from", str(batch), "--recommend-word", "旗标", "-o", "json"))
    assert res.exit_code == 0, res.stderr
    plans = {p["plan_name"]: p for p in plans_in(cli, served)}
    assert plans["用默认"]["total_count"] == 20000 and plans["用默认"]["recommend_word"] == "旗标"
    assert plans["自己的"]["total_count"] == 30000 and plans["自己的"]["recommend_word"] == "自己"
    assert all(p["brand_id"] == "40016" for p in plans.values())  # the profile's default


def test_every_problem_at_once_with_file_and_row_nothing_sent(cli, served: Served, tmp_path: Path) -> None:
    bad = csv_plans(tmp_path / "plans.csv", 3, extra_rows="1,2,太长太长太长太长太长太长太长,lots,2027-01-01,"
                    "2027-01-02\n,,,,,\n3,4,ok,10000,2027-01-01,2027-02-01,extra\n")
    res = cli(*args_for(served, "create", "--from", str(bad), "--start", "2027-01-01"))
    assert res.exit_code == ExitCode.VALIDATION, res.stderr
    for fragment in ("2 of 5 plans are not valid", f"{bad}:5: plan_name", f"{bad}:5: total_count",
                     "must be a whole number, not lots", f"{bad}:5: delivery_end_time",
                     f"{bad}:7: row: has 7 cells", "nothing was sent"):
        assert fragment in res.stderr, res.stderr
    assert plans_in(cli, served) == []
    as_json = json.loads(cli(*args_for(served, "create", "--from", str(bad), "-o", "json")).stderr
                         .splitlines()[-1])
    assert as_json["exit_code"] == 4 and len(as_json["issues"]) == 4


def test_a_bad_shared_value_is_reported_once(cli, served: Served, tmp_path: Path) -> None:
    plans = csv_plans(tmp_path / "plans.csv", 30)
    res = cli(*args_for(served, "create", "--from", str(plans), "--recommend-word", "x" * 30))
    assert res.exit_code == ExitCode.VALIDATION
    assert res.stderr.count("--recommend-word: recommend_word") == 1 and "(in 30 plans)" in res.stderr


def test_skip_invalid_sends_the_rest_and_exits_11(cli, served: Served, tmp_path: Path) -> None:
    bad = csv_plans(tmp_path / "plans.csv", 3, extra_rows="1,2,坏,-5,2027-01-01,2027-02-01\n")
    report = tmp_path / "report.csv"
    res = cli(*args_for(served, "create", "--from", str(bad), "--skip-invalid", "--report", str(report)))
    assert res.exit_code == ExitCode.BATCH_INCOMPLETE, res.stderr
    assert "1 of 4 plans were not created" in res.stderr and "re-run the same command" in res.stderr
    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    assert [r["outcome"] for r in rows] == ["created", "created", "created", "invalid"]
    assert rows[3]["error_code"] == "INVALID" and f"{bad}:5: total_count" in rows[3]["error_message"]
    assert len(plans_in(cli, served)) == 3


def test_duplicates_in_the_input(cli, served: Served, tmp_path: Path) -> None:
    same = csv_plans(tmp_path / "same.csv", 2, extra_rows="70110000,70120000,计划0000,10000,2027-01-01,"
                     "2027-02-01\n")
    res = cli(*args_for(served, "create", "--from", str(same), "-o", "jsonl"))
    assert res.exit_code == 0, res.stderr
    dup = [e for e in events(res.stdout) if e.get("outcome") == "duplicate"]
    assert len(dup) == 1 and dup[0]["note"] == f"same plan as {same}:2" and dup[0]["plan_id"]
    assert len(plans_in(cli, served)) == 2
    clash = tmp_path / "clash.jsonl"
    clash.write_text('{"out_request_no":"order-0001","product_coupon_id":"1","stock_id":"1","plan_name":"a",'
                     '"total_count":10000,"delivery_start_time":"2027-01-01","delivery_end_time":"2027-02-01"}\n'
                     '{"out_request_no":"order-0001","product_coupon_id":"2","stock_id":"1","plan_name":"b",'
                     '"total_count":10000,"delivery_start_time":"2027-01-01","delivery_end_time":"2027-02-01"}\n')
    res = cli(*args_for(served, "create", "--from", str(clash)))
    assert res.exit_code == ExitCode.VALIDATION
    assert (f"{clash}:2: out_request_no: order-0001 is also used at {clash}:1 for a different plan"
            in res.stderr)


def test_same_number_different_content_than_the_ledger_is_refused(cli, served: Served,
                                                                  tmp_path: Path) -> None:
    ledger = tmp_path / "batch.sqlite3"
    first = tmp_path / "v1.jsonl"
    line = {"out_request_no": "order-0002", "product_coupon_id": "1", "stock_id": "1", "plan_name": "旧",
            "total_count": 10000, "delivery_start_time": "2027-01-01", "delivery_end_time": "2027-02-01"}
    first.write_text(json.dumps(line) + "\n" + json.dumps({**line, "out_request_no": "order-0003"}) + "\n")
    assert cli(*args_for(served, "create", "--from", str(first), "--ledger", str(ledger))).exit_code == 0
    changed = tmp_path / "v2.jsonl"
    changed.write_text(json.dumps({**line, "plan_name": "新"}) + "\n")
    res = cli(*args_for(served, "create", "--from", str(changed), "--ledger", str(ledger)))
    assert res.exit_code == ExitCode.VALIDATION
    assert "order-0002 was already used for a different plan (ledger: created, plan_id" in res.stderr
    assert len(plans_in(cli, served)) == 2


def test_server_failures_are_retried_by_the_next_run(cli, serve_sandbox, tmp_path: Path) -> None:
    box = serve_sandbox(rate_500=1.0)
    plans = csv_plans(tmp_path / "plans.csv", 3)
    ledger = tmp_path / "l.sqlite3"
    res = cli(*args_for(box, "create", "--from", str(plans), "--ledger", str(ledger), "-o", "jsonl"))
    assert res.exit_code == ExitCode.BATCH_INCOMPLETE
    failed = events(res.stdout)[:-1]
    assert {(e["outcome"], e["http_status"], e["error_code"], e["attempts"]) for e in failed} == {
        ("failed", 500, "SYSTEM_ERROR", 2)}  # the profile's retries: 1
    assert all(e["request_id"] for e in failed)
    box.sandbox.set_fault_rates(type(box.sandbox.options)())
    again = cli(*args_for(box, "create", "--from", str(plans), "--ledger", str(ledger), "-o", "jsonl"))
    assert again.exit_code == 0, again.stderr
    assert {e["attempts"] for e in events(again.stdout)[:-1]} == {3}
    assert len(plans_in(cli, box)) == 3


def test_unknown_outcomes_are_resent_with_the_same_number(cli, serve_sandbox, tmp_path: Path) -> None:
    box = serve_sandbox(rate_drop=1.0)
    plans = csv_plans(tmp_path / "plans.csv", 4)
    res = cli(*args_for(box, "create", "--from", str(plans), "-o", "jsonl"))
    assert res.exit_code == ExitCode.BATCH_INCOMPLETE
    first = events(res.stdout)[:-1]
    assert {(e["outcome"], e["error_code"]) for e in first} == {("unknown", "NO_REPLY")}
    box.sandbox.set_fault_rates(type(box.sandbox.options)())
    assert len(plans_in(cli, box)) == 4  # the sandbox applied them before dropping the connection
    again = cli(*args_for(box, "create", "--from", str(plans), "-o", "jsonl"))
    assert again.exit_code == 0, again.stderr
    second = events(again.stdout)[:-1]
    assert {e["out_request_no"] for e in second} == {e["out_request_no"] for e in first}
    assert len(plans_in(cli, box)) == 4 and {e["plan_id"] for e in second} == {
        p["plan_id"] for p in plans_in(cli, box)}


def test_ledger_show_and_file_mode(cli, serve_sandbox, tmp_path: Path) -> None:
    box = serve_sandbox()
    plans = csv_plans(tmp_path / "plans.csv", 2,
                      extra_rows="LOWSTOCK1,9,低库存,10000,2027-01-01,2027-02-01\n")
    ledger = tmp_path / "l.sqlite3"
    assert cli(*args_for(box, "create", "--from", str(plans), "--ledger", str(ledger))).exit_code == 11
    assert stat.S_IMODE(os.stat(ledger).st_mode) == 0o600
    shown = cli("ledger", "show", str(ledger))
    assert shown.exit_code == 0, shown.stderr
    for fragment in ("created", "failed", f"{plans}:4", "INVALID_REQUEST", "Request-ID", "mchid 1900000109"):
        assert fragment in shown.stdout
    data = json.loads(cli("ledger", "show", str(ledger), "-o", "json").stdout)
    assert data["counts"] == {"created": 2, "failed": 1} and data["run"]["status"] == "done"
    assert data["problems"][0]["error_code"] == "INVALID_REQUEST"
    assert "private" not in ledger.read_bytes().decode("utf-8", "replace").lower()
    missing = cli("ledger", "show", str(tmp_path / "nope.sqlite3"))
    assert missing.exit_code == ExitCode.CONFIG


def test_default_ledger_in_the_state_dir_and_latest_shown(cli, served: Served, tmp_path: Path,
                                                          isolated_env: Path) -> None:
    plans = csv_plans(tmp_path / "plans.csv", 2)
    assert cli(*args_for(served, "create", "--from", str(plans))).exit_code == 0
    (ledger,) = (isolated_env / "state" / "ledgers").glob("*.sqlite3")
    assert stat.S_IMODE(os.stat(ledger.parent).st_mode) == 0o700
    shown = cli("ledger", "show", "-o", "json")
    assert json.loads(shown.stdout)["ledger"] == str(ledger)


def test_dry_run_validates_and_changes_nothing(cli, served: Served, tmp_path: Path,
                                               isolated_env: Path) -> None:
    plans = csv_plans(tmp_path / "plans.csv", 3)
    res = cli(*args_for(served, "create", "--from", str(plans), "--dry-run", "-o", "json"))
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["counts"]["to-send"] == 3 and "nothing was sent" in res.stderr
    assert not (isolated_env / "state" / "ledgers").exists() or not list(
        (isolated_env / "state" / "ledgers").glob("*.sqlite3"))
    assert plans_in(cli, served) == []
    assert cli(*args_for(served, "create", "--from", str(plans))).exit_code == 0
    dry = cli(*args_for(served, "create", "--from", str(plans), "--dry-run", "-o", "json"))
    assert json.loads(dry.stdout)["counts"]["skipped"] == 3


def test_output_id_and_stdin_csv(cli, served: Served, tmp_path: Path) -> None:
    text = csv_plans(tmp_path / "plans.csv", 3).read_text()
    res = cli(*args_for(served, "create", "--from", "-", "-o", "id"), input=text)
    assert res.exit_code == 0, res.stderr
    ids = res.stdout.split()
    assert len(ids) == 3 and set(ids) == {p["plan_id"] for p in plans_in(cli, served)}
    assert "(with the same input on stdin)" not in res.stderr  # only printed when a resume is needed


def test_single_plan_file_keeps_todays_output_and_batch_options_make_a_batch(cli, served: Served,
                                                                             tmp_path: Path) -> None:
    single = cli(*args_for(served, "create", "--from", str(SAMPLE), "-o", "json"))
    assert single.exit_code == 0 and json.loads(single.stdout)["plan_name"] == "冬季饮料投放"
    forced = cli(*args_for(served, "create", "--from", str(SAMPLE), "-o", "jsonl"))
    assert forced.exit_code == 0, forced.stderr
    assert events(forced.stdout)[0]["outcome"] == "created"  # the plan existed: the server replayed it
    assert len(plans_in(cli, served)) == 1


@pytest.mark.parametrize(("args", "fragment"), [
    (["--out-request-no", "order-0009"], "each plan needs its own"),
    (["--report", "r.txt"], "must end in .csv or .json"),
    (["--from", "-", "--from", "-"], "can be read once"),
])
def test_batch_usage_errors(cli, served: Served, tmp_path: Path, args: list[str], fragment: str) -> None:
    plans = csv_plans(tmp_path / "plans.csv", 2)
    res = cli(*args_for(served, "create", "--from", str(plans), *args))
    assert res.exit_code == ExitCode.USAGE and fragment in res.stderr


def test_unreadable_inputs_are_reported_with_file_and_line(cli, served: Served, tmp_path: Path) -> None:
    plans = csv_plans(tmp_path / "plans.csv", 1)
    broken = tmp_path / "broken.yaml"
    broken.write_text("- plan_name: a\n  brand_id: [unclosed\n- plan_name: b\n")
    res = cli(*args_for(served, "create", "--from", str(plans), "--from", str(broken),
                        "--from", str(tmp_path / "missing.csv"), "--skip-invalid"))
    assert res.exit_code == ExitCode.VALIDATION
    for fragment in ("2 input(s) cannot be read", f"{broken}:3:12: file: YAML syntax error",
                     "missing.csv: file: file not found"):
        assert fragment in res.stderr
    assert plans_in(cli, served) == []


BAD_PLANS = sorted((Path(__file__).parent / "bad_inputs" / "plans").iterdir())


@pytest.mark.parametrize("bad", BAD_PLANS, ids=[p.name for p in BAD_PLANS])
def test_the_bad_input_corpus_in_a_batch(cli, served: Served, tmp_path: Path, bad: Path) -> None:
    good = csv_plans(tmp_path / "good.csv", 1)
    res = cli(*args_for(served, "create", "--from", str(good), "--from", str(bad), "--dry-run"))
    assert res.exit_code == ExitCode.VALIDATION, res.stderr  # and no traceback (cli_fixtures.Result)
    assert str(bad) in res.stderr and "nothing was sent" in res.stderr


def test_documented_in_readme_and_help(cli) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for fragment in ("wxplan ledger show", "| 11 |", "--skip-invalid", "--concurrency", "--rate", "-o jsonl",
                     "--report", "defaults:", "bench/batch", "bench/batch-memory", "`rate`"):
        assert fragment in readme, fragment
    shown = cli("create", "--help")
    for option in ("--concurrency", "--rate", "--ledger", "--report", "--skip-invalid", "--format", "jsonl"):
        assert option in shown.stdout, option
    assert cli("ledger", "show", "--help").exit_code == 0


def test_rate_from_the_profile_and_the_flag(cli, served: Served, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    rates: list[float | None] = []
    bucket = batch.TokenBucket

    def recording(rate, **kwargs):
        rates.append(rate)
        return bucket(rate, **kwargs)

    monkeypatch.setattr(batch, "TokenBucket", recording)
    config = write_config(tmp_path / "rated.yaml", served.profile, served.url, rate=20)
    plans = csv_plans(tmp_path / "plans.csv", 10)
    start = time.monotonic()
    assert cli("create", "--from", str(plans), "--config", str(config), "-j", "8").exit_code == 0
    assert time.monotonic() - start >= 0.45  # 10 requests at 20/s: 9 intervals of 50 ms
    more = csv_plans(tmp_path / "more.csv", 10, start=10)
    assert cli("create", "--from", str(more), "--config", str(config), "--rate", "0").exit_code == 0
    assert cli("create", "--from", str(more), "--config", str(config), "--rate", "7.5").exit_code == 0
    assert rates == [20.0, None, 7.5]


def test_retries_send_the_same_bytes(cli, serve_sandbox, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RetryPolicy, "delay", lambda self, attempt, retry_after: 0.01)  # no real backoff
    box = serve_sandbox(rate_429=0.4, rate_500=0.2, seed=7)
    seen: list[tuple[bytes, str]] = []
    handle = box.sandbox.handle

    def recording(method, target, headers, body):
        if method == "POST":
            seen.append((body, headers.get("Authorization", "")))
        return handle(method, target, headers, body)

    box.sandbox.handle = recording
    config = tmp_path / "c.yaml"
    write_config(config, box.profile, box.url, retries=6)
    plans = csv_plans(tmp_path / "plans.csv", 8)
    res = cli("create", "--from", str(plans), "--config", str(config), "-o", "jsonl")
    assert res.exit_code == 0, res.stderr
    bodies: dict[str, set[bytes]] = {}
    for body, _ in seen:
        bodies.setdefault(json.loads(body)["out_request_no"], set()).add(body)
    assert len(bodies) == 8 and all(len(v) == 1 for v in bodies.values())  # byte-identical
    assert len(seen) > 8 and len({auth for _, auth in seen}) == len(seen)  # each attempt signed afresh
    attempts = {e["out_request_no"]: e["attempts"] for e in events(res.stdout)[:-1]}
    assert sum(attempts.values()) == len(seen)


def test_config_problems_come_before_reading_the_input(cli, served: Served, tmp_path: Path,
                                                       isolated_env: Path) -> None:
    broken = tmp_path / "broken.pem"
    broken.write_text("-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n")
    config = write_config(tmp_path / "c.yaml", {**served.profile, "private_key": broken}, served.url)
    res = cli("create", "--from", str(tmp_path / "missing.csv"), "--config", str(config))
    assert res.exit_code == ExitCode.CONFIG and "broken.pem" in res.stderr
    assert not (isolated_env / "state" / "ledgers").exists() or not list(
        (isolated_env / "state" / "ledgers").glob("*.sqlite3"))


def test_connections_are_kept_alive_and_reused(cli, served: Served, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from wxplan_cli.sandbox import server

    opened: list[object] = []
    setup = server._Handler.setup

    def counting(self) -> None:
        opened.append(self.client_address)
        setup(self)

    monkeypatch.setattr(server._Handler, "setup", counting)
    plans = csv_plans(tmp_path / "plans.csv", 40)
    assert cli(*args_for(served, "create", "--from", str(plans), "-j", "4")).exit_code == 0
    assert 1 <= len(opened) <= 4  # one connection per worker, every request after the first reuses it
