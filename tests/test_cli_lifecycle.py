"""`list`, `show`, `update`, `terminate` and `notify-url set` end to end against the sandbox on 127.0.0.1.

The sandbox's lifecycle runs fast here (0.2 s creating, 0.4 s audit, 0.2 s terminating); a plan name
containing REJECT fails its audit. "A terminal" is simulated by replacing ``stdin_is_terminal``.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from pathlib import Path

import pytest
from cli_fixtures import Served, args_for

from wxplan_cli.errors import ExitCode

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample-configs" / "plan.yaml"


def create(cli, served: Served, *extra: str) -> str:
    res = cli(*args_for(served, "create", "--from", str(SAMPLE), *extra, "-o", "id"))
    assert res.exit_code == 0, res.stderr
    return res.stdout.strip()


def show(cli, served: Served, plan_id: str, *extra: str) -> dict:
    res = cli(*args_for(served, "show", plan_id, "-o", "json", *extra))
    assert res.exit_code == 0, res.stderr
    return json.loads(res.stdout)


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """--wait polls every 0.05-0.2 s here (the sandbox's lifecycle is fast too)."""
    import wxplan_cli.wait

    monkeypatch.setattr(wxplan_cli.wait, "Backoff",
                        functools.partial(wxplan_cli.wait.Backoff, first=0.05, cap=0.2))


def typed_away(stdout: str) -> str:
    """stdout without the first line: CliRunner echoes typed input there (a real terminal does not)."""
    return stdout.split("\n", 1)[1] if "\n" in stdout else ""


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("wxplan_cli.commands.interact.stdin_is_terminal", lambda: True)


# -- list ----------------------------------------------------------------------------------------------


def test_list_formats_filters_and_limit(cli, serve_sandbox) -> None:
    served = serve_sandbox(creating_delay=60)  # the plans stay PLAN_CREATING for the filters below
    ids = [create(cli, served, "--out-request-no", f"list-{n:04d}") for n in range(3)]
    table = cli(*args_for(served, "list"))
    assert table.exit_code == 0 and "PLAN_CREATING 创建中" in table.stdout and ids[0] in table.stdout
    rows = list(csv.DictReader(io.StringIO(cli(*args_for(served, "list", "-o", "csv")).stdout)))
    assert [r["plan_id"] for r in rows] == ids and rows[0]["plan_name"] == "冬季饮料投放"
    assert rows[0]["total_count"] == "10000" and rows[0]["stock_bundle_id"] == ""
    assert cli(*args_for(served, "list", "--limit", "2", "-o", "id")).stdout.split() == ids[:2]
    assert cli(*args_for(served, "list", "--state", "creating", "-o", "id")).stdout.split() == ids
    assert cli(*args_for(served, "list", "--audit-state", "AUDIT_PASSED", "-o", "id")).stdout == ""
    listed = json.loads(cli(*args_for(served, "list", "-o", "json", "--state", "PLAN_CREATING")).stdout)
    assert [p["plan_id"] for p in listed] == ids


def test_list_refuses_an_unknown_state_with_did_you_mean(cli, served: Served) -> None:
    res = cli(*args_for(served, "list", "--state", "PLAN_DELIVERNG"))
    assert res.exit_code == ExitCode.USAGE and "did you mean PLAN_DELIVERING" in res.stderr
    res = cli(*args_for(served, "list", "--audit-state", "ok", "-o", "json"))
    assert res.exit_code == ExitCode.USAGE and json.loads(res.stderr)["exit_code"] == 2


# -- show --wait -----------------------------------------------------------------------------------------


def test_show_wait_until_delivering(cli, served: Served) -> None:
    plan_id = create(cli, served)
    res = cli(*args_for(served, "show", plan_id, "--wait", "--timeout", "20", "-o", "json"))
    assert res.exit_code == 0, res.stderr
    plan = json.loads(res.stdout)
    assert (plan["plan_state"], plan["audit_state"]) == ("PLAN_DELIVERING", "AUDIT_PASSED")
    assert "AUDIT_PASSED" in res.stderr  # state changes are noted on stderr (no spinner off a terminal)
    assert "\r" not in res.stderr


def test_show_wait_timeout_is_exit_10_and_prints_the_last_state(cli, served: Served) -> None:
    plan_id = create(cli, served)
    res = cli(*args_for(served, "show", plan_id, "--wait", "--timeout", "0", "-o", "json"))
    assert res.exit_code == ExitCode.WAIT_TIMEOUT == 10
    assert json.loads(res.stdout)["plan_state"] == "PLAN_CREATING"
    assert "still PLAN_CREATING" in res.stderr and "--timeout" in res.stderr


def test_show_wait_on_a_rejected_plan_is_exit_9(cli, served: Served) -> None:
    plan_id = create(cli, served, "--plan-name", "REJECT计划")
    res = cli(*args_for(served, "show", plan_id, "--wait", "--timeout", "20"))
    assert res.exit_code == ExitCode.AUDIT_REJECTED == 9
    assert "AUDIT_REJECTED" in res.stdout and "audit rejected" in res.stderr


def test_show_unknown_plan_is_exit_5(cli, served: Served) -> None:
    res = cli(*args_for(served, "show", "999999999999", "--wait"))
    assert res.exit_code == ExitCode.API_REJECTED and "not found" in res.stderr and res.stdout == ""


# -- update ----------------------------------------------------------------------------------------------


def test_update_happy_path_with_yes_and_rerun_is_harmless(cli, served: Served) -> None:
    plan_id = create(cli, served)
    args = ["update", plan_id, "--total-count", "20000", "--end", "2027-02-15", "--plan-name", "春季投放"]
    res = cli(*args_for(served, *args, "--yes", "-o", "json"))
    assert res.exit_code == 0, res.stderr
    plan = json.loads(res.stdout)
    assert plan["total_count"] == 20000 and plan["plan_name"] == "春季投放"
    assert plan["delivery_end_time"] == "2027-02-15T00:00:00+08:00"
    for text in ("当前 before", "10000", "20000", "out_request_no: wxu-"):
        assert text in res.stderr  # the before/after table is for people: stderr
    again = cli(*args_for(served, *args))  # no --yes needed: nothing to send
    assert again.exit_code == 0 and "nothing to change" in again.stderr


def test_update_refused_locally_names_each_rule(cli, served: Served, tmp_path: Path) -> None:
    plan_id = create(cli, served)
    edit = tmp_path / "edit.yaml"
    edit.write_text('delivery_start_time: "2027-01-05T00:00:00+08:00"\nuser_limit: 0\n')
    res = cli(*args_for(served, "update", plan_id, "--from", str(edit), "--total-count", "9999",
                        "--end", "2027-01-20", "--yes"))
    assert res.exit_code == ExitCode.VALIDATION
    for fragment in (f"{edit}:1: delivery_start_time: cannot be changed",
                     f"{edit}:2: user_limit: must be at least 1",
                     "--total-count: total_count: can only be increased",
                     "--end: delivery_end_time: can only move later", "nothing was sent"):
        assert fragment in res.stderr, res.stderr
    assert show(cli, served, plan_id)["total_count"] == 10000


def test_update_limit_not_set_at_creation(cli, served: Served, tmp_path: Path) -> None:
    bare = tmp_path / "bare.yaml"
    bare.write_text("\n".join(line for line in SAMPLE.read_text().splitlines()
                              if not line.startswith(("user_limit", "daily_limit"))))
    res = cli(*args_for(served, "create", "--from", str(bare), "-o", "id"))
    res = cli(*args_for(served, "update", res.stdout.strip(), "--daily-limit", "5", "--yes"))
    assert res.exit_code == ExitCode.VALIDATION and "cannot be added later" in res.stderr


def test_update_without_terminal_needs_yes(cli, served: Served) -> None:
    plan_id = create(cli, served)
    res = cli(*args_for(served, "update", plan_id, "--total-count", "20000"))
    assert res.exit_code == ExitCode.USAGE and "--yes" in res.stderr and "no terminal" in res.stderr
    assert show(cli, served, plan_id)["total_count"] == 10000


def test_update_confirms_on_a_terminal(cli, served: Served, terminal) -> None:
    plan_id = create(cli, served)
    declined = cli(*args_for(served, "update", plan_id, "--total-count", "20000"), input="n\n")
    assert declined.exit_code == ExitCode.USAGE and "cancelled" in declined.stderr
    assert "[y/N]" in declined.stderr and typed_away(declined.stdout) == ""  # the prompt is on stderr
    accepted = cli(*args_for(served, "update", plan_id, "--total-count", "20000", "-o", "id"), input="y\n")
    assert accepted.exit_code == 0 and typed_away(accepted.stdout).strip() == plan_id
    assert show(cli, served, plan_id)["total_count"] == 20000


def test_update_dry_run_sends_nothing(cli, served: Served) -> None:
    plan_id = create(cli, served)
    res = cli(*args_for(served, "update", plan_id, "--recommend-word", "新标签", "--dry-run", "-o", "json"))
    assert res.exit_code == 0, res.stderr
    shape = json.loads(res.stdout)
    assert shape["method"] == "PATCH" and shape["url"].endswith(f"/delivery-plans/{plan_id}")
    assert shape["body"]["modify_content"] == {"recommend_word": "新标签"}
    assert shape["body"]["out_request_no"].startswith("wxu-") and "dry run" in res.stderr
    assert show(cli, served, plan_id)["recommend_word"] == "天天有惊喜"


def test_update_wait_rejected_is_exit_9_and_keeps_the_old_content(cli, served: Served) -> None:
    plan_id = create(cli, served)
    assert show(cli, served, plan_id, "--wait")["audit_state"] == "AUDIT_PASSED"  # the first content passed
    res = cli(*args_for(served, "update", plan_id, "--plan-name", "REJECT名", "--yes", "--wait",
                        "--timeout", "20", "-o", "json"))
    assert res.exit_code == ExitCode.AUDIT_REJECTED, res.stderr
    plan = json.loads(res.stdout)
    assert plan["audit_state"] == "AUDIT_REJECTED" and plan["plan_name"] == "冬季饮料投放"
    assert "previous content" in res.stderr


def test_update_replayed_by_a_reused_out_request_no_is_flagged(cli, served: Served) -> None:
    plan_id = create(cli, served)
    first = cli(*args_for(served, "update", plan_id, "--plan-name", "春季投放", "--out-request-no",
                          "rename-0001", "--yes", "--wait"))
    assert first.exit_code == 0, first.stderr
    second = cli(*args_for(served, "update", plan_id, "--plan-name", "夏季投放", "--yes", "--wait"))
    assert second.exit_code == 0, second.stderr
    replay = cli(*args_for(served, "update", plan_id, "--plan-name", "春季投放", "--out-request-no",
                           "rename-0001", "--yes", "-o", "json"))
    assert replay.exit_code == 0, replay.stderr
    assert json.loads(replay.stdout)["plan_name"] == "夏季投放"  # the sandbox replayed; nothing applied
    assert "replayed an earlier request" in replay.stderr


def test_update_unknown_plan_and_nothing_given(cli, served: Served) -> None:
    res = cli(*args_for(served, "update", "999999999999", "--total-count", "20000", "--yes"))
    assert res.exit_code == ExitCode.API_REJECTED and "not found" in res.stderr
    res = cli(*args_for(served, "update", "999999999999"))
    assert res.exit_code == ExitCode.USAGE and "nothing to update" in res.stderr


# -- terminate -------------------------------------------------------------------------------------------


def test_terminate_without_terminal_needs_yes(cli, served: Served) -> None:
    plan_id = create(cli, served)
    res = cli(*args_for(served, "terminate", plan_id))
    assert res.exit_code == ExitCode.USAGE and "--yes" in res.stderr
    assert show(cli, served, plan_id)["plan_state"] != "PLAN_TERMINATING"


def test_terminate_asks_for_the_plan_id_on_a_terminal(cli, served: Served, terminal) -> None:
    plan_id = create(cli, served)
    wrong = cli(*args_for(served, "terminate", plan_id), input="12345\n")
    assert wrong.exit_code == ExitCode.USAGE and "cancelled" in wrong.stderr
    assert "Type the plan id" in wrong.stderr and "stop delivering" in wrong.stderr
    right = cli(*args_for(served, "terminate", plan_id, "-o", "json"), input=f"{plan_id}\n")
    assert right.exit_code == 0, right.stderr
    assert json.loads(typed_away(right.stdout))["plan_state"] == "PLAN_TERMINATING"


def test_terminate_yes_wait_then_again_and_update_refused(cli, served: Served) -> None:
    plan_id = create(cli, served)
    res = cli(*args_for(served, "terminate", plan_id, "--yes", "--wait", "--timeout", "20", "-o", "json"))
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["plan_state"] == "PLAN_TERMINATED"
    again = cli(*args_for(served, "terminate", plan_id))  # no prompt: nothing to do
    assert again.exit_code == 0 and "already PLAN_TERMINATED" in again.stderr
    res = cli(*args_for(served, "update", plan_id, "--total-count", "20000", "--yes"))
    assert res.exit_code == ExitCode.VALIDATION and "PLAN_TERMINATED" in res.stderr


def test_terminate_unknown_plan_is_exit_5(cli, served: Served) -> None:
    res = cli(*args_for(served, "terminate", "999999999999", "--yes"))
    assert res.exit_code == ExitCode.API_REJECTED and "not found" in res.stderr


# -- notify-url ------------------------------------------------------------------------------------------


def test_notify_url_set(cli, served: Served) -> None:
    res = cli(*args_for(served, "notify-url", "set", "https://example.com/wxpay/plan", "-o", "json"))
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout) == {"sp_mchid": served.profile["mchid"],
                                      "notify_url": "https://example.com/wxpay/plan"}
    table = cli(*args_for(served, "notify-url", "set", "https://example.com/x"))
    assert "回调地址" in table.stdout and "https://example.com/x" in table.stdout


