"""Unit tests of the library behind --wait (wait.py) and update (update.py): no server, no real time."""

from __future__ import annotations

from typing import Any

import pytest

from wxplan_cli.client import PlanPage
from wxplan_cli.errors import (
    AuditRejectedError,
    ExitCode,
    NotFoundError,
    UsageError,
    ValidationError,
    WaitTimeoutError,
)
from wxplan_cli.plan_query import enum_value, iter_plans
from wxplan_cli.plan_rules import Given
from wxplan_cli.timeparse import parse_time
from wxplan_cli.update import build_update, derive_update_request_no, requested_values
from wxplan_cli.wait import Backoff, check_audit, settled, wait_for_plan

PLAN = {"plan_id": "100000000001", "plan_name": "冬季饮料投放", "plan_state": "PLAN_DELIVERING",
        "audit_state": "AUDIT_PASSED", "brand_id": "40016", "stock_id": "7012", "product_coupon_id": "7011",
        "total_count": 10000, "user_limit": 2, "delivery_start_time": "2027-01-01T00:00:00+08:00",
        "delivery_end_time": "2027-01-31T00:00:00+08:00", "reuse_coupon_config": False}


class ScriptedClient:
    """Answers list calls with the next plan state of a script (the last one repeats)."""

    def __init__(self, states: list[dict[str, Any]]) -> None:
        self.states = states
        self.calls: list[dict[str, Any]] = []

    def list_plans(self, brand_id: str, **query: Any) -> PlanPage:
        self.calls.append({"brand_id": brand_id, **query})
        state = self.states[min(len(self.calls) - 1, len(self.states) - 1)]
        return PlanPage(1, [{**PLAN, **state}])


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_wait_polls_with_backoff_until_settled() -> None:
    client = ScriptedClient([{"plan_state": "PLAN_CREATING", "audit_state": "AUDIT_INITIAL"},
                             {"plan_state": "PLAN_CREATED", "audit_state": "AUDIT_PROCESSING"},
                             {"plan_state": "PLAN_CREATED", "audit_state": "AUDIT_PROCESSING"},
                             {"plan_state": "PLAN_DELIVERING", "audit_state": "AUDIT_PASSED"}])
    t, seen = FakeTime(), []
    plan = wait_for_plan(client, "40016", "100000000001", timeout=60, sleep=t.sleep, clock=t.clock,
                         on_tick=lambda p: seen.append(p["plan_state"]))
    assert plan["plan_state"] == "PLAN_DELIVERING"
    assert seen == ["PLAN_CREATING", "PLAN_CREATED", "PLAN_CREATED", "PLAN_DELIVERING"]
    assert t.slept == pytest.approx([0.5, 0.8, 1.28])  # growing pauses
    assert client.calls[0]["plan_id"] == "100000000001"


def test_wait_times_out_with_the_last_state_and_exit_10() -> None:
    client = ScriptedClient([{"plan_state": "PLAN_TERMINATING"}])
    t = FakeTime()
    with pytest.raises(WaitTimeoutError) as caught:
        wait_for_plan(client, "40016", "100000000001", timeout=10, sleep=t.sleep, clock=t.clock,
                      backoff=Backoff(first=3, factor=2, cap=4))
    assert caught.value.exit_code == ExitCode.WAIT_TIMEOUT == 10
    assert caught.value.plan["plan_state"] == "PLAN_TERMINATING"
    assert "PLAN_TERMINATING" in caught.value.message and "--timeout" in (caught.value.hint or "")
    assert sum(t.slept) == pytest.approx(10)  # never sleeps past the deadline
    assert t.slept[-1] <= 4


def test_wait_reads_once_even_with_zero_timeout_and_not_found_is_exit_5() -> None:
    t = FakeTime()
    assert wait_for_plan(ScriptedClient([{}]), "40016", "100000000001", timeout=0, sleep=t.sleep,
                         clock=t.clock)["plan_state"] == "PLAN_DELIVERING"
    empty = ScriptedClient([{}])
    empty.list_plans = lambda brand, **q: PlanPage(0, [])  # type: ignore[method-assign]
    with pytest.raises(NotFoundError):
        wait_for_plan(empty, "40016", "1", timeout=5, sleep=t.sleep, clock=t.clock)


