"""`wxplan create` end to end: the real CLI against the sandbox over 127.0.0.1.

Covers flags, files, stdin, overrides, every output mode, every exit code, validation messages with
file:line, dry-run, config precedence and the built-in sandbox profile.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from cli_fixtures import Served, args_for, write_config

from wxplan_cli.errors import ExitCode

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample-configs" / "plan.yaml"
FLAGS = ["--brand-id", "40016", "--product-coupon-id", "7011468762", "--stock-id", "7012468762",
         "--plan-name", "春季投放", "--total-count", "10000", "--start", "2027-03-01",
         "--end", "2027-03-31 23:59"]
ANSI = re.compile(r"\x1b\[")


def plans_in(cli, served: Served) -> list[dict]:
    res = cli(*args_for(served, "list", "-o", "json"))
    assert res.exit_code == 0, res.stderr
    return json.loads(res.stdout)


def test_flags_only_table(cli, served: Served) -> None:
    res = cli(*args_for(served, "create", *FLAGS))
    assert res.exit_code == 0, res.stderr
    for text in ("投放计划ID", "plan_id", "春季投放", "PLAN_CREATING 创建中", "out_request_no",
                 "2027-03-01T00:00:00+08:00", "2027-03-31T23:59:00+08:00", "wxp-"):
        assert text in res.stdout
    assert not ANSI.search(res.stdout)  # not a terminal: no colour
    again = cli(*args_for(served, "create", *FLAGS))
    assert again.exit_code == 0
    assert len(plans_in(cli, served)) == 1  # the derived out_request_no made the re-run harmless


def test_file_json_twin_and_stdin_give_the_same_plan(cli, served: Served) -> None:
    first = cli(*args_for(served, "create", "--from", str(SAMPLE), "-o", "json"))
    assert first.exit_code == 0, first.stderr
    plan = json.loads(first.stdout)
    assert plan["plan_name"] == "冬季饮料投放" and plan["total_count"] == 10000
    assert "out_request_no: asdf-1234-40016" in first.stderr
    twin = cli(*args_for(served, "create", "--from", str(SAMPLE.with_suffix(".json")), "-o", "id"))
    assert twin.stdout == plan["plan_id"] + "\n"
    piped = cli(*args_for(served, "create", "--from", "-", "-o", "yaml"), input=SAMPLE.read_text())
    assert yaml.safe_load(piped.stdout)["plan_id"] == plan["plan_id"]
    assert len(plans_in(cli, served)) == 1


def test_flags_override_the_file(cli, served: Served) -> None:
    res = cli(*args_for(served, "create", "--from", str(SAMPLE), "--total-count", "20000",
                        "--out-request-no", "override-01", "-o", "json"))
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["total_count"] == 20000


def test_reuse_plan_and_quiet(cli, served: Served) -> None:
    res = cli(*args_for(served, "create", "--from", str(ROOT / "sample-configs" / "plan-reuse.yaml"),
                        "-q"))
    assert res.exit_code == 0, res.stderr
    assert res.stdout == "" and res.stderr == ""
    (plan,) = plans_in(cli, served)
    assert plan["reuse_coupon_config"] is True and plan["plan_name"]  # filled from the coupon


def test_dry_run_prints_signed_request_and_sends_nothing(cli, served: Served) -> None:
    res = cli(*args_for(served, "create", "--from", str(SAMPLE), "--dry-run"))
    assert res.exit_code == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == f"POST {served.url}/v3/marketing/partner/delivery-plan/delivery-plans"
    auth = next(line for line in lines if line.lower().startswith("authorization:"))
    assert 'signature="***"' in auth and "WECHATPAY2-SHA256-RSA2048" in auth
    body = json.loads(lines[-1])
    assert body["out_request_no"] == "asdf-1234-40016" and body["reuse_coupon_config"] is False
    as_json = json.loads(cli(*args_for(served, "create", "--from", str(SAMPLE), "--dry-run",
                                       "-o", "json")).stdout)
    assert as_json["method"] == "POST" and as_json["body"] == body
    assert plans_in(cli, served) == []


def test_validation_lists_every_problem_with_file_and_line(cli, served: Served, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text('brand_id: "40016"\nproduct_coupon_id: "1"\nstock_id: "2"\n'
                   "plan_name: 冬季饮料投放冬季饮料投放冬\n"
                   "total_count: -5\ndelivery_start_time: 2027-01-01\ndelivery_end_time: 2027-01-03\n"
                   "recomend_word: hi\n")
    res = cli(*args_for(served, "create", "--from", str(bad)))
    assert res.exit_code == ExitCode.VALIDATION
    for fragment in (f"{bad}:4: plan_name", f"{bad}:5: total_count", f"{bad}:8",
                     "did you mean recommend_word", "5 days"):
        assert fragment in res.stderr, res.stderr
    assert res.stdout == ""
    js = cli(*args_for(served, "create", "--from", str(bad), "-o", "json"))
    err = json.loads(js.stderr)
    assert err["exit_code"] == 4 and len(err["issues"]) >= 4
    assert plans_in(cli, served) == []


@pytest.mark.parametrize(("args", "code"), [
    (["--total-count", "many"], ExitCode.USAGE),
    (["--no-such-flag"], ExitCode.USAGE),
    (["-o", "xml"], ExitCode.USAGE),
])
def test_usage_errors(cli, served: Served, args: list[str], code: int) -> None:
    res = cli(*args_for(served, "create", "--from", str(SAMPLE), *args))
    assert res.exit_code == code and res.stdout == ""


def test_api_rejection_is_exit_5_with_details(cli, served: Served) -> None:
    res = cli(*args_for(served, "create", "--from", str(SAMPLE), "--product-coupon-id", "LOWSTOCK1"))
    assert res.exit_code == ExitCode.API_REJECTED
    assert "HTTP 400" in res.stderr and "INVALID_REQUEST" in res.stderr
    assert "Request-ID" in res.stderr and "hint:" in res.stderr
    err = json.loads(cli(*args_for(served, "create", "--from", str(SAMPLE), "--product-coupon-id",
                                   "LOWSTOCK1", "-o", "json")).stderr)
    assert err["status"] == 400 and err["code"] == "INVALID_REQUEST" and err["request_id"]


@pytest.mark.parametrize(("fault", "code", "fragment"), [
    ({"rate_500": 1.0}, ExitCode.SERVER_ERROR, "HTTP 500"),
    ({"rate_429": 1.0}, ExitCode.SERVER_ERROR, "HTTP 429"),
    ({"rate_drop": 1.0}, ExitCode.UNKNOWN_OUTCOME, "may have been applied"),
    ({"rate_bad_signature": 1.0}, ExitCode.BAD_SIGNATURE, "signature invalid"),
    ({"rate_signtest": 1.0}, ExitCode.BAD_SIGNATURE, "SIGNTEST"),
    ({"rate_stale": 1.0}, ExitCode.BAD_SIGNATURE, "timestamp"),
])
def test_faults_map_to_exit_codes(cli, serve_sandbox, fault, code, fragment) -> None:
    box = serve_sandbox(**fault)
    res = cli(*args_for(box, "create", "--from", str(SAMPLE)))
    assert res.exit_code == code, res.stderr
    assert fragment in res.stderr and res.stdout == ""


def test_dropped_connection_then_rerun_returns_the_same_plan(cli, serve_sandbox, sb_identity,
                                                             tmp_path: Path) -> None:
    flaky = serve_sandbox(rate_drop=1.0)
    first = cli(*args_for(flaky, "create", "--from", str(SAMPLE)))
    assert first.exit_code == ExitCode.UNKNOWN_OUTCOME
    # the plan was committed before the connection dropped; a healthy server on the same state:
    flaky.sandbox.set_fault_rates(type(flaky.sandbox.options)())  # faults off, same plans
    again = cli(*args_for(flaky, "create", "--from", str(SAMPLE), "-o", "json"))
    assert again.exit_code == 0, again.stderr
    assert len(plans_in(cli, flaky)) == 1


def test_slow_reply_beyond_timeout_is_unknown_outcome(cli, serve_sandbox, tmp_path: Path) -> None:
    slow = serve_sandbox(rate_slow=1.0, slow_seconds=3.0)
    config = write_config(tmp_path / "slow.yaml", slow.profile, slow.url, timeout=0.5)
    res = cli("create", "--from", str(SAMPLE), "--config", str(config))
    assert res.exit_code == ExitCode.UNKNOWN_OUTCOME, res.stderr
    assert "re-running the same command resends the same out_request_no" in res.stderr


def test_unreachable_server_is_exit_6(cli, served: Served, tmp_path: Path) -> None:
    config = write_config(tmp_path / "dead.yaml", served.profile, "http://127.0.0.1:9")
    res = cli("create", "--from", str(SAMPLE), "--config", str(config))
    assert res.exit_code == ExitCode.SERVER_ERROR and "cannot reach" in res.stderr


def test_config_errors_are_exit_3(cli, served: Served, tmp_path: Path) -> None:
    res = cli("create", "--from", str(SAMPLE), "--config", str(tmp_path / "nope.yaml"))
    assert res.exit_code == ExitCode.CONFIG and "nope.yaml" in res.stderr
    broken_key = tmp_path / "broken.pem"
    broken_key.write_text("-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n")
    config = write_config(tmp_path / "c.yaml", {**served.profile, "private_key": broken_key}, served.url)
    res = cli("create", "--from", str(SAMPLE), "--config", str(config))
    assert res.exit_code == ExitCode.CONFIG and "broken.pem" in res.stderr
    res = cli("create", "--from", str(SAMPLE), "--config", str(config), "--profile", "prdo")
    assert res.exit_code == ExitCode.CONFIG and "not found" in res.stderr


def test_wrong_merchant_key_is_refused_by_the_sandbox(cli, served: Served, tmp_path: Path,
                                                      other_key) -> None:
    config = write_config(tmp_path / "c.yaml", {**served.profile, "private_key": other_key.key_path},
                          served.url)
    res = cli("create", "--from", str(SAMPLE), "--config", str(config))
    assert res.exit_code == ExitCode.API_REJECTED
    assert "SIGN_ERROR" in res.stderr
    # the sandbox's sign_information matches what was signed, so the key must be wrong:
    assert "key is the problem: private_key does not match serial_no" in res.stderr


def test_group_readable_key_warns(cli, served: Served, tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_bytes(Path(served.profile["private_key"]).read_bytes())
    key.chmod(0o644)
    config = write_config(tmp_path / "c.yaml", {**served.profile, "private_key": key}, served.url)
    res = cli("create", "--from", str(SAMPLE), "--config", str(config), "-o", "id")
    assert res.exit_code == 0 and "chmod 600" in res.stderr


def test_config_and_profile_precedence(cli, served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WXPLAN_CONFIG", str(served.config))
    monkeypatch.setenv("WXPLAN_PROFILE", "certs")
    assert cli("create", "--from", str(SAMPLE), "-o", "id").exit_code == 0
    assert cli("--profile", "pubkey", "create", "--from", str(SAMPLE), "-o", "id").exit_code == 0
    monkeypatch.setenv("WXPLAN_PROFILE", "missing")
    res = cli("create", "--from", str(SAMPLE))
    assert res.exit_code == ExitCode.CONFIG and "WXPLAN_PROFILE" in res.stderr
    assert cli("create", "--from", str(SAMPLE), "--profile", "pubkey", "-o", "id").exit_code == 0
    monkeypatch.setenv("WXPLAN_BRAND_ID", "40016")
    res = cli("create", "--from", str(SAMPLE), "--profile", "pubkey", "--dry-run", "-o", "json")
    assert json.loads(res.stdout)["body"]["brand_id"] == "40016"


def test_debug_log_redacts_the_signature(cli, served: Served) -> None:
    res = cli(*args_for(served, "create", "--from", str(SAMPLE), "-v", "-o", "id"))
    assert res.exit_code == 0
    assert "> POST" in res.stderr and "< HTTP 200" in res.stderr
    assert 'signature="***"' in res.stderr
    assert re.search(r'signature="[A-Za-z0-9+/]{40,}', res.stderr) is None
    assert res.stdout.strip().isdigit()


def test_interrupt_is_exit_130(cli, served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    from wxplan_cli.client import PartnerClient

    def interrupted(self, body):  # a Ctrl-C while waiting for the reply
        raise KeyboardInterrupt

    monkeypatch.setattr(PartnerClient, "create_plan", interrupted)
    res = cli(*args_for(served, "create", "--from", str(SAMPLE)))
    assert res.exit_code == ExitCode.INTERRUPTED and "interrupted" in res.stderr


def test_builtin_sandbox_profile_in_an_empty_home(cli, isolated_env: Path) -> None:
    assert not isolated_env.exists()
    first = cli("create", "--profile", "sandbox", "--from", str(SAMPLE), "-o", "json")
    assert first.exit_code == 0, first.stderr
    plan_id = json.loads(first.stdout)["plan_id"]
    again = cli("create", "--profile", "sandbox", "--from", str(SAMPLE), "-o", "id")
    assert again.stdout.strip() == plan_id
    listed = cli("list", "--profile", "sandbox", "--brand-id", "40016", "-o", "id")
    assert listed.stdout.split() == [plan_id]
    shown = cli("show", plan_id, "--profile", "sandbox", "--brand-id", "40016", "-o", "json")
    assert json.loads(shown.stdout)["plan_id"] == plan_id
    missing = cli("show", "424242", "--profile", "sandbox", "--brand-id", "40016")
    assert missing.exit_code == ExitCode.API_REJECTED and "not found" in missing.stderr
    assert cli("sandbox", "reset", "--yes").exit_code == 0
    assert cli("list", "--profile", "sandbox", "--brand-id", "40016", "-o", "id").stdout == ""


def _corrupt_create_replies(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make only the create's reply carry a bad signature (the plan is still committed)."""
    real = served.sandbox.handle

    def handle(method, target, headers, body):
        response = real(method, target, headers, body)
        if method == "POST" and target.endswith("/delivery-plans"):
            response.headers["Wechatpay-Signature"] = "A" * 344
        return response

    monkeypatch.setattr(served.sandbox, "handle", handle)