@pytest.mark.parametrize(("url", "fragment"), [
    ("http://example.com/cb", "must use https://"),
    ("https://example.com/" + "a" * 250, "at most 256"),
    ("https:///nohost", "has no host"),
])
def test_notify_url_refused_locally(cli, served: Served, url: str, fragment: str) -> None:
    res = cli(*args_for(served, "notify-url", "set", url))
    assert res.exit_code == ExitCode.VALIDATION and fragment in res.stderr and "notify URL" in res.stderr


# -- the built-in sandbox profile -------------------------------------------------------------------------


def test_lifecycle_on_the_builtin_sandbox(cli) -> None:
    base = ["--profile", "sandbox", "--brand-id", "40016"]
    created = cli("create", "--profile", "sandbox", "--from", str(SAMPLE), "-o", "id")
    plan_id = created.stdout.strip()
    assert cli("update", plan_id, *base, "--total-count", "30000", "--yes", "-o", "id").exit_code == 0
    assert cli("terminate", plan_id, *base, "--yes", "-o", "id").stdout.strip() == plan_id
    listed = cli("list", *base, "--state", "terminating", "-o", "csv")
    assert plan_id in listed.stdout and ",30000," in listed.stdout
    assert cli("notify-url", "set", "https://example.com/n", "--profile", "sandbox").exit_code == 0