@pytest.mark.parametrize(("plan", "done"), [
    ({"plan_state": "PLAN_CREATING", "audit_state": "AUDIT_PASSED"}, False),
    ({"plan_state": "PLAN_CREATED", "audit_state": "AUDIT_PROCESSING"}, False),
    ({"plan_state": "PLAN_CREATED", "audit_state": "AUDIT_INITIAL"}, False),
    ({"plan_state": "PLAN_CREATED", "audit_state": "AUDIT_REJECTED"}, True),
    ({"plan_state": "PLAN_DELIVERING"}, True),  # no audit_state (not in the official table)
    ({"plan_state": "PLAN_TERMINATED", "audit_state": "AUDIT_PROCESSING"}, True),
    ({"plan_state": "PLAN_TERMINATING", "audit_state": "AUDIT_PASSED"}, False),
])
def test_settled(plan: dict[str, Any], done: bool) -> None:
    assert settled(plan) is done


def test_check_audit() -> None:
    check_audit({"audit_state": "AUDIT_PASSED"})
    with pytest.raises(AuditRejectedError) as caught:
        check_audit({"plan_id": "1", "audit_state": "AUDIT_REJECTED"})
    assert caught.value.exit_code == 9


def test_iter_plans_follows_offsets_and_stops_at_limit() -> None:
    class Pages:
        def __init__(self) -> None:
            self.offsets: list[tuple[int, int]] = []

        def list_plans(self, brand_id: str, *, offset: int, page_size: int, **q: Any) -> PlanPage:
            self.offsets.append((offset, page_size))
            ids = range(offset, min(offset + page_size, 120))
            return PlanPage(120, [{"plan_id": str(i)} for i in ids])

    pages = Pages()
    assert len(list(iter_plans(pages, "40016"))) == 120  # type: ignore[arg-type]
    assert pages.offsets == [(0, 50), (50, 50), (100, 50)]
    pages = Pages()
    assert [p["plan_id"] for p in iter_plans(pages, "40016", limit=3)] == ["0", "1", "2"]  # type: ignore[arg-type]
    assert pages.offsets == [(0, 3)]


def test_enum_value_forgiving_spelling_and_did_you_mean() -> None:
    states = ("PLAN_CREATING", "PLAN_DELIVERING", "PLAN_TERMINATED")
    assert enum_value("delivering", states, "--state") == "PLAN_DELIVERING"
    assert enum_value("plan_terminated", states, "--state") == "PLAN_TERMINATED"
    with pytest.raises(UsageError) as caught:
        enum_value("DELIVERNG", states, "--state")
    assert "did you mean PLAN_DELIVERING" in (caught.value.hint or "")


# -- update ------------------------------------------------------------------------------------------


def given(**values: Any) -> dict[str, Given]:
    return {k: Given(parse_time(v) if k.endswith("_time") else v, f"--{k}") for k, v in values.items()}


def test_only_changed_fields_are_sent_and_the_number_is_stable() -> None:
    upd = build_update(PLAN, given(plan_name="春季投放", total_count=10000, delivery_end_time="2027-02-10"),
                       mchid="1900000109")
    assert upd.modify_content() == {"plan_name": "春季投放", "delivery_end_time": "2027-02-10T00:00:00+08:00"}
    assert upd.unchanged == ("total_count",)
    assert upd.out_request_no.startswith("wxu-") and len(upd.out_request_no) == 36
    assert upd.body() == ('{"modify_content":{"plan_name":"春季投放","delivery_end_time":'
                          f'"2027-02-10T00:00:00+08:00"}},"out_request_no":"{upd.out_request_no}"}}').encode()
    again = build_update(PLAN, given(delivery_end_time="2027-02-10T00:00:00+08:00", plan_name="春季投放"),
                         mchid="1900000109")
    assert again.out_request_no == upd.out_request_no  # order and time spelling do not matter
    other = build_update(PLAN, given(plan_name="春季投放"), mchid="1900000110")
    assert other.out_request_no != upd.out_request_no  # another merchant