def test_bad_reply_signature_looks_the_plan_up(cli, served: Served, monkeypatch) -> None:
    _corrupt_create_replies(served, monkeypatch)
    res = cli(*args_for(served, "create", "--from", str(SAMPLE)))
    assert res.exit_code == ExitCode.BAD_SIGNATURE
    (plan,) = plans_in(cli, served)
    assert f"the brand now has the plan {plan['plan_id']}" in res.stderr
    monkeypatch.undo()
    again = cli(*args_for(served, "create", "--from", str(SAMPLE), "-o", "id"))
    assert again.stdout.strip() == plan["plan_id"] and len(plans_in(cli, served)) == 1


def test_bad_signatures_everywhere_say_the_lookup_failed(cli, serve_sandbox) -> None:
    box = serve_sandbox(rate_bad_signature=1.0)
    res = cli(*args_for(box, "create", "--from", str(SAMPLE)))
    assert res.exit_code == ExitCode.BAD_SIGNATURE
    assert "Looking the plan up failed too" in res.stderr and "wxplan list" in res.stderr


def test_wait_follows_the_new_plan_until_the_audit_settles(cli, served: Served) -> None:
    res = cli(*args_for(served, "create", "--from", str(SAMPLE), "--wait", "--timeout", "20",
                        "-o", "json"))
    assert res.exit_code == 0, res.stderr
    plan = json.loads(res.stdout)
    assert plan["plan_state"] == "PLAN_DELIVERING" and plan["audit_state"] == "AUDIT_PASSED"
    assert "out_request_no: asdf-1234-40016" in res.stderr


def test_wait_reports_a_rejected_audit(cli, served: Served) -> None:
    res = cli(*args_for(served, "create", "--from", str(SAMPLE), "--plan-name", "REJECT测试",
                        "--wait", "--timeout", "20", "-o", "json"))
    assert res.exit_code == 9, res.stderr
    assert json.loads(res.stdout)["audit_state"] == "AUDIT_REJECTED"


def test_wait_is_for_one_plan(cli, served: Served, tmp_path: Path) -> None:
    many = tmp_path / "many.jsonl"
    many.write_text('{"brand_id": "1"}\n{"brand_id": "2"}\n')
    res = cli(*args_for(served, "create", "--from", str(many), "--wait"))
    assert res.exit_code == ExitCode.USAGE and "--wait follows one plan" in res.stderr