def test_profile_and_state_completion(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from wxplan_cli.cli import app

    def complete(words: str) -> list[str]:
        env = {"_WXPLAN_COMPLETE": "complete_bash", "COMP_WORDS": words,
               "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))}
        res = CliRunner().invoke(app, [], prog_name="wxplan", env=env)
        return res.stdout.split()

    monkeypatch.setenv("WXPLAN_CONFIG", str(served.config))
    assert complete("wxplan list --profile ") == ["pubkey", "certs", "sandbox"]
    assert complete("wxplan show 1 --profile c") == ["certs"]
    assert complete("wxplan list --state PLAN_T") == ["PLAN_TERMINATING", "PLAN_TERMINATED"]
    assert "AUDIT_REJECTED" in complete("wxplan list --audit-state ")


def test_issue_4_commands_are_in_the_readme_and_help() -> None:
    from typer.testing import CliRunner

    from wxplan_cli.cli import app

    readme = (ROOT / "README.md").read_text()
    for command in ("list", "show", "update", "terminate", "notify-url set", "config init", "config show",
                    "config profiles", "certs download", "doctor", "lint"):
        assert f"wxplan {command}" in readme, command
        res = CliRunner().invoke(app, [*command.split(), "--help"])
        assert res.exit_code == 0 and "Usage:" in res.stdout, command
    for code in (9, 10):
        assert f"| {code} |" in readme