def test_changing_back_gets_a_new_number() -> None:
    a_to_b = derive_update_request_no("1", build_update({**PLAN, "plan_name": "A"}, given(plan_name="B"),
                                                        mchid="m").changes, "m")
    b_to_a = build_update({**PLAN, "plan_name": "B"}, given(plan_name="A"), mchid="m").out_request_no
    c_to_a = build_update({**PLAN, "plan_name": "C"}, given(plan_name="A"), mchid="m").out_request_no
    assert len({a_to_b, b_to_a, c_to_a}) == 3


def test_every_rule_is_named_at_once() -> None:
    plan = {k: v for k, v in PLAN.items() if k != "user_limit"}
    with pytest.raises(ValidationError) as caught:
        build_update(plan, given(total_count=9000, user_limit=3, daily_limit=1, stock_id="9999",
                                 delivery_start_time="2027-01-02", delivery_end_time="2027-01-30",
                                 recommend_word="太长的营销标签超过九个汉字了"), mchid="m")
    text = "\n".join(i.render() for i in caught.value.issues)
    for fragment in ("total_count: can only be increased: must be greater than the current 10000",
                     "user_limit: was not set when the plan was created",
                     "daily_limit: was not set when the plan was created",
                     "stock_id: cannot be changed after creation",
                     "delivery_start_time: cannot be changed",
                     "delivery_end_time: can only move later",
                     "recommend_word: is too long"):
        assert fragment in text, text
    assert caught.value.exit_code == 4 and "refused" in caught.value.message


@pytest.mark.parametrize("state", ["PLAN_TERMINATED", "PLAN_TERMINATING", "PLAN_EXPIRED"])
def test_a_terminated_plan_cannot_be_updated(state: str) -> None:
    with pytest.raises(ValidationError) as caught:
        build_update({**PLAN, "plan_state": state}, given(total_count=20000), mchid="m")
    assert state in caught.value.issues[0].message


def test_requested_values_from_an_edited_create_file(tmp_path) -> None:
    from wxplan_cli.plan import load_plan_source

    path = tmp_path / "plan.yaml"
    path.write_text('out_request_no: create-0001\nbrand_id: "40016"\nplan_name: 冬季饮料投放\n'
                    "total_count: 20000\nplan_nmae: x\ndelivery_end_time: 2027-02-01\n")
    values, issues = requested_values(load_plan_source(str(path)), {"total_count": 30000})
    assert values["total_count"] == Given(30000, "--total-count")  # flags win
    assert "out_request_no" not in values
    assert [(i.field, i.source) for i in issues] == [("plan_nmae", f"{path}:5")]
    upd = build_update(PLAN, values, mchid="m")
    assert upd.modify_content() == {"delivery_end_time": "2027-02-01T00:00:00+08:00", "total_count": 30000}
    assert set(upd.unchanged) == {"brand_id", "plan_name"}


def test_applied_in_spots_a_replayed_request() -> None:
    upd = build_update(PLAN, given(total_count=20000), mchid="m")
    assert upd.applied_in({**PLAN, "total_count": 20000})
    assert not upd.applied_in(PLAN)


def test_spinner_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from rich.console import Console

    from wxplan_cli.commands.common import GlobalOptions, Run
    from wxplan_cli.commands.interact import wait_settled

    monkeypatch.setattr("wxplan_cli.wait.Backoff", lambda: Backoff(first=0.01, cap=0.01))
    states = [{"plan_state": "PLAN_CREATING"}, {"plan_state": "PLAN_DELIVERING"}]
    for terminal in (True, False):
        run = Run(GlobalOptions())
        buffer = io.StringIO()
        run.__dict__["err"] = Console(file=buffer, force_terminal=terminal, width=100)
        plan = wait_settled(run, ScriptedClient(states), "40016", "100000000001", 5)  # type: ignore[arg-type]
        assert plan["plan_state"] == "PLAN_DELIVERING"
        text = buffer.getvalue()
        if terminal:
            assert "\x1b[" in text and "waiting for plan 100000000001" in text  # a live status line
        else:
            assert text.splitlines() == [
                "plan 100000000001: PLAN_CREATING 创建中, audit AUDIT_PASSED 审批通过",
                "plan 100000000001: PLAN_DELIVERING 投放中, audit AUDIT_PASSED 审批通过"]
