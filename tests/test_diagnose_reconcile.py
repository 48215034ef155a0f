"""Explaining 401 SIGN_ERROR, and finding a plan whose create reply could not be trusted."""

from __future__ import annotations

import email.utils

from cli_fixtures import Served

from wxplan_cli.config import load_profile
from wxplan_cli.diagnose import explain_sign_error
from wxplan_cli.reconcile import find_created, matches
from wxplan_cli.session import open_client
from wxplan_cli.wire import encode_json

NOW = 1_800_000_000.0
SIGNED = b"POST\n/v3/x\n1800000000\nNONCE\n{\"a\":1}\n"


def info(message: bytes, length: int | None = None) -> dict:
    return {"sign_information": {"method": "POST", "url": "/v3/x",
                                 "truncated_sign_message": message[:40].decode(),
                                 "sign_message_length": len(message) if length is None else length}}


def test_same_message_blames_the_key() -> None:
    text = explain_sign_error(info(SIGNED), SIGNED, None, NOW)
    assert "key is the problem" in text


def test_changed_body_blames_the_path_between() -> None:
    assert "changed the URL or body" in explain_sign_error(info(SIGNED, 99), SIGNED, None, NOW)
    other = b"POST\n/v3/y\n1800000000\nNONCE\n{\"a\":2}\n"
    assert "starts differently" in explain_sign_error(info(other), SIGNED, None, NOW)


def test_clock_skew_from_the_date_header() -> None:
    date = email.utils.formatdate(NOW - 600, usegmt=True)
    text = explain_sign_error({}, SIGNED, date, NOW)
    assert "600 s ahead" in text and "NTP" in text
    assert "behind" in explain_sign_error({}, SIGNED, email.utils.formatdate(NOW + 90, usegmt=True), NOW)
    assert "ahead" not in explain_sign_error({}, SIGNED, email.utils.formatdate(NOW - 5, usegmt=True), NOW)


def test_nothing_to_compare_gives_the_checklist() -> None:
    for detail in ({}, {"sign_information": "junk"}, {"sign_information": {}}):
        assert "serial_no" in explain_sign_error(detail, SIGNED, "not a date", NOW)


PAYLOAD = {"out_request_no": "rec-0001", "brand_id": "40016", "product_coupon_id": "7011",
           "stock_id": "7012", "reuse_coupon_config": False, "plan_name": "冬季饮料投放",
           "total_count": 10000, "delivery_start_time": "2027-01-01T00:00:00+08:00",
           "delivery_end_time": "2027-01-31T00:00:00+08:00"}


def test_matches_on_identifying_fields() -> None:
    plan = {k: v for k, v in PAYLOAD.items() if k != "out_request_no"} | {"plan_id": "1"}
    assert matches(PAYLOAD, plan)
    assert not matches(PAYLOAD, {**plan, "plan_name": "other"})
    assert not matches(PAYLOAD, {**plan, "delivery_end_time": "2027-02-01T00:00:00+08:00"})


def test_find_created_over_the_sandbox(served: Served) -> None:
    profile = load_profile(str(served.config), "pubkey", env={})
    with open_client(profile, warn=print) as client:
        assert find_created(client, PAYLOAD) == []
        for i in range(60):  # more than one page of other plans
            client.create_plan(encode_json({**PAYLOAD, "out_request_no": f"other-{i:04d}",
                                            "plan_name": f"其他{i}"}))
        made = client.create_plan(encode_json(PAYLOAD))
        found = find_created(client, PAYLOAD)
    assert [p["plan_id"] for p in found] == [made["plan_id"]]


def test_times_match_as_instants_and_reuse_plans_are_not_distinctive() -> None:
    from wxplan_cli.reconcile import is_distinctive

    plan = {k: v for k, v in PAYLOAD.items() if k != "out_request_no"}
    reformatted = {**plan, "delivery_start_time": "2026-12-31T16:00:00.000Z"}
    assert matches(PAYLOAD, reformatted)
    assert is_distinctive(PAYLOAD)
    reuse = {"brand_id": "40016", "product_coupon_id": "7011", "stock_id": "7012",
             "reuse_coupon_config": True}
    assert matches(reuse, plan) and not is_distinctive(reuse)
